/* bs-conv-direct.h: direct 3x3 convolution kernels (stride 1 or 2) for one chunk of images.
 *
 * im2col + sgemm spends most of its time copying when a layer has few
 * channels (a ResNet-20 stage-1 conv: 16 in, 16 out, K = 144): the column
 * matrix is 9x the input, and OpenBLAS packs it again. These kernels read a
 * zero-padded copy of the input directly (stride 2: with every row split
 * into its even and odd columns, so that strided taps are plain vector loads): a register tile of 4 output
 * channels x 24 output pixels (three 8-float vectors, each anywhere in the
 * image) accumulates over input channels and the 9 taps. The same kernel
 * computes the input gradient (dy convolved with the flipped, transposed
 * weights); a second kernel computes the weight gradient as a reduction over
 * pixels with 4 x 3 vector accumulators.
 *
 * Three kernel sets: AVX2 + FMA intrinsics, a portable one with GCC vector
 * extensions (BsEngineConfig.portable_conv chooses it even where AVX2 runs),
 * and AVX-512 (bs-conv-direct-avx512.c: 16-lane vectors, each two of the
 * 8-pixel slots; bs_engine_config_conv_avx512 ()), whose forward gives the
 * AVX2 bits. Every sum runs in a fixed order: results do not depend on
 * timing. */
#pragma once

#include <glib.h>

#include "bs-engine-config.h"

G_BEGIN_DECLS

#define BS_CONV3_MR 4   /* output channels per tile: weights are packed in groups of 4 */

typedef struct {
  guint channels;   /* planes per image */
  guint h;          /* unpadded input size */
  guint w;
  guint images;     /* images in the chunk */
  guint stride;     /* 1, or 2: rows are then stored as even columns, odd columns */
} BsPadShape;

/* Floats a padded chunk needs: channels x images planes of (h + 2) x (w + 2),
 * plus slack for vector reads past the last row. */
gsize bs_conv3_padded_size   (const BsPadShape *s);

/* dst[c][j][1 + y][1 + x] = src[c][n0 + j][y][x] for a source laid out as
 * [channels][src_images][h][w]; the one-pixel border and the slack are zeroed. */
void  bs_conv3_pad           (const BsPadShape *s,
                              const float      *src,
                              guint             src_images,
                              guint             n0,
                              float            *dst);

/* Packs w[out][in][3][3] for the forward kernel: groups of BS_CONV3_MR output
 * channels (zero-filled past out), then [in][9][MR]. With flip_transpose the
 * packed kernel is w_t[in][out][2-ky][2-kx], for the input gradient. */
gsize bs_conv3_packed_size   (guint             out_c,
                              guint             in_c);
void  bs_conv3_pack_weights  (const float      *w,
                              guint             out_c,
                              guint             in_c,
                              gboolean          flip_transpose,
                              float            *packed);

/* y[co][n0 + j][y][x] (+)= sum over ci, taps of packed weights x padded input,
 * for co < out_c, where y is laid out as [out_c][y_images][oh][ow] with
 * oh, ow = (h - 1) / stride + 1 etc. */
void  bs_conv3_forward_chunk (const BsEngineConfig *config,
                              const BsPadShape     *in,
                              const float          *padded,
                              const float          *packed,
                              guint                 out_c,
                              float                *y,
                              guint                 y_images,
                              guint                 n0,
                              gboolean              accumulate);

/* dw[co][ci][ky][kx] += sum over the chunk's output pixels of dy[co][j][y][x] *
 * padded[ci][j][stride * y + ky][stride * x + kx], for dy laid out as
 * [out_c][dy_images][oh][ow] starting at image dy_n0. */
void  bs_conv3_wgrad_chunk   (const BsEngineConfig *config,
                              const BsPadShape     *in,
                              const float          *padded,
                              const float          *dy,
                              guint                 dy_images,
                              guint                 dy_n0,
                              guint                 out_c,
                              float                *dw);

G_END_DECLS
