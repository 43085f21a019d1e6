/* bs-batchnorm.c: batch normalisation kernels.
 *
 * Reductions keep eight independent double accumulators in a fixed pattern:
 * the compiler can vectorise them without reassociating anything, so the
 * result does not depend on the vector width. */
#include "bs-batchnorm.h"

#include <math.h>
#include <string.h>

#include "bs-simd.h"

#define LANES 8

BS_SIMD_CLONES void
bs_bn_row_sums (const float *x,
                gsize        n,
                double      *sum,
                double      *sumsq)
{
  double s[LANES] = { 0 }, q[LANES] = { 0 };
  double ts = 0.0, tq = 0.0;
  gsize i = 0;

  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++)
      {
        double v = x[i + j];

        s[j] += v;
        q[j] += v * v;
      }
  for (; i < n; i++)
    {
      double v = x[i];

      ts += v;
      tq += v * v;
    }
  for (int j = 0; j < LANES; j++)
    {
      ts += s[j];
      tq += q[j];
    }
  *sum += ts;
  *sumsq += tq;
}

BS_SIMD_CLONES void
bs_bn_row_apply_and_relu (const float *x,
                          gsize        n,
                          float        scale,
                          float        shift,
                          const float *add,
                          float       *y,
                          float       *y_relu)
{
  if (add)
    for (gsize i = 0; i < n; i++)
      {
        float v = x[i] * scale + shift + add[i];

        y[i] = v;
        y_relu[i] = v > 0.0f ? v : 0.0f;
      }
  else
    for (gsize i = 0; i < n; i++)
      {
        float v = x[i] * scale + shift;

        y[i] = v;
        y_relu[i] = v > 0.0f ? v : 0.0f;
      }
}

BS_SIMD_CLONES void
bs_bn_row_apply (const float *x,
                 gsize        n,
                 float        scale,
                 float        shift,
                 const float *add,
                 gboolean     relu,
                 float       *y)
{
  if (add && relu)
    for (gsize i = 0; i < n; i++)
      {
        float v = x[i] * scale + shift + add[i];

        y[i] = v > 0.0f ? v : 0.0f;
      }
  else if (add)
    for (gsize i = 0; i < n; i++)
      y[i] = x[i] * scale + shift + add[i];
  else if (relu)
    for (gsize i = 0; i < n; i++)
      {
        float v = x[i] * scale + shift;

        y[i] = v > 0.0f ? v : 0.0f;
      }
  else
    for (gsize i = 0; i < n; i++)
      y[i] = x[i] * scale + shift;
}

BS_SIMD_CLONES void
bs_bn_row_backward_sums (float       *dy,
                         const float *relu_out,
                         const float *x,
                         gsize        n,
                         float        mean,
                         double      *sum_dy,
                         double      *sum_dy_xmu)
{
  double s[LANES] = { 0 }, p[LANES] = { 0 };
  double ts = 0.0, tp = 0.0;
  const double m = mean;
  gsize i = 0;

  if (relu_out)
    for (gsize k = 0; k < n; k++)
      dy[k] = relu_out[k] > 0.0f ? dy[k] : 0.0f;

  for (; i + LANES <= n; i += LANES)
    for (int j = 0; j < LANES; j++)
      {
        double g = dy[i + j];

        s[j] += g;
        p[j] += g * ((double) x[i + j] - m);
      }
  for (; i < n; i++)
    {
      double g = dy[i];

      ts += g;
      tp += g * ((double) x[i] - m);
    }
  for (int j = 0; j < LANES; j++)
    {
      ts += s[j];
      tp += p[j];
    }
  *sum_dy += ts;
  *sum_dy_xmu += tp;
}

BS_SIMD_CLONES void
bs_bn_row_backward_apply (const float *dy,
                          const float *x,
                          gsize        n,
                          float        k1,
                          float        k2,
                          float        k3,
                          float       *dx)
{
  for (gsize i = 0; i < n; i++)
    dx[i] = k1 * dy[i] + (k2 * x[i] + k3);
}

