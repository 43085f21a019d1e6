/* bs-conv-weight-cache.c: the weights in the form a convolution runs on,
 * and the cache that keeps them from one evaluation pass to the next.
 *
 * Winograd's transform (bs-conv-winograd.c), the dense matrix of tiny maps
 * (bs-conv-dense.c) and evaluation's packed panels (bs-packed-gemm.c) are
 * made from a layer's weights on all threads. A BsConvWeightCache keeps the
 * form with a copy of the weights it came from and makes it again only when
 * they change; without one (training) it is made in thread 0's scratch. */
#include "bs-conv.h"

#include <string.h>

#include "bs-conv-dense.h"
#include "bs-conv-private.h"
#include "bs-conv-winograd.h"
#include "bs-packed-gemm.h"

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

gsize
bs_conv_weight_form_size (const BsConvGeometry *g,
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
      return bs_packed_gemm_size (g->out_c, bs_conv_col_rows (g));
    case FORM_DENSE_PACKED:
      return bs_packed_gemm_size (dense_rows (g), dense_depth (g));
    default:
      g_assert_not_reached ();
    }
}

/* Floats of a thread's scratch (BS_SCRATCH_DCOL) for the dense rows of
 * the output channels one panel of FORM_DENSE_PACKED meets. */
gsize
bs_conv_dense_panel_scratch (const BsConvGeometry *g)
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
  float *rows = bs_thread_pool_scratch (job->pool, thread, BS_SCRATCH_DCOL, bs_conv_dense_panel_scratch (g));

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
      bs_packed_gemm_pack (t->job->w, bs_conv_col_rows (g), g->out_c, bs_conv_col_rows (g), p0, p1, t->out);
      break;
    case FORM_DENSE_PACKED:
      bs_split_range (bs_packed_gemm_panels (dense_rows (g)), n_threads, thread, &p0, &p1);
      pack_dense_panels (t->job, thread, p0, p1, t->out);
      break;
    default:
      g_assert_not_reached ();
    }
}

/* In a freeze epoch the cache holds no copy of the weights: the form is
 * made (or found unchanged against a copy from epoch 0) once in it and used
 * as it is until the epoch ends, and the copy would double the memory a
 * frozen model's forms take (about 280 MB for the seed's ResNet-50 and
 * ResNet-101). A new epoch, or epoch 0 after one, makes the form again. */
struct _BsConvWeightCache {
  float      *w;       /* the weights u was made from, outside freeze epochs */
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

gsize
bs_conv_weight_cache_get_bytes (const BsConvWeightCache *cache)
{
  return (cache->w_len + cache->u_len) * sizeof (float);
}

static void
drop_weights_copy (BsConvWeightCache *cache)
{
  g_clear_pointer (&cache->w, bs_free_floats);
  cache->w_len = 0;
}

void
bs_conv_weight_cache_set_epoch (BsConvWeightCache *cache,
                                guint64            epoch)
{
  cache->epoch = epoch;
}

/* The weights of job in the given form, from the cache when it holds those
 * of the same weights, else made (and kept when there is a cache). */
const float *
bs_conv_transformed_weights (ConvJob           *job,
                             BsConvWeightCache *cache,
                             WeightForm         form)
{
  const BsConvGeometry *g = job->g;
  gsize w_len = (gsize) g->out_c * g->in_c * g->kernel * g->kernel;
  gsize u_len = bs_conv_weight_form_size (g, job->tile, form);
  TransformJob t = { job, form, NULL };

  if (cache == NULL)
    {
      t.out = bs_thread_pool_scratch (job->pool, 0, BS_SCRATCH_WEIGHTS, u_len);
      /* Thousands of small products or copies per layer: on all threads. */
      bs_thread_pool_run (job->pool, transform_share, &t);
      return t.out;
    }

  if (cache->u_len == u_len && cache->form == form && cache->tile == job->tile &&
      ((cache->epoch != 0 && cache->checked == cache->epoch) ||
       (cache->w != NULL && cache->w_len == w_len &&
        memcmp (cache->w, job->w, w_len * sizeof (float)) == 0)))
    {
      cache->checked = cache->epoch;
      if (cache->epoch != 0)
        drop_weights_copy (cache);
      return cache->u;
    }
  if (cache->u_len != u_len)
    {
      bs_free_floats (cache->u);
      cache->u = bs_alloc_floats (u_len);
      cache->u_len = u_len;
    }
  if (cache->epoch != 0)
    drop_weights_copy (cache);
  else
    {
      if (cache->w_len != w_len)
        {
          bs_free_floats (cache->w);
          cache->w = bs_alloc_floats (w_len);
          cache->w_len = w_len;
        }
      memcpy (cache->w, job->w, w_len * sizeof (float));
    }
  cache->form = form;
  cache->tile = job->tile;
  cache->checked = cache->epoch;
  t.out = cache->u;
  bs_thread_pool_run (job->pool, transform_share, &t);
  return cache->u;
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
bs_conv_weight_cache_reserve (BsConvWeightCache    *cache,
                              const BsConvGeometry *g,
                              gsize                 u_len,
                              gsize                *failed_bytes)
{
  gsize w_len = (gsize) g->out_c * g->in_c * g->kernel * g->kernel;

  /* No tile is G_MAXUINT: nothing cached matches any more (nor does a copy
   * about to be allocated: its bytes are not the weights the form came from). */
  if (cache->u_len != u_len || (cache->epoch == 0 && cache->w_len != w_len))
    cache->tile = G_MAXUINT;
  if (cache->epoch != 0 && cache->checked == cache->epoch)
    drop_weights_copy (cache);   /* the form is this epoch's: no copy is needed */
  else if (cache->epoch == 0 && !reserve_cache_floats (&cache->w, &cache->w_len, w_len, failed_bytes))
    return FALSE;
  return reserve_cache_floats (&cache->u, &cache->u_len, u_len, failed_bytes);
}
