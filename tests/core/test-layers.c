/* test-layers.c: every layer type of the engine against slow, obviously
 * correct references (plain loops in double) and against central finite
 * differences of a scalar loss L = sum (r * y) with random r. */
#include <math.h>
#include <string.h>

#include "bs-batchnorm.h"
#include "bs-conv.h"
#include "bs-conv-direct.h"
#include "bs-conv-winograd.h"
#include "bs-linear.h"
#include "bs-thread-pool.h"
#include "bs-pooling.h"
#include "bs-relu.h"
#include "bs-rng.h"
#include "bs-softmax-xent.h"

/* ---- helpers -------------------------------------------------------------- */

static float *
random_floats (BsRng *rng,
               gsize  n,
               double scale)
{
  float *p = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    p[i] = (float) (scale * bs_rng_normal (rng));
  return p;
}

static double
dot (const float *a,
     const float *b,
     gsize        n)
{
  double s = 0.0;

  for (gsize i = 0; i < n; i++)
    s += (double) a[i] * b[i];
  return s;
}

/* max (1, max |b|): what the tolerances below are relative to. */
static double
reference_scale (const double *b,
                 gsize         n)
{
  double scale = 1.0;

  for (gsize i = 0; i < n; i++)
    scale = MAX (scale, fabs (b[i]));
  return scale;
}

/* max |a - b| and where it is; NaN (at the first NaN) if any difference is NaN. */
static double
max_abs_error (const float  *a,
               const double *b,
               gsize         n,
               gsize        *where)
{
  double worst = 0.0;

  *where = 0;
  for (gsize i = 0; i < n && !isnan (worst); i++)
    if (!(fabs (a[i] - b[i]) <= worst))
      {
        worst = fabs (a[i] - b[i]);
        *where = i;
      }
  return worst;
}

/* max |a - b| <= tol * max (1, max |b|) */
static void
assert_close (const char   *what,
              const float  *a,
              const double *b,
              gsize         n,
              double        tol)
{
  double scale = reference_scale (b, n);
  gsize where;

  if (!(max_abs_error (a, b, n, &where) <= tol * scale))
    g_error ("%s: element %" G_GSIZE_FORMAT " is %.9g, expected %.9g (scale %g)",
             what, where, a[where], b[where], scale);
}

typedef double (*LossFunc) (gpointer data);
typedef gboolean (*SkipFunc) (gpointer data, gsize index);

/* Central differences of loss with respect to values[i] at n_checks random
 * indices, against analytic[i]. Steps are taken exactly as float allows. */
static void
check_gradient (const char *what,
                float      *values,
                gsize       n,
                const float *analytic,
                LossFunc    loss,
                SkipFunc    skip,
                gpointer    data,
                BsRng      *rng,
                guint       n_checks,
                double      h)
{
  gboolean exhaustive = n_checks >= n;
  guint attempts = exhaustive ? n : 4 * n_checks;
  guint checked = 0;

  for (guint attempt = 0; attempt < attempts && checked < n_checks; attempt++)
    {
      gsize i = exhaustive ? attempt : bs_rng_below (rng, n);
      float v = values[i];
      float vp = (float) (v + h), vm = (float) (v - h);
      double lp, lm, numeric, tol;

      if (skip && skip (data, i))
        continue;
      values[i] = vp;
      lp = loss (data);
      values[i] = vm;
      lm = loss (data);
      values[i] = v;
      numeric = (lp - lm) / ((double) vp - vm);
      tol = 2e-3 + 1e-2 * fabs (numeric);
      if (!(fabs (numeric - analytic[i]) <= tol))
        g_error ("%s: gradient at %" G_GSIZE_FORMAT " is %.7g, finite differences give %.7g",
                 what, i, analytic[i], numeric);
      checked++;
    }
  g_assert_cmpuint (checked, >=, MIN (n_checks, n) / 2);
}

/* ---- thread pool ---------------------------------------------------------- */

static void
mark_share (gpointer data,
            guint    thread,
            guint    n_threads)
{
  guint *marks = data;

  marks[thread] += thread + 1;
  marks[n_threads] = n_threads;
}

