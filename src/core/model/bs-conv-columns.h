/* bs-conv-columns.h: im2col and its adjoint for the convolution driver
 * (bs-conv.c, bs-conv-backward.c); private to it. Images are laid out as
 * [channels][batch][h][w]; a chunk is images [n0, n0 + nc). */
#pragma once

#include "bs-conv-geometry.h"

G_BEGIN_DECLS

/* The column matrix of the chunk: col[(c*k + ky)*k + kx][j*P + oy*out_w + ox]
 * = x[c][n0+j][oy*s - pad + ky][ox*s - pad + kx] (zero outside the input),
 * for x laid out as [in_c][x_batch][in_h][in_w]. */
void bs_conv_im2col     (const BsConvGeometry *g,
                         guint                 x_batch,
                         const float          *x,
                         guint                 n0,
                         guint                 nc,
                         float                *col);

/* The adjoint of bs_conv_im2col (): adds each column entry of dcol into dx
 * ([in_c][batch][in_h][in_w]) where it was copied from. */
void bs_conv_col2im_add (const BsConvGeometry *g,
                         guint                 batch,
                         const float          *dcol,
                         guint                 n0,
                         guint                 nc,
                         float                *dx);

G_END_DECLS
