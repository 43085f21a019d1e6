/* bs-conv-winograd.h: 3x3 stride-1 convolutions by Winograd's F(2x2, 3x3), for inference.
 *
 * Each 2x2 output tile comes from a 4x4 input tile through 16 products
 * instead of 36: the input tiles are transformed (V = B^T d B), multiplied by
 * the transformed weights (U = G g G^T) as 16 small matrix products over the
 * channels, and transformed back (Y = A^T M A). That is 2.25 times fewer
 * multiplications than the direct kernels, for outputs that differ from
 * theirs by float rounding (about 1e-6 relative). Evaluation and CKA use it;
 * training keeps the direct kernels, whose forward pass its backward pass
 * and the PyTorch golden tests are written against.
 *
 * Needs AVX2 and FMA, at least 8 input channels, output channels in fours,
 * and an even input whose tiles fill whole vectors of 8 (width / 2 a
 * multiple of 8, or 4 with height / 2 even): CIFAR's 32, 16 and 8. Other
 * shapes keep the direct kernels. */
#pragma once

#include <glib.h>

#include "bs-conv.h"

G_BEGIN_DECLS

/* Whether this machine runs Winograd convolutions at all: AVX2 and FMA,
 * and neither BS_CONV_GENERIC nor BS_CONV_NO_WINOGRAD set. */
gboolean bs_conv_winograd_available     (void);

/* Whether this geometry runs on this machine (and BS_CONV_GENERIC is unset). */
gboolean bs_conv_winograd_applies       (const BsConvGeometry *g);

/* Floats of transformed weights, and the transform of w[out][in][3][3]. */
gsize    bs_conv_winograd_weights_size  (const BsConvGeometry *g);
void     bs_conv_winograd_weights       (const BsConvGeometry *g,
                                         const float          *w,
                                         float                *u);

/* Floats of per-thread scratch for chunks of up to `images` images. */
gsize    bs_conv_winograd_scratch_size  (const BsConvGeometry *g,
                                         guint                 images);

/* y[co][n0 + j] for j < images, from x[ci][batch][h][w]; y is laid out as
 * [out_c][batch][h][w]. scratch: bs_conv_winograd_scratch_size() floats. */
void     bs_conv_winograd_chunk         (const BsConvGeometry *g,
                                         const float          *u,
                                         const float          *x,
                                         guint                 batch,
                                         guint                 n0,
                                         guint                 images,
                                         float                *y,
                                         float                *scratch);

G_END_DECLS