static void
test_pool (void)
{
  for (guint n = 1; n <= 4; n++)
    {
      BsThreadPool *pool = bs_thread_pool_new (n);
      guint marks[8] = { 0 };
      float *s;

      for (int round = 0; round < 100; round++)
        bs_thread_pool_run (pool, mark_share, marks);
      for (guint t = 0; t < n; t++)
        g_assert_cmpuint (marks[t], ==, 100 * (t + 1));
      g_assert_cmpuint (marks[n], ==, n);

      s = bs_thread_pool_scratch (pool, n - 1, BS_SCRATCH_COL, 100);
      g_assert_true (((guintptr) s & 63) == 0);
      s[99] = 1.0f;
      g_assert_true (bs_thread_pool_scratch (pool, n - 1, BS_SCRATCH_COL, 50) == s);
      g_assert_cmpuint (bs_thread_pool_scratch_bytes (pool), >=, 400);
      bs_thread_pool_unref (pool);
    }
}

/* ---- convolution ---------------------------------------------------------- */

typedef struct {
  guint in_c, out_c, k, s, p, h, w;
} ConvCase;

static const ConvCase conv_cases[] = {
  { 3, 8, 3, 1, 1, 9, 7 },    /* the CIFAR 3x3 (direct kernels: one partial vector per row) */
  { 5, 6, 3, 1, 1, 8, 8 },    /* direct: whole vectors, channels not a multiple of 4 */
  { 4, 5, 3, 1, 1, 5, 17 },   /* direct: 8 + 8 + 1 lanes per row */
  { 6, 12, 3, 1, 1, 4, 4 },   /* too narrow for the direct kernels */
  { 3, 5, 3, 2, 1, 16, 15 },  /* direct stride 2: 8x8 out, odd input width */
  { 2, 4, 3, 2, 1, 15, 18 },  /* direct stride 2: 8x9 out */
  { 4, 6, 3, 2, 1, 9, 8 },    /* strided 3x3, odd and even sizes */
  { 5, 7, 1, 1, 0, 6, 5 },    /* 1x1: no im2col */
  { 6, 5, 1, 2, 0, 7, 7 },    /* 1x1 stride-2 projection */
  { 3, 4, 7, 2, 3, 11, 10 },  /* the ImageNet stem */
  { 2, 3, 3, 1, 0, 5, 6 },    /* no padding */
  { 2, 3, 3, 2, 1, 2, 2 },    /* tiny maps (layer4 of a bottleneck net at 32x32) */
};

typedef struct {
  BsConvGeometry g;
  guint          batch;
  const float   *x;
  const float   *w;
  double        *y;
} RefConv;

static void
ref_conv_forward (const BsConvGeometry *g,
                  guint                 batch,
                  const float          *x,
                  const float          *w,
                  double               *y)
{
  for (guint co = 0; co < g->out_c; co++)
    for (guint n = 0; n < batch; n++)
      for (guint oy = 0; oy < g->out_h; oy++)
        for (guint ox = 0; ox < g->out_w; ox++)
          {
            double s = 0.0;

            for (guint ci = 0; ci < g->in_c; ci++)
              for (guint ky = 0; ky < g->kernel; ky++)
                for (guint kx = 0; kx < g->kernel; kx++)
                  {
                    int iy = (int) (oy * g->stride + ky) - (int) g->pad;
                    int ix = (int) (ox * g->stride + kx) - (int) g->pad;

                    if (iy < 0 || ix < 0 || iy >= (int) g->in_h || ix >= (int) g->in_w)
                      continue;
                    s += (double) w[((co * g->in_c + ci) * g->kernel + ky) * g->kernel + kx] *
                         x[((gsize) (ci * batch + n) * g->in_h + iy) * g->in_w + ix];
                  }
            y[((gsize) (co * batch + n) * g->out_h + oy) * g->out_w + ox] = s;
          }
}

