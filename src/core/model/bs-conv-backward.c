/* bs-conv-backward.c: the backward pass of a convolution, dw and dx.
 *
 * Each thread takes one contiguous range of the batch, in chunks (larger
 * than the forward pass's for the direct kernels), and sums its weight
 * gradient into a private copy; the copies are added in thread order at the
 * end, so the results are bit-identical for a given thread count. Input
 * gradients: the direct kernels with flipped weights (3x3 stride 1), one
 * sgemm straight into dx (1x1 stride 1), a convolution of dy with the
 * flipped kernel (other stride-1 shapes), otherwise sgemm + col2im. */
#include "bs-conv.h"

#include <cblas.h>
#include <string.h>

#include "bs-conv-columns.h"
#include "bs-conv-direct.h"
#include "bs-conv-private.h"

/* Stride-1 convolutions get their input gradient as a forward convolution
 * of dy with the flipped, transposed kernel (padding k - 1 - pad): one more
 * im2col and a GEMM that writes (or adds) straight into dx, instead of a
 * k*k times larger column gradient scattered back by col2im. */
static gboolean
dgrad_as_conv (const BsConvGeometry *g)
{
  return g->stride == 1 && !bs_conv_is_direct (g);
}

static void
transposed_geometry (const BsConvGeometry *g,
                     BsConvGeometry       *t)
{
  *t = (BsConvGeometry) {
    .in_c = g->out_c, .out_c = g->in_c, .kernel = g->kernel, .stride = 1,
    .pad = g->kernel - 1 - g->pad, .in_h = g->out_h, .in_w = g->out_w,
  };
  bs_conv_geometry_init (t);
  g_assert (t->out_h == g->in_h && t->out_w == g->in_w);
}

/* Floats of a thread's backward scratch in slot (BS_SCRATCH_CHUNK, _COL or
 * _DCOL; 0: not used) for chunks of nc images: backward_share () takes
 * them, bs_conv_reserve_backward () has them ready. */
static gsize
backward_scratch_floats (const BsConvGeometry *g,
                         guint                 nc,
                         gboolean              with_dx,
                         gboolean              make_dy,
                         guint                 slot)
{
  const gsize P = (gsize) g->out_h * g->out_w;
  const gsize K = bs_conv_col_rows (g);

  switch (slot)
    {
    case BS_SCRATCH_CHUNK:
      return make_dy ? g->out_c * nc * P : 0;
    case BS_SCRATCH_COL:
      if (bs_conv_is_direct3 (g))
        {
          BsPadShape px = { g->in_c, g->in_h, g->in_w, nc, g->stride };

          return bs_conv3_padded_size (&px);
        }
      return bs_conv_is_direct (g) ? 0 : K * nc * P;
    case BS_SCRATCH_DCOL:
      if (!with_dx)
        return 0;
      if (bs_conv_is_direct3 (g) && g->stride == 1)
        {
          BsPadShape pd = { g->out_c, g->out_h, g->out_w, nc, 1 };

          return bs_conv3_padded_size (&pd);
        }
      if (!bs_conv_is_direct3 (g) && dgrad_as_conv (g))
        {
          BsConvGeometry t;

          transposed_geometry (g, &t);
          return bs_conv_col_rows (&t) * nc * g->in_h * g->in_w;
        }
      return bs_conv_is_direct (g) ? 0 : K * nc * P;
    default:
      g_assert_not_reached ();
    }
}

