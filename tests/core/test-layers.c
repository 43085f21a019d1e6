/* test-layers.c: the thread pool and every layer type of the engine but
 * the convolutions (test-conv.c) against slow, obviously correct
 * references (plain loops in double) and against central finite
 * differences of a scalar loss L = sum (r * y) with random r. */
#include <math.h>
#include <string.h>

#include "bs-batchnorm.h"
#include "bs-linear.h"
#include "bs-pooling.h"
#include "bs-relu.h"
#include "bs-softmax-xent.h"
#include "bs-thread-pool.h"
#include "layer-checks.h"

/* ---- thread pool ---------------------------------------------------------- */

static void
mark_share (gpointer data,
            guint    thread,
            guint    n_threads)
{
  guint *marks = data;

  /* Each thread writes only its own slots: marks[t] and marks[8 + t]. */
  marks[thread] += thread + 1;
  marks[8 + thread] = n_threads;
}

static void
test_pool (void)
{
  for (guint n = 1; n <= 4; n++)
    {
      BsThreadPool *pool = bs_thread_pool_new (n);
      guint marks[16] = { 0 };
      float *s;

      for (int round = 0; round < 100; round++)
        bs_thread_pool_run (pool, mark_share, marks);
      for (guint t = 0; t < n; t++)
        {
          g_assert_cmpuint (marks[t], ==, 100 * (t + 1));
          g_assert_cmpuint (marks[8 + t], ==, n);
        }
      g_assert_cmpuint (marks[n], ==, 0);

      s = bs_thread_pool_scratch (pool, n - 1, BS_SCRATCH_COL, 100);
      g_assert_true (((guintptr) s & 63) == 0);
      s[99] = 1.0f;
      g_assert_true (bs_thread_pool_scratch (pool, n - 1, BS_SCRATCH_COL, 50) == s);
      g_assert_cmpuint (bs_thread_pool_scratch_bytes (pool), >=, 400);
      bs_thread_pool_unref (pool);
    }
}

/* ---- batch norm ----------------------------------------------------------- */

typedef struct {
  BsThreadPool      *pool;
  guint        channels;
  gsize        n;
  float       *x;
  float       *gamma;
  float       *beta;
  float       *y;
  const float *r;
  gboolean     relu;
} BnFd;

static void
bn_train_forward (BnFd  *d,
                  float *running_mean,
                  float *running_var,
                  float *mean,
                  float *invstd)
{
  g_autofree double *sum = g_new0 (double, d->channels);
  g_autofree double *sumsq = g_new0 (double, d->channels);
  g_autofree float *scale = g_new (float, d->channels);
  g_autofree float *shift = g_new (float, d->channels);

  bs_bn_sums (d->pool, d->channels, d->n, d->x, sum, sumsq);
  bs_bn_finish_stats (d->channels, d->n, sum, sumsq, d->gamma, d->beta, running_mean, running_var,
                      mean, invstd, scale, shift);
  bs_bn_apply (d->pool, d->channels, d->n, d->x, scale, shift, NULL, d->relu, d->y);
}

static double
bn_loss (gpointer data)
{
  BnFd *d = data;
  g_autofree float *rm = g_new0 (float, d->channels);
  g_autofree float *rv = g_new0 (float, d->channels);
  g_autofree float *m = g_new0 (float, d->channels);
  g_autofree float *is = g_new0 (float, d->channels);

  bn_train_forward (d, rm, rv, m, is);
  return layer_dot (d->y, d->r, d->channels * d->n);
}

/* Skip inputs whose BN output sits within reach of the ReLU kink. */
static gboolean
bn_skip (gpointer data,
         gsize    index)
{
  BnFd *d = data;
  g_autofree float *rm = g_new0 (float, d->channels);
  g_autofree float *rv = g_new0 (float, d->channels);
  g_autofree float *m = g_new0 (float, d->channels);
  g_autofree float *is = g_new0 (float, d->channels);
  gboolean relu = d->relu;
  gsize c = index / d->n;

  if (!relu)
    return FALSE;
  /* Pre-ReLU values of the whole channel: a step moves all of them a little. */
  d->relu = FALSE;
  bn_train_forward (d, rm, rv, m, is);
  d->relu = relu;
  for (gsize i = 0; i < d->n; i++)
    if (fabs (d->y[c * d->n + i]) < 0.01)
      return TRUE;
  return FALSE;
}

