/* bs-conv-columns.c: the column buffers of the sgemm paths.
 *
 * im2col () copies a chunk of images into the column matrix that one sgemm
 * multiplies by the weights (the 7x7 stem, 1x1 stride-2 projections, 3x3 on
 * 4x4 maps; in the backward pass also the tiny maps and the convolution of
 * dy that gives stride-1 input gradients); col2im_add () adds a column
 * gradient back into the input gradient. Plain data movement on one
 * thread's chunk, apart from the driver (bs-conv.c, bs-conv-backward.c)
 * that chooses the paths. */
#include "bs-conv-columns.h"

#include <string.h>

/* One plane of a "same" stride-1 convolution (out_w == in_w): the column
 * row is the input plane shifted by (dy, dx) with zeros shifted in. One flat
 * copy, then the rows and the columns that wrapped around are zeroed. */
static void
shift_plane (const float *src,
             float       *dst,
             guint        h,
             guint        w,
             int          dy,
             int          dx,
             guint        ylo,
             guint        yhi)
{
  gssize off = (gssize) dy * w + dx;
  gssize q0 = (gssize) ylo * w, q1 = (gssize) yhi * w;
  gssize hw = (gssize) h * w;

  if (ylo > 0)
    memset (dst, 0, (gsize) ylo * w * sizeof (float));
  if (q0 + off < 0)
    q0 = -off;
  if (q1 + off > hw)
    q1 = hw - off;
  if (q1 > q0)
    memcpy (dst + q0, src + q0 + off, (gsize) (q1 - q0) * sizeof (float));
  if (yhi < h)
    memset (dst + (gsize) yhi * w, 0, (gsize) (h - yhi) * w * sizeof (float));

  if (dx < 0)
    for (guint y = ylo; y < yhi; y++)
      for (int x = 0; x < -dx; x++)
        dst[(gsize) y * w + x] = 0.0f;
  else if (dx > 0)
    for (guint y = ylo; y < yhi; y++)
      for (int x = (int) w - dx; x < (int) w; x++)
        dst[(gsize) y * w + x] = 0.0f;
}

/* Input rows up to this wide take im2col_stride2 () (and outputs at least
 * this wide: on narrower ones the per-row set-up costs more than it saves). */
#define STRIDE2_MAX_WIDTH 1024
#define STRIDE2_MIN_OUT_WIDTH 8

/* A short copy inline, in vectors of 8 (memcpy's call is most of the cost
 * of copying 16 floats). */
static inline void
copy_floats (float       *dst,
             const float *src,
             guint        n)
{
  guint i = 0;

  for (; i + 8 <= n; i += 8)
    for (guint l = 0; l < 8; l++)
      dst[i + l] = src[i + l];
  for (; i < n; i++)
    dst[i] = src[i];
}

/* im2col () at stride 2 (the 7x7 stem): every input row is split once into
 * its even and odd columns, so each of the kernel's columns copies one
 * contiguous run instead of gathering every other value. */
static void
im2col_stride2 (const BsConvGeometry *g,
                guint                 x_batch,
                const float          *x,
                guint                 n0,
                guint                 nc,
                float                *col)
{
  const guint k = g->kernel, ow = g->out_w, oh = g->out_h, half = (g->in_w + 1) / 2;
  const gsize in_hw = (gsize) g->in_h * g->in_w;
  const gsize P = (gsize) oh * ow;
  const gsize ncols = (gsize) nc * P;
  float split[STRIDE2_MAX_WIDTH + 1];

  for (guint c = 0; c < g->in_c; c++)
    {
      /* Output rows no input row reaches, for each kernel row: zeros. */
      for (guint ky = 0; ky < k; ky++)
        {
          guint ylo, yhi;

          bs_conv_valid_range (oh, g->in_h, 2, g->pad, ky, &ylo, &yhi);
          for (guint kx = 0; kx < k; kx++)
            {
              float *row = col + ((gsize) (c * k + ky) * k + kx) * ncols;

              for (guint j = 0; j < nc; j++)
                {
                  memset (row + j * P, 0, (gsize) ylo * ow * sizeof (float));
                  memset (row + j * P + (gsize) yhi * ow, 0, (gsize) (oh - yhi) * ow * sizeof (float));
                }
            }
        }

      for (guint j = 0; j < nc; j++)
        for (guint iy = 0; iy < g->in_h; iy++)
          {
            const float *src = x + ((gsize) c * x_batch + n0 + j) * in_hw + (gsize) iy * g->in_w;

            /* split[0, half): even columns; split[half, ...): odd ones. */
            for (guint i = 0; i < g->in_w; i++)
              split[(i & 1) * half + i / 2] = src[i];

            /* The kernel rows that read input row iy: iy = 2 * oy - pad + ky. */
            for (guint ky = 0; ky < k && ky <= iy + g->pad; ky++)
              {
                guint oy2 = iy + g->pad - ky;

                if (oy2 % 2 != 0 || oy2 / 2 >= oh)
                  continue;
                for (guint kx = 0; kx < k; kx++)
                  {
                    float *d = col + ((gsize) (c * k + ky) * k + kx) * ncols + j * P + (gsize) (oy2 / 2) * ow;
                    int off = (int) kx - (int) g->pad;     /* input column 2 * ox + off ... */
                    guint parity = (guint) off & 1;
                    int base = (off - (int) parity) / 2;    /* ... is ox + base of its half */
                    const float *from = split + parity * half + base;
                    guint xlo, xhi;

                    bs_conv_valid_range (ow, g->in_w, 2, g->pad, kx, &xlo, &xhi);
                    for (guint ox = 0; ox < xlo; ox++)
                      d[ox] = 0.0f;
                    copy_floats (d + xlo, from + xlo, xhi - xlo);
                    for (guint ox = xhi; ox < ow; ox++)
                      d[ox] = 0.0f;
                  }
              }
          }
    }
}

