/* bs-conv-dense.h: convolutions on maps smaller than their kernel, as one dense product.
 *
 * At 32 x 32 input the last stages of the bottleneck ResNets run their 3x3
 * convolutions on 2 x 2 and 1 x 1 maps. As im2col + sgemm those multiply
 * mostly padding: on a 1 x 1 map 8 of the 9 taps meet zeros, on 2 x 2 maps
 * 5 of 9, and im2col writes all of them. Seen as a linear map from the
 * in_c x in_h x in_w input of one image to its out_c x out_h x out_w
 * output, the convolution is a dense matrix whose entries are the weight
 * taps that connect each output position to each input position (zero
 * where none does). When an input map has fewer positions than the kernel
 * has taps, that matrix is smaller than the column matrix: 16 products per
 * channel pair instead of 36 on 2 x 2 maps, 1 instead of 9 on 1 x 1 maps.
 *
 * The products are those of the convolution itself (plus exact zeros), so
 * outputs differ from im2col's only by the order of float additions. */
#pragma once

#include <glib.h>

#include "bs-conv-geometry.h"
#include "bs-packed-gemm.h"

G_BEGIN_DECLS

/* TRUE when g runs as a dense product: an input map with fewer positions
 * than the kernel has taps (the 1x1 stride-1 convolutions are already one
 * sgemm on their input and stay so). */
gboolean bs_conv_dense_applies      (const BsConvGeometry *g);

/* Floats of the dense matrix, and its rows for output channels
 * [co_begin, co_end) made from w[out_c][in_c][k][k]: row (co, oy, ox),
 * column (ci, iy, ix); dense points at row (co_begin, 0, 0). */
gsize    bs_conv_dense_weights_size (const BsConvGeometry *g);
void     bs_conv_dense_weights      (const BsConvGeometry *g,
                                     const float          *w,
                                     guint                 co_begin,
                                     guint                 co_end,
                                     float                *dense);

/* Floats of per-thread scratch for chunks of up to `images` images. */
gsize    bs_conv_dense_scratch_size (const BsConvGeometry *g,
                                     guint                 images);

/* y[co][n0 + j] for j < images, from x[ci][batch][h][w], both laid out
 * [channels][batch][h][w]; dense from bs_conv_dense_weights(), or, when
 * packed is not NULL, that matrix packed by bs_packed_gemm_pack (), run
 * on the kernel *packed. */
void     bs_conv_dense_chunk        (const BsConvGeometry *g,
                                     const float          *dense,
                                     const BsPackedGemmKernel *packed,
                                     const float          *x,
                                     guint                 batch,
                                     guint                 n0,
                                     guint                 images,
                                     float                *y,
                                     float                *scratch);

G_END_DECLS