static void
test_bn_reference (void)
{
  BsRng rng;
  const guint C = 5;
  const gsize n = 37;

  bs_rng_init (&rng, 3);
  for (guint threads = 1; threads <= 2; threads++)
    {
      BnFd d = { .pool = bs_thread_pool_new (threads), .channels = C, .n = n };
      g_autofree float *rm = layer_random_floats (&rng, C, 1.0);
      g_autofree float *rv = g_new (float, C);
      g_autofree float *rm0 = g_memdup2 (rm, C * sizeof (float));
      g_autofree float *rv0 = NULL;
      g_autofree float *mean = g_new (float, C), *invstd = g_new (float, C);
      g_autofree float *scale = g_new (float, C), *shift = g_new (float, C);
      g_autofree double *ref = g_new (double, C * n);
      g_autofree double *ref_rm = g_new (double, C), *ref_rv = g_new (double, C);

      for (guint c = 0; c < C; c++)
        rv[c] = 0.5f + c;
      rv0 = g_memdup2 (rv, C * sizeof (float));
      d.x = layer_random_floats (&rng, C * n, 2.0);
      for (gsize i = 0; i < C * n; i++)
        d.x[i] += 3.0f;  /* a mean far from 0 */
      d.gamma = layer_random_floats (&rng, C, 1.0);
      d.beta = layer_random_floats (&rng, C, 1.0);
      d.y = g_new (float, C * n);

      for (guint c = 0; c < C; c++)
        {
          double m = 0.0, v = 0.0;

          for (gsize i = 0; i < n; i++)
            m += d.x[c * n + i];
          m /= n;
          for (gsize i = 0; i < n; i++)
            v += (d.x[c * n + i] - m) * (d.x[c * n + i] - m);
          for (gsize i = 0; i < n; i++)
            ref[c * n + i] = d.gamma[c] * (d.x[c * n + i] - m) / sqrt (v / n + 1e-5) + d.beta[c];
          ref_rm[c] = 0.9 * rm0[c] + 0.1 * m;
          ref_rv[c] = 0.9 * rv0[c] + 0.1 * v / (n - 1);   /* unbiased */
        }

      bn_train_forward (&d, rm, rv, mean, invstd);
      layer_assert_close ("bn train forward", d.y, ref, C * n, 1e-5);
      layer_assert_close ("bn running_mean", rm, ref_rm, C, 1e-6);
      layer_assert_close ("bn running_var", rv, ref_rv, C, 1e-6);

      /* Evaluation uses the running statistics. */
      bs_bn_eval_coeffs (C, d.gamma, d.beta, rm, rv, scale, shift);
      bs_bn_apply (d.pool, C, n, d.x, scale, shift, NULL, TRUE, d.y);
      for (guint c = 0; c < C; c++)
        for (gsize i = 0; i < n; i++)
          ref[c * n + i] = MAX (0.0, d.gamma[c] * (d.x[c * n + i] - rm[c]) / sqrt (rv[c] + 1e-5) + d.beta[c]);
      layer_assert_close ("bn eval forward + relu", d.y, ref, C * n, 1e-5);

      g_free (d.x);
      g_free (d.gamma);
      g_free (d.beta);
      g_free (d.y);
      bs_thread_pool_unref (d.pool);
    }
}

