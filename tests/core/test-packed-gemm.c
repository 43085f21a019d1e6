/* test-packed-gemm.c: products on weights packed once (bs-packed-gemm.h),
 * every kernel this CPU runs, against a product summed in double and
 * against sgemm, on shapes that are not multiples of the tiles. */
#include <cblas.h>
#include <float.h>
#include <math.h>
#include <string.h>

#include "bs-packed-gemm.h"
#include "bs-rng.h"

typedef struct {
  gsize rows, depth, cols;
} Shape;

static const Shape shapes[] = {
  { 1, 1, 1 },        /* one entry */
  { 5, 3, 1 },        /* one column, one partial panel */
  { 6, 16, 16 },      /* exactly one panel, one AVX2 tile */
  { 7, 13, 17 },      /* a row past the panel, a column past the tiles */
  { 13, 300, 65 },    /* two depth blocks, one column past the AVX-512 tile */
  { 25, 257, 300 },   /* two column blocks, a depth block of one */
  { 11, 40, 9 },
  { 64, 96, 48 },     /* three masked vectors */
};

static const char *const kernel_names[] = { "portable", "AVX2", "AVX-512" };

static float *
random_floats (BsRng *rng,
               gsize  n)
{
  float *p = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    p[i] = (float) bs_rng_normal (rng);
  return p;
}

/* c (=, +=) a x, with a[rows][depth] row-major, in double; and the sum of
 * the absolute products of each entry (the scale of its rounding error). */
static void
ref_product (const Shape *s,
             const float *a,
             const float *x,
             gsize        ldx,
             const float *c0,
             gsize        ldc,
             gboolean     accumulate,
             double      *ref,
             double      *mag)
{
  for (gsize r = 0; r < s->rows; r++)
    for (gsize j = 0; j < s->cols; j++)
      {
        double sum = accumulate ? c0[r * ldc + j] : 0.0, m = accumulate ? fabs (c0[r * ldc + j]) : 0.0;

        for (gsize k = 0; k < s->depth; k++)
          {
            sum += (double) a[r * s->depth + k] * x[k * ldx + j];
            m += fabs ((double) a[r * s->depth + k] * x[k * ldx + j]);
          }
        ref[r * s->cols + j] = sum;
        mag[r * s->cols + j] = m;
      }
}

/* Runs kernel on every shape, whole and as a range of panels, and returns
 * its outputs (one array per shape and mode) for the bit comparison. */
static float **
check_kernel (BsPackedGemmKernel kernel)
{
  float **outputs = g_new0 (float *, G_N_ELEMENTS (shapes) * 2);
  BsRng rng;

  bs_rng_init (&rng, 1818);
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    for (guint accumulate = 0; accumulate < 2; accumulate++)
      {
        const Shape *s = &shapes[i];
        /* Input and output inside wider rows: leading dimensions beyond the columns. */
        gsize ldx = s->cols + 3, ldc = s->cols + 5;
        gsize panels = bs_packed_gemm_panels (s->rows);
        g_autofree float *a = random_floats (&rng, s->rows * s->depth);
        g_autofree float *x = random_floats (&rng, s->depth * ldx);
        g_autofree float *c0 = random_floats (&rng, s->rows * ldc);
        g_autofree float *packed = g_new (float, bs_packed_gemm_size (s->rows, s->depth));
        g_autofree float *cs = g_memdup2 (c0, s->rows * ldc * sizeof (float));
        g_autofree double *ref = g_new (double, s->rows * s->cols);
        g_autofree double *mag = g_new (double, s->rows * s->cols);
        float *c = g_memdup2 (c0, s->rows * ldc * sizeof (float));
        gsize split = panels / 2;

        g_assert_cmpuint (bs_packed_gemm_size (s->rows, s->depth), ==, panels * 6 * s->depth);
        /* Packed in two ranges of panels, run in two ranges (the row split of threads). */
        memset (packed, 0xff, bs_packed_gemm_size (s->rows, s->depth) * sizeof (float));
        bs_packed_gemm_pack (a, s->depth, s->rows, s->depth, split, panels, packed);
        bs_packed_gemm_pack (a, s->depth, s->rows, s->depth, 0, split, packed);
        bs_packed_gemm (kernel, packed, s->rows, s->depth, 0, split, x, ldx, s->cols, c, ldc, accumulate);
        bs_packed_gemm (kernel, packed, s->rows, s->depth, split, panels, x, ldx, s->cols, c, ldc,
                        accumulate);

        ref_product (s, a, x, ldx, c0, ldc, accumulate, ref, mag);
        cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, (int) s->rows, (int) s->cols,
                     (int) s->depth, 1.0f, a, (int) s->depth, x, (int) ldx,
                     accumulate ? 1.0f : 0.0f, cs, (int) ldc);

        for (gsize r = 0; r < s->rows; r++)
          {
            for (gsize j = 0; j < s->cols; j++)
              {
                /* Sums of depth products in another order: a few ulps of
                 * the absolute sum per addition. */
                double tol = 2.0 * FLT_EPSILON * (s->depth + 2) * mag[r * s->cols + j] + 1e-30;
                float got = c[r * ldc + j];

                if (fabs (got - ref[r * s->cols + j]) > tol ||
                    fabs ((double) got - cs[r * ldc + j]) > 2 * tol)
                  g_error ("%s kernel, %zu x %zu x %zu%s: c[%zu][%zu] = %.9g, reference %.9g, sgemm %.9g",
                           kernel_names[kernel], s->rows, s->depth, s->cols,
                           accumulate ? " accumulating" : "", r, j, got, ref[r * s->cols + j],
                           cs[r * ldc + j]);
              }
            /* Columns past the product are left alone. */
            for (gsize j = s->cols; j < ldc; j++)
              g_assert_cmpmem (&c[r * ldc + j], sizeof (float), &c0[r * ldc + j], sizeof (float));
          }
        outputs[i * 2 + accumulate] = c;
      }
  return outputs;
}

