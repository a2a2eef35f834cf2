#ifndef DSOD_CKERNELS_H
#define DSOD_CKERNELS_H

// Packed single-precision GEMM micro-kernels for the convolutions (AVX-512, chosen at run time).
// The Swift module Kernels drives them (PackedGemm.swift): it packs the weights once, splits the
// work over its own threads, and falls back to OpenBLAS where ck_packed_gemm_available() is 0.
//
// One call computes, for the columns [n_begin, n_end) of C:
//     C[m][col(n)] = (accumulate ? C : 0) + sum_k A[m][k] * B[k][n]   (+ bias[m], then activation)
// where A is packed by ck_pack_a, row k of B starts at b + b_row_offsets[k] (or b + k * ldb) and
// is read at columns n, and col(n) maps a column of B to a column of C (see ck_gemm_args).

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Rows of C per micro-tile (the packed A panel height) and columns per micro-tile.
enum { CK_MR = 8, CK_NR = 48 };

/// 1 when this CPU runs the AVX-512 kernels (avx512f and the OS saves zmm state), else 0.
int ck_packed_gemm_available(void);

/// Floats ck_pack_a writes for an m x k matrix (m rounded up to CK_MR).
size_t ck_packed_a_count(int m, int k);

/// Packs A (m x k; element (i, j) at a[i * row_stride + j * col_stride]) into CK_MR-row panels
/// blocked by the kernel's depth block, zero-padding the last panel. `packed` must hold
/// ck_packed_a_count(m, k) floats and be 64-byte aligned.
void ck_pack_a(const float *a, ptrdiff_t row_stride, ptrdiff_t col_stride, int m, int k, float *packed);

typedef struct {
    int m, n, k;
    /// From ck_pack_a(m, k).
    const float *a_packed;
    /// Row r of B starts at b + b_row_offsets[r] when b_row_offsets is not NULL, else b + r * ldb.
    /// With b_transposed, the same describes the columns: column n starts there and holds
    /// B[k][n] at +k (a product with the transpose of a row-major matrix).
    const float *b;
    const int64_t *b_row_offsets;
    ptrdiff_t ldb;
    int b_transposed;
    /// C: row i starts at c + i * ldc. Column n of B lands at column
    ///   (n / c_pitch) * c_width + n % c_pitch   and is dropped when n % c_pitch >= c_width
    /// (a convolution over a zero-padded input computes c_pitch - c_width extra columns per row);
    /// c_pitch == 0 means column n of C.
    float *c;
    ptrdiff_t ldc;
    int c_pitch, c_width;
    /// 1: add to C; 0: overwrite it.
    int accumulate;
    /// Added to row i after the sum (NULL: none).
    const float *bias;
    /// 1: y = y > 0 ? y : slope * y after the bias.
    int relu;
    float slope;
    /// The columns of B this call computes (threads take disjoint ranges; any m range).
    int n_begin, n_end;
    int m_begin, m_end;
} ck_gemm_args;

/// Runs the product described by `args` on the calling thread (scratch memory is per thread).
void ck_packed_gemm(const ck_gemm_args *args);

/// The depth block of the packing (rows of B packed at once).
int ck_packed_gemm_depth_block(void);

#ifdef __cplusplus
}
#endif

#endif