static void
test_bn_gradcheck (void)
{
  BsRng rng;
  const guint C = 4;
  const gsize n = 30;

  bs_rng_init (&rng, 4);
  for (int relu = 0; relu <= 1; relu++)
    {
      BnFd d = { .pool = bs_thread_pool_new (2), .channels = C, .n = n, .relu = relu };
      g_autofree float *r = layer_random_floats (&rng, C * n, 1.0);
      g_autofree float *rm = g_new0 (float, C), *rv = g_new0 (float, C);
      g_autofree float *mean = g_new (float, C), *invstd = g_new (float, C);
      g_autofree float *dgamma = g_new (float, C), *dbeta = g_new (float, C);
      g_autofree float *k1 = g_new (float, C), *k2 = g_new (float, C), *k3 = g_new (float, C);
      g_autofree double *s1 = g_new (double, C), *s2 = g_new (double, C);
      g_autofree float *dy = NULL, *dx = g_new (float, C * n), *yout = NULL;

      d.x = layer_random_floats (&rng, C * n, 1.5);
      d.gamma = layer_random_floats (&rng, C, 1.0);
      d.beta = layer_random_floats (&rng, C, 0.5);
      d.y = g_new (float, C * n);
      d.r = r;

      bn_train_forward (&d, rm, rv, mean, invstd);
      yout = g_memdup2 (d.y, C * n * sizeof (float));
      dy = g_memdup2 (r, C * n * sizeof (float));
      /* With relu, dy is masked by the ReLU output inside the sums. */
      bs_bn_backward_sums (d.pool, C, n, dy, relu ? yout : NULL, d.x, mean, s1, s2);
      bs_bn_finish_backward (C, n, s1, s2, d.gamma, mean, invstd, dgamma, dbeta, k1, k2, k3);
      bs_bn_backward_apply (d.pool, C, n, dy, d.x, k1, k2, k3, dx);

      layer_check_gradient ("bn input", d.x, C * n, dx, bn_loss, bn_skip, &d, &rng, 40, 1e-3);
      layer_check_gradient ("bn weight", d.gamma, C, dgamma, bn_loss, bn_skip, &d, &rng, C, 1e-3);
      layer_check_gradient ("bn bias", d.beta, C, dbeta, bn_loss, bn_skip, &d, &rng, C, 1e-3);

      g_free (d.x);
      g_free (d.gamma);
      g_free (d.beta);
      g_free (d.y);
      bs_thread_pool_unref (d.pool);
    }
}

/* ---- ReLU and add ------------------------------------------------------------ */

typedef struct {
  BsThreadPool      *pool;
  gsize        n;
  float       *a;
  float       *b;
  float       *y;
  const float *r;
  gboolean     add;
} EwFd;

static double
ew_loss (gpointer data)
{
  EwFd *d = data;

  if (d->add)
    bs_add_forward (d->pool, d->n, d->a, d->b, TRUE, d->y);
  else
    bs_relu_forward (d->pool, d->n, d->a, d->y);
  return layer_dot (d->y, d->r, d->n);
}

static gboolean
ew_skip (gpointer data,
         gsize    index)
{
  EwFd *d = data;
  float v = d->a[index] + (d->add ? d->b[index] : 0.0f);

  return fabsf (v) < 0.05f;  /* the kink */
}

