/* test-gram-kernel.c: the packed Gram kernel (bs-gram-kernel.h) through the
 * workspace, against weighted per-channel Grams written out in long double. */
#include <math.h>
#include <string.h>

#include "bs-gram-private.h"
#include "bs-rng.h"

/* sum_c w[c] sum_s (x_ics - x_0cs)(x_jcs - x_0cs), w NULL meaning 1. */
static long double *
ref_weighted_gram (const float *act,
                   guint        channels,
                   guint        n,
                   guint        spatial,
                   const float *w)
{
  long double *K = g_new0 (long double, (gsize) n * n);

  for (guint c = 0; c < channels; c++)
    {
      const float *block = act + (gsize) c * n * spatial;
      long double wc = w ? w[c] : 1.0L;

      for (guint i = 0; i < n; i++)
        for (guint j = 0; j < n; j++)
          {
            long double sum = 0;

            for (guint s = 0; s < spatial; s++)
              sum += ((long double) block[i * spatial + s] - block[s]) *
                     ((long double) block[j * spatial + s] - block[s]);
            K[i * n + j] += wc * sum;
          }
    }
  return K;
}

/* Largest error relative to the largest diagonal entry (float sums). */
static double
max_error (const double      *got,
           const long double *want,
           guint              n)
{
  long double scale = 0, worst = 0;

  for (guint i = 0; i < n; i++)
    scale = MAX (scale, fabsl (want[i * n + i]));
  for (guint k = 0; k < n * n; k++)
    worst = MAX (worst, fabsl (got[k] - want[k]));
  return scale > 0 ? (double) (worst / scale) : (double) worst;
}

static void
fill (float   *x,
      gsize    len,
      guint64  seed)
{
  BsRng rng;

  bs_rng_init (&rng, seed);
  for (gsize i = 0; i < len; i++)
    x[i] = (float) (2.0 + bs_rng_normal (&rng));   /* a common mean, as after a ReLU */
}

/* bs_gram_workspace_cnhw() into full matrices; also checks each triangle's
 * row sums against its entries. */
static gboolean
workspace_cnhw_full (BsGramWorkspace    *ws,
                     const float        *x,
                     guint               channels,
                     guint               n,
                     gsize               spatial,
                     guint               n_outputs,
                     const float *const *weights,
                     double *const      *out)
{
  BsGramTriangle tris[2];
  gboolean finite;

  for (guint o = 0; o < n_outputs; o++)
    {
      tris[o].upper = g_new (double, bs_gram_triangle_size (n));
      tris[o].row_sums = g_new (double, n);
    }
  finite = bs_gram_workspace_cnhw (ws, x, channels, n, spatial, n_outputs, weights, tris);
  for (guint o = 0; o < n_outputs; o++)
    {
      bs_gram_triangle_to_full (&tris[o], n, out[o]);
      for (guint i = 0; i < n && finite; i++)
        {
          double sum = 0.0, scale = 0.0;

          for (guint j = 0; j < n; j++)
            if (j != i)
              {
                sum += out[o][(gsize) i * n + j];
                scale += fabs (out[o][(gsize) i * n + j]);
              }
          g_assert_cmpfloat (fabs (tris[o].row_sums[i] - sum), <=, 1e-12 * scale + 1e-300);
        }
      g_free (tris[o].upper);
      g_free (tris[o].row_sums);
    }
  return finite;
}

typedef enum {
  KERNEL_PORTABLE,
  KERNEL_AVX2,
  KERNEL_AVX512,
} Kernel;

/* A workspace of threads threads running the given kernel set. */
static BsGramWorkspace *
workspace_new (guint  threads,
               Kernel kernel)
{
  BsEngineConfig config = *bs_engine_config_get_default ();
  g_autoptr(BsThreadPool) pool = NULL;

  config.threads = threads;
  config.portable_gram = kernel == KERNEL_PORTABLE;
  config.no_avx512 = kernel != KERNEL_AVX512;
  g_assert_true (bs_engine_config_gram_avx2 (&config) == (kernel != KERNEL_PORTABLE));
  g_assert_true (bs_engine_config_gram_avx512 (&config) == (kernel == KERNEL_AVX512));
  pool = bs_thread_pool_new_for_config (&config);
  return bs_gram_workspace_new_for_pool (pool);
}

/* One shape: one output and two weighted outputs, on 1 and 3 threads, which
 * must agree to the bit; both against the reference. */
