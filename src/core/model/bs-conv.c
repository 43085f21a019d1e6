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
 * Evaluation runs the products of few columns on weights packed once
 * (bs-packed-gemm.c) instead of sgemm. */
#include "bs-conv.h"

#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "bs-conv-dense.h"
#include "bs-conv-direct.h"
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

/* 1x1 stride-1 convolutions read their input directly as the column matrix. */
static inline gboolean
is_direct (const BsConvGeometry *g)
{
  return g->kernel == 1 && g->stride == 1 && g->pad == 0;
}

static inline gsize
col_rows (const BsConvGeometry *g)
{
  return (gsize) g->in_c * g->kernel * g->kernel;
}

/* 3x3 padding-1 convolutions (stride 1 or 2) run on the direct kernels,
 * unless the output is so narrow that most vector lanes would be idle. */
static inline gboolean
is_direct3 (const BsConvGeometry *g)
{
  return g->kernel == 3 && g->pad == 1 && (g->stride == 1 || g->stride == 2) && g->out_w >= 7;
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

static guint
chunk_images (const BsConvGeometry *g,
              const BsEngineConfig *config,
              guint                 images_per_thread,
              gboolean              backward)
{
  gsize P = (gsize) g->out_h * g->out_w;
  gsize per_image = (col_rows (g) + g->out_c) * P * sizeof (float);
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
  if (is_direct3 (g))
    /* Padded input and output (forward), or padded input and padded dy (backward). */
    per_image = ((gsize) g->in_c * (g->in_h + 2) * (g->in_w + 2) +
                 (gsize) g->out_c * (g->out_h + 2) * (g->out_w + 2) +
                 (g->stride == 2 ? col_rows (g) * g->out_h * g->out_w : 0)) * sizeof (float);
  nc = bs_conv_chunk_fit (images_per_thread, per_image,
                          chunk_bytes (config) * (backward && is_direct3 (g) ? BACKWARD_CHUNK_FACTOR : 1), 1);
  if (!backward && !is_direct3 (g) && (gsize) nc * P < MIN_SGEMM_COLUMNS)
    nc = (guint) MIN ((gsize) MAX (images_per_thread, 1), (MIN_SGEMM_COLUMNS + P - 1) / P);
  return nc;
}

guint
bs_conv_chunk_images (const BsConvGeometry *g,
                      const BsEngineConfig *config,
                      guint                 images_per_thread)
{
  return chunk_images (g, config, images_per_thread, FALSE);
}

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

/* col[(c*k + ky)*k + kx][j*P + oy*out_w + ox] = x[c][n0+j][oy*s - pad + ky][ox*s - pad + kx]
 * for x laid out as [in_c][x_batch][in_h][in_w]. */
static void
im2col (const BsConvGeometry *g,
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
static void
col2im_add (const BsConvGeometry *g,
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

typedef struct {
  const BsConvGeometry *g;
  guint                 batch;
  const float          *x;
  const float          *w;
  float                *y;
  const float          *dy;
  float                *dw;
  float                *dx;
  gboolean              accumulate;
  const float          *w_t;     /* flipped, transposed weights for dgrad_as_conv */
  const float          *packed;  /* direct kernels: weights packed for the pass */
  const float          *winograd; /* transformed weights: run on bs-conv-winograd */
  const float          *dense;    /* the dense matrix: run on bs-conv-dense */
  const float          *panels;   /* evaluation: the product's matrix packed once (bs-packed-gemm) */
  BsPackedGemmKernel    kernel;   /* the kernel that runs on panels */
  guint                 tile;     /* their output tile: 4 or 2 */
  const BsConvHooks    *hooks;
  BsThreadPool         *pool;
  const BsEngineConfig *config;   /* the pool's */
  gboolean              inference;
  gint                  next_chunk;  /* inference: the next chunk to take */
} ConvJob;

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
                         : chunk_images (job->g, job->config, per_thread, FALSE);
    }
  else
    {
      bs_split_range (job->batch, n_threads, thread, &cur.next, &cur.end);
      cur.nc = chunk_images (job->g, job->config, (guint) (cur.end - cur.next), FALSE);
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
  if (is_direct3 (g))
    {
      BsPadShape ps = { g->in_c, g->in_h, g->in_w, nc, g->stride };

      return bs_conv3_padded_size (&ps);
    }
  return is_direct (g) ? 0 : col_rows (g) * nc * g->out_h * g->out_w;
}

static void
forward_share (gpointer data,
               guint    thread,
               guint    n_threads)
{
  ConvJob *job = data;
  const BsConvGeometry *g = job->g;
  const gsize P = (gsize) g->out_h * g->out_w;
  const gsize K = col_rows (g);
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
  if (is_direct3 (g))
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
  if (!is_direct (g))
    col = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_COL, forward_scratch_floats (job, cur.nc));

  while (next_chunk (job, &cur, &n0, &n))
    {
      gsize ncols = n * P;
      const float *b;
      gsize ldb;

      if (col)
        {
          im2col (g, job->batch, job->x, n0, n, col);
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

/* The weights in the form a convolution runs on: Winograd's transform,
 * the dense matrix, the 1x1 weights or the dense matrix packed into panels
 * (transformed weights), made on all threads. */
typedef enum {
  FORM_WINOGRAD,
  FORM_DENSE,
  FORM_PACKED,
  FORM_DENSE_PACKED,
} WeightForm;

/* Rows and depth of the dense matrix. */
static inline gsize
dense_rows (const BsConvGeometry *g)
{
  return (gsize) g->out_c * g->out_h * g->out_w;
}

static inline gsize
dense_depth (const BsConvGeometry *g)
{
  return (gsize) g->in_c * g->in_h * g->in_w;
}

static gsize
form_size (const BsConvGeometry *g,
           guint                 tile,
           WeightForm            form)
{
  switch (form)
    {
    case FORM_WINOGRAD:
      return bs_conv_winograd_weights_size (g, tile);
    case FORM_DENSE:
      return bs_conv_dense_weights_size (g);
    case FORM_PACKED:
      return bs_packed_gemm_size (g->out_c, col_rows (g));
    case FORM_DENSE_PACKED:
      return bs_packed_gemm_size (dense_rows (g), dense_depth (g));
    default:
      g_assert_not_reached ();
    }
}

/* Floats of a thread's scratch (BS_SCRATCH_DCOL) for the dense rows of
 * the output channels one panel of FORM_DENSE_PACKED meets. */
static gsize
dense_panel_scratch (const BsConvGeometry *g)
{
  gsize p_out = (gsize) g->out_h * g->out_w;

  return (BS_PACKED_GEMM_PANEL_ROWS / p_out + 2) * p_out * dense_depth (g);
}

/* Panels [p0, p1) of the dense matrix, packed: each from the dense rows of
 * the output channels it meets, made in the thread's scratch. */
static void
pack_dense_panels (const ConvJob *job,
                   guint          thread,
                   gsize          p0,
                   gsize          p1,
                   float         *out)
{
  const BsConvGeometry *g = job->g;
  const gsize p_out = (gsize) g->out_h * g->out_w, M = dense_rows (g), K = dense_depth (g);
  float *rows = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_DCOL, dense_panel_scratch (g));

  for (gsize p = p0; p < p1; p++)
    {
      gsize r0 = p * BS_PACKED_GEMM_PANEL_ROWS;
      gsize r1 = MIN (r0 + BS_PACKED_GEMM_PANEL_ROWS, M);
      guint co0 = (guint) (r0 / p_out), co1 = (guint) ((r1 - 1) / p_out + 1);

      bs_conv_dense_weights (g, job->w, co0, co1, rows);
      bs_packed_gemm_pack_panel (rows + (r0 - co0 * p_out) * K, K, (guint) (r1 - r0), M, K, p, out);
    }
}

typedef struct {
  ConvJob    *job;
  WeightForm  form;
  float      *out;
} TransformJob;

static void
transform_share (gpointer data,
                 guint    thread,
                 guint    n_threads)
{
  TransformJob *t = data;
  const BsConvGeometry *g = t->job->g;
  gsize co0, co1, p0, p1;

  switch (t->form)
    {
    case FORM_WINOGRAD:
      bs_split_range (g->out_c, n_threads, thread, &co0, &co1);
      bs_conv_winograd_weights (g, t->job->tile, t->job->w, (guint) co0, (guint) co1, t->out);
      break;
    case FORM_DENSE:
      bs_split_range (g->out_c, n_threads, thread, &co0, &co1);
      bs_conv_dense_weights (g, t->job->w, (guint) co0, (guint) co1,
                             t->out + co0 * dense_rows (g) / g->out_c * dense_depth (g));
      break;
    case FORM_PACKED:
      bs_split_range (bs_packed_gemm_panels (g->out_c), n_threads, thread, &p0, &p1);
      bs_packed_gemm_pack (t->job->w, col_rows (g), g->out_c, col_rows (g), p0, p1, t->out);
      break;
    case FORM_DENSE_PACKED:
      bs_split_range (bs_packed_gemm_panels (dense_rows (g)), n_threads, thread, &p0, &p1);
      pack_dense_panels (t->job, thread, p0, p1, t->out);
      break;
    default:
      g_assert_not_reached ();
    }
}

struct _BsConvWeightCache {
  float      *w;       /* the weights u was made from */
  gsize       w_len;
  float      *u;       /* their transform */
  gsize       u_len;
  WeightForm  form;
  guint       tile;    /* Winograd's F(tile x tile, 3x3) */
  guint64     epoch;   /* bs_conv_weight_cache_set_epoch () */
  guint64     checked; /* the epoch in which u was last made or checked */
};

BsConvWeightCache *
bs_conv_weight_cache_new (void)
{
  return g_new0 (BsConvWeightCache, 1);
}

void
bs_conv_weight_cache_free (BsConvWeightCache *cache)
{
  if (cache == NULL)
    return;
  bs_free_floats (cache->w);
  bs_free_floats (cache->u);
  g_free (cache);
}

void
bs_conv_weight_cache_set_epoch (BsConvWeightCache *cache,
                                guint64            epoch)
{
  cache->epoch = epoch;
}

/* The weights of job in the given form, from the cache when it holds those
 * of the same weights, else made (and kept when there is a cache). */
static const float *
transformed_weights (ConvJob           *job,
                     BsConvWeightCache *cache,
                     WeightForm         form)
{
  const BsConvGeometry *g = job->g;
  gsize w_len = (gsize) g->out_c * g->in_c * g->kernel * g->kernel;
  gsize u_len = form_size (g, job->tile, form);
  TransformJob t = { job, form, NULL };

  if (cache == NULL)
    {
      t.out = bs_thread_pool_scratch (job->pool, 0, BS_SCRATCH_WEIGHTS, u_len);
      /* Thousands of small products or copies per layer: on all threads. */
      bs_thread_pool_run (job->pool, transform_share, &t);
      return t.out;
    }

  if (cache->w_len == w_len && cache->u_len == u_len && cache->form == form &&
      cache->tile == job->tile &&
      ((cache->epoch != 0 && cache->checked == cache->epoch) ||
       memcmp (cache->w, job->w, w_len * sizeof (float)) == 0))
    {
      cache->checked = cache->epoch;
      return cache->u;
    }
  if (cache->w_len != w_len)
    {
      bs_free_floats (cache->w);
      cache->w = bs_alloc_floats (w_len);
      cache->w_len = w_len;
    }
  if (cache->u_len != u_len)
    {
      bs_free_floats (cache->u);
      cache->u = bs_alloc_floats (u_len);
      cache->u_len = u_len;
    }
  memcpy (cache->w, job->w, w_len * sizeof (float));
  cache->form = form;
  cache->tile = job->tile;
  cache->checked = cache->epoch;
  t.out = cache->u;
  bs_thread_pool_run (job->pool, transform_share, &t);
  return cache->u;
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
  return is_direct (g);
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
  return job->inference && job->tile == 0 && !is_direct3 (job->g);
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
    job.winograd = transformed_weights (&job, cache, FORM_WINOGRAD);
  else if (runs_packed (&job))
    {
      job.panels = transformed_weights (&job, cache, bs_conv_dense_applies (g) ? FORM_DENSE_PACKED
                                                                                : FORM_PACKED);
      if (bs_conv_dense_applies (g))
        job.dense = job.panels;
    }
  else if (bs_conv_dense_applies (g))
    job.dense = transformed_weights (&job, cache, FORM_DENSE);
  else if (is_direct3 (g))
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

/* Grows a cache's buffers to n floats (their contents no longer match any
 * weights), or FALSE. */
static gboolean
reserve_cache_floats (float **p,
                      gsize  *len,
                      gsize   n,
                      gsize  *failed_bytes)
{
  if (*len == n)
    return TRUE;
  g_clear_pointer (p, bs_free_floats);
  *len = 0;
  *p = bs_try_alloc_floats (n);
  if (*p == NULL)
    {
      *failed_bytes = MAX (n, 1) * sizeof (float);
      return FALSE;
    }
  *len = n;
  return TRUE;
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
    transformed = form_size (g, 0, FORM_PACKED);
  else if (runs_packed (&job))
    {
      /* Each thread makes the dense rows of its panels in scratch. */
      transformed = form_size (g, 0, FORM_DENSE_PACKED);
      for (guint t = 0; t < n_threads; t++)
        if (!bs_thread_pool_reserve_scratch (pool, t, BS_SCRATCH_DCOL, dense_panel_scratch (g), failed_bytes))
          return FALSE;
    }
  else if (bs_conv_dense_applies (g))
    transformed = bs_conv_dense_weights_size (g);
  if (transformed > 0 && cache != NULL)
    {
      gsize w_len = (gsize) g->out_c * g->in_c * g->kernel * g->kernel;

      /* No tile is G_MAXUINT: nothing cached matches any more. */
      if (cache->w_len != w_len || cache->u_len != transformed)
        cache->tile = G_MAXUINT;
      if (!reserve_cache_floats (&cache->w, &cache->w_len, w_len, failed_bytes) ||
          !reserve_cache_floats (&cache->u, &cache->u_len, transformed, failed_bytes))
        return FALSE;
    }
  else if (transformed > 0)
    weights = transformed;
  else if (is_direct3 (g))
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

/* Stride-1 convolutions get their input gradient as a forward convolution
 * of dy with the flipped, transposed kernel (padding k - 1 - pad): one more
 * im2col and a GEMM that writes (or adds) straight into dx, instead of a
 * k*k times larger column gradient scattered back by col2im. */
static gboolean
dgrad_as_conv (const BsConvGeometry *g)
{
  return g->stride == 1 && !is_direct (g);
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
  const gsize K = col_rows (g);

  switch (slot)
    {
    case BS_SCRATCH_CHUNK:
      return make_dy ? g->out_c * nc * P : 0;
    case BS_SCRATCH_COL:
      if (is_direct3 (g))
        {
          BsPadShape px = { g->in_c, g->in_h, g->in_w, nc, g->stride };

          return bs_conv3_padded_size (&px);
        }
      return is_direct (g) ? 0 : K * nc * P;
    case BS_SCRATCH_DCOL:
      if (!with_dx)
        return 0;
      if (is_direct3 (g) && g->stride == 1)
        {
          BsPadShape pd = { g->out_c, g->out_h, g->out_w, nc, 1 };

          return bs_conv3_padded_size (&pd);
        }
      if (!is_direct3 (g) && dgrad_as_conv (g))
        {
          BsConvGeometry t;

          transposed_geometry (g, &t);
          return col_rows (&t) * nc * g->in_h * g->in_w;
        }
      return is_direct (g) ? 0 : K * nc * P;
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
  const gsize K = col_rows (g);
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

  nc = chunk_images (g, job->config, b1 - b0, TRUE);
  if (make_dy)
    dybuf = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_CHUNK,
                                    backward_scratch_floats (g, nc, job->dx != NULL, make_dy, BS_SCRATCH_CHUNK));

  if (is_direct3 (g))
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
              col2im_add (g, job->batch, dcol, n0, n, job->dx);
            }
          if (job->hooks && job->hooks->backward_done)
            job->hooks->backward_done (job->hooks->data, thread, job->dx + n0 * in_hw, ld_in, 0,
                                       g->in_c, n0 * in_hw, n * in_hw);
        }
      return;
    }

  if (!is_direct (g))
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
          im2col (g, job->batch, job->x, n0, n, col);
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
            im2col (&t, n, dybuf, 0, n, dcol);
          else
            im2col (&t, job->batch, job->dy, n0, n, dcol);
          cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
                       g->in_c, n * in_hw, col_rows (&t),
                       1.0f, job->w_t, col_rows (&t), dcol, n * in_hw,
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
          col2im_add (g, job->batch, dcol, n0, n, job->dx);
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
  gsize total = (gsize) job->g->out_c * col_rows (job->g);
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
  if (with_dx && is_direct3 (g) && g->stride == 1)
    weights = bs_conv3_packed_size (g->out_c, g->in_c);
  else if (with_dx && !is_direct3 (g) && dgrad_as_conv (g))
    weights = (gsize) g->in_c * g->out_c * g->kernel * g->kernel;
  if (weights > 0 && !bs_thread_pool_reserve_scratch (pool, 0, BS_SCRATCH_WEIGHTS, weights, failed_bytes))
    return FALSE;

  for (guint t = 0; t < n_threads; t++)
    {
      gsize b0, b1;
      guint nc;

      if (n_threads > 1 &&
          !bs_thread_pool_reserve_scratch (pool, t, BS_SCRATCH_DW, (gsize) g->out_c * col_rows (g),
                                           failed_bytes))
        return FALSE;
      bs_split_range (batch, n_threads, t, &b0, &b1);
      if (b1 == b0)
        continue;
      nc = chunk_images (g, config, b1 - b0, TRUE);
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

  if (dx && is_direct3 (g) && g->stride == 1)
    {
      float *packed = bs_thread_pool_scratch (pool, 0, BS_SCRATCH_WEIGHTS,
                                              bs_conv3_packed_size (g->out_c, g->in_c));

      bs_conv3_pack_weights (w, g->out_c, g->in_c, TRUE, packed);
      job.packed = packed;
    }
  else if (dx && !is_direct3 (g) && dgrad_as_conv (g))
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