static void
test_relu_add (void)
{
  BsRng rng;
  BsThreadPool *pool = bs_thread_pool_new (2);
  /* Large enough to be split over threads. */
  const gsize n = 40000;
  g_autofree float *a = NULL, *b = NULL, *y = g_new (float, n), *r = NULL, *dx = g_new (float, n);
  EwFd d = { .pool = pool, .n = n };

  bs_rng_init (&rng, 5);
  a = layer_random_floats (&rng, n, 1.0);
  b = layer_random_floats (&rng, n, 1.0);
  r = layer_random_floats (&rng, n, 1.0);
  d.a = a;
  d.b = b;
  d.y = y;
  d.r = r;

  bs_relu_forward (pool, n, a, y);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (y[i], ==, a[i] > 0 ? a[i] : 0.0f);
  bs_relu_backward (pool, n, y, r, dx);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (dx[i], ==, a[i] > 0 ? r[i] : 0.0f);
  layer_check_gradient ("relu", a, n, dx, ew_loss, ew_skip, &d, &rng, 30, 1e-2);

  /* In place, as the model runs it. */
  memcpy (y, a, n * sizeof (float));
  bs_relu_forward (pool, n, y, y);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (y[i], ==, a[i] > 0 ? a[i] : 0.0f);

  /* add + relu: the gradient reaches both summands unchanged where active. */
  d.add = TRUE;
  bs_add_forward (pool, n, a, b, TRUE, y);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (y[i], ==, MAX (a[i] + b[i], 0.0f));
  bs_relu_backward (pool, n, y, r, dx);
  layer_check_gradient ("add (first summand)", a, n, dx, ew_loss, ew_skip, &d, &rng, 30, 1e-2);
  layer_check_gradient ("add (second summand)", b, n, dx, ew_loss, ew_skip, &d, &rng, 30, 1e-2);

  memcpy (y, a, n * sizeof (float));
  bs_add_inplace (pool, n, y, b);
  for (gsize i = 0; i < n; i++)
    g_assert_cmpfloat (y[i], ==, a[i] + b[i]);

  bs_thread_pool_unref (pool);
}

/* ---- pooling ---------------------------------------------------------------- */

typedef struct {
  BsThreadPool            *pool;
  BsMaxPoolGeometry  g;
  guint              channels;
  guint              batch;
  gsize              hw;
  float             *x;
  float             *y;
  const float       *r;
  gsize              ny;
  gboolean           max;
} PoolFd;

static double
pool_loss (gpointer data)
{
  PoolFd *d = data;

  if (d->max)
    bs_maxpool_forward (&d->g, d->pool, d->channels * d->batch, d->x, d->y, NULL);
  else
    bs_avgpool_forward (d->pool, d->channels, d->batch, d->hw, d->x, d->y);
  return layer_dot (d->y, d->r, d->ny);
}

static void
test_avgpool (void)
{
  BsRng rng;
  PoolFd d = { .pool = bs_thread_pool_new (2), .channels = 3, .batch = 4, .hw = 25 };
  gsize nx = d.channels * d.batch * d.hw;
  g_autofree float *r = NULL, *dx = g_new (float, nx);
  g_autofree double *ref = NULL;

  bs_rng_init (&rng, 6);
  d.ny = d.channels * d.batch;
  d.x = layer_random_floats (&rng, nx, 1.0);
  d.y = g_new (float, d.ny);
  r = layer_random_floats (&rng, d.ny, 1.0);
  d.r = r;
  ref = g_new0 (double, d.ny);

  pool_loss (&d);
  for (gsize p = 0; p < d.ny; p++)
    {
      for (gsize i = 0; i < d.hw; i++)
        ref[p] += d.x[p * d.hw + i] / d.hw;
    }
  layer_assert_close ("avgpool forward", d.y, ref, d.ny, 1e-6);

  bs_avgpool_backward (d.pool, d.channels, d.batch, d.hw, r, dx);
  layer_check_gradient ("avgpool", d.x, nx, dx, pool_loss, NULL, &d, &rng, 30, 1e-2);

  g_free (d.x);
  g_free (d.y);
  bs_thread_pool_unref (d.pool);
}