static void
backward_share (gpointer data,
                guint    thread,
                guint    n_threads)
{
  ConvJob *job = data;
  const BsConvGeometry *g = job->g;
  const gsize P = (gsize) g->out_h * g->out_w;
  const gsize in_hw = (gsize) g->in_h * g->in_w;
  const gsize K = bs_conv_col_rows (g);
  const gsize ld = (gsize) job->batch * P;
  const gsize ld_in = (gsize) job->batch * in_hw;
  gboolean make_dy = job->hooks && job->hooks->make_dy;
  gboolean as_conv = job->dx && dgrad_as_conv (g);
  float *dw = n_threads == 1 ? job->dw
                             : bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_DW, g->out_c * K);
  float *col = NULL, *dcol = NULL, *dybuf = NULL;
  BsConvGeometry t;
  gsize b0, b1;
  guint nc;

  bs_split_range (job->batch, n_threads, thread, &b0, &b1);
  if (b1 == b0)
    {
      memset (dw, 0, g->out_c * K * sizeof (float));
      return;
    }

  nc = bs_conv_pass_chunk_images (g, job->config, b1 - b0, TRUE);
  if (make_dy)
    dybuf = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_CHUNK,
                                    backward_scratch_floats (g, nc, job->dx != NULL, make_dy, BS_SCRATCH_CHUNK));

  if (bs_conv_is_direct3 (g))
    {
      BsPadShape px = { g->in_c, g->in_h, g->in_w, nc, g->stride };
      BsPadShape pd = { g->out_c, g->out_h, g->out_w, nc, 1 };
      float *xpad = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_COL,
                                            backward_scratch_floats (g, nc, TRUE, make_dy, BS_SCRATCH_COL));
      float *dypad = NULL;

      /* Stride 1: dx is a direct convolution of padded dy. Stride 2: sgemm + col2im. */
      if (job->dx && g->stride == 1)
        dypad = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_DCOL,
                                        backward_scratch_floats (g, nc, TRUE, make_dy, BS_SCRATCH_DCOL));
      else if (job->dx)
        dcol = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_DCOL,
                                       backward_scratch_floats (g, nc, TRUE, make_dy, BS_SCRATCH_DCOL));

      memset (dw, 0, g->out_c * K * sizeof (float));
      for (gsize n0 = b0; n0 < b1; n0 += nc)
        {
          guint n = MIN (nc, b1 - n0);
          const float *dyp = make_dy ? dybuf : job->dy + n0 * P;
          guint dy_images = make_dy ? n : job->batch;

          if (make_dy)
            job->hooks->make_dy (job->hooks->data, thread, dybuf, n0 * P, n * P);

          px.images = pd.images = n;
          bs_conv3_pad (&px, job->x, job->batch, n0, xpad);
          bs_conv3_wgrad_chunk (job->config, &px, xpad, dyp, dy_images, 0, g->out_c, dw);

          if (job->dx == NULL)
            continue;
          if (dypad)
            {
              bs_conv3_pad (&pd, dyp, dy_images, 0, dypad);
              bs_conv3_forward_chunk (job->config, &pd, dypad, job->packed, g->in_c, job->dx,
                                      job->batch, n0, job->accumulate);
            }
          else
            {
              cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                           K, n * P, g->out_c,
                           1.0f, job->w, K, dyp, make_dy ? n * P : ld,
                           0.0f, dcol, n * P);
              if (!job->accumulate)
                for (guint c = 0; c < g->in_c; c++)
                  memset (job->dx + ((gsize) c * job->batch + n0) * in_hw, 0, n * in_hw * sizeof (float));
              bs_conv_col2im_add (g, job->batch, dcol, n0, n, job->dx);
            }
          if (job->hooks && job->hooks->backward_done)
            job->hooks->backward_done (job->hooks->data, thread, job->dx + n0 * in_hw, ld_in, 0,
                                       g->in_c, n0 * in_hw, n * in_hw);
        }
      return;
    }

  if (!bs_conv_is_direct (g))
    col = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_COL,
                                  backward_scratch_floats (g, nc, TRUE, make_dy, BS_SCRATCH_COL));
  if (as_conv)
    transposed_geometry (g, &t);
  if (as_conv || (job->dx && col))
    dcol = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_DCOL,
                                   backward_scratch_floats (g, nc, TRUE, make_dy, BS_SCRATCH_DCOL));

  for (gsize n0 = b0; n0 < b1; n0 += nc)
    {
      guint n = MIN (nc, b1 - n0);
      gsize ncols = n * P;
      const float *dyp, *colp;
      gsize lddy, ldcol;

      if (make_dy)
        {
          job->hooks->make_dy (job->hooks->data, thread, dybuf, n0 * P, ncols);
          dyp = dybuf;
          lddy = ncols;
        }
      else
        {
          dyp = job->dy + n0 * P;
          lddy = ld;
        }

      if (col)
        {
          bs_conv_im2col (g, job->batch, job->x, n0, n, col);
          colp = col;
          ldcol = ncols;
        }
      else
        {
          colp = job->x + n0 * P;
          ldcol = ld;
        }

      /* dw[Cout][K] (+)= dy[Cout][cols] col[K][cols]^T */
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
                   g->out_c, K, ncols,
                   1.0f, dyp, lddy, colp, ldcol,
                   n0 == b0 ? 0.0f : 1.0f, dw, K);

      if (job->dx == NULL)
        continue;

      if (as_conv)
        {
          /* dx[Cin][cols] (+)= w_t[Cin][Cout*k*k] im2col (dy) */
          if (make_dy)
            bs_conv_im2col (&t, n, dybuf, 0, n, dcol);
          else
            bs_conv_im2col (&t, job->batch, job->dy, n0, n, dcol);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                       g->in_c, n * in_hw, bs_conv_col_rows (&t),
                       1.0f, job->w_t, bs_conv_col_rows (&t), dcol, n * in_hw,
                       job->accumulate ? 1.0f : 0.0f, job->dx + n0 * in_hw, ld_in);
        }
      else if (col == NULL)
        {
          /* 1x1 stride 1: dx[Cin][cols] (+)= w^T dy, straight into place. */
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                       g->in_c, ncols, g->out_c,
                       1.0f, job->w, K, dyp, lddy,
                       job->accumulate ? 1.0f : 0.0f, job->dx + n0 * in_hw, ld_in);
        }
      else
        {
          cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                       K, ncols, g->out_c,
                       1.0f, job->w, K, dyp, lddy,
                       0.0f, dcol, ncols);
          if (!job->accumulate)
            for (guint c = 0; c < g->in_c; c++)
              memset (job->dx + ((gsize) c * job->batch + n0) * in_hw, 0, n * in_hw * sizeof (float));
          bs_conv_col2im_add (g, job->batch, dcol, n0, n, job->dx);
        }

      if (job->hooks && job->hooks->backward_done)
        job->hooks->backward_done (job->hooks->data, thread, job->dx + n0 * in_hw, ld_in, 0,
                                   g->in_c, n0 * in_hw, n * in_hw);
    }
}