/* Floats of zero-padded planes im2col_small () holds at once; inputs whose
 * padded plane fits take it when the output rows are shorter than
 * STRIDE2_MIN_OUT_WIDTH. */
#define SMALL_PADDED_FLOATS 4096

/* im2col () on small maps (the bottleneck networks' 4 x 4 and 2 x 2 stages
 * at 32 x 32 input: 3x3 convolutions and stride-2 projections): a channel's
 * input planes are copied into zero-padded planes, a group of images at a
 * time, and each kernel offset's row of the column matrix is then written
 * from start to end with plain copies. Row by row with the padding worked
 * out per row (shift_plane () and bs_conv_im2col ()'s loop), a 4 x 4 plane
 * cost a few library calls per tap for 16 values. Inlined with the
 * networks' kernel, stride and width as constants, the copies are moves of
 * whole rows. */
static inline __attribute__ ((always_inline)) void
im2col_small_with (const BsConvGeometry *g,
                   guint                 x_batch,
                   const float          *x,
                   guint                 n0,
                   guint                 nc,
                   float                *col,
                   const guint           k,
                   const guint           s,
                   const guint           ow)
{
  const guint oh = g->out_h, pad = g->pad;
  const guint pw = g->in_w + 2 * pad, ph = g->in_h + 2 * pad;
  const gsize in_hw = (gsize) g->in_h * g->in_w, padded_hw = (gsize) ph * pw;
  const guint group = (guint) (SMALL_PADDED_FLOATS / padded_hw);
  const gsize P = (gsize) oh * ow;
  const gsize ncols = (gsize) nc * P;
  float padded[SMALL_PADDED_FLOATS];

  /* The borders stay zero: only the interiors are written below. */
  memset (padded, 0, group * padded_hw * sizeof (float));
  for (guint c = 0; c < g->in_c; c++)
    for (guint j0 = 0; j0 < nc; j0 += group)
      {
        guint j1 = MIN (nc, j0 + group);

        for (guint j = j0; j < j1; j++)
          {
            const float *img = x + ((gsize) c * x_batch + n0 + j) * in_hw;
            float *plane = padded + (j - j0) * padded_hw;

            for (guint iy = 0; iy < g->in_h; iy++)
              for (guint ix = 0; ix < g->in_w; ix++)
                plane[(iy + pad) * pw + pad + ix] = img[iy * g->in_w + ix];
          }

        for (guint ky = 0; ky < k; ky++)
          for (guint kx = 0; kx < k; kx++)
            {
              float *d = col + ((gsize) (c * k + ky) * k + kx) * ncols + j0 * P;

              for (guint j = j0; j < j1; j++, d += P)
                {
                  const float *plane = padded + (j - j0) * padded_hw + ky * pw + kx;

                  for (guint oy = 0; oy < oh; oy++)
                    for (guint ox = 0; ox < ow; ox++)
                      d[oy * ow + ox] = plane[oy * s * pw + ox * s];
                }
            }
      }
}

static void
im2col_small (const BsConvGeometry *g,
              guint                 x_batch,
              const float          *x,
              guint                 n0,
              guint                 nc,
              float                *col)
{
  const guint k = g->kernel, s = g->stride, ow = g->out_w;

  if (k == 3 && s == 1 && ow == 4)
    im2col_small_with (g, x_batch, x, n0, nc, col, 3, 1, 4);
  else if (k == 3 && s == 2 && ow == 4)
    im2col_small_with (g, x_batch, x, n0, nc, col, 3, 2, 4);
  else if (k == 3 && s == 2 && ow == 2)
    im2col_small_with (g, x_batch, x, n0, nc, col, 3, 2, 2);
  else if (k == 1 && s == 2 && ow == 4)
    im2col_small_with (g, x_batch, x, n0, nc, col, 1, 2, 4);
  else if (k == 1 && s == 2 && ow == 2)
    im2col_small_with (g, x_batch, x, n0, nc, col, 1, 2, 2);
  else
    im2col_small_with (g, x_batch, x, n0, nc, col, k, s, ow);
}