static void
ref_conv_backward (const BsConvGeometry *g,
                   guint                 batch,
                   const float          *x,
                   const float          *w,
                   const float          *dy,
                   double               *dw,
                   double               *dx)
{
  memset (dw, 0, sizeof (double) * g->out_c * g->in_c * g->kernel * g->kernel);
  memset (dx, 0, sizeof (double) * g->in_c * batch * g->in_h * g->in_w);
  for (guint co = 0; co < g->out_c; co++)
    for (guint n = 0; n < batch; n++)
      for (guint oy = 0; oy < g->out_h; oy++)
        for (guint ox = 0; ox < g->out_w; ox++)
          {
            double d = dy[((gsize) (co * batch + n) * g->out_h + oy) * g->out_w + ox];

            for (guint ci = 0; ci < g->in_c; ci++)
              for (guint ky = 0; ky < g->kernel; ky++)
                for (guint kx = 0; kx < g->kernel; kx++)
                  {
                    int iy = (int) (oy * g->stride + ky) - (int) g->pad;
                    int ix = (int) (ox * g->stride + kx) - (int) g->pad;
                    gsize wi = ((co * g->in_c + ci) * g->kernel + ky) * g->kernel + kx;
                    gsize xi;

                    if (iy < 0 || ix < 0 || iy >= (int) g->in_h || ix >= (int) g->in_w)
                      continue;
                    xi = ((gsize) (ci * batch + n) * g->in_h + iy) * g->in_w + ix;
                    dw[wi] += d * x[xi];
                    dx[xi] += d * w[wi];
                  }
          }
}

typedef struct {
  const float *dy;
  gsize        ld;
  guint        out_c;
  gsize        cols_seen;
  gsize        dx_cols_seen;
  GMutex       lock;
} HookCheck;

static void
copy_dy (gpointer data,
         guint    thread,
         float   *dst,
         gsize    col0,
         gsize    ncols)
{
  HookCheck *hc = data;

  for (guint c = 0; c < hc->out_c; c++)
    memcpy (dst + c * ncols, hc->dy + c * hc->ld + col0, ncols * sizeof (float));
  g_mutex_lock (&hc->lock);
  hc->cols_seen += ncols;
  g_mutex_unlock (&hc->lock);
}

static void
count_dx (gpointer data,
          guint    thread,
          float   *p,
          gsize    ld,
          guint    n_rows,
          gsize    col0,
          gsize    ncols)
{
  HookCheck *hc = data;

  g_mutex_lock (&hc->lock);
  hc->dx_cols_seen += ncols;
  g_mutex_unlock (&hc->lock);
}

static void
conv_reference_cases (gboolean portable)
{
  BsRng rng;
  const guint batch = 5;

  bs_rng_init (&rng, 1);
  for (guint ci = 0; ci < G_N_ELEMENTS (conv_cases); ci++)
    for (guint threads = 1; threads <= 3; threads++)
      for (int tiny_chunks = 0; tiny_chunks <= 1; tiny_chunks++)
        {
          const ConvCase *cc = &conv_cases[ci];
          BsConvGeometry g = { .in_c = cc->in_c, .out_c = cc->out_c, .kernel = cc->k,
                               .stride = cc->s, .pad = cc->p, .in_h = cc->h, .in_w = cc->w };
          BsEngineConfig config = *bs_engine_config_get_default ();
          BsThreadPool *pool;
          gsize nx, ny, nw;
          g_autofree float *x = NULL, *w = NULL, *y = NULL, *dy = NULL, *dw = NULL, *dx = NULL, *dx0 = NULL;
          g_autofree double *ry = NULL, *rdw = NULL, *rdx = NULL;
          HookCheck hc = { 0 };
          BsConvHooks hooks = { .make_dy = copy_dy, .backward_done = count_dx, .data = &hc };

          g_assert_true (bs_conv_geometry_init (&g));
          config.threads = threads;
          config.portable_conv = portable;
          config.conv_chunk_bytes = tiny_chunks ? 1 : 0;
          pool = bs_thread_pool_new_for_config (&config);
          nx = (gsize) g.in_c * batch * g.in_h * g.in_w;
          ny = (gsize) g.out_c * batch * g.out_h * g.out_w;
          nw = (gsize) g.out_c * g.in_c * g.kernel * g.kernel;
          x = random_floats (&rng, nx, 1.0);
          w = random_floats (&rng, nw, 0.3);
          dy = random_floats (&rng, ny, 1.0);
          y = g_new (float, ny);
          dw = g_new (float, nw);
          dx = g_new (float, nx);
          ry = g_new (double, ny);
          rdw = g_new (double, nw);
          rdx = g_new (double, nx);

          bs_conv_forward (&g, pool, batch, x, w, y, NULL);
          ref_conv_forward (&g, batch, x, w, ry);
          assert_close ("conv forward", y, ry, ny, 1e-5);

          /* Overwriting backward. */
          ref_conv_backward (&g, batch, x, w, dy, rdw, rdx);
          memset (dx, 0x7f, nx * sizeof (float));  /* garbage that must be overwritten */
          bs_conv_backward (&g, pool, batch, x, w, dy, dw, dx, FALSE, NULL);
          assert_close ("conv dw", dw, rdw, nw, 1e-5);
          assert_close ("conv dx", dx, rdx, nx, 1e-5);

          /* Accumulating backward with dy from a hook. */
          dx0 = random_floats (&rng, nx, 1.0);
          memcpy (dx, dx0, nx * sizeof (float));
          for (gsize i = 0; i < nx; i++)
            rdx[i] += dx0[i];
          hc.dy = dy;
          hc.ld = (gsize) batch * g.out_h * g.out_w;
          hc.out_c = g.out_c;
          g_mutex_init (&hc.lock);
          bs_conv_backward (&g, pool, batch, x, w, NULL, dw, dx, TRUE, &hooks);
          g_mutex_clear (&hc.lock);
          assert_close ("conv dw (hooks)", dw, rdw, nw, 1e-5);
          assert_close ("conv dx (accumulated)", dx, rdx, nx, 1e-5);
          g_assert_cmpuint (hc.cols_seen, ==, hc.ld);
          g_assert_cmpuint (hc.dx_cols_seen, ==, (gsize) batch * g.in_h * g.in_w);

          bs_thread_pool_unref (pool);
        }
}