static void
free_outputs (float **outputs)
{
  for (guint i = 0; i < G_N_ELEMENTS (shapes) * 2; i++)
    g_free (outputs[i]);
  g_free (outputs);
}

static void
test_portable (void)
{
  free_outputs (check_kernel (BS_PACKED_GEMM_PORTABLE));
}

static void
test_avx2 (void)
{
  if (!bs_packed_gemm_kernel_runs (BS_PACKED_GEMM_AVX2))
    {
      g_test_skip ("this CPU has no AVX2 and FMA: the portable kernel runs here, checked by /packed-gemm/portable");
      return;
    }
  free_outputs (check_kernel (BS_PACKED_GEMM_AVX2));
}

/* The AVX-512 kernel, and the same bits as the AVX2 one (one FMA chain per
 * entry in both), so BS_NO_AVX512 never changes a result. */
static void
test_avx512 (void)
{
  float **wide, **narrow;

  if (!bs_packed_gemm_kernel_runs (BS_PACKED_GEMM_AVX512))
    {
      g_test_skip ("this CPU has no AVX-512F: the AVX2 kernel runs here, checked by /packed-gemm/avx2");
      return;
    }
  wide = check_kernel (BS_PACKED_GEMM_AVX512);
  narrow = check_kernel (BS_PACKED_GEMM_AVX2);
  for (guint i = 0; i < G_N_ELEMENTS (shapes) * 2; i++)
    {
      const Shape *s = &shapes[i / 2];

      g_assert_cmpmem (wide[i], s->rows * (s->cols + 5) * sizeof (float),
                       narrow[i], s->rows * (s->cols + 5) * sizeof (float));
    }
  free_outputs (wide);
  free_outputs (narrow);
}

/* The kernel a configuration chooses follows its switches. */
static void
test_choice (void)
{
  BsEngineConfig config;

  bs_engine_config_init (&config);
  config.portable_conv = TRUE;
  g_assert_cmpint (bs_packed_gemm_kernel_for_config (&config), ==, BS_PACKED_GEMM_PORTABLE);
  config.portable_conv = FALSE;
  config.no_avx512 = TRUE;
  g_assert_cmpint (bs_packed_gemm_kernel_for_config (&config), ==,
                   bs_packed_gemm_kernel_runs (BS_PACKED_GEMM_AVX2) ? BS_PACKED_GEMM_AVX2
                                                                   : BS_PACKED_GEMM_PORTABLE);
  config.no_avx512 = FALSE;
  g_assert_true (bs_packed_gemm_kernel_runs (bs_packed_gemm_kernel_for_config (&config)));
  if (bs_packed_gemm_kernel_runs (BS_PACKED_GEMM_AVX512))
    g_assert_cmpint (bs_packed_gemm_kernel_for_config (&config), ==, BS_PACKED_GEMM_AVX512);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/packed-gemm/portable", test_portable);
  g_test_add_func ("/packed-gemm/avx2", test_avx2);
  g_test_add_func ("/packed-gemm/avx512", test_avx512);
  g_test_add_func ("/packed-gemm/choice", test_choice);

  return g_test_run ();
}
