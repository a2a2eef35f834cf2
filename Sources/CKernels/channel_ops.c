// Per-channel loops of BatchNorm/Scale/ReLU chains; see CChannelOps.h.
#include "CChannelOps.h"
#include "CKernels.h"

#include <immintrin.h>

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,fma,avx2")))

static inline __mmask16 tail_mask(ptrdiff_t count) {
    return count >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << count) - 1u);
}

/// Adds the 16 floats of v, widened, to the two double accumulators.
#define CK_WIDEN_ADD(lo, hi, v) do { \
    lo = _mm512_add_pd(lo, _mm512_cvtps_pd(_mm512_castps512_ps256(v))); \
    hi = _mm512_add_pd(hi, _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)))); \
} while (0)

/// Adds the products of the 16 floats of u and v, widened, to the two accumulators.
#define CK_WIDEN_FMA(lo, hi, u, v) do { \
    lo = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(u)), _mm512_cvtps_pd(_mm512_castps512_ps256(v)), lo); \
    hi = _mm512_fmadd_pd(_mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(u), 1))), \
                         _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1))), hi); \
} while (0)

AVX512 static double sum_avx512(const float *x, ptrdiff_t n) {
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __m512 v = _mm512_maskz_loadu_ps(tail_mask(n - i), x + i);
        CK_WIDEN_ADD(lo, hi, v);
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
}

AVX512 static double centered_square_sum_avx512(const float *x, float mean, ptrdiff_t n) {
    __m512d lo = _mm512_setzero_pd(), hi = _mm512_setzero_pd();
    __m512 mu = _mm512_set1_ps(mean);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 d = _mm512_maskz_sub_ps(m, _mm512_maskz_loadu_ps(m, x + i), mu);
        CK_WIDEN_FMA(lo, hi, d, d);
    }
    return _mm512_reduce_add_pd(_mm512_add_pd(lo, hi));
}

AVX512 static inline __m512 transform16(__m512 v, int normalize, __m512 mu, __m512 sigma, __m512 a, __m512 b) {
    if (normalize) v = _mm512_div_ps(_mm512_sub_ps(v, mu), sigma);
    return _mm512_add_ps(_mm512_mul_ps(v, a), b);
}

AVX512 static void channel_transform_avx512(const float *x, float *dst, ptrdiff_t n, int normalize, float mean, float std,
                                            float scale, float shift, int relu, float slope) {
    __m512 mu = _mm512_set1_ps(mean), sigma = _mm512_set1_ps(std), a = _mm512_set1_ps(scale), b = _mm512_set1_ps(shift);
    __m512 s = _mm512_set1_ps(slope), zero = _mm512_setzero_ps();
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 v = transform16(_mm512_maskz_loadu_ps(m, x + i), normalize, mu, sigma, a, b);
        if (relu) {
            // max(v, 0) + slope * min(v, 0), as ReLU's forward.
            v = _mm512_add_ps(_mm512_max_ps(v, zero), _mm512_mul_ps(s, _mm512_min_ps(v, zero)));
        }
        _mm512_mask_storeu_ps(dst + i, m, v);
    }
}

/// g: dy where the ReLU's input (the transform's output) is > 0, else dy * slope.
AVX512 static inline __m512 masked_gradient(__m512 dy, __m512 y, int relu, __m512 slope) {
    if (!relu) return dy;
    __mmask16 positive = _mm512_cmp_ps_mask(y, _mm512_setzero_ps(), _CMP_GT_OQ);
    return _mm512_mask_mov_ps(_mm512_mul_ps(dy, slope), positive, dy);
}

AVX512 static void chain_backward_sums_avx512(const float *x, const float *dy, ptrdiff_t n, float mean, float std, float scale,
                                              float shift, int relu, float slope, double sums[4]) {
    __m512 mu = _mm512_set1_ps(mean), sigma = _mm512_set1_ps(std), a = _mm512_set1_ps(scale), b = _mm512_set1_ps(shift);
    __m512 s = _mm512_set1_ps(slope);
    __m512d g0 = _mm512_setzero_pd(), g1 = g0, gx0 = g0, gx1 = g0, d0 = g0, d1 = g0, dx0 = g0, dx1 = g0;
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 xh = _mm512_maskz_div_ps(m, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mu), sigma);
        __m512 y = _mm512_add_ps(_mm512_mul_ps(xh, a), b);
        __m512 g = _mm512_maskz_mov_ps(m, masked_gradient(_mm512_maskz_loadu_ps(m, dy + i), y, relu, s));
        __m512 d = _mm512_mul_ps(g, a);
        CK_WIDEN_ADD(g0, g1, g);
        CK_WIDEN_FMA(gx0, gx1, g, xh);
        CK_WIDEN_ADD(d0, d1, d);
        CK_WIDEN_FMA(dx0, dx1, d, xh);
    }
    sums[0] += _mm512_reduce_add_pd(_mm512_add_pd(g0, g1));
    sums[1] += _mm512_reduce_add_pd(_mm512_add_pd(gx0, gx1));
    sums[2] += _mm512_reduce_add_pd(_mm512_add_pd(d0, d1));
    sums[3] += _mm512_reduce_add_pd(_mm512_add_pd(dx0, dx1));
}

