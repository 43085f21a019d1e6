/* bs-conv-winograd-private.h: what the Winograd kernel sets share (see bs-conv-winograd.c).
 *
 * bs-conv-winograd.c has the transforms, the AVX2 product and the driver;
 * bs-conv-winograd-avx512.c the AVX-512 product. Both products compute each
 * M[xi][co][t] as the same chain of fused multiply-adds over the input
 * channels in order, from zero, so the two sets give the same bits. */
#pragma once

#include <glib.h>

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define BS_WINOGRAD_HAVE_AVX512_KERNELS 1
#endif

/* Tiles per group (one AVX2 vector) and per AVX-512 vector. */
#define BS_WINOGRAD_GROUP   8
#define BS_WINOGRAD_GROUP16 16

/* M[xi][co][t] = sum_ci U[xi][ci][co] V[xi][ci][t] for xi < n_points, with
 * U[xi] in_c x out_c, V[xi] in_c x tb (points v_stride floats apart) and
 * M[xi] out_c x tb (m_stride apart), over the first n_tiles tiles rounded up
 * to 16 (tb is a multiple of 16, and V is zero past the block's tiles).
 * out_c is a multiple of 4. */
void bs_conv_winograd_multiply_avx512 (guint        in_c,
                                       guint        out_c,
                                       guint        n_points,
                                       const float *U,
                                       const float *V,
                                       gsize        v_stride,
                                       gsize        tb,
                                       guint        n_tiles,
                                       float       *M,
                                       gsize        m_stride);