/* The fastest kernels this CPU runs: the AVX2 + FMA ones where it has them. */
static void
test_conv_reference (void)
{
  if (!bs_engine_config_conv_avx2 (bs_engine_config_get_default ()))
    g_test_skip ("this CPU has no AVX2 and FMA: the portable kernels run here, checked by the next test");
  conv_reference_cases (FALSE);
}

/* The same with the portable version of the direct 3x3 kernels. */
static void
test_conv_reference_generic (void)
{
  BsEngineConfig config = *bs_engine_config_get_default ();

  config.portable_conv = TRUE;
  g_assert_false (bs_engine_config_conv_avx2 (&config));
  g_assert_false (bs_engine_config_winograd (&config));
  conv_reference_cases (TRUE);
}

/* forward_done: every output column exactly once, after it is written. */
typedef struct {
  const double *want;
  double        tol;     /* absolute */
  gsize         ld;
  guint        *seen;    /* per column */
  GMutex        lock;
  gboolean      wrong;
} ForwardCheck;

static void
check_forward_chunk (gpointer data,
                     guint    thread,
                     float   *p,
                     gsize    ld,
                     guint    n_rows,
                     gsize    col0,
                     gsize    ncols)
{
  ForwardCheck *fc = data;

  g_mutex_lock (&fc->lock);
  for (gsize j = 0; j < ncols; j++)
    {
      fc->seen[col0 + j]++;
      for (guint r = 0; r < n_rows; r++)
        if (!(fabs (p[r * ld + j] - fc->want[r * ld + col0 + j]) <= fc->tol))
          fc->wrong = TRUE;
    }
  g_mutex_unlock (&fc->lock);
}

/* Winograd's F(4x4, 3x3) and F(2x2, 3x3) against the double reference, over
 * the shapes they take (8 tiles in a row, two rows of 4, or F(4x4)'s 2 x 2
 * tiles of 8 x 8 maps in pairs of images, odd batches included; F(2x2) for
 * the rest and for all when F(4x4) is switched off), in tiny and normal
 * chunks on 1 and 3 threads; the shapes they do not take fall back to the
 * direct path. */
/* Chunks of images fill whole blocks of tiles (24 tiles in F(4x4), 8 per
 * group), and stay within the images a thread has; wide layers take F(4x4). */