static void
check_shape (guint  channels,
             guint  n,
             guint  spatial,
             Kernel kernel)
{
  gsize len = (gsize) channels * n * spatial;
  g_autofree float *x = g_new (float, len);
  g_autofree float *w = g_new (float, channels);
  g_autofree double *g1 = g_new (double, (gsize) n * n);
  g_autofree double *g2 = g_new (double, (gsize) n * n);
  g_autofree double *h1 = g_new (double, (gsize) n * n);
  g_autofree double *h2 = g_new (double, (gsize) n * n);
  g_autofree long double *plain = NULL, *weighted = NULL;
  BsGramWorkspace *one = workspace_new (1, kernel);
  BsGramWorkspace *three = workspace_new (3, kernel);
  const float *no_weights[1] = { NULL };
  const float *weights[2] = { NULL, w };
  double *out1[2] = { g1, g2 }, *out3[2] = { h1, h2 };

  fill (x, len, 1000 * channels + 10 * n + spatial);
  for (guint c = 0; c < channels; c++)
    w[c] = 0.25f + 0.5f * (float) (c % 5);
  plain = ref_weighted_gram (x, channels, n, spatial, NULL);
  weighted = ref_weighted_gram (x, channels, n, spatial, w);

  g_assert_true (workspace_cnhw_full (one, x, channels, n, spatial, 1, no_weights, out1));
  g_assert_cmpfloat (max_error (g1, plain, n), <, 2e-6);
  g_assert_true (workspace_cnhw_full (three, x, channels, n, spatial, 1, no_weights, out3));
  g_assert_cmpmem (g1, n * n * sizeof (double), h1, n * n * sizeof (double));

  g_assert_true (workspace_cnhw_full (one, x, channels, n, spatial, 2, weights, out1));
  g_assert_cmpfloat (max_error (g1, plain, n), <, 2e-6);
  g_assert_cmpfloat (max_error (g2, weighted, n), <, 2e-6);
  g_assert_true (workspace_cnhw_full (three, x, channels, n, spatial, 2, weights, out3));
  g_assert_cmpmem (g1, n * n * sizeof (double), h1, n * n * sizeof (double));
  g_assert_cmpmem (g2, n * n * sizeof (double), h2, n * n * sizeof (double));

  /* Symmetric, and row and column 0 exactly zero (the shift). */
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpfloat (g1[i], ==, 0.0);
      g_assert_cmpfloat (g1[(gsize) i * n], ==, 0.0);
      for (guint j = 0; j < n; j++)
        g_assert_cmpfloat (g2[(gsize) i * n + j], ==, g2[(gsize) j * n + i]);
    }

  bs_gram_workspace_free (one);
  bs_gram_workspace_free (three);
}

/* Batch sizes around the tile sizes (16 and 32 rows, 6 and 8 columns),
 * odd and even numbers of panels, feature counts around the 8-wide packing,
 * small maps (1 and 4 positions: the packer's strided path) and the
 * 256-feature blocks. */
static const guint shapes[][3] = {
  { 1, 4, 1 }, { 3, 5, 7 }, { 2, 16, 8 }, { 5, 17, 9 }, { 4, 24, 64 },
  { 2, 37, 300 }, { 40, 12, 1 }, { 3, 33, 256 }, { 7, 48, 49 }, { 1, 96, 1030 },
  { 300, 40, 1 }, { 70, 50, 4 }, { 20, 64, 2 }, { 6, 81, 16 },
  /* Several tasks, whose feature ranges start inside channels: 3, 8 and 8. */
  { 5, 20, 700 }, { 9, 16, 1000 }, { 130, 18, 64 },
};

static void
check_shapes (Kernel kernel)
{
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    check_shape (shapes[k][0], shapes[k][1], shapes[k][2], kernel);
}

static gboolean
have_avx2_kernel (void)
{
  if (bs_engine_config_gram_avx2 (bs_engine_config_get_default ()))
    return TRUE;
  g_test_skip ("this CPU has no AVX2 and FMA: only the portable kernel runs here");
  return FALSE;
}

static gboolean
have_avx512_kernel (void)
{
  if (bs_engine_config_gram_avx512 (bs_engine_config_get_default ()))
    return TRUE;
  g_test_skip ("this CPU has no AVX-512: its kernels cannot run here");
  return FALSE;
}

static void
test_avx2 (void)
{
  if (have_avx2_kernel ())
    check_shapes (KERNEL_AVX2);
}

static void
test_avx512 (void)
{
  if (have_avx512_kernel ())
    check_shapes (KERNEL_AVX512);
}

static void
test_generic (void)
{
  check_shapes (KERNEL_PORTABLE);
}

/* The AVX-512 set runs the same chain of FMAs for every entry as the AVX2
 * set, in other tiles: the same bits, one output and two weighted ones. */