static void
test_maxpool (void)
{
  static const guint shapes[][5] = {
    /* kernel, stride, pad, h, w */
    { 3, 2, 1, 8, 8 },   /* torchvision's stem pool */
    { 3, 2, 1, 7, 5 },
    { 2, 2, 0, 6, 6 },
    { 3, 1, 1, 4, 3 },
  };
  BsRng rng;

  bs_rng_init (&rng, 7);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    {
      PoolFd d = { .pool = bs_thread_pool_new (2), .channels = 3, .batch = 2, .max = TRUE,
                   .g = { .kernel = shapes[s][0], .stride = shapes[s][1], .pad = shapes[s][2],
                          .in_h = shapes[s][3], .in_w = shapes[s][4] } };
      gsize nx, planes = d.channels * d.batch;
      g_autofree float *r = NULL, *dx = NULL;
      g_autofree double *ref = NULL;
      g_autofree guint32 *argmax = NULL, *perm = NULL;

      g_assert_true (bs_maxpool_geometry_init (&d.g));
      nx = planes * d.g.in_h * d.g.in_w;
      d.ny = planes * d.g.out_h * d.g.out_w;
      /* Distinct values 0.1 apart: a finite-difference step never changes a winner. */
      perm = g_new (guint32, nx);
      for (gsize i = 0; i < nx; i++)
        perm[i] = i;
      bs_rng_shuffle (&rng, perm, nx);
      d.x = g_new (float, nx);
      for (gsize i = 0; i < nx; i++)
        d.x[i] = 0.1f * perm[i] - 3.0f;
      d.y = g_new (float, d.ny);
      r = layer_random_floats (&rng, d.ny, 1.0);
      d.r = r;
      dx = g_new (float, nx);
      argmax = g_new (guint32, d.ny);
      ref = g_new (double, d.ny);

      bs_maxpool_forward (&d.g, d.pool, planes, d.x, d.y, argmax);
      for (gsize p = 0; p < planes; p++)
        for (guint oy = 0; oy < d.g.out_h; oy++)
          for (guint ox = 0; ox < d.g.out_w; ox++)
            {
              double best = -INFINITY;

              for (guint ky = 0; ky < d.g.kernel; ky++)
                for (guint kx = 0; kx < d.g.kernel; kx++)
                  {
                    int iy = (int) (oy * d.g.stride + ky) - (int) d.g.pad;
                    int ix = (int) (ox * d.g.stride + kx) - (int) d.g.pad;

                    if (iy >= 0 && ix >= 0 && iy < (int) d.g.in_h && ix < (int) d.g.in_w)
                      best = MAX (best, d.x[(p * d.g.in_h + iy) * d.g.in_w + ix]);
                  }
              ref[(p * d.g.out_h + oy) * d.g.out_w + ox] = best;
            }
      layer_assert_close ("maxpool forward", d.y, ref, d.ny, 0.0);

      bs_maxpool_backward (&d.g, d.pool, planes, r, argmax, dx);
      layer_check_gradient ("maxpool", d.x, nx, dx, pool_loss, NULL, &d, &rng, 40, 1e-2);

      g_free (d.x);
      g_free (d.y);
      bs_thread_pool_unref (d.pool);
    }
}

static void
test_maxpool_ties (void)
{
  /* All equal: PyTorch picks the first element of the window in scan order. */
  BsMaxPoolGeometry g = { .kernel = 3, .stride = 2, .pad = 1, .in_h = 4, .in_w = 4 };
  float x[16], y[4], dy[4] = { 1, 2, 3, 4 }, dx[16];
  guint32 argmax[4];
  BsThreadPool *pool = bs_thread_pool_new (1);

  g_assert_true (bs_maxpool_geometry_init (&g));
  for (int i = 0; i < 16; i++)
    x[i] = 1.0f;
  x[5] = NAN;  /* NaN wins the windows it is in */
  bs_maxpool_forward (&g, pool, 1, x, y, argmax);
  g_assert_cmpuint (argmax[0], ==, 5);
  g_assert_true (isnan (y[0]));
  g_assert_cmpuint (argmax[1], ==, 5);  /* window rows 0-2, cols 1-3 contains 5 */
  g_assert_cmpuint (argmax[2], ==, 5);
  g_assert_cmpuint (argmax[3], ==, 5);
  x[5] = 1.0f;
  bs_maxpool_forward (&g, pool, 1, x, y, argmax);
  g_assert_cmpuint (argmax[0], ==, 0);
  g_assert_cmpuint (argmax[1], ==, 1);
  g_assert_cmpuint (argmax[2], ==, 4);
  g_assert_cmpuint (argmax[3], ==, 5);
  bs_maxpool_backward (&g, pool, 1, dy, argmax, dx);
  g_assert_cmpfloat (dx[0], ==, 1.0f);
  g_assert_cmpfloat (dx[1], ==, 2.0f);
  g_assert_cmpfloat (dx[4], ==, 3.0f);
  g_assert_cmpfloat (dx[5], ==, 4.0f);
  g_assert_cmpfloat (dx[15], ==, 0.0f);
  bs_thread_pool_unref (pool);
}

