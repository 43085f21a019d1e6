/* bs-conv.c: convolution in cache-sized image chunks, per thread.
 *
 * Four paths: 3x3 padding-1 convolutions at stride 1 or 2 on maps at least
 * 7 wide use the direct kernels of bs-conv-direct.c (the bulk of every
 * ResNet here; Winograd's for inference where it applies); 1x1 stride-1
 * convolutions are one sgemm on the input as it is; maps with fewer
 * positions than the kernel has taps (3x3 on 2x2 and 1x1) are one dense
 * product (bs-conv-dense.c); everything else (the 7x7 stem, 1x1 stride-2
 * projections, 3x3 on 4x4 maps) is im2col + sgemm. Input gradients: direct
 * kernels with flipped weights (stride 1), otherwise sgemm + col2im, or a
 * convolution of dy with the flipped kernel for other stride-1 shapes.
 * Evaluation runs every product (not the direct kernels) on weights packed
 * once (bs-packed-gemm.c) instead of sgemm.
 *
 * This file has the chunking, the forward pass and its reservation, and
 * the public entry points. The column buffers are in bs-conv-columns.c, the
 * weights' cached forms in bs-conv-weight-cache.c and the backward pass in
 * bs-conv-backward.c; what they share is in bs-conv-private.h. */
#include "bs-conv.h"

#include <cblas.h>

#include "bs-conv-columns.h"
#include "bs-conv-dense.h"
#include "bs-conv-direct.h"
#include "bs-conv-private.h"
#include "bs-conv-winograd.h"
#include "bs-packed-gemm.h"

/* Bytes of working set (column buffer or padded input, plus output) one
 * thread works on at a time: about the L2 size of current x86 cores. Smaller
 * chunks shorten the weight-gradient reductions of the direct kernels;
 * 384-768 KiB measured alike here. BsEngineConfig.conv_chunk_bytes overrides
 * it for tuning (BS_CONV_CHUNK_KB). */
#define DEFAULT_CHUNK_BYTES (512 * 1024)

static gsize
chunk_bytes (const BsEngineConfig *config)
{
  return config->conv_chunk_bytes > 0 ? config->conv_chunk_bytes : DEFAULT_CHUNK_BYTES;
}

/* The weight gradient of the direct kernels is a reduction over a chunk's
 * pixels: short chunks of wide layers (one 8x8 image of 256 channels) spend
 * much of it on horizontal sums, so the backward pass takes larger chunks. */
#define BACKWARD_CHUNK_FACTOR 4

/* A forward sgemm packs the weights again for every chunk: on small maps
 * with many channels (ResNet-50's last stages at 32 x 32 input: 2 x 2 and
 * 1 x 1 maps, up to 2048 x 512 weights) chunks of the cache-sized budget
 * are a few dozen columns wide and the packing costs a fifth to a third of
 * the product. Forward chunks take at least this many columns. */
#define MIN_SGEMM_COLUMNS 512

guint
bs_conv_pass_chunk_images (const BsConvGeometry *g,
                           const BsEngineConfig *config,
                           guint                 images_per_thread,
                           gboolean              backward)
{
  gsize P = (gsize) g->out_h * g->out_w;
  gsize per_image = (bs_conv_col_rows (g) + g->out_c) * P * sizeof (float);
  guint nc;

  if (!backward && bs_conv_dense_applies (g))
    {
      /* One column per image: chunks of at least MIN_SGEMM_COLUMNS images. */
      per_image = (bs_conv_dense_scratch_size (g, 1) + (gsize) g->out_c * P) * sizeof (float);
      nc = bs_conv_chunk_fit (images_per_thread, per_image, chunk_bytes (config), 1);
      if (nc < MIN_SGEMM_COLUMNS)
        nc = MIN (MAX (images_per_thread, 1), MIN_SGEMM_COLUMNS);
      return nc;
    }
  if (bs_conv_is_direct3 (g))
    /* Padded input and output (forward), or padded input and padded dy (backward). */
    per_image = ((gsize) g->in_c * (g->in_h + 2) * (g->in_w + 2) +
                 (gsize) g->out_c * (g->out_h + 2) * (g->out_w + 2) +
                 (g->stride == 2 ? bs_conv_col_rows (g) * g->out_h * g->out_w : 0)) * sizeof (float);
  nc = bs_conv_chunk_fit (images_per_thread, per_image,
                          chunk_bytes (config) *
                          (backward && bs_conv_is_direct3 (g) ? BACKWARD_CHUNK_FACTOR : 1), 1);
  if (!backward && !bs_conv_is_direct3 (g) && (gsize) nc * P < MIN_SGEMM_COLUMNS)
    nc = (guint) MIN ((gsize) MAX (images_per_thread, 1), (MIN_SGEMM_COLUMNS + P - 1) / P);
  return nc;
}

