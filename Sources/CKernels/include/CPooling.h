#ifndef DSOD_CPOOLING_H
#define DSOD_CPOOLING_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// MAX pooling of one H x W plane with a 2x2 window, stride 2 and no padding into PH x PW
/// (PH <= ceil(H/2), PW <= ceil(W/2)); argmax receives h * W + w of each window's first maximum.
void ck_max_pool_2x2(const float *in, int H, int W, float *out, int32_t *argmax, int PH, int PW);

#ifdef __cplusplus
}
#endif

#endif
