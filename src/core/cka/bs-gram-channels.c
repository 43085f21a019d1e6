/* bs-gram-channels.c: the Gram of a batch norm from the pass over the convolution before it. */
#include "bs-gram-channels.h"

#include <math.h>
#include <string.h>

#include "bs-gram-private.h"

/* Examples (after the first) of x kept to check the affine relation,
 * spread over the batch. */
#define N_SAMPLE 4

/* The k-th kept example of m out of n. */
static inline guint
sample_index (guint k,
              guint m,
              guint n)
{
  return m > 1 ? 1 + k * (n - 2) / (m - 1) : 1;
}

struct _BsGramChannels {
  BsGramWorkspace *ws;        /* borrowed */
  gboolean         valid;     /* holds the Gram of y for the last x */
  guint            channels;
  guint            n;
  gsize            spatial;
  double          *gram_y;    /* n x n */
  gsize            gram_y_len;
  float           *scale;     /* 2 x channels: the scales, then their squares */
  gsize            scale_len;
  float           *sample;    /* channels x N_SAMPLE x spatial: kept rows of x minus row 0 */
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
  g_free (gc->gram_y);
  g_free (gc->scale);
  g_free (gc->sample);
  g_free (gc);
}

void
bs_gram_channels_reset (BsGramChannels *gc)
{
  gc->valid = FALSE;
}

static void
ensure_floats (float **buf,
               gsize  *len,
               gsize   need)
{
  if (*len >= need)
    return;
  g_free (*buf);
  *buf = g_new (float, need);
  *len = need;
}

gboolean
bs_gram_channels_compute (BsGramChannels *gc,
                          const float    *x,
                          guint           channels,
                          guint           n,
                          gsize           spatial,
                          const float    *scale,
                          double         *gram)
{
  guint m = MIN (N_SAMPLE, n - 1);
  const float *weights[2];
  double *grams[2];

  g_return_val_if_fail (n >= 2 && channels > 0 && spatial > 0 && scale != NULL, FALSE);

  gc->valid = FALSE;
  gc->channels = channels;
  gc->n = n;
  gc->spatial = spatial;
  if (gc->gram_y_len < (gsize) n * n)
    {
      g_free (gc->gram_y);
      gc->gram_y = g_new (double, (gsize) n * n);
      gc->gram_y_len = (gsize) n * n;
    }
  ensure_floats (&gc->scale, &gc->scale_len, 2 * (gsize) channels);
  ensure_floats (&gc->sample, &gc->sample_len, (gsize) channels * m * spatial);

  for (guint c = 0; c < channels; c++)
    {
      const float *block = x + (gsize) c * n * spatial;

      gc->scale[c] = scale[c];
      gc->scale[channels + c] = scale[c] * scale[c];
      for (guint k = 0; k < m; k++)
        {
          const float *row = block + (gsize) sample_index (k, m, n) * spatial;

          for (gsize s = 0; s < spatial; s++)
            gc->sample[((gsize) c * m + k) * spatial + s] = row[s] - block[s];
        }
    }

  weights[0] = NULL;
  weights[1] = gc->scale + channels;
  grams[0] = gram;
  grams[1] = gc->gram_y;
  if (!bs_gram_workspace_cnhw (gc->ws, x, channels, n, spatial, 2, weights, grams))
    return FALSE;
  gc->valid = TRUE;
  return TRUE;
}

/* On the kept examples, y_c - y_c0 must be a_c (x_c - x_c0) up to float
 * rounding (y = a x + b is rounded to ~1e-7 |y|; allow 1e-5). */
static gboolean
check_affine (BsGramChannels *gc,
              const float    *y)
{
  guint n = gc->n, m = MIN (N_SAMPLE, n - 1);
  gsize S = gc->spatial;

  for (guint c = 0; c < gc->channels; c++)
    {
      const float *block = y + (gsize) c * n * S;
      double a = gc->scale[c];

      for (guint k = 0; k < m; k++)
        for (gsize s = 0; s < S; s++)
          {
            double yi = block[(gsize) sample_index (k, m, n) * S + s], y0 = block[s];
            double dx = gc->sample[((gsize) c * m + k) * S + s];

            if (!(fabs ((yi - y0) - a * dx) <= 1e-5 * (fabs (yi) + fabs (y0)) + 1e-30))
              return FALSE;
          }
    }
  return TRUE;
}

gboolean
bs_gram_channels_affine (BsGramChannels *gc,
                         const float    *y,
                         guint           channels,
                         guint           n,
                         gsize           spatial,
                         double         *gram)
{
  if (!gc->valid || gc->channels != channels || gc->n != n || gc->spatial != spatial)
    return FALSE;
  if (!check_affine (gc, y))
    return FALSE;
  memcpy (gram, gc->gram_y, (gsize) n * n * sizeof (double));
  return TRUE;
}
