// cblas from Debian's libopenblas-dev (OpenBLAS's own cblas.h, pthreads build).
#include <cblas.h>
// OpenBLAS's thread-count controls, so Kernels can keep its threads from fighting ours.
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);