guint
bs_conv_chunk_images (const BsConvGeometry *g,
                      const BsEngineConfig *config,
                      guint                 images_per_thread)
{
  return bs_conv_pass_chunk_images (g, config, images_per_thread, FALSE);
}

/* The images of a thread's forward chunks, nc at a time. Training splits the
 * batch into one contiguous range per thread (the batch-norm statistics of
 * the hooks are summed per thread, so the split must not depend on timing).
 * Inference has no such sums, and threads take chunks as they come free:
 * on a shared machine a descheduled thread then leaves less for the others
 * to wait for. */
typedef struct {
  gsize next;
  gsize end;
  guint nc;
} ChunkCursor;

static ChunkCursor
chunk_cursor (ConvJob *job,
              guint    thread,
              guint    n_threads)
{
  ChunkCursor cur;

  if (job->inference)
    {
      guint per_thread = (job->batch + n_threads - 1) / n_threads;

      cur.next = 0;
      cur.end = job->batch;
      cur.nc = job->tile ? bs_conv_winograd_chunk_images (job->g, job->tile, job->config,
                                                          per_thread, chunk_bytes (job->config))
                         : bs_conv_pass_chunk_images (job->g, job->config, per_thread, FALSE);
    }
  else
    {
      bs_split_range (job->batch, n_threads, thread, &cur.next, &cur.end);
      cur.nc = bs_conv_pass_chunk_images (job->g, job->config, (guint) (cur.end - cur.next), FALSE);
    }
  return cur;
}

static gboolean
next_chunk (ConvJob     *job,
            ChunkCursor *cur,
            gsize       *n0,
            guint       *n)
{
  if (job->inference)
    cur->next = (gsize) g_atomic_int_add (&job->next_chunk, 1) * cur->nc;
  if (cur->next >= cur->end)
    return FALSE;
  *n0 = cur->next;
  *n = (guint) MIN ((gsize) cur->nc, cur->end - cur->next);
  if (!job->inference)
    cur->next += *n;
  return TRUE;
}

/* Floats of a thread's forward scratch for chunks of nc images (the column
 * buffer, padded input, Winograd tiles or the dense product's columns):
 * forward_share () takes them, bs_conv_reserve_forward () has them ready.
 * The paths in run_forward ()'s order. */
static gsize
forward_scratch_floats (const ConvJob *job,
                        guint          nc)
{
  const BsConvGeometry *g = job->g;

  if (job->tile != 0)
    return bs_conv_winograd_scratch_size (g, job->tile, job->config, nc);
  if (bs_conv_dense_applies (g))
    return bs_conv_dense_scratch_size (g, nc);
  if (bs_conv_is_direct3 (g))
    {
      BsPadShape ps = { g->in_c, g->in_h, g->in_w, nc, g->stride };

      return bs_conv3_padded_size (&ps);
    }
  return bs_conv_is_direct (g) ? 0 : bs_conv_col_rows (g) * nc * g->out_h * g->out_w;
}