/* dw = sum over threads of their private copies, in thread order. */
static void
sum_dw_share (gpointer data,
              guint    thread,
              guint    n_threads)
{
  ConvJob *job = data;
  gsize total = (gsize) job->g->out_c * bs_conv_col_rows (job->g);
  gsize e0, e1;

  bs_split_range (total, n_threads, thread, &e0, &e1);
  if (e1 == e0)
    return;

  memcpy (job->dw + e0, bs_thread_pool_scratch (job->pool, 0, BS_SCRATCH_DW, total) + e0,
          (e1 - e0) * sizeof (float));
  for (guint t = 1; t < n_threads; t++)
    {
      const float *part = bs_thread_pool_scratch (job->pool, t, BS_SCRATCH_DW, total);

      for (gsize i = e0; i < e1; i++)
        job->dw[i] += part[i];
    }
}

gboolean
bs_conv_reserve_backward (const BsConvGeometry *g,
                          BsThreadPool         *pool,
                          guint                 batch,
                          gboolean              with_dx,
                          gboolean              make_dy,
                          gsize                *failed_bytes)
{
  static const guint slots[] = { BS_SCRATCH_CHUNK, BS_SCRATCH_COL, BS_SCRATCH_DCOL };
  const BsEngineConfig *config = bs_thread_pool_get_config (pool);
  guint n_threads = bs_thread_pool_get_n_threads (pool);
  gsize weights = 0;

  /* What bs_conv_backward () and backward_share () take, in the same order. */
  if (with_dx && bs_conv_is_direct3 (g) && g->stride == 1)
    weights = bs_conv3_packed_size (g->out_c, g->in_c);
  else if (with_dx && !bs_conv_is_direct3 (g) && dgrad_as_conv (g))
    weights = (gsize) g->in_c * g->out_c * g->kernel * g->kernel;
  if (weights > 0 && !bs_thread_pool_reserve_scratch (pool, 0, BS_SCRATCH_WEIGHTS, weights, failed_bytes))
    return FALSE;

  for (guint t = 0; t < n_threads; t++)
    {
      gsize b0, b1;
      guint nc;

      if (n_threads > 1 &&
          !bs_thread_pool_reserve_scratch (pool, t, BS_SCRATCH_DW, (gsize) g->out_c * bs_conv_col_rows (g),
                                           failed_bytes))
        return FALSE;
      bs_split_range (batch, n_threads, t, &b0, &b1);
      if (b1 == b0)
        continue;
      nc = bs_conv_pass_chunk_images (g, config, b1 - b0, TRUE);
      for (guint i = 0; i < G_N_ELEMENTS (slots); i++)
        {
          gsize need = backward_scratch_floats (g, nc, with_dx, make_dy, slots[i]);

          if (need > 0 && !bs_thread_pool_reserve_scratch (pool, t, slots[i], need, failed_bytes))
            return FALSE;
        }
    }
  return TRUE;
}

void
bs_conv_backward (const BsConvGeometry *g,
                  BsThreadPool         *pool,
                  guint                 batch,
                  const float          *x,
                  const float          *w,
                  const float          *dy,
                  float                *dw,
                  float                *dx,
                  gboolean              accumulate,
                  const BsConvHooks    *hooks)
{
  ConvJob job = { .g = g, .batch = batch, .x = x, .w = w, .dy = dy, .dw = dw, .dx = dx,
                  .accumulate = accumulate, .hooks = hooks, .pool = pool,
                  .config = bs_thread_pool_get_config (pool) };

  g_return_if_fail (dy != NULL || (hooks && hooks->make_dy));

  if (dx && bs_conv_is_direct3 (g) && g->stride == 1)
    {
      float *packed = bs_thread_pool_scratch (pool, 0, BS_SCRATCH_WEIGHTS,
                                              bs_conv3_packed_size (g->out_c, g->in_c));

      bs_conv3_pack_weights (w, g->out_c, g->in_c, TRUE, packed);
      job.packed = packed;
    }
  else if (dx && !bs_conv_is_direct3 (g) && dgrad_as_conv (g))
    {
      const guint k = g->kernel, kk = k * k;
      float *w_t = bs_thread_pool_scratch (pool, 0, BS_SCRATCH_WEIGHTS, (gsize) g->in_c * g->out_c * kk);

      /* w_t[ci][co][k-1-ky][k-1-kx] = w[co][ci][ky][kx] */
      for (guint co = 0; co < g->out_c; co++)
        for (guint ci = 0; ci < g->in_c; ci++)
          for (guint i = 0; i < kk; i++)
            w_t[((gsize) ci * g->out_c + co) * kk + (kk - 1 - i)] = w[((gsize) co * g->in_c + ci) * kk + i];
      job.w_t = w_t;
    }

  bs_thread_pool_run (pool, backward_share, &job);
  if (bs_thread_pool_get_n_threads (pool) > 1)
    bs_thread_pool_run (pool, sum_dw_share, &job);
}
