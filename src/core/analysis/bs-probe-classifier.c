/* bs-probe-classifier.c: the probes' classifier, softmax regression fitted by Adam (see bs-probe.h). */
#include "bs-config.h"

#include "bs-probe-private.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "bs-memory.h"

void
bs_probe_fitter_init (BsProbeFitter        *fitter,
                      const BsProbeOptions *options,
                      guint                 n,
                      guint                 f,
                      guint                 c,
                      double                l2,
                      guint64               stream,
                      float                *weights,
                      float                *bias)
{
  gsize params = (gsize) f * c + c;

  fitter->options = options;
  fitter->f = f;
  fitter->c = c;
  fitter->l2 = l2;
  fitter->w = weights;
  fitter->b = bias;
  memset (weights, 0, (gsize) f * c * sizeof (float));
  memset (bias, 0, c * sizeof (float));
  fitter->m = bs_alloc_floats (params);
  fitter->v = bs_alloc_floats (params);
  fitter->grad = bs_alloc_floats (params);
  memset (fitter->m, 0, params * sizeof (float));
  memset (fitter->v, 0, params * sizeof (float));
  fitter->xb = bs_alloc_floats ((gsize) options->batch_size * f);
  fitter->logits = bs_alloc_floats ((gsize) options->batch_size * c);
  fitter->order = g_new (guint32, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    fitter->order[i] = i;
  fitter->step = 0;
  bs_rng_init_stream (&fitter->rng, options->seed, stream);
}

void
bs_probe_fitter_clear (BsProbeFitter *fitter)
{
  bs_free_floats (fitter->m);
  bs_free_floats (fitter->v);
  bs_free_floats (fitter->grad);
  bs_free_floats (fitter->xb);
  bs_free_floats (fitter->logits);
  g_free (fitter->order);
}

/* logits (rows x c) <- x w + b, then in place the softmax's probabilities
 * minus the one-hot labels, divided by scale. */
static void
softmax_gradient (float        *logits,
                  const guint8 *labels,
                  guint         rows,
                  guint         c,
                  double        scale)
{
  for (guint r = 0; r < rows; r++)
    {
      float *z = logits + (gsize) r * c;
      double top = z[0], sum = 0;

      for (guint k = 1; k < c; k++)
        top = MAX (top, z[k]);
      for (guint k = 0; k < c; k++)
        sum += exp (z[k] - top);
      for (guint k = 0; k < c; k++)
        {
          double p = exp (z[k] - top) / sum;

          z[k] = (float) ((p - (labels[r] == k ? 1.0 : 0.0)) * scale);
        }
    }
}

void
bs_probe_fitter_epoch (BsProbeFitter *fitter,
                       const float   *x,
                       const guint8  *labels,
                       guint          n)
{
  const BsProbeOptions *o = fitter->options;
  guint f = fitter->f, c = fitter->c;
  gsize wn = (gsize) f * c;
  g_autofree guint8 *yb = g_new (guint8, o->batch_size);

  bs_rng_shuffle (&fitter->rng, fitter->order, n);
  for (guint start = 0; start < n; start += o->batch_size)
    {
      guint rows = MIN (o->batch_size, n - start);
      double lr, correction1, correction2;

      for (guint r = 0; r < rows; r++)
        {
          guint i = fitter->order[start + r];

          memcpy (fitter->xb + (gsize) r * f, x + (gsize) i * f, f * sizeof (float));
          yb[r] = labels[i];
        }
      for (guint r = 0; r < rows; r++)
        memcpy (fitter->logits + (gsize) r * c, fitter->b, c * sizeof (float));
      cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, c, f,
                   1.0f, fitter->xb, f, fitter->w, c, 1.0f, fitter->logits, c);
      softmax_gradient (fitter->logits, yb, rows, c, 1.0 / rows);

      /* grad W = xb^T G + l2 W; grad b = column sums of G. */
      memcpy (fitter->grad, fitter->w, wn * sizeof (float));
      cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans, f, c, rows,
                   1.0f, fitter->xb, f, fitter->logits, c, (float) fitter->l2, fitter->grad, c);
      for (guint k = 0; k < c; k++)
        {
          double s = 0;

          for (guint r = 0; r < rows; r++)
            s += fitter->logits[(gsize) r * c + k];
          fitter->grad[wn + k] = (float) s;
        }

      /* Adam, with bias correction. */
      fitter->step++;
      correction1 = 1 - pow (0.9, (double) fitter->step);
      correction2 = 1 - pow (0.999, (double) fitter->step);
      lr = o->lr * sqrt (correction2) / correction1;
      for (gsize p = 0; p < wn + c; p++)
        {
          float g = fitter->grad[p];
          float *param = p < wn ? &fitter->w[p] : &fitter->b[p - wn];

          fitter->m[p] = 0.9f * fitter->m[p] + 0.1f * g;
          fitter->v[p] = 0.999f * fitter->v[p] + 0.001f * g * g;
          *param -= (float) (lr * fitter->m[p] / (sqrt (fitter->v[p]) + 1e-8 * sqrt (correction2)));
        }
    }
}

void
bs_probe_fit (const float          *x,
              const guint8         *labels,
              guint                 n,
              guint                 f,
              guint                 n_classes,
              const BsProbeOptions *options,
              double                l2,
              float                *weights,
              float                *bias)
{
  BsProbeFitter fitter;

  bs_probe_fitter_init (&fitter, options, n, f, n_classes, l2, BS_PROBE_STREAM_STEPS, weights, bias);
  for (guint e = 0; e < options->epochs; e++)
    bs_probe_fitter_epoch (&fitter, x, labels, n);
  bs_probe_fitter_clear (&fitter);
}

double
bs_probe_accuracy (const float  *x,
                   const guint8 *labels,
                   guint         n,
                   guint         f,
                   guint         c,
                   const float  *w,
                   const float  *b,
                   float        *logits)
{
  guint right = 0;

  if (n == 0)
    return NAN;
  for (guint r = 0; r < n; r++)
    memcpy (logits + (gsize) r * c, b, c * sizeof (float));
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, c, f, 1.0f, x, f, w, c, 1.0f, logits, c);
  for (guint r = 0; r < n; r++)
    {
      const float *z = logits + (gsize) r * c;
      guint best = 0;

      for (guint k = 1; k < c; k++)
        if (z[k] > z[best])
          best = k;
      right += best == labels[r];
    }
  return (double) right / n;
}
