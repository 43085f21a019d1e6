/* bs-pooling.c: global average pool and max pool. */
#include "bs-pooling.h"

#include <math.h>
#include <string.h>

typedef struct {
  const BsMaxPoolGeometry *g;
  guint                    planes;
  gsize                    hw;
  const float             *x;
  const float             *dy;
  float                   *y;
  float                   *dx;
  guint32                 *argmax;
  const guint32           *argmax_in;
} PoolJob;

static void
avg_forward_share (gpointer data,
                   guint    thread,
                   guint    n_threads)
{
  PoolJob *job = data;
  gsize p0, p1;

  bs_split_range (job->planes, n_threads, thread, &p0, &p1);
  for (gsize p = p0; p < p1; p++)
    {
      const float *x = job->x + p * job->hw;
      double sum = 0.0;

      for (gsize i = 0; i < job->hw; i++)
        sum += x[i];
      job->y[p] = (float) (sum / job->hw);
    }
}

void
bs_avgpool_forward (BsThreadPool *pool,
                    guint         channels,
                    guint         batch,
                    gsize         hw,
                    const float  *x,
                    float        *y)
{
  /* Planes (c, n) are consecutive, and y[c][n] is plane c * batch + n. */
  PoolJob job = { .planes = channels * batch, .hw = hw, .x = x, .y = y };

  bs_thread_pool_run (pool, avg_forward_share, &job);
}

static void
avg_backward_share (gpointer data,
                    guint    thread,
                    guint    n_threads)
{
  PoolJob *job = data;
  float inv = 1.0f / job->hw;
  gsize p0, p1;

  bs_split_range (job->planes, n_threads, thread, &p0, &p1);
  for (gsize p = p0; p < p1; p++)
    {
      float v = job->dy[p] * inv;
      float *dx = job->dx + p * job->hw;

      for (gsize i = 0; i < job->hw; i++)
        dx[i] = v;
    }
}

void
bs_avgpool_backward (BsThreadPool *pool,
                     guint         channels,
                     guint         batch,
                     gsize         hw,
                     const float  *dy,
                     float        *dx)
{
  PoolJob job = { .planes = channels * batch, .hw = hw, .dy = dy, .dx = dx };

  bs_thread_pool_run (pool, avg_backward_share, &job);
}

gboolean
bs_maxpool_geometry_init (BsMaxPoolGeometry *g)
{
  if (g->kernel == 0 || g->stride == 0 || g->in_h == 0 || g->in_w == 0 ||
      2 * g->pad > g->kernel ||
      g->in_h + 2 * g->pad < g->kernel || g->in_w + 2 * g->pad < g->kernel)
    return FALSE;
  g->out_h = (g->in_h + 2 * g->pad - g->kernel) / g->stride + 1;
  g->out_w = (g->in_w + 2 * g->pad - g->kernel) / g->stride + 1;
  return TRUE;
}

/* The larger of a and b as the scan of max_forward_share () decides it: a
 * (the earlier) unless b is greater, a NaN wins, the first NaN first. */
static inline float
max_first (float a,
           float b)
{
  return (b > a && !isnan (a)) || (isnan (b) && !isnan (a)) ? b : a;
}

/* Planes that fit this many floats of row maxima take the separable path. */
#define MAX_ROW_MAXIMA 8192

/* Without argmax (evaluation), one plane's window maxima in two passes:
 * along each input row at every output column, then down the columns.
 * The first maximum in window order is the first maximum of the first row
 * holding it, so the values are those of the scan below. */
static void
max_plane_separable (const BsMaxPoolGeometry *g,
                     const float             *x,
                     float                   *y,
                     float                   *rows)
{
  for (guint iy = 0; iy < g->in_h; iy++)
    for (guint ox = 0; ox < g->out_w; ox++)
      {
        int x0 = (int) (ox * g->stride) - (int) g->pad;
        int lo = MAX (x0, 0), hi = MIN (x0 + (int) g->kernel, (int) g->in_w);
        float best = x[iy * g->in_w + lo];

        for (int kx = lo + 1; kx < hi; kx++)
          best = max_first (best, x[iy * g->in_w + kx]);
        rows[iy * g->out_w + ox] = best;
      }
  for (guint oy = 0; oy < g->out_h; oy++)
    {
      int y0 = (int) (oy * g->stride) - (int) g->pad;
      int lo = MAX (y0, 0), hi = MIN (y0 + (int) g->kernel, (int) g->in_h);
      float *out = y + oy * g->out_w;

      memcpy (out, rows + lo * g->out_w, g->out_w * sizeof (float));
      for (int ky = lo + 1; ky < hi; ky++)
        for (guint ox = 0; ox < g->out_w; ox++)
          out[ox] = max_first (out[ox], rows[ky * g->out_w + ox]);
    }
}