static void
test_conv_winograd_chunks (void)
{
  static const guint cases[][4] = {  /* channels, size, images per full block, F(4x4) */
    { 16, 32, 3, 1 }, { 32, 16, 3, 1 }, { 64, 8, 6, 1 }, { 64, 32, 3, 1 }, { 256, 8, 6, 1 },
  };

  const BsEngineConfig *config = bs_engine_config_get_default ();

  if (!bs_engine_config_winograd (config))
    {
      g_test_skip ("this CPU has no AVX2 and FMA, which Winograd convolutions need");
      return;
    }
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      BsConvGeometry g = { .in_c = cases[k][0], .out_c = cases[k][0], .kernel = 3, .stride = 1,
                           .pad = 1, .in_h = cases[k][1], .in_w = cases[k][1] };
      guint unit = cases[k][2];
      guint tile;

      g_assert_true (bs_conv_geometry_init (&g));
      tile = bs_conv_winograd_tile (&g, config);
      g_assert_cmpuint (tile, ==, cases[k][3] ? 4 : 2);
      /* F(2x2) needs 16 floats per channel pair, F(4x4) 36. */
      g_assert_cmpuint (bs_conv_winograd_weights_size (&g, tile), ==,
                        (gsize) (cases[k][3] ? 36 : 16) * g.in_c * g.out_c);
      for (guint max = 1; max <= 130; max++)
        for (gsize budget = 1024; budget <= 4 << 20; budget *= 8)
          {
            guint n = bs_conv_winograd_chunk_images (&g, tile, max, budget);

            g_assert_cmpuint (n, >=, 1);
            g_assert_cmpuint (n, <=, max);
            if (max >= unit)
              g_assert_cmpuint (n % unit, ==, 0);
          }
    }
}

static void
test_conv_winograd (void)
{
  static const guint cases[][5] = {  /* in_c, out_c, h, w, batch */
    { 8, 4, 32, 32, 3 }, { 9, 8, 16, 16, 2 }, { 13, 12, 8, 8, 5 }, { 16, 16, 32, 32, 2 },
    { 8, 4, 8, 16, 3 }, { 10, 8, 16, 8, 3 }, { 64, 64, 8, 8, 9 }, { 8, 8, 64, 64, 1 },
    { 32, 32, 16, 16, 3 }, { 8, 4, 12, 16, 2 }, { 64, 64, 8, 8, 4 }, { 8, 4, 8, 8, 1 },
    { 128, 128, 8, 8, 2 }, { 256, 256, 16, 16, 1 },   /* wide: F(4x4) too, 2.3 and 9 MB of weights */
    /* not taken: 28 / 2 tiles per row, 6 output channels, 3 input channels */
    { 8, 4, 28, 28, 2 }, { 8, 6, 16, 16, 2 }, { 3, 16, 32, 32, 2 },
  };
  double worst[2] = { 0, 0 };   /* F(4x4) allowed, F(2x2) only */
  BsRng rng;

  /* Without AVX2 and FMA every case runs the direct kernels: still checked
   * against the reference, but Winograd itself is not. */
  if (!bs_engine_config_winograd (bs_engine_config_get_default ()))
    g_test_skip ("this CPU has no AVX2 and FMA: only the direct fallback is checked");
  bs_rng_init (&rng, 2021);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    for (guint threads = 1; threads <= 3; threads += 2)
      for (guint tiny = 0; tiny < 2; tiny++)
        for (guint only2 = 0; only2 < 2; only2++)
        {
          BsConvGeometry g = { .in_c = cases[k][0], .out_c = cases[k][1], .kernel = 3, .stride = 1,
                               .pad = 1, .in_h = cases[k][2], .in_w = cases[k][3] };
          guint batch = cases[k][4];
          BsEngineConfig config = *bs_engine_config_get_default ();
          BsThreadPool *pool;
          gsize nx, ny;
          g_autofree float *x = NULL, *w = NULL, *y = NULL;
          g_autofree double *ry = NULL;
          g_autofree guint *seen = NULL;
          ForwardCheck fc = { 0 };
          BsConvHooks hooks = { .forward_done = check_forward_chunk, .data = &fc };
          gboolean takes = k < 14;
          gsize where;

          g_assert_true (bs_conv_geometry_init (&g));
          config.threads = threads;
          config.conv_chunk_bytes = tiny ? 1 : 0;
          config.winograd_max_tile = only2 ? 2 : 4;
          pool = bs_thread_pool_new_for_config (&config);
          if (bs_engine_config_winograd (&config))
            {
              guint tile = bs_conv_winograd_tile (&g, &config);

              g_assert_cmpint (tile != 0, ==, takes);
              g_assert_true (tile == 0 || tile == 2 || (tile == 4 && !only2));
            }
          nx = (gsize) g.in_c * batch * g.in_h * g.in_w;
          ny = (gsize) g.out_c * batch * g.out_h * g.out_w;
          x = random_floats (&rng, nx, 1.0);
          w = random_floats (&rng, (gsize) g.out_c * g.in_c * 9, 0.3);
          y = g_new (float, ny);
          ry = g_new (double, ny);
          seen = g_new0 (guint, (gsize) batch * g.out_h * g.out_w);
          ref_conv_forward (&g, batch, x, w, ry);

          fc.want = ry;
          fc.tol = 1e-5 * reference_scale (ry, ny);   /* as assert_close below */
          fc.seen = seen;
          fc.ld = (gsize) batch * g.out_h * g.out_w;
          g_mutex_init (&fc.lock);
          memset (y, 0x7f, ny * sizeof (float));   /* garbage that must be overwritten */
          bs_conv_forward_inference (&g, NULL, pool, batch, x, w, y, &hooks);
          assert_close ("winograd forward", y, ry, ny, 1e-5);
          worst[only2] = MAX (worst[only2], max_abs_error (y, ry, ny, &where) / reference_scale (ry, ny));
          g_assert_false (fc.wrong);
          for (gsize j = 0; j < fc.ld; j++)
            g_assert_cmpuint (seen[j], ==, 1);
          g_mutex_clear (&fc.lock);
          bs_thread_pool_unref (pool);
        }
  g_test_message ("largest error relative to the largest output: %.2g with F(4x4), %.2g with F(2x2) only",
                  worst[0], worst[1]);
}

