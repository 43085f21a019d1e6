/* bs-gram-channels.c: per-channel Grams, and the Gram of a batch norm from them.
 * Channels are split into tasks for the workspace's threads (bs-gram-private.h). */
#include "bs-gram-channels.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "bs-gram-private.h"
#include "bs-simd.h"

/* Examples (after the first) of x kept to check the affine relation. */
#define N_SAMPLE 4

struct _BsGramChannels {
  BsGramWorkspace *ws;        /* borrowed */
  gboolean         valid;     /* holds the Grams of an x */
  guint            channels;
  guint            n;
  gsize            spatial;
  float           *grams;     /* channels x n x n, upper triangles (ssyrk) */
  gsize            grams_len;
  double          *trace;     /* channels: trace of G_c */
  double          *a2;        /* channels: a_c^2 of the last affine */
  guint8          *ok;        /* channels: the affine check passed */
  gsize            per_channel_len;
  float           *sample;    /* channels x N_SAMPLE x spatial: rows 1..N_SAMPLE of x minus row 0 */
  gsize            sample_len;
};

BsGramChannels *
bs_gram_channels_new (BsGramWorkspace *ws)
{
  BsGramChannels *gc = g_new0 (BsGramChannels, 1);

  gc->ws = ws;
  return gc;
}

void
bs_gram_channels_free (BsGramChannels *gc)
{
  if (gc == NULL)
    return;
  g_free (gc->grams);
  g_free (gc->trace);
  g_free (gc->a2);
  g_free (gc->ok);
  g_free (gc->sample);
  g_free (gc);
}

gsize
bs_gram_channels_bytes (guint channels,
                        guint n)
{
  return (gsize) channels * n * n * sizeof (float);
}

void
bs_gram_channels_reset (BsGramChannels *gc)
{
  gc->valid = FALSE;
}

static void
ensure (float **buf,
        gsize  *len,
        gsize   need)
{
  if (*len >= need)
    return;
  g_free (*buf);
  *buf = g_new (float, need);
  *len = need;
}

static void
ensure_per_channel (BsGramChannels *gc,
                    guint           channels)
{
  if (gc->per_channel_len >= channels)
    return;
  g_free (gc->trace);
  g_free (gc->a2);
  g_free (gc->ok);
  gc->trace = g_new (double, channels);
  gc->a2 = g_new (double, channels);
  gc->ok = g_new (guint8, channels);
  gc->per_channel_len = channels;
}

/* The loops below take plain pointers, never struct members: the project
 * builds with -fno-strict-aliasing, under which a store through a float
 * pointer could change a pointer in a struct and stop vectorisation. */

/* dest (n x S) = block (n x S) minus its first row. */
static BS_SIMD_CLONES void
shift_by_first (const float *block,
                guint        n,
                gsize        S,
                float       *dest)
{
  for (guint i = 0; i < n; i++)
    {
      const float *row = block + (gsize) i * S;
      float *out = dest + (gsize) i * S;

      for (gsize s = 0; s < S; s++)
        out[s] = row[s] - block[s];
    }
}

/* Upper triangles: sum += w g. */
static BS_SIMD_CLONES void
add_upper (float       *sum,
           const float *g,
           guint        n,
           float        w)
{
  for (guint i = 0; i < n; i++)
    {
      const float *row = g + (gsize) i * n;
      float *out = sum + (gsize) i * n;

      for (guint j = i; j < n; j++)
        out[j] += w * row[j];
    }
}

/* sum over rows i >= 1 and columns s of (block[i][s] - block[0][s])^2, with
 * per-column partial sums in acc (S) so that the loop vectorises. */
static BS_SIMD_CLONES double
spread (const float *block,
        guint        n,
        gsize        S,
        double      *acc)
{
  double total = 0;

  memset (acc, 0, S * sizeof (double));
  for (guint i = 1; i < n; i++)
    {
      const float *row = block + (gsize) i * S;

      for (gsize s = 0; s < S; s++)
        {
          double d = (double) row[s] - (double) block[s];

          acc[s] += d * d;
        }
    }
  for (gsize s = 0; s < S; s++)
    total += acc[s];
  return total;
}

/* ---- Per-channel Grams of x. */

typedef struct {
  BsGramChannels *gc;
  const float    *x;
  guint           n_tasks;
} ComputeWork;

static void
compute_task (gpointer data,
              guint    task,
              guint    thread)
{
  ComputeWork *w = data;
  BsGramChannels *gc = w->gc;
  guint n = gc->n, m = MIN (N_SAMPLE, n - 1);
  gsize S = gc->spatial;
  float *acc = bs_gram_workspace_task_buffer (gc->ws, task);
  float *scratch = bs_gram_workspace_scratch (gc->ws, thread, (gsize) n * S);
  gsize begin, end;

  memset (acc, 0, (gsize) n * n * sizeof (float));
  bs_gram_split (gc->channels, w->n_tasks, task, &begin, &end);
  for (gsize c = begin; c < end; c++)
    {
      float *g = gc->grams + c * n * n;
      double trace = 0;

      /* Shift by the first example (see bs-gram.h), then this channel's Gram. */
      shift_by_first (w->x + c * n * S, n, S, scratch);
      memcpy (gc->sample + c * m * S, scratch + S, m * S * sizeof (float));
      cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, (int) n, (int) S, 1.0f,
                   scratch, (int) S, 0.0f, g, (int) n);
      for (guint i = 0; i < n; i++)
        trace += g[(gsize) i * n + i];
      gc->trace[c] = trace;
      add_upper (acc, g, n, 1.0f);
    }
}