static void
max_forward_share (gpointer data,
                   guint    thread,
                   guint    n_threads)
{
  PoolJob *job = data;
  const BsMaxPoolGeometry *g = job->g;
  const gsize in_hw = (gsize) g->in_h * g->in_w;
  const gsize out_hw = (gsize) g->out_h * g->out_w;
  gsize p0, p1;

  bs_split_range (job->planes, n_threads, thread, &p0, &p1);
  if (job->argmax == NULL && (gsize) g->in_h * g->out_w <= MAX_ROW_MAXIMA)
    {
      float rows[MAX_ROW_MAXIMA];

      for (gsize p = p0; p < p1; p++)
        max_plane_separable (g, job->x + p * in_hw, job->y + p * out_hw, rows);
      return;
    }
  for (gsize p = p0; p < p1; p++)
    {
      const float *x = job->x + p * in_hw;
      float *y = job->y + p * out_hw;
      guint32 *am = job->argmax ? job->argmax + p * out_hw : NULL;

      for (guint oy = 0; oy < g->out_h; oy++)
        for (guint ox = 0; ox < g->out_w; ox++)
          {
            int y0 = (int) (oy * g->stride) - (int) g->pad;
            int x0 = (int) (ox * g->stride) - (int) g->pad;
            float best = -INFINITY;
            guint32 where = 0;
            gboolean found = FALSE;

            for (int ky = MAX (y0, 0); ky < MIN (y0 + (int) g->kernel, (int) g->in_h); ky++)
              for (int kx = MAX (x0, 0); kx < MIN (x0 + (int) g->kernel, (int) g->in_w); kx++)
                {
                  float v = x[ky * g->in_w + kx];

                  if (!found || v > best || isnan (v))
                    {
                      best = v;
                      where = ky * g->in_w + kx;
                      found = TRUE;
                      if (isnan (v))
                        goto done;
                    }
                }
          done:
            y[oy * g->out_w + ox] = best;
            if (am)
              am[oy * g->out_w + ox] = where;
          }
    }
}

void
bs_maxpool_forward (const BsMaxPoolGeometry *g,
                    BsThreadPool            *pool,
                    guint                    planes,
                    const float             *x,
                    float                   *y,
                    guint32                 *argmax)
{
  PoolJob job = { .g = g, .planes = planes, .x = x, .y = y, .argmax = argmax };

  bs_thread_pool_run (pool, max_forward_share, &job);
}

static void
max_backward_share (gpointer data,
                    guint    thread,
                    guint    n_threads)
{
  PoolJob *job = data;
  const BsMaxPoolGeometry *g = job->g;
  const gsize in_hw = (gsize) g->in_h * g->in_w;
  const gsize out_hw = (gsize) g->out_h * g->out_w;
  gsize p0, p1;

  bs_split_range (job->planes, n_threads, thread, &p0, &p1);
  for (gsize p = p0; p < p1; p++)
    {
      float *dx = job->dx + p * in_hw;
      const float *dy = job->dy + p * out_hw;
      const guint32 *am = job->argmax_in + p * out_hw;

      memset (dx, 0, in_hw * sizeof (float));
      for (gsize i = 0; i < out_hw; i++)
        dx[am[i]] += dy[i];
    }
}

void
bs_maxpool_backward (const BsMaxPoolGeometry *g,
                     BsThreadPool            *pool,
                     guint                    planes,
                     const float             *dy,
                     const guint32           *argmax,
                     float                   *dx)
{
  PoolJob job = { .g = g, .planes = planes, .dy = dy, .argmax_in = argmax, .dx = dx };

  bs_thread_pool_run (pool, max_backward_share, &job);
}
