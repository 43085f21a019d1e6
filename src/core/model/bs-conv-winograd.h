/* bs-conv-winograd.h: 3x3 stride-1 convolutions by Winograd's minimal filtering, for inference.
 *
 * Each t x t output tile comes from a (t + 2) x (t + 2) input tile through
 * (t + 2)^2 products instead of 9 t^2: the input tiles are transformed
 * (V = B^T d B), multiplied by the transformed weights (U = G g G^T) as
 * (t + 2)^2 small matrix products over the channels, and transformed back
 * (Y = A^T M A). F(4x4, 3x3) does 4 times fewer multiplications than the
 * direct kernels, F(2x2, 3x3) 2.25 times; the larger tiles also mean fewer
 * transformed values per output. Outputs differ from exact ones by float
 * rounding: in the tests (up to 256 channels) at most 9e-7 of the largest
 * output for F(2x2) and 6.1e-6 for F(4x4), whose transforms have entries up
 * to 8 (direct kernels: about 1e-7). Evaluation and CKA use them; training
 * keeps the direct kernels, whose forward pass its backward pass and the
 * PyTorch golden tests are written against.
 *
 * Needs AVX2 and FMA (the product runs with AVX-512 where the CPU has it,
 * with the same results), at least 8 input channels, output channels in
 * fours, and tiles that fill whole vectors of 8: F(4x4) when width / 4 is a
 * multiple of 8 or is 4 with height / 4 even, or for 8 x 8 maps (two images
 * per vector): all of CIFAR's maps, at any width; else F(2x2) when
 * width / 2 is a multiple of 8 or is 4 with height / 2 even. Other shapes
 * keep the direct kernels. */
#pragma once

#include <glib.h>

#include "bs-conv-geometry.h"
#include "bs-engine-config.h"

G_BEGIN_DECLS

/* The output tile a geometry runs with under config on this machine: 4 for
 * F(4x4, 3x3), 2 for F(2x2, 3x3), 0 where Winograd does not apply (the
 * direct kernels run). The functions below take that tile (2 or 4). */
guint    bs_conv_winograd_tile          (const BsConvGeometry *g,
                                         const BsEngineConfig *config);

/* Floats of transformed weights, and the transform of w[out][in][3][3] for
 * output channels [co_begin, co_end) (u holds all of them). */
gsize    bs_conv_winograd_weights_size  (const BsConvGeometry *g,
                                         guint                 tile);
void     bs_conv_winograd_weights       (const BsConvGeometry *g,
                                         guint                 tile,
                                         const float          *w,
                                         guint                 co_begin,
                                         guint                 co_end,
                                         float                *u);

/* The kernels config chooses (AVX2, or AVX-512 where bs_engine_config_conv_avx512 ())
 * set the blocks of tiles, so these three take the same config. */

/* Images per chunk, at most max_images (>= 1): as many as fill whole
 * blocks of tiles and keep a chunk's input and output near budget bytes. */
guint    bs_conv_winograd_chunk_images  (const BsConvGeometry *g,
                                         guint                 tile,
                                         const BsEngineConfig *config,
                                         guint                 max_images,
                                         gsize                 budget);

/* Floats of per-thread scratch for chunks of up to `images` images. */
gsize    bs_conv_winograd_scratch_size  (const BsConvGeometry *g,
                                         guint                 tile,
                                         const BsEngineConfig *config,
                                         guint                 images);

/* y[co][n0 + j] for j < images, from x[ci][batch][h][w]; y is laid out as
 * [out_c][batch][h][w]. scratch: bs_conv_winograd_scratch_size() floats.
 * Both kernel sets give the same bits. */
void     bs_conv_winograd_chunk         (const BsConvGeometry *g,
                                         guint                 tile,
                                         const BsEngineConfig *config,
                                         const float          *u,
                                         const float          *x,
                                         guint                 batch,
                                         guint                 n0,
                                         guint                 images,
                                         float                *y,
                                         float                *scratch);

G_END_DECLS