/* Evaluation (no argmax) takes a separable path: the same values, bit for
 * bit, as the scan that records the winners, over ties, signed zeros,
 * infinities and NaN, on shapes up to the stem pool of 224 x 224 images and
 * one too large for the separable path. */
static void
test_maxpool_inference (void)
{
  static const guint shapes[][5] = {
    { 3, 2, 1, 16, 16 }, { 3, 2, 1, 7, 5 }, { 2, 2, 0, 6, 6 }, { 3, 1, 1, 4, 3 }, { 5, 3, 2, 9, 11 },
    { 3, 2, 1, 112, 112 }, { 3, 1, 1, 200, 100 },
  };
  static const float values[] = { 1.0f, -1.0f, 0.0f, -0.0f, 2.5f, INFINITY, -INFINITY, NAN };
  BsThreadPool *pool = bs_thread_pool_new (2);
  BsRng rng;

  bs_rng_init (&rng, 17);
  for (guint s = 0; s < G_N_ELEMENTS (shapes); s++)
    for (guint with_nan = 0; with_nan < 2; with_nan++)
      {
        BsMaxPoolGeometry g = { .kernel = shapes[s][0], .stride = shapes[s][1], .pad = shapes[s][2],
                                .in_h = shapes[s][3], .in_w = shapes[s][4] };
        const guint planes = 5;
        gsize nx, ny;
        g_autofree float *x = NULL, *y_scan = NULL, *y_fast = NULL;
        g_autofree guint32 *argmax = NULL;

        g_assert_true (bs_maxpool_geometry_init (&g));
        nx = (gsize) planes * g.in_h * g.in_w;
        ny = (gsize) planes * g.out_h * g.out_w;
        x = g_new (float, nx);
        for (gsize i = 0; i < nx; i++)
          x[i] = values[bs_rng_next (&rng) % (G_N_ELEMENTS (values) - (with_nan ? 0 : 1))];
        if (with_nan)  /* NaN of two payloads: the first in window order wins */
          for (gsize i = 0; i < nx; i += 7)
            if (isnan (x[i]))
              x[i] = -x[i];
        y_scan = g_new (float, ny);
        y_fast = g_new (float, ny);
        argmax = g_new (guint32, ny);
        bs_maxpool_forward (&g, pool, planes, x, y_scan, argmax);
        bs_maxpool_forward (&g, pool, planes, x, y_fast, NULL);
        g_assert_cmpmem (y_fast, ny * sizeof (float), y_scan, ny * sizeof (float));
      }
  bs_thread_pool_unref (pool);
}

/* ---- linear and loss ---------------------------------------------------------- */

typedef struct {
  guint        in;
  guint        out;
  guint        batch;
  float       *x;
  float       *w;
  float       *b;
  float       *y;
  const float *r;
} FcFd;

static double
fc_loss (gpointer data)
{
  FcFd *d = data;

  bs_linear_forward (d->in, d->out, d->batch, d->x, d->w, d->b, d->y);
  return layer_dot (d->y, d->r, d->out * d->batch);
}