/* col[(c*k + ky)*k + kx][j*P + oy*out_w + ox] = x[c][n0+j][oy*s - pad + ky][ox*s - pad + kx]
 * for x laid out as [in_c][x_batch][in_h][in_w]. */
void
bs_conv_im2col (const BsConvGeometry *g,
                guint                 x_batch,
                const float          *x,
                guint                 n0,
                guint                 nc,
                float                *col)
{
  const guint k = g->kernel, s = g->stride, ow = g->out_w, oh = g->out_h;
  const gsize in_hw = (gsize) g->in_h * g->in_w;
  const gsize P = (gsize) oh * ow;
  const gsize ncols = (gsize) nc * P;
  const gboolean same = s == 1 && ow == g->in_w && oh == g->in_h;

  if (ow < STRIDE2_MIN_OUT_WIDTH &&
      (gsize) (g->in_h + 2 * g->pad) * (g->in_w + 2 * g->pad) <= SMALL_PADDED_FLOATS)
    {
      im2col_small (g, x_batch, x, n0, nc, col);
      return;
    }
  if (s == 2 && g->in_w <= STRIDE2_MAX_WIDTH && ow >= STRIDE2_MIN_OUT_WIDTH)
    {
      im2col_stride2 (g, x_batch, x, n0, nc, col);
      return;
    }

  for (guint c = 0; c < g->in_c; c++)
    for (guint ky = 0; ky < k; ky++)
      for (guint kx = 0; kx < k; kx++)
        {
          float *row = col + ((gsize) (c * k + ky) * k + kx) * ncols;
          guint ylo, yhi, xlo, xhi;

          bs_conv_valid_range (oh, g->in_h, s, g->pad, ky, &ylo, &yhi);
          bs_conv_valid_range (ow, g->in_w, s, g->pad, kx, &xlo, &xhi);

          for (guint j = 0; j < nc; j++)
            {
              const float *img = x + ((gsize) c * x_batch + n0 + j) * in_hw;
              float *dst = row + j * P;

              if (same)
                {
                  shift_plane (img, dst, oh, ow, (int) ky - (int) g->pad, (int) kx - (int) g->pad, ylo, yhi);
                  continue;
                }

              if (ylo > 0)
                memset (dst, 0, (gsize) ylo * ow * sizeof (float));
              for (guint oy = ylo; oy < yhi; oy++)
                {
                  const float *src = img + (gsize) (oy * s + ky - g->pad) * g->in_w;
                  float *d = dst + (gsize) oy * ow;

                  for (guint ox = 0; ox < xlo; ox++)
                    d[ox] = 0.0f;
                  if (s == 1)
                    {
                      const float *ss = src + kx - g->pad;

                      for (guint ox = xlo; ox < xhi; ox++)
                        d[ox] = ss[ox];
                    }
                  else
                    for (guint ox = xlo; ox < xhi; ox++)
                      d[ox] = src[ox * s + kx - g->pad];
                  for (guint ox = xhi; ox < ow; ox++)
                    d[ox] = 0.0f;
                }
              if (yhi < oh)
                memset (dst + (gsize) yhi * ow, 0, (gsize) (oh - yhi) * ow * sizeof (float));
            }
        }
}

/* The adjoint of im2col: dx[c][n0+j][iy][ix] += dcol[...] for every place it was copied from. */
void
bs_conv_col2im_add (const BsConvGeometry *g,
                    guint                 batch,
                    const float          *dcol,
                    guint                 n0,
                    guint                 nc,
                    float                *dx)
{
  const guint k = g->kernel, s = g->stride, ow = g->out_w, oh = g->out_h;
  const gsize in_hw = (gsize) g->in_h * g->in_w;
  const gsize P = (gsize) oh * ow;
  const gsize ncols = (gsize) nc * P;

  for (guint c = 0; c < g->in_c; c++)
    for (guint ky = 0; ky < k; ky++)
      for (guint kx = 0; kx < k; kx++)
        {
          const float *row = dcol + ((gsize) (c * k + ky) * k + kx) * ncols;
          guint ylo, yhi, xlo, xhi;

          bs_conv_valid_range (oh, g->in_h, s, g->pad, ky, &ylo, &yhi);
          bs_conv_valid_range (ow, g->in_w, s, g->pad, kx, &xlo, &xhi);

          for (guint j = 0; j < nc; j++)
            {
              float *img = dx + ((gsize) c * batch + n0 + j) * in_hw;
              const float *src = row + j * P;

              for (guint oy = ylo; oy < yhi; oy++)
                {
                  float *d = img + (gsize) (oy * s + ky - g->pad) * g->in_w;
                  const float *r = src + (gsize) oy * ow;

                  if (s == 1)
                    {
                      float *dd = d + kx - g->pad;

                      for (guint ox = xlo; ox < xhi; ox++)
                        dd[ox] += r[ox];
                    }
                  else
                    for (guint ox = xlo; ox < xhi; ox++)
                      d[ox * s + kx - g->pad] += r[ox];
                }
            }
        }
}
