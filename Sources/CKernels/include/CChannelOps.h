#ifndef DSOD_CCHANNELOPS_H
#define DSOD_CCHANNELOPS_H

// Per-channel loops of BatchNorm/Scale/ReLU chains (AVX-512 when available, plain C otherwise):
// sums accumulated in double, element-wise operations in float in Caffe's order of operations
// (no fused multiply-add where Caffe rounds twice).

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Sum of x[0..n) in double.
double ck_sum(const float *x, ptrdiff_t n);

/// Sum of (double)(x[i] - mean)^2, the difference taken in float.
double ck_centered_square_sum(const float *x, float mean, ptrdiff_t n);

/// dst[i] = v or the (leaky) ReLU of v when relu, where v = ((x[i] - mean) / std) * scale + shift
/// when normalize, else x[i] * scale + shift. dst may equal x.
void ck_channel_transform(const float *x, float *dst, ptrdiff_t n, int normalize, float mean, float std,
                          float scale, float shift, int relu, float slope);

/// Backward of ((x - mean) / std) * scale + shift followed by an optional ReLU, first pass: with
/// xh = (x - mean) / std and g the output gradient after the ReLU's mask, adds to sums[0..4)
/// the double sums of g, g*xh, d and d*xh where d = g * scale (float).
void ck_chain_backward_sums(const float *x, const float *dy, ptrdiff_t n, float mean, float std, float scale, float shift,
                            int relu, float slope, double sums[4]);

/// Second pass: dx[i] = (d - mean_d - mean_dxh * xh) / std (BatchNorm's batch-mode backward).
void ck_chain_backward_apply(const float *x, const float *dy, float *dx, ptrdiff_t n, float mean, float std, float scale,
                             float shift, int relu, float slope, float mean_d, float mean_dxh);

#ifdef __cplusplus
}
#endif

#endif
