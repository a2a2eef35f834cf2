// Packed SGEMM for the convolutions: BLIS-style blocking (depth block KC, column block NC) around
// an 8 x 48 AVX-512 micro-kernel. B is packed per call from rows given by offsets, so a 1x1
// convolution reads its input directly, a stride-1 convolution reads a zero-padded copy of its
// input (no im2col), and anything else reads im2col columns.
#include "CKernels.h"

#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

enum { KC = 256, NC = 480 };

int ck_packed_gemm_depth_block(void) { return KC; }

int ck_packed_gemm_available(void) {
#if defined(__x86_64__)
    static int cached = -1;
    if (cached < 0) {
        __builtin_cpu_init();
        cached = __builtin_cpu_supports("avx512f") ? 1 : 0;
    }
    return cached;
#else
    return 0;
#endif
}

size_t ck_packed_a_count(int m, int k) {
    size_t panels = (size_t)((m + CK_MR - 1) / CK_MR);
    return panels * CK_MR * (size_t)(k > 0 ? k : 0);
}

static void pack_a_scalar(const float *a, ptrdiff_t row_stride, ptrdiff_t col_stride, int m, int k, float *packed) {
    int panels = (m + CK_MR - 1) / CK_MR;
    size_t mp = (size_t)panels * CK_MR;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC;
        float *block = packed + mp * (size_t)k0;
        for (int p = 0; p < panels; p++) {
            float *dst = block + (size_t)p * CK_MR * kc;
            for (int kk = 0; kk < kc; kk++) {
                for (int r = 0; r < CK_MR; r++) {
                    int row = p * CK_MR + r;
                    dst[kk * CK_MR + r] = row < m ? a[(ptrdiff_t)row * row_stride + (ptrdiff_t)(k0 + kk) * col_stride] : 0.0f;
                }
            }
        }
    }
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,fma,avx2")))

/// Transposes the 8x8 block r[0..8) in place (r[i] lane j becomes r[j] lane i).
AVX512 static inline void transpose8(__m256 r[8]) {
    __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20); r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20); r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31); r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31); r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/// ck_pack_a with vector copies: rows contiguous in k (8x8 transposes) or the 8 rows of a
/// panel contiguous (A given transposed); other layouts and partial panels go element by element.
AVX512 static void pack_a_avx512(const float *a, ptrdiff_t row_stride, ptrdiff_t col_stride, int m, int k, float *packed) {
    int panels = (m + CK_MR - 1) / CK_MR;
    size_t mp = (size_t)panels * CK_MR;
    for (int k0 = 0; k0 < k; k0 += KC) {
        int kc = k - k0 < KC ? k - k0 : KC;
        float *block = packed + mp * (size_t)k0;
        for (int p = 0; p < panels; p++) {
            float *dst = block + (size_t)p * CK_MR * kc;
            const float *src = a + (ptrdiff_t)p * CK_MR * row_stride + (ptrdiff_t)k0 * col_stride;
            int full = (p + 1) * CK_MR <= m;
            int kk = 0;
            if (full && col_stride == 1) {
                for (; kk + 8 <= kc; kk += 8) {
                    __m256 r[8];
                    for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * row_stride + kk);
                    transpose8(r);
                    for (int i = 0; i < 8; i++) _mm256_storeu_ps(dst + (size_t)(kk + i) * CK_MR, r[i]);
                }
            } else if (full && row_stride == 1) {
                for (; kk < kc; kk++) _mm256_storeu_ps(dst + (size_t)kk * CK_MR, _mm256_loadu_ps(src + (ptrdiff_t)kk * col_stride));
            }
            for (; kk < kc; kk++) {
                for (int r = 0; r < CK_MR; r++) {
                    int row = p * CK_MR + r;
                    dst[kk * CK_MR + r] = row < m ? a[(ptrdiff_t)row * row_stride + (ptrdiff_t)(k0 + kk) * col_stride] : 0.0f;
                }
            }
        }
    }
}