static void
forward_share (gpointer data,
               guint    thread,
               guint    n_threads)
{
  ConvJob *job = data;
  const BsConvGeometry *g = job->g;
  const gsize P = (gsize) g->out_h * g->out_w;
  const gsize K = bs_conv_col_rows (g);
  const gsize ld = (gsize) job->batch * P;
  ChunkCursor cur = chunk_cursor (job, thread, n_threads);
  gsize n0;
  guint n;
  float *col = NULL;

  if (cur.next >= cur.end)
    return;
  if (job->winograd)
    {
      float *scratch = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_COL,
                                               forward_scratch_floats (job, cur.nc));

      while (next_chunk (job, &cur, &n0, &n))
        {
          bs_conv_winograd_chunk (g, job->tile, job->config, job->winograd, job->x, job->batch,
                                  n0, n, job->y, scratch);
          if (job->hooks && job->hooks->forward_done)
            job->hooks->forward_done (job->hooks->data, thread, job->y + n0 * P, ld, 0,
                                      g->out_c, n0 * P, n * P);
        }
      return;
    }
  if (job->dense)
    {
      float *scratch = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_COL,
                                               forward_scratch_floats (job, cur.nc));

      while (next_chunk (job, &cur, &n0, &n))
        {
          bs_conv_dense_chunk (g, job->dense, job->panels ? &job->kernel : NULL, job->x, job->batch,
                               n0, n, job->y, scratch);
          if (job->hooks && job->hooks->forward_done)
            job->hooks->forward_done (job->hooks->data, thread, job->y + n0 * P, ld, 0,
                                      g->out_c, n0 * P, n * P);
        }
      return;
    }
  if (bs_conv_is_direct3 (g))
    {
      BsPadShape ps = { g->in_c, g->in_h, g->in_w, cur.nc, g->stride };
      float *padded = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_COL,
                                              forward_scratch_floats (job, cur.nc));

      while (next_chunk (job, &cur, &n0, &n))
        {
          ps.images = n;
          bs_conv3_pad (&ps, job->x, job->batch, n0, padded);
          bs_conv3_forward_chunk (job->config, &ps, padded, job->packed, g->out_c, job->y, job->batch,
                                  n0, FALSE);
          if (job->hooks && job->hooks->forward_done)
            job->hooks->forward_done (job->hooks->data, thread, job->y + n0 * P, ld, 0,
                                      g->out_c, n0 * P, ps.images * P);
        }
      return;
    }
  if (!bs_conv_is_direct (g))
    col = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_COL, forward_scratch_floats (job, cur.nc));

  while (next_chunk (job, &cur, &n0, &n))
    {
      gsize ncols = n * P;
      const float *b;
      gsize ldb;

      if (col)
        {
          bs_conv_im2col (g, job->batch, job->x, n0, n, col);
          b = col;
          ldb = ncols;
        }
      else
        {
          b = job->x + n0 * P;
          ldb = ld;
        }

      if (job->panels)
        bs_packed_gemm (job->kernel, job->panels, g->out_c, K, 0, bs_packed_gemm_panels (g->out_c),
                        b, ldb, ncols, job->y + n0 * P, ld, FALSE);
      else
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                     g->out_c, ncols, K,
                     1.0f, job->w, K, b, ldb,
                     0.0f, job->y + n0 * P, ld);

      if (job->hooks && job->hooks->forward_done)
        job->hooks->forward_done (job->hooks->data, thread, job->y + n0 * P, ld, 0,
                                  g->out_c, n0 * P, ncols);
    }
}

/* Evaluation's small products: when splitting the images would leave each
 * thread fewer than MIN_SGEMM_COLUMNS columns (the 1 x 1 and 2 x 2 maps of
 * the last stages), each would stream the whole weight matrix for a few
 * dozen columns; split by output channels instead, so that each streams its
 * share. Only for products that read their input as it is: 1x1 stride-1
 * convolutions and the dense matrices of 1 x 1 maps. */
/* Columns of the output: images x output positions. */
static inline gsize
output_columns (const ConvJob *job)
{
  return (gsize) job->batch * job->g->out_h * job->g->out_w;
}