AVX512 static void chain_backward_apply_avx512(const float *x, const float *dy, float *dx, ptrdiff_t n, float mean, float std,
                                               float scale, float shift, int relu, float slope, float mean_d, float mean_dxh) {
    __m512 mu = _mm512_set1_ps(mean), sigma = _mm512_set1_ps(std), a = _mm512_set1_ps(scale), b = _mm512_set1_ps(shift);
    __m512 s = _mm512_set1_ps(slope), md = _mm512_set1_ps(mean_d), mdx = _mm512_set1_ps(mean_dxh);
    for (ptrdiff_t i = 0; i < n; i += 16) {
        __mmask16 m = tail_mask(n - i);
        __m512 xh = _mm512_maskz_div_ps(m, _mm512_sub_ps(_mm512_maskz_loadu_ps(m, x + i), mu), sigma);
        __m512 y = _mm512_add_ps(_mm512_mul_ps(xh, a), b);
        __m512 d = _mm512_mul_ps(masked_gradient(_mm512_maskz_loadu_ps(m, dy + i), y, relu, s), a);
        __m512 r = _mm512_div_ps(_mm512_sub_ps(_mm512_sub_ps(d, md), _mm512_mul_ps(mdx, xh)), sigma);
        _mm512_mask_storeu_ps(dx + i, m, r);
    }
}
#endif

// Plain C versions (CPUs without AVX-512).

static double sum_plain(const float *x, ptrdiff_t n) {
    double s = 0;
    for (ptrdiff_t i = 0; i < n; i++) s += x[i];
    return s;
}

static double centered_square_sum_plain(const float *x, float mean, ptrdiff_t n) {
    double s = 0;
    for (ptrdiff_t i = 0; i < n; i++) {
        double d = (double)(x[i] - mean);
        s += d * d;
    }
    return s;
}

static inline float transform1(float v, int normalize, float mean, float std, float scale, float shift) {
    if (normalize) v = (v - mean) / std;
    float product = v * scale;
    return product + shift;
}

double ck_sum(const float *x, ptrdiff_t n) {
#if defined(__x86_64__)
    if (ck_packed_gemm_available()) return sum_avx512(x, n);
#endif
    return sum_plain(x, n);
}

double ck_centered_square_sum(const float *x, float mean, ptrdiff_t n) {
#if defined(__x86_64__)
    if (ck_packed_gemm_available()) return centered_square_sum_avx512(x, mean, n);
#endif
    return centered_square_sum_plain(x, mean, n);
}

void ck_channel_transform(const float *x, float *dst, ptrdiff_t n, int normalize, float mean, float std,
                          float scale, float shift, int relu, float slope) {
#if defined(__x86_64__)
    if (ck_packed_gemm_available()) {
        channel_transform_avx512(x, dst, n, normalize, mean, std, scale, shift, relu, slope);
        return;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++) {
        float v = transform1(x[i], normalize, mean, std, scale, shift);
        if (relu) {
            float positive = v > 0 ? v : 0, negative = v < 0 ? v : 0;
            v = positive + slope * negative;
        }
        dst[i] = v;
    }
}

/* One element of the chain's backward (scalar path): the normalized input xh, the gradient g
 * after the ReLU (slope where the recomputed output is not positive) and d = g * scale, the
 * gradient reaching the normalized value. Same operation order as the layers. */
static inline float chain_gradient1(float x, float dy, float mean, float std, float scale, float shift, int relu,
                                    float slope, float *xh_out, float *g_out) {
    float xh = (x - mean) / std;
    float y = xh * scale;
    y = y + shift;
    float g = (relu && !(y > 0)) ? dy * slope : dy;
    *xh_out = xh;
    *g_out = g;
    return g * scale;
}

void ck_chain_backward_sums(const float *x, const float *dy, ptrdiff_t n, float mean, float std, float scale, float shift,
                            int relu, float slope, double sums[4]) {
#if defined(__x86_64__)
    if (ck_packed_gemm_available()) {
        chain_backward_sums_avx512(x, dy, n, mean, std, scale, shift, relu, slope, sums);
        return;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++) {
        float xh, g;
        float d = chain_gradient1(x[i], dy[i], mean, std, scale, shift, relu, slope, &xh, &g);
        sums[0] += g;
        sums[1] += (double)g * xh;
        sums[2] += d;
        sums[3] += (double)d * xh;
    }
}

void ck_chain_backward_apply(const float *x, const float *dy, float *dx, ptrdiff_t n, float mean, float std, float scale,
                             float shift, int relu, float slope, float mean_d, float mean_dxh) {
#if defined(__x86_64__)
    if (ck_packed_gemm_available()) {
        chain_backward_apply_avx512(x, dy, dx, n, mean, std, scale, shift, relu, slope, mean_d, mean_dxh);
        return;
    }
#endif
    for (ptrdiff_t i = 0; i < n; i++) {
        float xh, g;
        float d = chain_gradient1(x[i], dy[i], mean, std, scale, shift, relu, slope, &xh, &g);
        float t = mean_dxh * xh;
        dx[i] = ((d - mean_d) - t) / std;
    }
}