/// tile[8][48] = sum over kc of a[k][0..8) (outer) b[k][0..48).
AVX512 static void kernel_8x48(int kc, const float *restrict a, const float *restrict b, float *restrict tile) {
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c02 = c00, c10 = c00, c11 = c00, c12 = c00;
    __m512 c20 = c00, c21 = c00, c22 = c00, c30 = c00, c31 = c00, c32 = c00;
    __m512 c40 = c00, c41 = c00, c42 = c00, c50 = c00, c51 = c00, c52 = c00;
    __m512 c60 = c00, c61 = c00, c62 = c00, c70 = c00, c71 = c00, c72 = c00;
#define CK_STEP(A, B)                                                                         \
    do {                                                                                      \
        __m512 b0 = _mm512_load_ps((B)), b1 = _mm512_load_ps((B) + 16), b2 = _mm512_load_ps((B) + 32); \
        __m512 x;                                                                             \
        x = _mm512_set1_ps((A)[0]); c00 = _mm512_fmadd_ps(x, b0, c00); c01 = _mm512_fmadd_ps(x, b1, c01); c02 = _mm512_fmadd_ps(x, b2, c02); \
        x = _mm512_set1_ps((A)[1]); c10 = _mm512_fmadd_ps(x, b0, c10); c11 = _mm512_fmadd_ps(x, b1, c11); c12 = _mm512_fmadd_ps(x, b2, c12); \
        x = _mm512_set1_ps((A)[2]); c20 = _mm512_fmadd_ps(x, b0, c20); c21 = _mm512_fmadd_ps(x, b1, c21); c22 = _mm512_fmadd_ps(x, b2, c22); \
        x = _mm512_set1_ps((A)[3]); c30 = _mm512_fmadd_ps(x, b0, c30); c31 = _mm512_fmadd_ps(x, b1, c31); c32 = _mm512_fmadd_ps(x, b2, c32); \
        x = _mm512_set1_ps((A)[4]); c40 = _mm512_fmadd_ps(x, b0, c40); c41 = _mm512_fmadd_ps(x, b1, c41); c42 = _mm512_fmadd_ps(x, b2, c42); \
        x = _mm512_set1_ps((A)[5]); c50 = _mm512_fmadd_ps(x, b0, c50); c51 = _mm512_fmadd_ps(x, b1, c51); c52 = _mm512_fmadd_ps(x, b2, c52); \
        x = _mm512_set1_ps((A)[6]); c60 = _mm512_fmadd_ps(x, b0, c60); c61 = _mm512_fmadd_ps(x, b1, c61); c62 = _mm512_fmadd_ps(x, b2, c62); \
        x = _mm512_set1_ps((A)[7]); c70 = _mm512_fmadd_ps(x, b0, c70); c71 = _mm512_fmadd_ps(x, b1, c71); c72 = _mm512_fmadd_ps(x, b2, c72); \
    } while (0)
    int k = 0;
    for (; k + 4 <= kc; k += 4) {
        _mm_prefetch((const char *)(b + 4 * CK_NR * 4), _MM_HINT_T0);
        _mm_prefetch((const char *)(b + 4 * CK_NR * 4 + 64), _MM_HINT_T0);
        CK_STEP(a, b);
        CK_STEP(a + CK_MR, b + CK_NR);
        CK_STEP(a + 2 * CK_MR, b + 2 * CK_NR);
        CK_STEP(a + 3 * CK_MR, b + 3 * CK_NR);
        a += 4 * CK_MR;
        b += 4 * CK_NR;
    }
    for (; k < kc; k++) {
        CK_STEP(a, b);
        a += CK_MR;
        b += CK_NR;
    }
#undef CK_STEP
    _mm512_store_ps(tile + 0 * 48 + 0, c00); _mm512_store_ps(tile + 0 * 48 + 16, c01); _mm512_store_ps(tile + 0 * 48 + 32, c02);
    _mm512_store_ps(tile + 1 * 48 + 0, c10); _mm512_store_ps(tile + 1 * 48 + 16, c11); _mm512_store_ps(tile + 1 * 48 + 32, c12);
    _mm512_store_ps(tile + 2 * 48 + 0, c20); _mm512_store_ps(tile + 2 * 48 + 16, c21); _mm512_store_ps(tile + 2 * 48 + 32, c22);
    _mm512_store_ps(tile + 3 * 48 + 0, c30); _mm512_store_ps(tile + 3 * 48 + 16, c31); _mm512_store_ps(tile + 3 * 48 + 32, c32);
    _mm512_store_ps(tile + 4 * 48 + 0, c40); _mm512_store_ps(tile + 4 * 48 + 16, c41); _mm512_store_ps(tile + 4 * 48 + 32, c42);
    _mm512_store_ps(tile + 5 * 48 + 0, c50); _mm512_store_ps(tile + 5 * 48 + 16, c51); _mm512_store_ps(tile + 5 * 48 + 32, c52);
    _mm512_store_ps(tile + 6 * 48 + 0, c60); _mm512_store_ps(tile + 6 * 48 + 16, c61); _mm512_store_ps(tile + 6 * 48 + 32, c62);
    _mm512_store_ps(tile + 7 * 48 + 0, c70); _mm512_store_ps(tile + 7 * 48 + 16, c71); _mm512_store_ps(tile + 7 * 48 + 32, c72);
}