typedef struct {
  BsConvGeometry g;
  BsThreadPool        *pool;
  guint          batch;
  float         *x;
  float         *w;
  float         *y;
  const float   *r;
  gsize          ny;
} ConvFd;

static double
conv_loss (gpointer data)
{
  ConvFd *d = data;

  bs_conv_forward (&d->g, d->pool, d->batch, d->x, d->w, d->y, NULL);
  return dot (d->y, d->r, d->ny);
}

static void
test_conv_gradcheck (void)
{
  BsRng rng;

  bs_rng_init (&rng, 2);
  for (guint ci = 0; ci < G_N_ELEMENTS (conv_cases); ci++)
    {
      const ConvCase *cc = &conv_cases[ci];
      ConvFd d = { .g = { .in_c = cc->in_c, .out_c = cc->out_c, .kernel = cc->k,
                          .stride = cc->s, .pad = cc->p, .in_h = cc->h, .in_w = cc->w },
                   .batch = 3 };
      gsize nx, nw;
      g_autofree float *r = NULL, *dw = NULL, *dx = NULL;

      g_assert_true (bs_conv_geometry_init (&d.g));
      d.pool = bs_thread_pool_new (2);
      nx = (gsize) d.g.in_c * d.batch * d.g.in_h * d.g.in_w;
      nw = (gsize) d.g.out_c * d.g.in_c * d.g.kernel * d.g.kernel;
      d.ny = (gsize) d.g.out_c * d.batch * d.g.out_h * d.g.out_w;
      d.x = random_floats (&rng, nx, 1.0);
      d.w = random_floats (&rng, nw, 0.3);
      d.y = g_new (float, d.ny);
      r = random_floats (&rng, d.ny, 1.0);
      d.r = r;
      dw = g_new (float, nw);
      dx = g_new (float, nx);

      bs_conv_backward (&d.g, d.pool, d.batch, d.x, d.w, r, dw, dx, FALSE, NULL);
      check_gradient ("conv weight", d.w, nw, dw, conv_loss, NULL, &d, &rng, 30, 1e-2);
      check_gradient ("conv input", d.x, nx, dx, conv_loss, NULL, &d, &rng, 30, 1e-2);

      g_free (d.x);
      g_free (d.w);
      g_free (d.y);
      bs_thread_pool_unref (d.pool);
    }
}

