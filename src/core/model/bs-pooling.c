/* bs-pooling.c: global average pool and max pool. */
#include "bs-pooling.h"

#include "bs-conv-geometry.h"

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
 * (the earlier) unless b is greater, a NaN wins, the first NaN first.
 * Without branches, so that the loops below run on vectors (a comparison
 * of random values is a branch mispredicted half of the time). */
static inline float
max_first (float a,
           float b)
{
  return (b > a) | (isnan (b) & !isnan (a)) ? b : a;
}

/* Planes that fit this many floats of row maxima take the separable path. */
#define MAX_ROW_MAXIMA 8192

/* out[i] = max_first (out[i], in[i * stride]) for n entries. */
static inline void
max_first_into (float       *out,
                const float *in,
                guint        n,
                guint        stride)
{
  if (stride == 2)
    for (guint i = 0; i < n; i++)
      out[i] = max_first (out[i], in[2 * i]);
  else
    for (guint i = 0; i < n; i++)
      out[i] = max_first (out[i], in[(gsize) i * stride]);
}

static inline void
fill_minus_infinity (float *out,
                     guint  n)
{
  for (guint i = 0; i < n; i++)
    out[i] = -INFINITY;
}

/* Without argmax (evaluation), one plane's window maxima in two passes:
 * along each input row at every output column, then down the columns.
 * The first maximum in window order is the first maximum of the first row
 * holding it, so the values are those of the scan below. Each pass takes
 * the window's offsets in order and every output column at once; a start
 * at -inf changes nothing (max_first (-inf, v) is v, NaN or not). */
static void
max_plane_separable (const BsMaxPoolGeometry *g,
                     const float             *x,
                     float                   *y,
                     float                   *rows)
{
  for (guint iy = 0; iy < g->in_h; iy++)
    {
      float *row = rows + iy * g->out_w;

      fill_minus_infinity (row, g->out_w);
      for (guint kx = 0; kx < g->kernel; kx++)
        {
          guint lo, hi;

          bs_conv_valid_range (g->out_w, g->in_w, g->stride, g->pad, kx, &lo, &hi);
          if (lo < hi)
            max_first_into (row + lo, x + iy * g->in_w + lo * g->stride + kx - g->pad, hi - lo,
                            g->stride);
        }
    }
  for (guint oy = 0; oy < g->out_h; oy++)
    {
      float *out = y + oy * g->out_w;

      fill_minus_infinity (out, g->out_w);
      for (guint ky = 0; ky < g->kernel; ky++)
        {
          int iy = (int) (oy * g->stride) - (int) g->pad + (int) ky;

          if (iy >= 0 && iy < (int) g->in_h)
            max_first_into (out, rows + iy * g->out_w, g->out_w, 1);
        }
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