static inline __mmask16 mask_of(int count) {
    if (count <= 0) return 0;
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

/// Packs rows [k0, k0 + kc) of B, columns [n0, n0 + count), into CK_NR-wide panels (zero-padded).
/// Row by row: each source row is read sequentially (panel-major order measured slower).
AVX512 static void pack_b(const ck_gemm_args *g, int k0, int kc, int n0, int count, float *restrict packed) {
    int panels = (count + CK_NR - 1) / CK_NR;
    int full = count / CK_NR;
    int left = count - full * CK_NR;
    __mmask16 m0 = mask_of(left), m1 = mask_of(left - 16), m2 = mask_of(left - 32);
    for (int kk = 0; kk < kc; kk++) {
        int row = k0 + kk;
        const float *src = g->b + (g->b_row_offsets ? g->b_row_offsets[row] : (ptrdiff_t)row * g->ldb) + n0;
        float *dst = packed + (size_t)kk * CK_NR;
        for (int p = 0; p < full; p++) {
            const float *s = src + p * CK_NR;
            float *d = dst + (size_t)p * CK_NR * kc;
            _mm512_store_ps(d, _mm512_loadu_ps(s));
            _mm512_store_ps(d + 16, _mm512_loadu_ps(s + 16));
            _mm512_store_ps(d + 32, _mm512_loadu_ps(s + 32));
        }
        if (full < panels) {
            const float *s = src + full * CK_NR;
            float *d = dst + (size_t)full * CK_NR * kc;
            _mm512_store_ps(d, _mm512_maskz_loadu_ps(m0, s));
            _mm512_store_ps(d + 16, _mm512_maskz_loadu_ps(m1, s + 16));
            _mm512_store_ps(d + 32, _mm512_maskz_loadu_ps(m2, s + 32));
        }
    }
}

/// pack_b for B given by columns (b_transposed): column n starts at b + offsets[n] (or n * ldb)
/// and holds B[k][n] at +k. 8x8 transposes for whole blocks, element copies at the edges.
AVX512 static void pack_b_transposed(const ck_gemm_args *g, int k0, int kc, int n0, int count, float *restrict packed) {
    int panels = (count + CK_NR - 1) / CK_NR;
    for (int p = 0; p < panels; p++) {
        float *d = packed + (size_t)p * CK_NR * kc;
        for (int jb = 0; jb < CK_NR; jb += 8) {
            int column0 = p * CK_NR + jb;
            const float *src[8];
            int valid = 0;
            for (int j = 0; j < 8; j++) {
                int n = n0 + column0 + j;
                if (column0 + j < count) {
                    src[j] = g->b + (g->b_row_offsets ? g->b_row_offsets[n] : (ptrdiff_t)n * g->ldb) + k0;
                    valid++;
                } else {
                    src[j] = NULL;
                }
            }
            int kk = 0;
            if (valid == 8) {
                for (; kk + 8 <= kc; kk += 8) {
                    __m256 r[8];
                    for (int j = 0; j < 8; j++) r[j] = _mm256_loadu_ps(src[j] + kk);
                    transpose8(r);
                    for (int i = 0; i < 8; i++) _mm256_store_ps(d + (size_t)(kk + i) * CK_NR + jb, r[i]);
                }
            }
            for (; kk < kc; kk++) {
                for (int j = 0; j < 8; j++) d[(size_t)kk * CK_NR + jb + j] = src[j] ? src[j][kk] : 0.0f;
            }
        }
    }
}

/// Writes (or adds) `count` tile values to dst, then bias and activation when `finish`.
AVX512 static inline void store_segment(float *dst, const float *src, int count, int add, int finish,
                                         float bias, int relu, float slope) {
    __m512 vb = _mm512_set1_ps(bias), zero = _mm512_setzero_ps(), vs = _mm512_set1_ps(slope);
    for (int t = 0; t < count; t += 16) {
        __mmask16 m = mask_of(count - t);
        __m512 v = _mm512_maskz_loadu_ps(m, src + t);
        if (add) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, dst + t));
        if (finish) {
            v = _mm512_add_ps(v, vb);
            if (relu) {
                __mmask16 negative = _mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ);
                v = _mm512_mask_mul_ps(v, negative, v, vs);
            }
        }
        _mm512_mask_storeu_ps(dst + t, m, v);
    }
}

