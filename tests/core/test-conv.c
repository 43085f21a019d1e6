/* test-conv.c: the convolutions of the engine (im2col + sgemm, the direct
 * 3x3 kernels, the dense products of tiny maps, Winograd in evaluation)
 * against a slow, obviously correct reference (plain loops in double) and
 * against finite differences. */
#include <math.h>
#include <string.h>

#include "bs-conv.h"
#include "bs-conv-dense.h"
#include "bs-conv-direct.h"
#include "bs-conv-winograd.h"
#include "bs-packed-gemm.h"
#include "bs-sync.h"
#include "bs-thread-pool.h"
#include "layer-checks.h"

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
  { 2, 3, 3, 2, 1, 2, 2 },    /* tiny maps (layer4 of a bottleneck net at 32x32): dense */
  { 6, 5, 3, 1, 1, 2, 2 },    /* dense: 3x3 on 2x2 (layer3 of a bottleneck net at 32x32) */
  { 7, 4, 3, 1, 1, 1, 1 },    /* dense: 3x3 on 1x1, one column per image both ways */
  { 3, 4, 3, 1, 1, 1, 2 },    /* dense: 1x2 map */
  { 3, 4, 5, 1, 2, 2, 3 },    /* dense: 5x5 on 2x3 */
  { 4, 3, 3, 2, 1, 3, 2 },    /* 3x3 stride 2 on 3x2: dense, 2x1 out */
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
  bs_mutex_lock (&hc->lock);
  hc->cols_seen += ncols;
  bs_mutex_unlock (&hc->lock);
}

static void
count_dx (gpointer data,
          guint    thread,
          float   *p,
          gsize    ld,
          guint    row0,
          guint    n_rows,
          gsize    col0,
          gsize    ncols)
{
  HookCheck *hc = data;

  bs_mutex_lock (&hc->lock);
  hc->dx_cols_seen += ncols;
  bs_mutex_unlock (&hc->lock);
}

/* The cases against the reference with the kernels base chooses. */
static void
conv_reference_cases_with (const BsEngineConfig *base,
                           const ConvCase       *cases,
                           guint                 n_cases)
{
  BsRng rng;
  const guint batch = 5;

  bs_rng_init (&rng, 1);
  for (guint ci = 0; ci < n_cases; ci++)
    for (guint threads = 1; threads <= 3; threads++)
      for (int tiny_chunks = 0; tiny_chunks <= 1; tiny_chunks++)
        {
          const ConvCase *cc = &cases[ci];
          BsConvGeometry g = { .in_c = cc->in_c, .out_c = cc->out_c, .kernel = cc->k,
                               .stride = cc->s, .pad = cc->p, .in_h = cc->h, .in_w = cc->w };
          BsEngineConfig config = *base;
          BsThreadPool *pool;
          gsize nx, ny, nw;
          g_autofree float *x = NULL, *w = NULL, *y = NULL, *dy = NULL, *dw = NULL, *dx = NULL, *dx0 = NULL;
          g_autofree double *ry = NULL, *rdw = NULL, *rdx = NULL;
          HookCheck hc = { 0 };
          BsConvHooks hooks = { .make_dy = copy_dy, .backward_done = count_dx, .data = &hc };

          g_assert_true (bs_conv_geometry_init (&g));
          config.threads = threads;
          config.conv_chunk_bytes = tiny_chunks ? 1 : 0;
          pool = bs_thread_pool_new_for_config (&config);
          nx = (gsize) g.in_c * batch * g.in_h * g.in_w;
          ny = (gsize) g.out_c * batch * g.out_h * g.out_w;
          nw = (gsize) g.out_c * g.in_c * g.kernel * g.kernel;
          x = layer_random_floats (&rng, nx, 1.0);
          w = layer_random_floats (&rng, nw, 0.3);
          dy = layer_random_floats (&rng, ny, 1.0);
          y = g_new (float, ny);
          dw = g_new (float, nw);
          dx = g_new (float, nx);
          ry = g_new (double, ny);
          rdw = g_new (double, nw);
          rdx = g_new (double, nx);

          bs_conv_forward (&g, pool, batch, x, w, y, NULL);
          ref_conv_forward (&g, batch, x, w, ry);
          layer_assert_close ("conv forward", y, ry, ny, 1e-5);

          /* Overwriting backward. */
          ref_conv_backward (&g, batch, x, w, dy, rdw, rdx);
          memset (dx, 0x7f, nx * sizeof (float));  /* garbage that must be overwritten */
          bs_conv_backward (&g, pool, batch, x, w, dy, dw, dx, FALSE, NULL);
          layer_assert_close ("conv dw", dw, rdw, nw, 1e-5);
          layer_assert_close ("conv dx", dx, rdx, nx, 1e-5);

          /* Accumulating backward with dy from a hook. */
          dx0 = layer_random_floats (&rng, nx, 1.0);
          memcpy (dx, dx0, nx * sizeof (float));
          for (gsize i = 0; i < nx; i++)
            rdx[i] += dx0[i];
          hc.dy = dy;
          hc.ld = (gsize) batch * g.out_h * g.out_w;
          hc.out_c = g.out_c;
          g_mutex_init (&hc.lock);
          bs_conv_backward (&g, pool, batch, x, w, NULL, dw, dx, TRUE, &hooks);
          g_mutex_clear (&hc.lock);
          layer_assert_close ("conv dw (hooks)", dw, rdw, nw, 1e-5);
          layer_assert_close ("conv dx (accumulated)", dx, rdx, nx, 1e-5);
          g_assert_cmpuint (hc.cols_seen, ==, hc.ld);
          g_assert_cmpuint (hc.dx_cols_seen, ==, (gsize) batch * g.in_h * g.in_w);

          bs_thread_pool_unref (pool);
        }
}