void
bs_bn_finish_stats (guint         channels,
                    gsize         count,
                    const double *sum,
                    const double *sumsq,
                    const float  *gamma,
                    const float  *beta,
                    float        *running_mean,
                    float        *running_var,
                    float        *mean,
                    float        *invstd,
                    float        *scale,
                    float        *shift)
{
  for (guint c = 0; c < channels; c++)
    {
      double m = sum[c] / count;
      double var = MAX (sumsq[c] / count - m * m, 0.0);
      double unbiased = count > 1 ? var * count / (count - 1) : var;
      float is = (float) (1.0 / sqrt (var + BS_BN_EPS));

      mean[c] = (float) m;
      invstd[c] = is;
      scale[c] = gamma[c] * is;
      shift[c] = beta[c] - (float) m * scale[c];
      /* In double, as PyTorch's CPU kernel does. */
      running_mean[c] = (float) (BS_BN_MOMENTUM * m + (1.0 - BS_BN_MOMENTUM) * running_mean[c]);
      running_var[c] = (float) (BS_BN_MOMENTUM * unbiased + (1.0 - BS_BN_MOMENTUM) * running_var[c]);
    }
}

void
bs_bn_eval_coeffs (guint        channels,
                   const float *gamma,
                   const float *beta,
                   const float *running_mean,
                   const float *running_var,
                   float       *scale,
                   float       *shift)
{
  for (guint c = 0; c < channels; c++)
    {
      float is = (float) (1.0 / sqrt ((double) running_var[c] + BS_BN_EPS));

      scale[c] = gamma[c] * is;
      shift[c] = beta[c] - running_mean[c] * scale[c];
    }
}

void
bs_bn_finish_backward (guint         channels,
                       gsize         count,
                       const double *sum_dy,
                       const double *sum_dy_xmu,
                       const float  *gamma,
                       const float  *mean,
                       const float  *invstd,
                       float        *dgamma,
                       float        *dbeta,
                       float        *k1,
                       float        *k2,
                       float        *k3)
{
  /* dx = gamma * invstd * (dy - mean(dy) - xhat * mean(dy * xhat)),
   * xhat = (x - mean) * invstd, so dx = k1 dy + k2 x + k3. */
  for (guint c = 0; c < channels; c++)
    {
      double is = invstd[c];
      double a = (double) gamma[c] * is;
      double b = -a * is * is * sum_dy_xmu[c] / count;

      dgamma[c] = (float) (sum_dy_xmu[c] * is);
      dbeta[c] = (float) sum_dy[c];
      k1[c] = (float) a;
      k2[c] = (float) b;
      k3[c] = (float) (-a * sum_dy[c] / count - b * mean[c]);
    }
}

typedef struct {
  guint        channels;
  gsize        n;
  const float *x;
  const float *scale;
  const float *shift;
  const float *add;
  const float *relu_out;
  const float *mean;
  float       *dy;
  float       *y;
  double      *sum;
  double      *sumsq;
  gboolean     relu;
} BnJob;

static void
sums_share (gpointer data,
            guint    thread,
            guint    n_threads)
{
  BnJob *job = data;
  gsize c0, c1;

  bs_split_range (job->channels, n_threads, thread, &c0, &c1);
  for (gsize c = c0; c < c1; c++)
    {
      job->sum[c] = job->sumsq[c] = 0.0;
      bs_bn_row_sums (job->x + c * job->n, job->n, &job->sum[c], &job->sumsq[c]);
    }
}

void
bs_bn_sums (BsThreadPool *pool,
            guint         channels,
            gsize         n,
            const float  *x,
            double       *sum,
            double       *sumsq)
{
  BnJob job = { .channels = channels, .n = n, .x = x, .sum = sum, .sumsq = sumsq };

  bs_thread_pool_run (pool, sums_share, &job);
}

static void
apply_share (gpointer data,
             guint    thread,
             guint    n_threads)
{
  BnJob *job = data;
  gsize c0, c1;

  bs_split_range (job->channels, n_threads, thread, &c0, &c1);
  for (gsize c = c0; c < c1; c++)
    bs_bn_row_apply (job->x + c * job->n, job->n, job->scale[c], job->shift[c],
                     job->add ? job->add + c * job->n : NULL, job->relu, job->y + c * job->n);
}