/// Stores rows [0, rows) and columns [0, count) of a tile whose first column is B column n0.
AVX512 static void store_tile(const ck_gemm_args *g, const float *tile, int row0, int rows, int n0, int count,
                              int add, int finish) {
    for (int r = 0; r < rows; r++) {
        int i = row0 + r;
        float *crow = g->c + (ptrdiff_t)i * g->ldc;
        float bias = (finish && g->bias) ? g->bias[i] : 0.0f;
        const float *src = tile + r * CK_NR;
        if (g->c_pitch == 0) {
            store_segment(crow + n0, src, count, add, finish, bias, g->relu, g->slope);
            continue;
        }
        int n = n0, end = n0 + count;
        while (n < end) {
            int line = n / g->c_pitch, col = n % g->c_pitch;
            int segment_end = line * g->c_pitch + g->c_width;
            if (col >= g->c_width) {
                n = (line + 1) * g->c_pitch;
                continue;
            }
            int stop = segment_end < end ? segment_end : end;
            store_segment(crow + (ptrdiff_t)line * g->c_width + col, src + (n - n0), stop - n, add, finish, bias, g->relu, g->slope);
            n = stop;
        }
    }
}

static _Thread_local float *scratch = NULL;

AVX512 static void gemm_avx512(const ck_gemm_args *g) {
    if (!scratch) {
        scratch = aligned_alloc(64, sizeof(float) * ((size_t)KC * NC + CK_MR * CK_NR));
        if (!scratch) return;
    }
    float *packed_b = scratch;
    float *tile = scratch + (size_t)KC * NC;
    int panels_m = (g->m + CK_MR - 1) / CK_MR;
    size_t mp = (size_t)panels_m * CK_MR;
    int first_panel = g->m_begin / CK_MR;
    int end_panel = (g->m_end + CK_MR - 1) / CK_MR;
    for (int nb = g->n_begin; nb < g->n_end; nb += NC) {
        int ncur = g->n_end - nb < NC ? g->n_end - nb : NC;
        int panels_n = (ncur + CK_NR - 1) / CK_NR;
        for (int k0 = 0; k0 < g->k; k0 += KC) {
            int kc = g->k - k0 < KC ? g->k - k0 : KC;
            if (g->b_transposed) {
                pack_b_transposed(g, k0, kc, nb, ncur, packed_b);
            } else {
                pack_b(g, k0, kc, nb, ncur, packed_b);
            }
            int add = (k0 > 0) || g->accumulate;
            int finish = k0 + kc == g->k;
            const float *a_block = g->a_packed + mp * (size_t)k0;
            for (int p = first_panel; p < end_panel; p++) {
                const float *a = a_block + (size_t)p * CK_MR * kc;
                int row0 = p * CK_MR;
                int rows = g->m_end - row0 < CK_MR ? g->m_end - row0 : CK_MR;
                for (int j = 0; j < panels_n; j++) {
                    kernel_8x48(kc, a, packed_b + (size_t)j * CK_NR * kc, tile);
                    int n0 = nb + j * CK_NR;
                    int count = g->n_end - n0 < CK_NR ? g->n_end - n0 : CK_NR;
                    store_tile(g, tile, row0, rows, n0, count, add, finish);
                }
            }
        }
    }
}
#endif

void ck_pack_a(const float *a, ptrdiff_t row_stride, ptrdiff_t col_stride, int m, int k, float *packed) {
#if defined(__x86_64__)
    if (ck_packed_gemm_available()) {
        pack_a_avx512(a, row_stride, col_stride, m, k, packed);
        return;
    }
#endif
    pack_a_scalar(a, row_stride, col_stride, m, k, packed);
}

void ck_packed_gemm(const ck_gemm_args *args) {
#if defined(__x86_64__)
    if (args->m_end > args->m_begin && args->n_end > args->n_begin && args->k > 0 && ck_packed_gemm_available()) {
        gemm_avx512(args);
    }
#else
    (void)args;
#endif
}