static void
conv_reference_cases (gboolean portable)
{
  BsEngineConfig config = *bs_engine_config_get_default ();

  config.portable_conv = portable;
  /* The AVX-512 kernels have a test of their own. */
  config.no_avx512 = TRUE;
  conv_reference_cases_with (&config, conv_cases, G_N_ELEMENTS (conv_cases));
}

/* The AVX2 + FMA kernels where the CPU has them. */
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

/* ---- AVX-512 direct kernels ------------------------------------------------ */

/* Shapes the 16-lane kernels take apart from the 8-lane ones: whole 16-lane
 * rows (one load per vector, the weight gradient without checks), two
 * vectors per row, a masked 16-lane rest of a row (12, 24 wide), stride 2
 * down to 16 and to 8 wide, an odd number of 8-wide rows in the chunk. */
static const ConvCase avx512_cases[] = {
  { 4, 8, 3, 1, 1, 6, 16 },
  { 3, 6, 3, 1, 1, 5, 32 },
  { 5, 4, 3, 2, 1, 7, 32 },
  { 3, 5, 3, 1, 1, 3, 12 },
  { 2, 4, 3, 1, 1, 3, 24 },
  { 4, 7, 3, 2, 1, 5, 16 },
  { 6, 4, 3, 1, 1, 3, 8 },
};

static gboolean
skip_without_avx512 (void)
{
  if (bs_engine_config_conv_avx512 (bs_engine_config_get_default ()))
    return FALSE;
  g_test_skip ("this CPU has no AVX-512 (or BS_NO_AVX512 is set): the AVX2 and portable "
               "kernels run here, checked by /conv/reference and /conv/reference-generic");
  return TRUE;
}

/* The AVX-512 kernels against the double reference: every shape of the
 * other reference tests (strides 1 and 2, odd widths, partial vectors,
 * fewer than 4 channels in a block, accumulating input gradients, tiny
 * chunks, 1 to 3 threads), and the shapes only 16-lane vectors split. */
static void
test_conv_reference_avx512 (void)
{
  BsEngineConfig config = *bs_engine_config_get_default ();

  if (skip_without_avx512 ())
    return;
  config.no_avx512 = FALSE;
  conv_reference_cases_with (&config, conv_cases, G_N_ELEMENTS (conv_cases));
  conv_reference_cases_with (&config, avx512_cases, G_N_ELEMENTS (avx512_cases));
}

/* The forward kernel (and so the input gradient, the same kernel) gives the
 * AVX2 kernel's bits: every width the direct kernels take from 7 to 40,
 * strides 1 and 2, 1 to 9 output channels, 1 to 3 images written into the
 * middle of a larger batch, stored and accumulated. */
static void
test_conv_avx512_same_bits (void)
{
  BsEngineConfig avx2 = *bs_engine_config_get_default ();
  BsEngineConfig avx512 = avx2;
  BsRng rng;
  guint cases = 0;

  if (skip_without_avx512 ())
    return;
  avx2.no_avx512 = TRUE;
  avx512.no_avx512 = FALSE;
  g_assert_true (bs_engine_config_conv_avx2 (&avx2));
  bs_rng_init (&rng, 512);
  for (guint stride = 1; stride <= 2; stride++)
    for (guint w = 7 * stride; w <= 40; w++)
      {
        guint in_c = 1 + w % 5, out_c = 1 + (w * 7 + stride) % 9;
        guint h = 1 + (w * 3) % 9, images = 1 + w % 3;
        guint y_images = images + 2, n0 = 1;
        BsPadShape ps = { in_c, h, w, images, stride };
        guint oh = (h - 1) / stride + 1, ow = (w - 1) / stride + 1;
        gsize nx = (gsize) in_c * images * h * w, ny = (gsize) out_c * y_images * oh * ow;
        g_autofree float *x = layer_random_floats (&rng, nx, 1.0);
        g_autofree float *wt = layer_random_floats (&rng, (gsize) out_c * in_c * 9, 0.3);
        g_autofree float *y0 = layer_random_floats (&rng, ny, 1.0);
        g_autofree float *padded = g_new (float, bs_conv3_padded_size (&ps));
        g_autofree float *packed = g_new (float, bs_conv3_packed_size (out_c, in_c));
        g_autofree float *ya = NULL, *yb = NULL;

        if (ow < 7)
          continue;
        bs_conv3_pad (&ps, x, images, 0, padded);
        bs_conv3_pack_weights (wt, out_c, in_c, FALSE, packed);
        for (int accumulate = 0; accumulate <= 1; accumulate++)
          {
            ya = g_memdup2 (y0, ny * sizeof (float));
            yb = g_memdup2 (y0, ny * sizeof (float));
            bs_conv3_forward_chunk (&avx2, &ps, padded, packed, out_c, ya, y_images, n0, accumulate);
            bs_conv3_forward_chunk (&avx512, &ps, padded, packed, out_c, yb, y_images, n0, accumulate);
            if (memcmp (ya, yb, ny * sizeof (float)) != 0)
              g_error ("AVX-512 and AVX2 forward differ: stride %u, %u x %u, %u -> %u channels, %u images%s",
                       stride, h, w, in_c, out_c, images, accumulate ? ", accumulating" : "");
            g_clear_pointer (&ya, g_free);
            g_clear_pointer (&yb, g_free);
            cases++;
          }
      }
  g_assert_cmpuint (cases, ==, 2 * (34 + 27));
}

/* bs_engine_config_conv_avx512 () holds where the CPU has AVX-512F (with
 * AVX2 and FMA) unless BS_NO_AVX512 or the portable kernels are chosen, and
 * the kernels follow it: the weight gradient, whose 16-lane sums split
 * differently, comes out in other bits with it than without. */