static void
test_avx512_equals_avx2 (void)
{
  BsGramWorkspace *ws512, *ws2;

  if (!have_avx512_kernel ())
    return;
  ws512 = workspace_new (2, KERNEL_AVX512);
  ws2 = workspace_new (2, KERNEL_AVX2);
  for (guint k = 0; k < G_N_ELEMENTS (shapes); k++)
    {
      guint C = shapes[k][0], n = shapes[k][1], S = shapes[k][2];
      gsize len = (gsize) C * n * S;
      g_autofree float *x = g_new (float, len);
      g_autofree float *w = g_new (float, C);
      g_autofree double *a1 = g_new (double, (gsize) n * n), *a2 = g_new (double, (gsize) n * n);
      g_autofree double *b1 = g_new (double, (gsize) n * n), *b2 = g_new (double, (gsize) n * n);
      const float *weights[2] = { NULL, w };
      double *out512[2] = { a1, a2 }, *out2[2] = { b1, b2 };

      fill (x, len, 77 + k);
      for (guint c = 0; c < C; c++)
        w[c] = 0.3f + 0.7f * (float) (c % 3);
      g_assert_true (workspace_cnhw_full (ws512, x, C, n, S, 2, weights, out512));
      g_assert_true (workspace_cnhw_full (ws2, x, C, n, S, 2, weights, out2));
      g_assert_cmpmem (a1, n * n * sizeof (double), b1, n * n * sizeof (double));
      g_assert_cmpmem (a2, n * n * sizeof (double), b2, n * n * sizeof (double));
      g_assert_true (bs_gram_from_cnhw (ws512, x, C, n, S, a1));
      g_assert_true (bs_gram_from_cnhw (ws2, x, C, n, S, b1));
      g_assert_cmpmem (a1, n * n * sizeof (double), b1, n * n * sizeof (double));
    }
  bs_gram_workspace_free (ws512);
  bs_gram_workspace_free (ws2);
}

/* The two kernels round differently (which shows that both ran), but agree
 * to float precision. */
static void
test_kernels_agree (void)
{
  const guint C = 6, n = 40, S = 100;
  g_autofree float *x = g_new (float, C * n * S);
  g_autofree double *fast = g_new (double, n * n);
  g_autofree double *portable = g_new (double, n * n);
  BsGramWorkspace *ws_fast, *ws_portable;

  if (!have_avx2_kernel ())
    return;
  ws_fast = workspace_new (2, KERNEL_AVX2);
  ws_portable = workspace_new (2, KERNEL_PORTABLE);
  fill (x, C * n * S, 9);
  g_assert_true (bs_gram_from_cnhw (ws_fast, x, C, n, S, fast));
  g_assert_true (bs_gram_from_cnhw (ws_portable, x, C, n, S, portable));
  g_assert_true (memcmp (fast, portable, n * n * sizeof (double)) != 0);
  for (guint k = 0; k < n * n; k++)
    g_assert_cmpfloat (fabs (fast[k] - portable[k]), <=, 1e-5 * fast[n + 1] + 1e-30);
  bs_gram_workspace_free (ws_fast);
  bs_gram_workspace_free (ws_portable);
}

/* A NaN or an infinity anywhere is reported, not passed on. */
static void
test_not_finite (void)
{
  const guint C = 3, n = 20, S = 16;
  g_autofree float *x = g_new (float, C * n * S);
  g_autofree double *g = g_new (double, n * n);
  BsGramWorkspace *ws = bs_gram_workspace_new (2);

  fill (x, C * n * S, 5);
  g_assert_true (bs_gram_from_cnhw (ws, x, C, n, S, g));
  x[(2 * n + 13) * S + 7] = NAN;
  g_assert_false (bs_gram_from_cnhw (ws, x, C, n, S, g));
  x[(2 * n + 13) * S + 7] = INFINITY;
  g_assert_false (bs_gram_from_cnhw (ws, x, C, n, S, g));
  fill (x, C * n * S, 5);
  x[0] = 3e38f;   /* finite, but the products overflow float */
  g_assert_false (bs_gram_from_cnhw (ws, x, C, n, S, g));
  bs_gram_workspace_free (ws);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/gram-kernel/avx2", test_avx2);
  g_test_add_func ("/gram-kernel/avx512", test_avx512);
  g_test_add_func ("/gram-kernel/avx512-equals-avx2", test_avx512_equals_avx2);
  g_test_add_func ("/gram-kernel/generic", test_generic);
  g_test_add_func ("/gram-kernel/kernels-agree", test_kernels_agree);
  g_test_add_func ("/gram-kernel/not-finite", test_not_finite);
  return g_test_run ();
}