void
bs_bn_apply (BsThreadPool *pool,
             guint         channels,
             gsize         n,
             const float  *x,
             const float  *scale,
             const float  *shift,
             const float  *add,
             gboolean      relu,
             float        *y)
{
  BnJob job = { .channels = channels, .n = n, .x = x, .scale = scale, .shift = shift,
                .add = add, .relu = relu, .y = y };

  bs_thread_pool_run (pool, apply_share, &job);
}

static void
backward_sums_share (gpointer data,
                     guint    thread,
                     guint    n_threads)
{
  BnJob *job = data;
  gsize c0, c1;

  bs_split_range (job->channels, n_threads, thread, &c0, &c1);
  for (gsize c = c0; c < c1; c++)
    {
      job->sum[c] = job->sumsq[c] = 0.0;
      bs_bn_row_backward_sums (job->dy + c * job->n,
                               job->relu_out ? job->relu_out + c * job->n : NULL,
                               job->x + c * job->n, job->n, job->mean[c],
                               &job->sum[c], &job->sumsq[c]);
    }
}

void
bs_bn_backward_sums (BsThreadPool *pool,
                     guint         channels,
                     gsize         n,
                     float        *dy,
                     const float  *relu_out,
                     const float  *x,
                     const float  *mean,
                     double       *sum_dy,
                     double       *sum_dy_xmu)
{
  BnJob job = { .channels = channels, .n = n, .dy = dy, .relu_out = relu_out, .x = x,
                .mean = mean, .sum = sum_dy, .sumsq = sum_dy_xmu };

  bs_thread_pool_run (pool, backward_sums_share, &job);
}

typedef struct {
  guint        channels;
  gsize        n;
  const float *dy;
  const float *x;
  const float *k1;
  const float *k2;
  const float *k3;
  float       *dx;
} BnApplyJob;

static void
backward_apply_share (gpointer data,
                      guint    thread,
                      guint    n_threads)
{
  BnApplyJob *job = data;
  gsize c0, c1;

  bs_split_range (job->channels, n_threads, thread, &c0, &c1);
  for (gsize c = c0; c < c1; c++)
    bs_bn_row_backward_apply (job->dy + c * job->n, job->x + c * job->n, job->n,
                              job->k1[c], job->k2[c], job->k3[c], job->dx + c * job->n);
}

void
bs_bn_backward_apply (BsThreadPool *pool,
                      guint         channels,
                      gsize         n,
                      const float  *dy,
                      const float  *x,
                      const float  *k1,
                      const float  *k2,
                      const float  *k3,
                      float        *dx)
{
  BnApplyJob job = { .channels = channels, .n = n, .dy = dy, .x = x,
                     .k1 = k1, .k2 = k2, .k3 = k3, .dx = dx };

  bs_thread_pool_run (pool, backward_apply_share, &job);
}

double *
bs_bn_partial_sums (BsThreadPool *pool,
                    guint         thread,
                    guint         channels)
{
  /* Two doubles per channel: four floats. */
  return (double *) bs_thread_pool_scratch (pool, thread, BS_SCRATCH_STATS, 4 * (gsize) channels);
}

void
bs_bn_partial_sums_clear (BsThreadPool *pool,
                          guint         channels)
{
  guint n_threads = bs_thread_pool_get_n_threads (pool);

  for (guint t = 0; t < n_threads; t++)
    memset (bs_bn_partial_sums (pool, t, channels), 0, 2 * (gsize) channels * sizeof (double));
}

void
bs_bn_partial_sums_merge (BsThreadPool *pool,
                          guint         channels,
                          double       *sum,
                          double       *sumsq)
{
  guint n_threads = bs_thread_pool_get_n_threads (pool);

  for (guint c = 0; c < channels; c++)
    sum[c] = sumsq[c] = 0.0;
  for (guint t = 0; t < n_threads; t++)
    {
      const double *part = bs_bn_partial_sums (pool, t, channels);

      for (guint c = 0; c < channels; c++)
        {
          sum[c] += part[c];
          sumsq[c] += part[channels + c];
        }
    }
}