static gboolean
splits_rows (const ConvJob *job,
             guint          n_threads)
{
  const BsConvGeometry *g = job->g;

  if (!job->inference || n_threads < 2 || output_columns (job) >= (gsize) MIN_SGEMM_COLUMNS * n_threads ||
      job->tile != 0)
    return FALSE;
  if (bs_conv_dense_applies (g))
    return g->in_h * g->in_w == 1 && g->out_h * g->out_w == 1;
  return bs_conv_is_direct (g);
}

/* Evaluation runs all its products (1x1 convolutions, im2col's, the dense
 * matrices; not the direct 3x3 kernels) on weights packed once
 * (bs-packed-gemm.h, kept in the weight cache): sgemm packs the weights on
 * every call and, with beta = 0, clears the output in a pass of its own.
 * Measured on Zen 5 (AVX-512, ResNet-50 at 32 x 32 input, batch 64): on one
 * thread 2.2x sgemm's speed on the 1 x 1 maps' 2048 x 512 products
 * (64 columns), 1.5-2x on the dense 3x3 products of 2 x 2 maps, about even
 * at 256 columns and more; on two threads, where each thread's sgemm packs
 * the weights for its own chunks, the whole pass 1.1-1.2x faster with the
 * wide products packed too. */
static gboolean
runs_packed (const ConvJob *job)
{
  return job->inference && job->tile == 0 && !bs_conv_is_direct3 (job->g);
}

/* A row split's chunk hooks run on blocks of rows of about this many floats
 * as soon as they are computed, while they are in this thread's cache. */
#define ROW_BLOCK_FLOATS (16 * 1024)

/* This thread's panels of the product (all columns), block by block, each
 * handed to the chunk hook once computed. */
static void
forward_rows_share (gpointer data,
                    guint    thread,
                    guint    n_threads)
{
  ConvJob *job = data;
  const BsConvGeometry *g = job->g;
  const gsize ld = output_columns (job);
  const gsize block = MAX ((gsize) 1, ROW_BLOCK_FLOATS / (BS_PACKED_GEMM_PANEL_ROWS * ld));
  gsize u0, u1;

  g_assert (job->panels != NULL);
  bs_split_range (bs_packed_gemm_panels (g->out_c), n_threads, thread, &u0, &u1);
  for (gsize b0 = u0; b0 < u1; b0 += block)
    {
      gsize b1 = MIN (u1, b0 + block);
      gsize r0 = b0 * BS_PACKED_GEMM_PANEL_ROWS, r1 = MIN (b1 * BS_PACKED_GEMM_PANEL_ROWS, (gsize) g->out_c);

      bs_packed_gemm (job->kernel, job->panels, g->out_c, g->in_c, b0, b1, job->x, ld, ld, job->y, ld,
                      FALSE);
      if (job->hooks && job->hooks->forward_done)
        job->hooks->forward_done (job->hooks->data, thread, job->y + r0 * ld, ld, (guint) r0,
                                  (guint) (r1 - r0), 0, ld);
    }
}

static void
run_forward (const BsConvGeometry *g,
             BsConvWeightCache    *cache,
             BsThreadPool         *pool,
             guint                 batch,
             const float          *x,
             const float          *w,
             float                *y,
             const BsConvHooks    *hooks,
             gboolean              inference)
{
  ConvJob job = { .g = g, .batch = batch, .x = x, .w = w, .y = y, .hooks = hooks, .pool = pool,
                  .config = bs_thread_pool_get_config (pool), .inference = inference };
  guint n_threads = bs_thread_pool_get_n_threads (pool);

  if (inference)
    job.tile = bs_conv_winograd_tile (g, job.config);
  job.kernel = bs_packed_gemm_kernel_for_config (job.config);
  if (job.tile != 0)
    job.winograd = bs_conv_transformed_weights (&job, cache, FORM_WINOGRAD);
  else if (runs_packed (&job))
    {
      job.panels = bs_conv_transformed_weights (&job, cache,
                                                bs_conv_dense_applies (g) ? FORM_DENSE_PACKED : FORM_PACKED);
      if (bs_conv_dense_applies (g))
        job.dense = job.panels;
    }
  else if (bs_conv_dense_applies (g))
    job.dense = bs_conv_transformed_weights (&job, cache, FORM_DENSE);
  else if (bs_conv_is_direct3 (g))
    {
      float *packed = bs_thread_pool_scratch (pool, 0, BS_SCRATCH_WEIGHTS,
                                              bs_conv3_packed_size (g->out_c, g->in_c));

      bs_conv3_pack_weights (w, g->out_c, g->in_c, FALSE, packed);
      job.packed = packed;
    }
  bs_thread_pool_run (pool, splits_rows (&job, n_threads) ? forward_rows_share : forward_share, &job);
}