static void
test_conv_avx512_predicate (void)
{
  BsEngineConfig config = *bs_engine_config_get_default ();
  BsPadShape ps = { 8, 16, 32, 4, 1 };
  const guint out_c = 8;
  const gsize nx = 8 * 4 * 16 * 32, ny = 8 * 4 * 16 * 32, nw = 8 * 8 * 9;
  gboolean cpu;
  float *dw[2];
  BsRng rng;
  g_autofree float *x = NULL, *dy = NULL, *padded = NULL;

  __builtin_cpu_init ();
  cpu = __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma") &&
        __builtin_cpu_supports ("avx512f");
  config.portable_conv = FALSE;
  config.no_avx512 = FALSE;
  g_assert_true (bs_engine_config_conv_avx512 (&config) == cpu);
  config.no_avx512 = TRUE;
  g_assert_false (bs_engine_config_conv_avx512 (&config));
  g_assert_true (bs_engine_config_conv_avx2 (&config) ==
                 (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma")));
  config.no_avx512 = FALSE;
  config.portable_conv = TRUE;
  g_assert_false (bs_engine_config_conv_avx512 (&config));
  if (!cpu)
    {
      g_test_skip ("this CPU has no AVX-512: only the predicate's answers are checked");
      return;
    }

  bs_rng_init (&rng, 3);
  x = layer_random_floats (&rng, nx, 1.0);
  dy = layer_random_floats (&rng, ny, 1.0);
  padded = g_new (float, bs_conv3_padded_size (&ps));
  bs_conv3_pad (&ps, x, 4, 0, padded);
  config.portable_conv = FALSE;
  for (guint k = 0; k < 2; k++)
    {
      config.no_avx512 = k == 1;
      dw[k] = g_new0 (float, nw);
      bs_conv3_wgrad_chunk (&config, &ps, padded, dy, 4, 0, out_c, dw[k]);
    }
  g_assert_true (memcmp (dw[0], dw[1], nw * sizeof (float)) != 0);
  g_free (dw[0]);
  g_free (dw[1]);
}

/* forward_done: every output exactly once, after it is written. */
typedef struct {
  const double *want;
  double        tol;     /* absolute */
  gsize         ld;
  gsize         ny;
  guint        *seen;    /* per output */
  GMutex        lock;
  gboolean      wrong;
} ForwardCheck;

static void
check_forward_chunk (gpointer data,
                     guint    thread,
                     float   *p,
                     gsize    ld,
                     guint    row0,
                     guint    n_rows,
                     gsize    col0,
                     gsize    ncols)
{
  ForwardCheck *fc = data;

  bs_mutex_lock (&fc->lock);
  for (guint r = 0; r < n_rows; r++)
    for (gsize j = 0; j < ncols; j++)
      {
        fc->seen[(row0 + r) * ld + col0 + j]++;
        if (!(fabs (p[r * ld + j] - fc->want[(row0 + r) * ld + col0 + j]) <= fc->tol))
          fc->wrong = TRUE;
      }
  bs_mutex_unlock (&fc->lock);
}

/* Starts checking a forward pass's chunks against want (ny outputs, ld
 * columns); seen has ny entries. */
static void
forward_check_begin (ForwardCheck *fc,
                     const double *want,
                     gsize         ny,
                     gsize         ld,
                     guint        *seen)
{
  memset (fc, 0, sizeof *fc);
  fc->want = want;
  fc->tol = 1e-5 * layer_reference_scale (want, ny);   /* as layer_assert_close (..., 1e-5) */
  fc->seen = seen;
  fc->ld = ld;
  fc->ny = ny;
  memset (seen, 0, ny * sizeof (guint));
  g_mutex_init (&fc->lock);
}

/* Every output was handed to forward_done once, with the right values. */
static void
forward_check_end (ForwardCheck *fc)
{
  g_assert_false (fc->wrong);
  for (gsize j = 0; j < fc->ny; j++)
    g_assert_cmpuint (fc->seen[j], ==, 1);
  g_mutex_clear (&fc->lock);
}

/* Winograd's F(4x4, 3x3) and F(2x2, 3x3) against the double reference, over
 * the shapes they take (8 tiles in a row, two rows of 4, or F(4x4)'s 2 x 2
 * tiles of 8 x 8 maps in pairs of images, odd batches included; F(2x2) for
 * the rest and for all when F(4x4) is switched off), in tiny and normal
 * chunks on 1 and 3 threads; the shapes they do not take fall back to the
 * direct path. */
/* Chunks of images fill whole blocks of tiles (F(4x4): 24 tiles with the
 * AVX2 kernels, 32 with the AVX-512 ones; 8 per group), and stay within
 * the images a thread has; wide layers take F(4x4). Each thread's scratch
 * holds the padded chunk and the block's V and M: points x channels x tiles
 * per block, with the AVX-512 kernels one cache line more per point. */
static void
winograd_chunk_cases (const BsEngineConfig *config,
                      gboolean              avx512)
{
  /* channels, size, images per full block with AVX2, with AVX-512, F(4x4) */
  static const guint cases[][5] = {
    { 16, 32, 3, 1, 1 }, { 32, 16, 3, 2, 1 }, { 64, 8, 6, 8, 1 }, { 64, 32, 3, 1, 1 },
    { 256, 8, 6, 8, 1 }, { 16, 48, 1, 1, 0 },
  };

  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    {
      BsConvGeometry g = { .in_c = cases[k][0], .out_c = cases[k][0], .kernel = 3, .stride = 1,
                           .pad = 1, .in_h = cases[k][1], .in_w = cases[k][1] };
      guint unit = cases[k][avx512 ? 3 : 2];
      guint tiles_per_block = cases[k][4] ? (avx512 ? 32 : 24) : 48;
      gsize points = cases[k][4] ? 36 : 16;
      gsize line = avx512 ? 16 : 0;
      guint tile;

      g_assert_true (bs_conv_geometry_init (&g));
      tile = bs_conv_winograd_tile (&g, config);
      g_assert_cmpuint (tile, ==, cases[k][4] ? 4 : 2);
      /* F(2x2) needs 16 floats per channel pair, F(4x4) 36. */
      g_assert_cmpuint (bs_conv_winograd_weights_size (&g, tile), ==, points * g.in_c * g.out_c);
      for (guint images = 1; images <= 12; images++)
        {
          gsize padded = tile == 4 ? (gsize) g.in_c * images * (g.in_h + 2) * 4 * ((g.in_w + 5) / 4) + 8
                                   : (gsize) g.in_c * images * (g.in_h + 2) * (g.in_w + 2);
          gsize vm = points * ((gsize) tiles_per_block * (g.in_c + g.out_c) + 2 * line);

          g_assert_cmpuint (bs_conv_winograd_scratch_size (&g, tile, config, images), >=, padded + vm);
          g_assert_cmpuint (bs_conv_winograd_scratch_size (&g, tile, config, images), <=,
                            padded + vm + (gsize) g.in_c * images * (g.in_w + 2));
        }
      for (guint max = 1; max <= 130; max++)
        for (gsize budget = 1024; budget <= 4 << 20; budget *= 8)
          {
            guint n = bs_conv_winograd_chunk_images (&g, tile, config, max, budget);

            g_assert_cmpuint (n, >=, 1);
            g_assert_cmpuint (n, <=, max);
            if (max >= unit)
              g_assert_cmpuint (n % unit, ==, 0);
          }
    }
}

static void
test_conv_winograd_chunks (void)
{
  BsEngineConfig config = *bs_engine_config_get_default ();

  config.no_avx512 = TRUE;
  if (!bs_engine_config_winograd (&config))
    {
      g_test_skip ("this CPU has no AVX2 and FMA, which Winograd convolutions need");
      return;
    }
  g_assert_false (bs_engine_config_conv_avx512 (&config));
  winograd_chunk_cases (&config, FALSE);
}

/* The same with the AVX-512 kernels, whose blocks of F(4x4) tiles are larger. */
static void
test_conv_winograd_avx512_chunks (void)
{
  const BsEngineConfig *config = bs_engine_config_get_default ();

  if (!bs_engine_config_conv_avx512 (config))
    {
      g_test_skip ("this CPU has no AVX-512F: the AVX-512 Winograd kernels do not run here");
      return;
    }
  winograd_chunk_cases (config, TRUE);
}

static const guint winograd_cases[][5] = {  /* in_c, out_c, h, w, batch */
  { 8, 4, 32, 32, 3 }, { 9, 8, 16, 16, 2 }, { 13, 12, 8, 8, 5 }, { 16, 16, 32, 32, 2 },
  { 8, 4, 8, 16, 3 }, { 10, 8, 16, 8, 3 }, { 64, 64, 8, 8, 9 }, { 8, 8, 64, 64, 1 },
  { 32, 32, 16, 16, 3 }, { 8, 4, 12, 16, 2 }, { 64, 64, 8, 8, 4 }, { 8, 4, 8, 8, 1 },
  { 128, 128, 8, 8, 2 }, { 256, 256, 16, 16, 1 },   /* wide: F(4x4) too, 2.3 and 9 MB of weights */
  /* not taken: 28 / 2 tiles per row, 6 output channels, 3 input channels */
  { 8, 4, 28, 28, 2 }, { 8, 6, 16, 16, 2 }, { 3, 16, 32, 32, 2 },
};
#define WINOGRAD_CASES_TAKEN 14

/* One Winograd case on a pool of config (with threads, tiny chunks and the
 * largest tile set): random inputs and weights, the forward pass checked
 * against the double reference, every output handed to forward_done once. */
typedef struct {
  BsConvGeometry g;
  guint          batch;
  BsEngineConfig config;
  gsize          ny;
  float         *x;
  float         *w;
  float         *y;
  double         error;   /* the largest, relative to the largest output */
} WinogradRun;

static void
winograd_run (WinogradRun          *run,
              const BsEngineConfig *base,
              guint                 k,
              guint                 threads,
              gboolean              tiny,
              gboolean              only2,
              BsRng                *rng)
{
  BsConvGeometry *g = &run->g;
  BsThreadPool *pool;
  gsize nx, where;
  g_autofree double *ry = NULL;
  g_autofree guint *seen = NULL;
  ForwardCheck fc = { 0 };
  BsConvHooks hooks = { .forward_done = check_forward_chunk, .data = &fc };

  *g = (BsConvGeometry) { .in_c = winograd_cases[k][0], .out_c = winograd_cases[k][1], .kernel = 3,
                          .stride = 1, .pad = 1, .in_h = winograd_cases[k][2], .in_w = winograd_cases[k][3] };
  g_assert_true (bs_conv_geometry_init (g));
  run->batch = winograd_cases[k][4];
  run->config = *base;
  run->config.threads = threads;
  run->config.conv_chunk_bytes = tiny ? 1 : 0;
  run->config.winograd_max_tile = only2 ? 2 : 4;
  nx = (gsize) g->in_c * run->batch * g->in_h * g->in_w;
  run->ny = (gsize) g->out_c * run->batch * g->out_h * g->out_w;
  run->x = layer_random_floats (rng, nx, 1.0);
  run->w = layer_random_floats (rng, (gsize) g->out_c * g->in_c * 9, 0.3);
  run->y = g_new (float, run->ny);
  ry = g_new (double, run->ny);
  seen = g_new0 (guint, run->ny);
  ref_conv_forward (g, run->batch, run->x, run->w, ry);

  pool = bs_thread_pool_new_for_config (&run->config);
  forward_check_begin (&fc, ry, run->ny, (gsize) run->batch * g->out_h * g->out_w, seen);
  memset (run->y, 0x7f, run->ny * sizeof (float));   /* garbage that must be overwritten */
  bs_conv_forward_inference (g, NULL, pool, run->batch, run->x, run->w, run->y, &hooks);
  forward_check_end (&fc);
  layer_assert_close ("winograd forward", run->y, ry, run->ny, 1e-5);
  run->error = layer_max_abs_error (run->y, ry, run->ny, &where) / layer_reference_scale (ry, run->ny);
  bs_thread_pool_unref (pool);
}

static void
winograd_run_clear (WinogradRun *run)
{
  g_free (run->x);
  g_free (run->w);
  g_free (run->y);
}

static void
test_conv_winograd (void)
{
  double worst[2] = { 0, 0 };   /* F(4x4) allowed, F(2x2) only */
  BsRng rng;

  /* Without AVX2 and FMA every case runs the direct kernels: still checked
   * against the reference, but Winograd itself is not. */
  if (!bs_engine_config_winograd (bs_engine_config_get_default ()))
    g_test_skip ("this CPU has no AVX2 and FMA: only the direct fallback is checked");
  bs_rng_init (&rng, 2021);
  for (guint k = 0; k < G_N_ELEMENTS (winograd_cases); k++)
    for (guint threads = 1; threads <= 3; threads += 2)
      for (guint tiny = 0; tiny < 2; tiny++)
        for (guint only2 = 0; only2 < 2; only2++)
          {
            WinogradRun run;

            winograd_run (&run, bs_engine_config_get_default (), k, threads, tiny, only2, &rng);
            if (bs_engine_config_winograd (&run.config))
              {
                guint tile = bs_conv_winograd_tile (&run.g, &run.config);

                g_assert_cmpint (tile != 0, ==, k < WINOGRAD_CASES_TAKEN);
                g_assert_true (tile == 0 || tile == 2 || (tile == 4 && !only2));
              }
            worst[only2] = MAX (worst[only2], run.error);
            winograd_run_clear (&run);
          }
  g_test_message ("largest error relative to the largest output: %.2g with F(4x4), %.2g with F(2x2) only",
                  worst[0], worst[1]);
}

/* The AVX-512 Winograd kernels give the AVX2 kernels' bits (each output the
 * same chain of fused multiply-adds over the input channels), and so the
 * same closeness to the double reference, on every shape the Winograd test
 * covers: F(4x4) and F(2x2), 8 to 64 wide maps, 8 x 8 maps in pairs of
 * images with odd batches, channel counts not multiples of 8 (4 and 12
 * outputs: the product's 4-row tiles) or of 16, blocks left partly empty
 * by tiny chunks, on 1 and 3 threads. The shapes Winograd does not take
 * run the direct kernels and are left out here. */
static void
test_conv_winograd_avx512 (void)
{
  double worst = 0;
  guint compared = 0;
  BsRng rng;

  if (!bs_engine_config_conv_avx512 (bs_engine_config_get_default ()) ||
      !bs_engine_config_winograd (bs_engine_config_get_default ()))
    {
      g_test_skip ("this CPU has no AVX-512F: the AVX-512 Winograd kernels do not run here");
      return;
    }
  bs_rng_init (&rng, 512);
  for (guint k = 0; k < WINOGRAD_CASES_TAKEN; k++)
    for (guint threads = 1; threads <= 3; threads += 2)
      for (guint tiny = 0; tiny < 2; tiny++)
        for (guint only2 = 0; only2 < 2; only2++)
          {
            WinogradRun run;
            BsEngineConfig avx2;
            BsThreadPool *pool2;
            g_autofree float *y2 = NULL;
            guint tile;

            winograd_run (&run, bs_engine_config_get_default (), k, threads, tiny, only2, &rng);
            avx2 = run.config;
            avx2.no_avx512 = TRUE;
            g_assert_true (bs_engine_config_conv_avx512 (&run.config));
            g_assert_false (bs_engine_config_conv_avx512 (&avx2));
            tile = bs_conv_winograd_tile (&run.g, &run.config);
            g_assert_cmpuint (tile, ==, bs_conv_winograd_tile (&run.g, &avx2));
            g_assert_true (tile == 2 || (tile == 4 && !only2));
            worst = MAX (worst, run.error);

            pool2 = bs_thread_pool_new_for_config (&avx2);
            y2 = g_new (float, run.ny);
            memset (y2, 0x7f, run.ny * sizeof (float));
            bs_conv_forward_inference (&run.g, NULL, pool2, run.batch, run.x, run.w, y2, NULL);
            for (gsize i = 0; i < run.ny; i++)
              if (memcmp (&run.y[i], &y2[i], sizeof (float)) != 0)
                g_error ("case %u (%u -> %u channels, %u x %u, F(%ux%u), %u threads%s): output %"
                         G_GSIZE_FORMAT " is %.9g with AVX-512, %.9g with AVX2",
                         k, run.g.in_c, run.g.out_c, run.g.in_h, run.g.in_w, tile, tile, threads,
                         tiny ? ", tiny chunks" : "", i, run.y[i], y2[i]);
            compared++;
            bs_thread_pool_unref (pool2);
            winograd_run_clear (&run);
          }
  g_assert_cmpuint (compared, ==, WINOGRAD_CASES_TAKEN * 8);
  g_test_message ("AVX-512 = AVX2 bit for bit in %u runs; largest error relative to the largest output %.2g",
                  compared, worst);
}

/* Maps with fewer positions than the kernel has taps run as one dense
 * product, in evaluation with the dense matrix cached per layer: against the
 * double reference with every output column handed to forward_done once, on
 * 1 and 3 threads, in tiny and normal chunks, and again after the weights
 * change under the same cache (which must then be remade). */
static void
test_conv_dense (void)
{
  static const guint cases[][8] = {  /* in_c, out_c, k, s, p, h, w, batch */
    { 16, 8, 3, 1, 1, 2, 2, 7 }, { 8, 16, 3, 1, 1, 1, 1, 9 }, { 8, 8, 3, 2, 1, 2, 2, 5 },
    { 5, 3, 3, 1, 1, 2, 1, 3 }, { 3, 6, 5, 1, 2, 2, 2, 4 }, { 64, 32, 3, 1, 1, 2, 2, 600 },
  };
  BsRng rng;

  bs_rng_init (&rng, 2022);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    for (guint threads = 1; threads <= 3; threads += 2)
      for (guint tiny = 0; tiny < 2; tiny++)
        {
          BsConvGeometry g = { .in_c = cases[k][0], .out_c = cases[k][1], .kernel = cases[k][2],
                               .stride = cases[k][3], .pad = cases[k][4], .in_h = cases[k][5],
                               .in_w = cases[k][6] };
          guint batch = cases[k][7];
          BsEngineConfig config = *bs_engine_config_get_default ();
          BsConvWeightCache *cache = bs_conv_weight_cache_new ();
          BsThreadPool *pool;
          gsize nx, ny, nw;
          g_autofree float *x = NULL, *y = NULL;
          g_autofree double *ry = NULL;
          g_autofree guint *seen = NULL;

          g_assert_true (bs_conv_geometry_init (&g));
          g_assert_true (bs_conv_dense_applies (&g));
          g_assert_cmpuint (bs_conv_dense_weights_size (&g), ==,
                            (gsize) g.out_c * g.out_h * g.out_w * g.in_c * g.in_h * g.in_w);
          config.threads = threads;
          config.conv_chunk_bytes = tiny ? 1 : 0;
          pool = bs_thread_pool_new_for_config (&config);
          nx = (gsize) g.in_c * batch * g.in_h * g.in_w;
          ny = (gsize) g.out_c * batch * g.out_h * g.out_w;
          nw = (gsize) g.out_c * g.in_c * g.kernel * g.kernel;
          x = layer_random_floats (&rng, nx, 1.0);
          y = g_new (float, ny);
          ry = g_new (double, ny);
          seen = g_new (guint, ny);

          for (guint version = 0; version < 2; version++)
            {
              g_autofree float *w = layer_random_floats (&rng, nw, 0.3);
              ForwardCheck fc = { 0 };
              BsConvHooks hooks = { .forward_done = check_forward_chunk, .data = &fc };

              ref_conv_forward (&g, batch, x, w, ry);
              forward_check_begin (&fc, ry, ny, (gsize) batch * g.out_h * g.out_w, seen);
              memset (y, 0x7f, ny * sizeof (float));   /* garbage that must be overwritten */
              bs_conv_forward_inference (&g, cache, pool, batch, x, w, y, &hooks);
              layer_assert_close ("dense forward", y, ry, ny, 1e-5);
              forward_check_end (&fc);
            }
          bs_conv_weight_cache_free (cache);
          bs_thread_pool_unref (pool);
        }

  /* Maps at least as large as the kernel, and 1x1 stride-1 convolutions, keep their paths. */
  {
    BsConvGeometry big = { .in_c = 4, .out_c = 4, .kernel = 3, .stride = 1, .pad = 1, .in_h = 3, .in_w = 3 };
    BsConvGeometry pointwise = { .in_c = 4, .out_c = 4, .kernel = 1, .stride = 1, .pad = 0, .in_h = 1, .in_w = 1 };

    g_assert_true (bs_conv_geometry_init (&big));
    g_assert_true (bs_conv_geometry_init (&pointwise));
    g_assert_false (bs_conv_dense_applies (&big));
    g_assert_false (bs_conv_dense_applies (&pointwise));
  }
}

/* Evaluation's small products split by output channels (1x1 convolutions
 * with fewer than MIN_SGEMM_COLUMNS columns per thread; more output
 * channels than threads have blocks of 16, and fewer): against the double
 * reference, every column handed to forward_done once, after the product. */
static void
test_conv_rows (void)
{
  static const guint cases[][4] = {  /* in_c, out_c, size, batch */
    { 24, 40, 1, 9 }, { 16, 7, 2, 5 }, { 32, 100, 4, 3 }, { 8, 64, 1, 700 },
  };
  BsRng rng;

  bs_rng_init (&rng, 33);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    for (guint threads = 2; threads <= 3; threads++)
      {
        BsConvGeometry g = { .in_c = cases[k][0], .out_c = cases[k][1], .kernel = 1, .stride = 1,
                             .pad = 0, .in_h = cases[k][2], .in_w = cases[k][2] };
        guint batch = cases[k][3];
        BsThreadPool *pool = bs_thread_pool_new (threads);
        BsConvWeightCache *cache = bs_conv_weight_cache_new ();
        gsize nx, ny;
        g_autofree float *x = NULL, *w = NULL, *y = NULL;
        g_autofree double *ry = NULL;
        g_autofree guint *seen = NULL;
        ForwardCheck fc = { 0 };
        BsConvHooks hooks = { .forward_done = check_forward_chunk, .data = &fc };

        g_assert_true (bs_conv_geometry_init (&g));
        nx = (gsize) g.in_c * batch * g.in_h * g.in_w;
        ny = (gsize) g.out_c * batch * g.out_h * g.out_w;
        x = layer_random_floats (&rng, nx, 1.0);
        w = layer_random_floats (&rng, (gsize) g.out_c * g.in_c, 0.3);
        y = g_new (float, ny);
        ry = g_new (double, ny);
        seen = g_new0 (guint, ny);
        ref_conv_forward (&g, batch, x, w, ry);
        forward_check_begin (&fc, ry, ny, (gsize) batch * g.out_h * g.out_w, seen);
        memset (y, 0x7f, ny * sizeof (float));
        bs_conv_forward_inference (&g, cache, pool, batch, x, w, y, &hooks);
        layer_assert_close ("1x1 by output channels", y, ry, ny, 1e-5);
        forward_check_end (&fc);
        bs_conv_weight_cache_free (cache);
        bs_thread_pool_unref (pool);
      }
}

/* The weight cache's epochs: at epoch 0 a change of the weights is seen at
 * the next use; within another epoch the form made or checked first is
 * trusted (the caller's promise); a new epoch checks again. */
static void
test_conv_weight_cache_epoch (void)
{
  BsConvGeometry g = { .in_c = 8, .out_c = 8, .kernel = 3, .stride = 1, .pad = 1, .in_h = 2, .in_w = 2 };
  const guint batch = 4;
  BsConvWeightCache *cache = bs_conv_weight_cache_new ();
  BsThreadPool *pool = bs_thread_pool_new (2);
  gsize nx, ny, nw, form_bytes, failed = 0;
  g_autofree float *x = NULL, *w1 = NULL, *w2 = NULL, *y = NULL, *y1 = NULL;
  g_autofree double *r1 = NULL, *r2 = NULL;
  BsRng rng;

  bs_rng_init (&rng, 5);
  g_assert_true (bs_conv_geometry_init (&g));
  nx = (gsize) g.in_c * batch * 4;
  ny = (gsize) g.out_c * batch * 4;
  nw = (gsize) g.out_c * g.in_c * 9;
  x = layer_random_floats (&rng, nx, 1.0);
  w1 = layer_random_floats (&rng, nw, 0.3);
  w2 = layer_random_floats (&rng, nw, 0.3);
  y = g_new (float, ny);
  r1 = g_new (double, ny);
  r2 = g_new (double, ny);
  ref_conv_forward (&g, batch, x, w1, r1);
  ref_conv_forward (&g, batch, x, w2, r2);
  y1 = g_memdup2 (w1, nw * sizeof (float));   /* the layer's weights, changed in place */

  bs_conv_weight_cache_set_epoch (cache, 0);
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 0, first weights", y, r1, ny, 1e-5);
  memcpy (y1, w2, nw * sizeof (float));
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 0 sees the change", y, r2, ny, 1e-5);

  bs_conv_weight_cache_set_epoch (cache, 1);
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 1, checked once against epoch 0's copy", y, r2, ny, 1e-5);
  memcpy (y1, w1, nw * sizeof (float));   /* breaks the promise: the cached form stays */
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 1 trusts its form", y, r2, ny, 1e-5);

  bs_conv_weight_cache_set_epoch (cache, 2);
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 2 makes its form again", y, r1, ny, 1e-5);

  /* As a model runs: the epoch, the reservation, the pass. A freeze epoch
   * keeps no copy of the weights; epoch 0 does, and after a freeze it makes
   * the form again (its new copy's bytes say nothing of the form). */
  form_bytes = bs_conv_weight_cache_get_bytes (cache);
  g_assert_cmpuint (form_bytes, >, 0);
  bs_conv_weight_cache_set_epoch (cache, 3);
  g_assert_true (bs_conv_reserve_forward (&g, cache, pool, batch, TRUE, &failed));
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 3", y, r1, ny, 1e-5);
  g_assert_true (bs_conv_reserve_forward (&g, cache, pool, batch, TRUE, &failed));
  g_assert_cmpuint (bs_conv_weight_cache_get_bytes (cache), ==, form_bytes);
  memcpy (y1, w2, nw * sizeof (float));
  bs_conv_weight_cache_set_epoch (cache, 0);
  g_assert_true (bs_conv_reserve_forward (&g, cache, pool, batch, TRUE, &failed));
  g_assert_cmpuint (bs_conv_weight_cache_get_bytes (cache), ==, form_bytes + nw * sizeof (float));
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 0 after a freeze", y, r2, ny, 1e-5);
  memcpy (y1, w1, nw * sizeof (float));
  g_assert_true (bs_conv_reserve_forward (&g, cache, pool, batch, TRUE, &failed));
  bs_conv_forward_inference (&g, cache, pool, batch, x, y1, y, NULL);
  layer_assert_close ("epoch 0 sees the change again", y, r1, ny, 1e-5);

  bs_conv_weight_cache_free (cache);
  bs_thread_pool_unref (pool);
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
  return layer_dot (d->y, d->r, d->ny);
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
      d.x = layer_random_floats (&rng, nx, 1.0);
      d.w = layer_random_floats (&rng, nw, 0.3);
      d.y = g_new (float, d.ny);
      r = layer_random_floats (&rng, d.ny, 1.0);
      d.r = r;
      dw = g_new (float, nw);
      dx = g_new (float, nx);

      bs_conv_backward (&d.g, d.pool, d.batch, d.x, d.w, r, dw, dx, FALSE, NULL);
      layer_check_gradient ("conv weight", d.w, nw, dw, conv_loss, NULL, &d, &rng, 30, 1e-2);
      layer_check_gradient ("conv input", d.x, nx, dx, conv_loss, NULL, &d, &rng, 30, 1e-2);

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

/* Evaluation's products on weights packed once (bs-packed-gemm.h): 1x1
 * convolutions, im2col's and dense products with few columns, on one thread (the
 * column split, chunk by chunk) and three (the row split for 1x1 maps).
 * Against the reference and the training forward (sgemm), with every
 * column handed to forward_done once; where the product reads its input
 * as it is (1x1 convolutions, 1 x 1 maps), bit for bit against the packed
 * product itself, which shows the packed form ran. */
static void
test_conv_packed (void)
{
  static const guint cases[][8] = {  /* in_c, out_c, k, pad, size, batch, 1: bits known, stride */
    { 37, 29, 1, 0, 3, 5, 1, 1 }, { 40, 20, 3, 1, 1, 9, 1, 1 }, { 19, 13, 3, 1, 2, 7, 0, 1 },
    { 300, 8, 1, 0, 1, 70, 1, 1 },
    { 21, 11, 1, 0, 4, 6, 0, 2 },   /* 1x1 stride-2 projection: im2col, then packed */
    { 5, 9, 3, 1, 4, 3, 0, 1 },     /* 3x3 on 4 x 4: im2col, then packed */
  };
  BsRng rng;

  bs_rng_init (&rng, 1818);
  for (guint k = 0; k < G_N_ELEMENTS (cases); k++)
    for (guint threads = 1; threads <= 3; threads += 2)
      {
        BsConvGeometry g = { .in_c = cases[k][0], .out_c = cases[k][1], .kernel = cases[k][2],
                             .stride = cases[k][7], .pad = cases[k][3], .in_h = cases[k][4],
                             .in_w = cases[k][4] };
        guint batch = cases[k][5];
        BsThreadPool *pool = bs_thread_pool_new (threads);
        BsConvWeightCache *cache = bs_conv_weight_cache_new ();
        const BsEngineConfig *config = bs_thread_pool_get_config (pool);
        gsize nx, ny, nw, cols, failed = 0;
        g_autofree float *x = NULL, *w = NULL, *y = NULL, *yt = NULL;
        g_autofree double *ry = NULL;
        g_autofree guint *seen = NULL;
        ForwardCheck fc = { 0 };
        BsConvHooks hooks = { .forward_done = check_forward_chunk, .data = &fc };

        g_assert_true (bs_conv_geometry_init (&g));
        nx = (gsize) g.in_c * batch * g.in_h * g.in_w;
        cols = (gsize) batch * g.out_h * g.out_w;
        ny = (gsize) g.out_c * cols;
        nw = (gsize) g.out_c * g.in_c * g.kernel * g.kernel;
        x = layer_random_floats (&rng, nx, 1.0);
        w = layer_random_floats (&rng, nw, 0.3);
        y = g_new (float, ny);
        yt = g_new (float, ny);
        ry = g_new (double, ny);
        seen = g_new0 (guint, ny);
        ref_conv_forward (&g, batch, x, w, ry);

        g_assert_true (bs_conv_reserve_forward (&g, cache, pool, batch, TRUE, &failed));
        for (guint pass = 0; pass < 2; pass++)   /* packed, then from the cache */
          {
            forward_check_begin (&fc, ry, ny, cols, seen);
            memset (y, 0x7f, ny * sizeof (float));
            bs_conv_forward_inference (&g, cache, pool, batch, x, w, y, &hooks);
            layer_assert_close ("packed evaluation", y, ry, ny, 1e-5);
            forward_check_end (&fc);
          }
        bs_conv_forward (&g, pool, batch, x, w, yt, NULL);
        for (gsize i = 0; i < ny; i++)
          g_assert_cmpfloat_with_epsilon (y[i], yt[i], 1e-6 * g.in_c + 1e-6);

        if (cases[k][6])
          {
            /* The 1x1 weights, or the centre taps of a 3x3 on a 1 x 1 map. */
            g_autofree float *a = g_new (float, (gsize) g.out_c * g.in_c);
            g_autofree float *packed = g_new (float, bs_packed_gemm_size (g.out_c, g.in_c));
            g_autofree float *yp = g_new (float, ny);
            guint centre = g.kernel * g.kernel / 2;

            for (gsize i = 0; i < (gsize) g.out_c * g.in_c; i++)
              a[i] = w[i * g.kernel * g.kernel + centre];
            bs_packed_gemm_pack (a, g.in_c, g.out_c, g.in_c, 0, bs_packed_gemm_panels (g.out_c), packed);
            bs_packed_gemm (bs_packed_gemm_kernel_for_config (config), packed, g.out_c, g.in_c, 0,
                            bs_packed_gemm_panels (g.out_c), x, cols, cols, yp, cols, FALSE);
            g_assert_cmpmem (y, ny * sizeof (float), yp, ny * sizeof (float));
          }
        bs_conv_weight_cache_free (cache);
        bs_thread_pool_unref (pool);
      }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/conv/geometry", test_conv_geometry);
  g_test_add_func ("/conv/reference", test_conv_reference);
  g_test_add_func ("/conv/reference-generic", test_conv_reference_generic);
  g_test_add_func ("/conv/reference-avx512", test_conv_reference_avx512);
  g_test_add_func ("/conv/avx512-same-bits", test_conv_avx512_same_bits);
  g_test_add_func ("/conv/avx512-predicate", test_conv_avx512_predicate);
  g_test_add_func ("/conv/gradcheck", test_conv_gradcheck);
  g_test_add_func ("/conv/winograd", test_conv_winograd);
  g_test_add_func ("/conv/winograd-chunks", test_conv_winograd_chunks);
  g_test_add_func ("/conv/winograd-avx512", test_conv_winograd_avx512);
  g_test_add_func ("/conv/winograd-avx512-chunks", test_conv_winograd_avx512_chunks);
  g_test_add_func ("/conv/dense", test_conv_dense);
  g_test_add_func ("/conv/weight-cache-epoch", test_conv_weight_cache_epoch);
  g_test_add_func ("/conv/rows", test_conv_rows);
  g_test_add_func ("/conv/packed", test_conv_packed);

  return g_test_run ();
}