static void
test_linear (void)
{
  BsRng rng;
  FcFd d = { .in = 7, .out = 5, .batch = 4 };
  g_autofree float *r = NULL, *dw = NULL, *db = NULL, *dx = NULL;
  g_autofree double *ref = NULL;

  bs_rng_init (&rng, 8);
  d.x = layer_random_floats (&rng, d.in * d.batch, 1.0);
  d.w = layer_random_floats (&rng, d.out * d.in, 1.0);
  d.b = layer_random_floats (&rng, d.out, 1.0);
  d.y = g_new (float, d.out * d.batch);
  r = layer_random_floats (&rng, d.out * d.batch, 1.0);
  d.r = r;
  dw = g_new (float, d.out * d.in);
  db = g_new (float, d.out);
  dx = g_new (float, d.in * d.batch);
  ref = g_new (double, d.out * d.batch);

  fc_loss (&d);
  for (guint o = 0; o < d.out; o++)
    for (guint n = 0; n < d.batch; n++)
      {
        double s = d.b[o];

        for (guint i = 0; i < d.in; i++)
          s += (double) d.w[o * d.in + i] * d.x[i * d.batch + n];
        ref[o * d.batch + n] = s;
      }
  layer_assert_close ("fc forward", d.y, ref, d.out * d.batch, 1e-6);

  bs_linear_backward (d.in, d.out, d.batch, d.x, d.w, r, dw, db, dx);
  layer_check_gradient ("fc weight", d.w, d.out * d.in, dw, fc_loss, NULL, &d, &rng, 20, 1e-2);
  layer_check_gradient ("fc bias", d.b, d.out, db, fc_loss, NULL, &d, &rng, d.out, 1e-2);
  layer_check_gradient ("fc input", d.x, d.in * d.batch, dx, fc_loss, NULL, &d, &rng, 20, 1e-2);

  g_free (d.x);
  g_free (d.w);
  g_free (d.b);
  g_free (d.y);
}

typedef struct {
  guint         batch;
  guint         classes;
  float        *z;
  const guint8 *labels;
} XentFd;

static double
xent_loss (gpointer data)
{
  XentFd *d = data;

  return bs_softmax_xent (d->batch, d->classes, d->z, d->labels, NULL);
}

static void
test_softmax_xent (void)
{
  BsRng rng;
  guint8 labels[6] = { 0, 3, 2, 2, 1, 3 };
  XentFd d = { .batch = 6, .classes = 4, .labels = labels };
  g_autofree float *dz = g_new (float, 24);
  double ref = 0.0;
  float loss;

  bs_rng_init (&rng, 9);
  d.z = layer_random_floats (&rng, 24, 2.0);
  d.z[5] = 80.0f;  /* large logits must not overflow */

  loss = bs_softmax_xent (d.batch, d.classes, d.z, labels, dz);
  for (guint n = 0; n < d.batch; n++)
    {
      double m = -INFINITY, s = 0.0;

      for (guint k = 0; k < d.classes; k++)
        m = MAX (m, d.z[n * 4 + k]);
      for (guint k = 0; k < d.classes; k++)
        s += exp (d.z[n * 4 + k] - m);
      ref += (m + log (s) - d.z[n * 4 + labels[n]]) / d.batch;
    }
  g_assert_cmpfloat_with_epsilon (loss, ref, 1e-5 * fabs (ref));
  layer_check_gradient ("softmax cross-entropy", d.z, 24, dz, xent_loss, NULL, &d, &rng, 24, 1e-2);

  /* Uniform logits: the loss is log(classes). */
  memset (d.z, 0, 24 * sizeof (float));
  g_assert_cmpfloat_with_epsilon (bs_softmax_xent (6, 4, d.z, labels, NULL), log (4.0), 1e-6);
  g_free (d.z);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/layers/pool", test_pool);
  g_test_add_func ("/layers/batchnorm/reference", test_bn_reference);
  g_test_add_func ("/layers/batchnorm/gradcheck", test_bn_gradcheck);
  g_test_add_func ("/layers/relu-add", test_relu_add);
  g_test_add_func ("/layers/avgpool", test_avgpool);
  g_test_add_func ("/layers/maxpool", test_maxpool);
  g_test_add_func ("/layers/maxpool/ties", test_maxpool_ties);
  g_test_add_func ("/layers/maxpool/inference", test_maxpool_inference);
  g_test_add_func ("/layers/linear", test_linear);
  g_test_add_func ("/layers/softmax-xent", test_softmax_xent);

  return g_test_run ();
}