void
bs_conv_forward (const BsConvGeometry *g,
                 BsThreadPool         *pool,
                 guint                 batch,
                 const float          *x,
                 const float          *w,
                 float                *y,
                 const BsConvHooks    *hooks)
{
  run_forward (g, NULL, pool, batch, x, w, y, hooks, FALSE);
}

void
bs_conv_forward_inference (const BsConvGeometry *g,
                           BsConvWeightCache    *cache,
                           BsThreadPool         *pool,
                           guint                 batch,
                           const float          *x,
                           const float          *w,
                           float                *y,
                           const BsConvHooks    *hooks)
{
  run_forward (g, cache, pool, batch, x, w, y, hooks, TRUE);
}

gboolean
bs_conv_reserve_forward (const BsConvGeometry *g,
                         BsConvWeightCache    *cache,
                         BsThreadPool         *pool,
                         guint                 batch,
                         gboolean              inference,
                         gsize                *failed_bytes)
{
  ConvJob job = { .g = g, .batch = batch, .pool = pool,
                  .config = bs_thread_pool_get_config (pool), .inference = inference };
  guint n_threads = bs_thread_pool_get_n_threads (pool);
  gsize weights = 0, transformed = 0;

  /* The weights' forms of run_forward (): Winograd's, packed panels or
   * the dense matrix (cached in inference, thread 0's scratch in training),
   * else packed for the direct kernels. */
  if (inference)
    job.tile = bs_conv_winograd_tile (g, job.config);
  if (job.tile != 0)
    transformed = bs_conv_winograd_weights_size (g, job.tile);
  else if (runs_packed (&job) && !bs_conv_dense_applies (g))
    transformed = bs_conv_weight_form_size (g, 0, FORM_PACKED);
  else if (runs_packed (&job))
    {
      /* Each thread makes the dense rows of its panels in scratch. */
      transformed = bs_conv_weight_form_size (g, 0, FORM_DENSE_PACKED);
      for (guint t = 0; t < n_threads; t++)
        if (!bs_thread_pool_reserve_scratch (pool, t, BS_SCRATCH_DCOL, bs_conv_dense_panel_scratch (g),
                                             failed_bytes))
          return FALSE;
    }
  else if (bs_conv_dense_applies (g))
    transformed = bs_conv_dense_weights_size (g);
  if (transformed > 0 && cache != NULL)
    {
      if (!bs_conv_weight_cache_reserve (cache, g, transformed, failed_bytes))
        return FALSE;
    }
  else if (transformed > 0)
    weights = transformed;
  else if (bs_conv_is_direct3 (g))
    weights = bs_conv3_packed_size (g->out_c, g->in_c);
  if (weights > 0 && !bs_thread_pool_reserve_scratch (pool, 0, BS_SCRATCH_WEIGHTS, weights, failed_bytes))
    return FALSE;

  for (guint t = 0; t < n_threads; t++)
    {
      ChunkCursor cur = chunk_cursor (&job, t, n_threads);
      gsize need = forward_scratch_floats (&job, cur.nc);

      if (cur.next < cur.end && need > 0 &&
          !bs_thread_pool_reserve_scratch (pool, t, BS_SCRATCH_COL, need, failed_bytes))
        return FALSE;
    }
  return TRUE;
}
