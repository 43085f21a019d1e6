/* bs-conv-dense.c: convolutions on maps smaller than their kernel, as one dense product. */
#include "bs-conv-dense.h"

#include <cblas.h>
#include <string.h>

#include "bs-packed-gemm.h"

static inline gsize
in_positions (const BsConvGeometry *g)
{
  return (gsize) g->in_h * g->in_w;
}

static inline gsize
out_positions (const BsConvGeometry *g)
{
  return (gsize) g->out_h * g->out_w;
}

gboolean
bs_conv_dense_applies (const BsConvGeometry *g)
{
  if (g->kernel == 1 && g->stride == 1 && g->pad == 0)
    return FALSE;
  return in_positions (g) < (gsize) g->kernel * g->kernel;
}

gsize
bs_conv_dense_weights_size (const BsConvGeometry *g)
{
  return (gsize) g->out_c * out_positions (g) * g->in_c * in_positions (g);
}

void
bs_conv_dense_weights (const BsConvGeometry *g,
                       const float          *w,
                       guint                 co_begin,
                       guint                 co_end,
                       float                *dense)
{
  const guint k = g->kernel, taps = k * k;
  const gsize p_in = in_positions (g), p_out = out_positions (g);
  const gsize cols = (gsize) g->in_c * p_in;
  /* Per output position, which tap meets which input position: at most
   * p_in of them (fewer input positions than taps). */
  g_autofree guint *tap = g_new (guint, p_in);
  g_autofree gsize *at = g_new (gsize, p_in);

  for (guint oy = 0; oy < g->out_h; oy++)
    for (guint ox = 0; ox < g->out_w; ox++)
      {
        guint n_links = 0;

        for (guint ky = 0; ky < k; ky++)
          for (guint kx = 0; kx < k; kx++)
            {
              int iy = (int) (oy * g->stride + ky) - (int) g->pad;
              int ix = (int) (ox * g->stride + kx) - (int) g->pad;

              if (iy < 0 || iy >= (int) g->in_h || ix < 0 || ix >= (int) g->in_w)
                continue;
              tap[n_links] = ky * k + kx;
              at[n_links] = (gsize) iy * g->in_w + ix;
              n_links++;
            }

        for (guint co = co_begin; co < co_end; co++)
          {
            float *row = dense + ((gsize) (co - co_begin) * p_out + (gsize) oy * g->out_w + ox) * cols;
            const float *wc = w + (gsize) co * g->in_c * taps;

            memset (row, 0, cols * sizeof (float));
            for (guint ci = 0; ci < g->in_c; ci++)
              for (guint l = 0; l < n_links; l++)
                row[ci * p_in + at[l]] = wc[(gsize) ci * taps + tap[l]];
          }
      }
}

gsize
bs_conv_dense_scratch_size (const BsConvGeometry *g,
                            guint                 images)
{
  gsize in = in_positions (g) > 1 ? (gsize) g->in_c * in_positions (g) : 0;
  gsize out = out_positions (g) > 1 ? (gsize) g->out_c * out_positions (g) : 0;

  return (in + out) * images;
}

void
bs_conv_dense_chunk (const BsConvGeometry *g,
                     const float          *dense,
                     const BsPackedGemmKernel *packed,
                     const float          *x,
                     guint                 batch,
                     guint                 n0,
                     guint                 images,
                     float                *y,
                     float                *scratch)
{
  const gsize p_in = in_positions (g), p_out = out_positions (g);
  const gsize K = (gsize) g->in_c * p_in, M = (gsize) g->out_c * p_out;
  const float *b = x + n0;
  gsize ldb = batch;
  float *c = y + n0;
  gsize ldc = batch;

  /* One image's input as one column: rows (ci, position). A 1 x 1 map is
   * that already, [in_c][batch]. */
  if (p_in > 1)
    {
      float *cols = scratch;

      for (guint ci = 0; ci < g->in_c; ci++)
        {
          const float *src = x + ((gsize) ci * batch + n0) * p_in;
          float *dst = cols + (gsize) ci * p_in * images;

          for (guint j = 0; j < images; j++)
            for (gsize i = 0; i < p_in; i++)
              dst[i * images + j] = src[(gsize) j * p_in + i];
        }
      b = cols;
      ldb = images;
      scratch += K * images;
    }
  if (p_out > 1)
    {
      c = scratch;
      ldc = images;
    }

  if (packed != NULL)
    bs_packed_gemm (*packed, dense, M, K, 0, bs_packed_gemm_panels (M), b, ldb, images, c, ldc, FALSE);
  else
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                 (int) M, (int) images, (int) K,
                 1.0f, dense, (int) K, b, (int) ldb,
                 0.0f, c, (int) ldc);

  if (p_out > 1)
    for (guint co = 0; co < g->out_c; co++)
      {
        const float *src = c + (gsize) co * p_out * images;
        float *dst = y + ((gsize) co * batch + n0) * p_out;

        for (guint j = 0; j < images; j++)
          for (gsize o = 0; o < p_out; o++)
            dst[(gsize) j * p_out + o] = src[o * images + j];
      }
}