gboolean
bs_gram_channels_compute (BsGramChannels *gc,
                          const float    *x,
                          guint           channels,
                          guint           n,
                          gsize           spatial,
                          double         *gram)
{
  ComputeWork w = { gc, x, MIN (channels, BS_GRAM_MAX_TASKS) };

  g_return_val_if_fail (n >= 2 && channels > 0 && spatial > 0, FALSE);

  gc->valid = FALSE;
  gc->channels = channels;
  gc->n = n;
  gc->spatial = spatial;
  ensure (&gc->grams, &gc->grams_len, (gsize) channels * n * n);
  ensure (&gc->sample, &gc->sample_len, (gsize) channels * MIN (N_SAMPLE, n - 1) * spatial);
  ensure_per_channel (gc, channels);

  bs_gram_workspace_prepare_tasks (gc->ws, w.n_tasks, (gsize) n * n * sizeof (float));
  bs_gram_workspace_run_tasks (gc->ws, w.n_tasks, compute_task, &w);
  if (!bs_gram_workspace_reduce_tasks (gc->ws, w.n_tasks, n, gram))
    return FALSE;
  gc->valid = TRUE;
  return TRUE;
}

/* ---- The Gram of y = a x + b, per channel. */

/* a_c^2 of channel c, or FALSE when y_c is not an affine map of x_c. */
static gboolean
measure_scale (BsGramChannels *gc,
               const float    *y,
               guint           c,
               double         *acc,
               double         *a2)
{
  guint n = gc->n, m = MIN (N_SAMPLE, n - 1);
  gsize S = gc->spatial;
  const float *block = y + (gsize) c * n * S;
  const float *dx = gc->sample + (gsize) c * m * S;
  double dy2, sxy = 0, sxx = 0, syy = 0, mag = 0;

  /* The spread of y_c over all examples, against that of x_c (the trace of G_c). */
  dy2 = spread (block, n, S, acc);
  if (!isfinite (dy2))
    return FALSE;
  if (gc->trace[c] == 0.0)
    {
      *a2 = 0.0;
      return dy2 == 0.0;    /* x_c constant but y_c not: not a map of x */
    }
  *a2 = dy2 / gc->trace[c];

  /* On the kept examples, y_c - y_c0 must be a_c (x_c - x_c0). */
  for (guint i = 0; i < m; i++)
    for (gsize s = 0; s < S; s++)
      {
        double yi = block[(gsize) (i + 1) * S + s], y0 = block[s];
        double d = yi - y0, e = dx[(gsize) i * S + s];

        sxy += d * e;
        sxx += e * e;
        syy += d * d;
        mag += yi * yi + y0 * y0;
      }
  /* Float rounding of y = a x + b is ~1e-7 |y|: allow 100 times that. */
  if (sxx > 0.0)
    {
      double resid = syy - sxy * sxy / sxx;
      double a_s2 = sxy * sxy / (sxx * sxx);

      return resid <= 1e-8 * syy + 1e-10 * mag &&
             fabs (a_s2 - *a2) <= 1e-3 * *a2 + 1e-10 * mag / sxx;
    }
  return syy <= 1e-10 * mag;
}

typedef struct {
  BsGramChannels *gc;
  const float    *y;
  guint           n_tasks;
} AffineWork;

static void
scale_task (gpointer data,
            guint    task,
            guint    thread)
{
  AffineWork *w = data;
  BsGramChannels *gc = w->gc;
  double *acc = bs_gram_workspace_dscratch (gc->ws, thread, gc->spatial);
  gsize begin, end;

  bs_gram_split (gc->channels, w->n_tasks, task, &begin, &end);
  for (gsize c = begin; c < end; c++)
    gc->ok[c] = measure_scale (gc, w->y, (guint) c, acc, &gc->a2[c]);
}

static void
sum_task (gpointer data,
          guint    task,
          guint    thread)
{
  AffineWork *w = data;
  BsGramChannels *gc = w->gc;
  guint n = gc->n;
  float *acc = bs_gram_workspace_task_buffer (gc->ws, task);
  gsize begin, end;

  memset (acc, 0, (gsize) n * n * sizeof (float));
  bs_gram_split (gc->channels, w->n_tasks, task, &begin, &end);
  for (gsize c = begin; c < end; c++)
    if (gc->a2[c] != 0.0)
      add_upper (acc, gc->grams + c * n * n, n, (float) gc->a2[c]);
}

gboolean
bs_gram_channels_affine (BsGramChannels *gc,
                         const float    *y,
                         guint           channels,
                         guint           n,
                         gsize           spatial,
                         double         *gram)
{
  AffineWork w = { gc, y, MIN (channels, BS_GRAM_MAX_TASKS) };

  if (!gc->valid || gc->channels != channels || gc->n != n || gc->spatial != spatial)
    return FALSE;

  bs_gram_workspace_run_tasks (gc->ws, w.n_tasks, scale_task, &w);
  for (guint c = 0; c < channels; c++)
    if (!gc->ok[c])
      return FALSE;

  bs_gram_workspace_prepare_tasks (gc->ws, w.n_tasks, (gsize) n * n * sizeof (float));
  bs_gram_workspace_run_tasks (gc->ws, w.n_tasks, sum_task, &w);
  return bs_gram_workspace_reduce_tasks (gc->ws, w.n_tasks, n, gram);
}