static void
test_conv_geometry (void)
{
  BsConvGeometry bad = { .in_c = 1, .out_c = 1, .kernel = 7, .stride = 2, .pad = 0, .in_h = 5, .in_w = 5 };
  BsConvGeometry ok = { .in_c = 1, .out_c = 1, .kernel = 7, .stride = 2, .pad = 3, .in_h = 1, .in_w = 1 };

  g_assert_false (bs_conv_geometry_init (&bad));
  g_assert_true (bs_conv_geometry_init (&ok));
  g_assert_cmpuint (ok.out_h, ==, 1);
  ok.in_h = ok.in_w = 32;
  g_assert_true (bs_conv_geometry_init (&ok));
  g_assert_cmpuint (ok.out_h, ==, 16);
  g_assert_cmpuint (ok.out_w, ==, 16);
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
  return dot (d->y, d->r, d->channels * d->n);
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
      g_autofree float *rm = random_floats (&rng, C, 1.0);
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
      d.x = random_floats (&rng, C * n, 2.0);
      for (gsize i = 0; i < C * n; i++)
        d.x[i] += 3.0f;  /* a mean far from 0 */
      d.gamma = random_floats (&rng, C, 1.0);
      d.beta = random_floats (&rng, C, 1.0);
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
      assert_close ("bn train forward", d.y, ref, C * n, 1e-5);
      assert_close ("bn running_mean", rm, ref_rm, C, 1e-6);
      assert_close ("bn running_var", rv, ref_rv, C, 1e-6);

      /* Evaluation uses the running statistics. */
      bs_bn_eval_coeffs (C, d.gamma, d.beta, rm, rv, scale, shift);
      bs_bn_apply (d.pool, C, n, d.x, scale, shift, NULL, TRUE, d.y);
      for (guint c = 0; c < C; c++)
        for (gsize i = 0; i < n; i++)
          ref[c * n + i] = MAX (0.0, d.gamma[c] * (d.x[c * n + i] - rm[c]) / sqrt (rv[c] + 1e-5) + d.beta[c]);
      assert_close ("bn eval forward + relu", d.y, ref, C * n, 1e-5);

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
      g_autofree float *r = random_floats (&rng, C * n, 1.0);
      g_autofree float *rm = g_new0 (float, C), *rv = g_new0 (float, C);
      g_autofree float *mean = g_new (float, C), *invstd = g_new (float, C);
      g_autofree float *dgamma = g_new (float, C), *dbeta = g_new (float, C);
      g_autofree float *k1 = g_new (float, C), *k2 = g_new (float, C), *k3 = g_new (float, C);
      g_autofree double *s1 = g_new (double, C), *s2 = g_new (double, C);
      g_autofree float *dy = NULL, *dx = g_new (float, C * n), *yout = NULL;

      d.x = random_floats (&rng, C * n, 1.5);
      d.gamma = random_floats (&rng, C, 1.0);
      d.beta = random_floats (&rng, C, 0.5);
      d.y = g_new (float, C * n);
      d.r = r;

      bn_train_forward (&d, rm, rv, mean, invstd);
      yout = g_memdup2 (d.y, C * n * sizeof (float));
      dy = g_memdup2 (r, C * n * sizeof (float));
      /* With relu, dy is masked by the ReLU output inside the sums. */
      bs_bn_backward_sums (d.pool, C, n, dy, relu ? yout : NULL, d.x, mean, s1, s2);
      bs_bn_finish_backward (C, n, s1, s2, d.gamma, mean, invstd, dgamma, dbeta, k1, k2, k3);
      bs_bn_backward_apply (d.pool, C, n, dy, d.x, k1, k2, k3, dx);

      check_gradient ("bn input", d.x, C * n, dx, bn_loss, bn_skip, &d, &rng, 40, 1e-3);
      check_gradient ("bn weight", d.gamma, C, dgamma, bn_loss, bn_skip, &d, &rng, C, 1e-3);
      check_gradient ("bn bias", d.beta, C, dbeta, bn_loss, bn_skip, &d, &rng, C, 1e-3);

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
  return dot (d->y, d->r, d->n);
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
  a = random_floats (&rng, n, 1.0);
  b = random_floats (&rng, n, 1.0);
  r = random_floats (&rng, n, 1.0);
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
  check_gradient ("relu", a, n, dx, ew_loss, ew_skip, &d, &rng, 30, 1e-2);

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
  check_gradient ("add (first summand)", a, n, dx, ew_loss, ew_skip, &d, &rng, 30, 1e-2);
  check_gradient ("add (second summand)", b, n, dx, ew_loss, ew_skip, &d, &rng, 30, 1e-2);

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
  return dot (d->y, d->r, d->ny);
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
  d.x = random_floats (&rng, nx, 1.0);
  d.y = g_new (float, d.ny);
  r = random_floats (&rng, d.ny, 1.0);
  d.r = r;
  ref = g_new0 (double, d.ny);

  pool_loss (&d);
  for (gsize p = 0; p < d.ny; p++)
    {
      for (gsize i = 0; i < d.hw; i++)
        ref[p] += d.x[p * d.hw + i] / d.hw;
    }
  assert_close ("avgpool forward", d.y, ref, d.ny, 1e-6);

  bs_avgpool_backward (d.pool, d.channels, d.batch, d.hw, r, dx);
  check_gradient ("avgpool", d.x, nx, dx, pool_loss, NULL, &d, &rng, 30, 1e-2);

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
      r = random_floats (&rng, d.ny, 1.0);
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
      assert_close ("maxpool forward", d.y, ref, d.ny, 0.0);

      bs_maxpool_backward (&d.g, d.pool, planes, r, argmax, dx);
      check_gradient ("maxpool", d.x, nx, dx, pool_loss, NULL, &d, &rng, 40, 1e-2);

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
  return dot (d->y, d->r, d->out * d->batch);
}

