// 2x2 stride-2 unpadded MAX pooling of one plane (DSOD's every pooling), with Caffe's rules: the
// first maximum in window order (row by row) wins with a strict >, the argmax is h * W + w, and a
// window cut by the border (ceil output size) covers only the cells inside.
#include "CPooling.h"
#include "CKernels.h"

#include <float.h>
#include <immintrin.h>

static void window_scalar(const float *in, int H, int W, int ph, int pw, float *out, int32_t *arg) {
    float best = -FLT_MAX;
    int32_t index = -1;
    int h1 = 2 * ph + 2 < H ? 2 * ph + 2 : H, w1 = 2 * pw + 2 < W ? 2 * pw + 2 : W;
    for (int h = 2 * ph; h < h1; h++) {
        for (int w = 2 * pw; w < w1; w++) {
            float v = in[h * W + w];
            if (v > best) {
                best = v;
                index = h * W + w;
            }
        }
    }
    *out = best;
    *arg = index;
}

#if defined(__x86_64__)
#define AVX512 __attribute__((target("avx512f,avx512vl,avx512dq,fma,avx2")))

AVX512 static void max_pool_2x2_avx512(const float *in, int H, int W, float *out, int32_t *argmax, int PH, int PW) {
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    const __m512i lane2 = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    int fullRows = H / 2 < PH ? H / 2 : PH;       // windows with both rows inside
    int fullColumns = W / 2 < PW ? W / 2 : PW;    // windows with both columns inside
    for (int ph = 0; ph < fullRows; ph++) {
        const float *r0 = in + (2 * ph) * W, *r1 = r0 + W;
        float *o = out + ph * PW;
        int32_t *a = argmax + ph * PW;
        int pw = 0;
        for (; pw < fullColumns; pw += 16) {
            int count = fullColumns - pw < 16 ? fullColumns - pw : 16;
            __mmask16 lo = count >= 8 ? 0xFFFF : (__mmask16)((1u << (2 * count)) - 1u);
            __mmask16 hi = count > 8 ? (__mmask16)((1u << (2 * (count - 8))) - 1u) : 0;
            if (count == 16) hi = 0xFFFF;
            __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * pw), a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * pw + 16);
            __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * pw), b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * pw + 16);
            __m512 v00 = _mm512_permutex2var_ps(a0, even, a1), v01 = _mm512_permutex2var_ps(a0, odd, a1);
            __m512 v10 = _mm512_permutex2var_ps(b0, even, b1), v11 = _mm512_permutex2var_ps(b0, odd, b1);
            __m512i i00 = _mm512_add_epi32(_mm512_set1_epi32(2 * ph * W + 2 * pw), lane2);
            __m512 best = _mm512_set1_ps(-FLT_MAX);
            __m512i index = _mm512_set1_epi32(-1);
            __mmask16 m;
            m = _mm512_cmp_ps_mask(v00, best, _CMP_GT_OQ); best = _mm512_mask_mov_ps(best, m, v00); index = _mm512_mask_mov_epi32(index, m, i00);
            m = _mm512_cmp_ps_mask(v01, best, _CMP_GT_OQ); best = _mm512_mask_mov_ps(best, m, v01);
            index = _mm512_mask_add_epi32(index, m, i00, _mm512_set1_epi32(1));
            m = _mm512_cmp_ps_mask(v10, best, _CMP_GT_OQ); best = _mm512_mask_mov_ps(best, m, v10);
            index = _mm512_mask_add_epi32(index, m, i00, _mm512_set1_epi32(W));
            m = _mm512_cmp_ps_mask(v11, best, _CMP_GT_OQ); best = _mm512_mask_mov_ps(best, m, v11);
            index = _mm512_mask_add_epi32(index, m, i00, _mm512_set1_epi32(W + 1));
            __mmask16 store = count >= 16 ? 0xFFFF : (__mmask16)((1u << count) - 1u);
            _mm512_mask_storeu_ps(o + pw, store, best);
            _mm512_mask_storeu_epi32(a + pw, store, index);
        }
        for (pw = fullColumns; pw < PW; pw++) window_scalar(in, H, W, ph, pw, o + pw, a + pw);
    }
    for (int ph = fullRows; ph < PH; ph++) {
        for (int pw = 0; pw < PW; pw++) window_scalar(in, H, W, ph, pw, out + ph * PW + pw, argmax + ph * PW + pw);
    }
}
#endif

void ck_max_pool_2x2(const float *in, int H, int W, float *out, int32_t *argmax, int PH, int PW) {
#if defined(__x86_64__)
    if (ck_packed_gemm_available()) {
        max_pool_2x2_avx512(in, H, W, out, argmax, PH, PW);
        return;
    }
#endif
    for (int ph = 0; ph < PH; ph++) {
        for (int pw = 0; pw < PW; pw++) window_scalar(in, H, W, ph, pw, out + ph * PW + pw, argmax + ph * PW + pw);
    }
}