static void
test_linear (void)
{
  BsRng rng;
  FcFd d = { .in = 7, .out = 5, .batch = 4 };
  g_autofree float *r = NULL, *dw = NULL, *db = NULL, *dx = NULL;
  g_autofree double *ref = NULL;

  bs_rng_init (&rng, 8);
  d.x = random_floats (&rng, d.in * d.batch, 1.0);
  d.w = random_floats (&rng, d.out * d.in, 1.0);
  d.b = random_floats (&rng, d.out, 1.0);
  d.y = g_new (float, d.out * d.batch);
  r = random_floats (&rng, d.out * d.batch, 1.0);
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
  assert_close ("fc forward", d.y, ref, d.out * d.batch, 1e-6);

  bs_linear_backward (d.in, d.out, d.batch, d.x, d.w, r, dw, db, dx);
  check_gradient ("fc weight", d.w, d.out * d.in, dw, fc_loss, NULL, &d, &rng, 20, 1e-2);
  check_gradient ("fc bias", d.b, d.out, db, fc_loss, NULL, &d, &rng, d.out, 1e-2);
  check_gradient ("fc input", d.x, d.in * d.batch, dx, fc_loss, NULL, &d, &rng, 20, 1e-2);

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
  d.z = random_floats (&rng, 24, 2.0);
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
  check_gradient ("softmax cross-entropy", d.z, 24, dz, xent_loss, NULL, &d, &rng, 24, 1e-2);

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
  g_test_add_func ("/layers/conv/geometry", test_conv_geometry);
  g_test_add_func ("/layers/conv/reference", test_conv_reference);
  g_test_add_func ("/layers/conv/reference-generic", test_conv_reference_generic);
  g_test_add_func ("/layers/conv/gradcheck", test_conv_gradcheck);
  g_test_add_func ("/layers/conv/winograd", test_conv_winograd);
  g_test_add_func ("/layers/conv/winograd-chunks", test_conv_winograd_chunks);
  g_test_add_func ("/layers/batchnorm/reference", test_bn_reference);
  g_test_add_func ("/layers/batchnorm/gradcheck", test_bn_gradcheck);
  g_test_add_func ("/layers/relu-add", test_relu_add);
  g_test_add_func ("/layers/avgpool", test_avgpool);
  g_test_add_func ("/layers/maxpool", test_maxpool);
  g_test_add_func ("/layers/maxpool/ties", test_maxpool_ties);
  g_test_add_func ("/layers/linear", test_linear);
  g_test_add_func ("/layers/softmax-xent", test_softmax_xent);

  return g_test_run ();
}
