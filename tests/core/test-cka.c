/* test-cka.c: the numerical core of minibatch CKA (bs-gram, bs-cka-accumulator)
 * against a slow, obviously-correct implementation of the paper's Eq. 3. */
#include <math.h>
#include <string.h>

#include "bs-blas.h"
#include "bs-cka-accumulator.h"
#include "bs-error.h"
#include "bs-gram.h"
#include "bs-rng.h"
#include "cka-reference.h"

/* ---- Deterministic data: layers of one "network" are noisy linear maps of a
 * shared latent, so that CKA values spread over (0, 1). */

typedef struct {
  guint    n_layers;
  guint   *p;         /* features per layer */
  double **x;         /* [minibatch][layer] -> n x p, flattened as mb * n_layers + layer */
} Data;

static void
data_free (Data *d,
           guint n_minibatches)
{
  for (guint i = 0; i < n_minibatches * d->n_layers; i++)
    g_free (d->x[i]);
  g_free (d->x);
  g_free (d->p);
}

static void
make_data (Data        *d,
           const guint *p,
           guint        n_layers,
           guint        n,
           guint        n_minibatches,
           guint64      seed)
{
  BsRng rng;
  const guint latent = 6;

  bs_rng_init (&rng, seed);
  d->n_layers = n_layers;
  d->p = g_memdup2 (p, n_layers * sizeof (guint));
  d->x = g_new0 (double *, n_minibatches * n_layers);

  for (guint l = 0; l < n_layers; l++)
    {
      /* A fixed map per layer, the same in every minibatch. */
      g_autofree double *w = g_new (double, latent * p[l]);
      double noise = 0.3 + 0.4 * l;

      for (guint i = 0; i < latent * p[l]; i++)
        w[i] = bs_rng_normal (&rng);
      for (guint mb = 0; mb < n_minibatches; mb++)
        {
          double *x = g_new (double, n * p[l]);
          BsRng zr;

          /* The latent depends only on the minibatch, so every layer sees the same examples. */
          bs_rng_init_stream (&zr, seed ^ 0x5eed, mb);
          for (guint i = 0; i < n; i++)
            {
              double z[6];

              for (guint t = 0; t < latent; t++)
                z[t] = bs_rng_normal (&zr);
              for (guint f = 0; f < p[l]; f++)
                {
                  double v = 0.5 + noise * bs_rng_normal (&rng);

                  for (guint t = 0; t < latent; t++)
                    v += z[t] * w[t * p[l] + f];
                  x[i * p[l] + f] = l % 2 ? MAX (v, 0.0) : v;  /* some "ReLU" layers */
                }
            }
          d->x[mb * n_layers + l] = x;
        }
    }
}

/* Reference CKA matrix and the per-minibatch HSIC triples. */
static void
ref_cka (const Data *a,
         const Data *b,
         guint       n,
         guint       n_minibatches,
         double     *cka,
         double     *xy,    /* [mb][r][c] */
         double     *xx,    /* [mb][r] */
         double     *yy)    /* [mb][c] */
{
  guint R = a->n_layers, C = b->n_layers;
  long double *sxy = g_new0 (long double, R * C);
  long double *sxx = g_new0 (long double, R);
  long double *syy = g_new0 (long double, C);

  for (guint mb = 0; mb < n_minibatches; mb++)
    {
      long double **Ka = g_new (long double *, R);
      long double **Lb = g_new (long double *, C);

      for (guint r = 0; r < R; r++)
        Ka[r] = ref_gram (a->x[mb * R + r], n, a->p[r]);
      for (guint c = 0; c < C; c++)
        Lb[c] = ref_gram (b->x[mb * C + c], n, b->p[c]);
      for (guint r = 0; r < R; r++)
        {
          long double v = ref_hsic1 (Ka[r], Ka[r], n);

          sxx[r] += v;
          if (xx)
            xx[mb * R + r] = (double) v;
        }
      for (guint c = 0; c < C; c++)
        {
          long double v = ref_hsic1 (Lb[c], Lb[c], n);

          syy[c] += v;
          if (yy)
            yy[mb * C + c] = (double) v;
        }
      for (guint r = 0; r < R; r++)
        for (guint c = 0; c < C; c++)
          {
            long double v = ref_hsic1 (Ka[r], Lb[c], n);

            sxy[r * C + c] += v;
            if (xy)
              xy[(mb * R + r) * C + c] = (double) v;
          }
      for (guint r = 0; r < R; r++)
        g_free (Ka[r]);
      for (guint c = 0; c < C; c++)
        g_free (Lb[c]);
      g_free (Ka);
      g_free (Lb);
    }

  /* Eq. 3: the 1/k of the means cancels. */
  for (guint r = 0; r < R; r++)
    for (guint c = 0; c < C; c++)
      cka[r * C + c] = (double) (sxy[r * C + c] / sqrtl (sxx[r] * syy[c]));

  g_free (sxy);
  g_free (sxx);
  g_free (syy);
}

/* ---- Helpers to run the code under test. */

/* Threads of the Gram workspaces; the "threads" tests repeat checks with 3. */
static guint n_threads = 1;
static gsize chunk_columns = 0;   /* of row-major Grams; 0: the default */

/* A workspace with the threads and the chunk width the test asks for. */
static BsGramWorkspace *
new_workspace (void)
{
  BsEngineConfig config = *bs_engine_config_get_default ();
  g_autoptr(BsThreadPool) pool = NULL;

  config.threads = n_threads;
  config.gram_chunk_columns = chunk_columns;
  pool = bs_thread_pool_new_for_config (&config);
  return bs_gram_workspace_new_for_pool (pool);
}

typedef enum {
  PATH_F64,    /* bs_gram_from_rows_f64 */
  PATH_F32,    /* bs_gram_from_rows_f32 */
  PATH_CNHW,   /* bs_gram_from_cnhw with the data laid out as taps see it */
} GramPath;

static void
feed_layer (BsCkaAccumulator *acc,
            BsGramWorkspace  *ws,
            BsCkaSide         side,
            guint             layer,
            const double     *x,
            guint             n,
            guint             p,
            GramPath          path)
{
  g_autofree double *gram = g_new (double, n * n);
  gboolean finite;

  if (path == PATH_F64)
    finite = bs_gram_from_rows_f64 (ws, x, n, p, gram);
  else if (path == PATH_F32)
    {
      g_autofree float *xf = g_new (float, n * p);

      for (guint i = 0; i < n * p; i++)
        xf[i] = (float) x[i];
      finite = bs_gram_from_rows_f32 (ws, xf, n, p, gram);
    }
  else
    {
      /* p = channels * spatial with spatial = 2 when p is even, else 1:
       * element (c, i, s) at (c n + i) spatial + s is feature c * spatial + s of example i. */
      guint spatial = p % 2 == 0 ? 2 : 1, channels = p / spatial;
      g_autofree float *act = g_new (float, n * p);

      for (guint c = 0; c < channels; c++)
        for (guint i = 0; i < n; i++)
          for (guint s = 0; s < spatial; s++)
            act[(c * n + i) * spatial + s] = (float) x[i * p + c * spatial + s];
      finite = bs_gram_from_cnhw (ws, act, channels, n, spatial, gram);
    }
  bs_cka_accumulator_set_gram (acc, side, layer, gram, finite);
}

static BsCkaAccumulator *
run_acc (const Data *a,
         const Data *b,         /* NULL: symmetric */
         guint       n,
         guint       mb_begin,
         guint       mb_end,
         gboolean    biased,
         GramPath    path)
{
  g_autoptr(GError) error = NULL;
  BsGramWorkspace *ws = new_workspace ();
  BsCkaAccumulator *acc = bs_cka_accumulator_new (a->n_layers, b ? b->n_layers : a->n_layers,
                                                  n, biased, b == NULL, &error);

  g_assert_no_error (error);
  bs_cka_accumulator_set_workspace (acc, ws);   /* the product shared by the threads */
  for (guint mb = mb_begin; mb < mb_end; mb++)
    {
      for (guint r = 0; r < a->n_layers; r++)
        feed_layer (acc, ws, BS_CKA_SIDE_A, r, a->x[mb * a->n_layers + r], n, a->p[r], path);
      if (b)
        for (guint c = 0; c < b->n_layers; c++)
          feed_layer (acc, ws, BS_CKA_SIDE_B, c, b->x[mb * b->n_layers + c], n, b->p[c], path);
      g_assert_true (bs_cka_accumulator_end_minibatch (acc, &error));
      g_assert_no_error (error);
    }
  bs_cka_accumulator_set_workspace (acc, NULL);
  bs_gram_workspace_free (ws);
  return acc;
}

static void
assert_rel (double got,
            double want,
            double tol)
{
  if (!(fabs (got - want) <= tol * MAX (fabs (want), 1e-300)))
    g_error ("got %.17g, want %.17g (relative error %.3g > %.3g)",
             got, want, fabs (got - want) / fabs (want), tol);
}

/* ---- Tests */

static const guint p_a[] = { 7, 12, 30, 5 };
static const guint p_b[] = { 9, 16, 3 };

static void
check_against_reference (guint    n,
                         guint    n_mb,
                         GramPath path,
                         double   tol)
{
  Data a, b;
  g_autofree double *want = g_new (double, 4 * 3);
  g_autofree double *got = g_new (double, 4 * 3);
  BsCkaAccumulator *acc;

  make_data (&a, p_a, 4, n, n_mb, 11);
  make_data (&b, p_b, 3, n, n_mb, 11);  /* same latent: same examples */
  ref_cka (&a, &b, n, n_mb, want, NULL, NULL, NULL);

  acc = run_acc (&a, &b, n, 0, n_mb, FALSE, path);
  g_assert_cmpuint (bs_cka_accumulator_get_n_minibatches (acc), ==, n_mb);
  bs_cka_accumulator_get_result (acc, got, NULL, NULL, NULL);
  for (guint i = 0; i < 12; i++)
    assert_rel (got[i], want[i], tol);

  /* The data is meant to give a spread of values, not all ~1 or ~0. */
  {
    double lo = 1, hi = 0;

    for (guint i = 0; i < 12; i++)
      {
        lo = MIN (lo, want[i]);
        hi = MAX (hi, want[i]);
      }
    g_assert_cmpfloat (hi - lo, >, 0.2);
  }

  bs_cka_accumulator_free (acc);
  data_free (&a, n_mb);
  data_free (&b, n_mb);
}

static void
test_reference_f64 (void)
{
  check_against_reference (12, 3, PATH_F64, 1e-9);
  check_against_reference (4, 5, PATH_F64, 1e-9);  /* the smallest n allowed */
  /* Several column chunks of uneven width. */
  chunk_columns = 5;
  check_against_reference (9, 2, PATH_F64, 1e-9);
  chunk_columns = 0;
}

static void
test_reference_f32 (void)
{
  /* float32 Grams: limited by float rounding of the data and the products. */
  check_against_reference (20, 3, PATH_F32, 2e-5);
  check_against_reference (20, 3, PATH_CNHW, 2e-5);
  chunk_columns = 3;
  check_against_reference (16, 2, PATH_F32, 2e-5);
  check_against_reference (16, 2, PATH_CNHW, 2e-5);
  chunk_columns = 0;
}

/* The standard error is the delta method for the ratio of means (see
 * bs-cka-accumulator.h), computed here from the reference's per-minibatch
 * HSIC values with two-pass covariances. */
static void
test_std_error (void)
{
  const guint n = 10, k = 6, R = 4, C = 3;
  Data a, b;
  g_autofree double *want = g_new (double, R * C);
  g_autofree double *xy = g_new (double, k * R * C);
  g_autofree double *xx = g_new (double, k * R);
  g_autofree double *yy = g_new (double, k * C);
  g_autofree double *cka = g_new (double, R * C);
  g_autofree double *se = g_new (double, R * C);
  BsCkaAccumulator *acc;

  make_data (&a, p_a, R, n, k, 5);
  make_data (&b, p_b, C, n, k, 5);
  ref_cka (&a, &b, n, k, want, xy, xx, yy);

  /* One minibatch: no standard error yet. */
  acc = run_acc (&a, &b, n, 0, 1, FALSE, PATH_F64);
  bs_cka_accumulator_get_result (acc, cka, se, NULL, NULL);
  for (guint i = 0; i < R * C; i++)
    {
      g_assert_false (isnan (cka[i]));
      g_assert_true (isnan (se[i]));
    }
  bs_cka_accumulator_free (acc);

  acc = run_acc (&a, &b, n, 0, k, FALSE, PATH_F64);
  bs_cka_accumulator_get_result (acc, cka, se, NULL, NULL);
  for (guint r = 0; r < R; r++)
    for (guint c = 0; c < C; c++)
      {
        double m[3] = { 0, 0, 0 }, S[3][3] = { { 0 } }, g[3], var = 0, f;

        for (guint i = 0; i < k; i++)
          {
            m[0] += xy[(i * R + r) * C + c] / k;
            m[1] += xx[i * R + r] / k;
            m[2] += yy[i * C + c] / k;
          }
        for (guint i = 0; i < k; i++)
          {
            double d[3] = { xy[(i * R + r) * C + c] - m[0], xx[i * R + r] - m[1],
                            yy[i * C + c] - m[2] };

            for (guint u = 0; u < 3; u++)
              for (guint v = 0; v < 3; v++)
                S[u][v] += d[u] * d[v] / (k - 1);
          }
        f = m[0] / sqrt (m[1] * m[2]);
        assert_rel (f, want[r * C + c], 1e-12);
        g[0] = 1 / sqrt (m[1] * m[2]);
        g[1] = -f / (2 * m[1]);
        g[2] = -f / (2 * m[2]);
        for (guint u = 0; u < 3; u++)
          for (guint v = 0; v < 3; v++)
            var += g[u] * S[u][v] * g[v];
        assert_rel (cka[r * C + c], want[r * C + c], 1e-9);
        g_assert_cmpfloat (var, >, 0);
        assert_rel (se[r * C + c], sqrt (var / k), 1e-6);
      }

  bs_cka_accumulator_free (acc);
  data_free (&a, k);
  data_free (&b, k);
}

/* A random orthogonal p x p matrix by Gram-Schmidt on Gaussian columns. */
static double *
random_orthogonal (BsRng *rng,
                   guint  p)
{
  double *q = g_new (double, p * p);   /* column j: q[i * p + j] */

  for (guint i = 0; i < p * p; i++)
    q[i] = bs_rng_normal (rng);
  for (guint j = 0; j < p; j++)
    {
      double norm = 0;

      for (guint pass = 0; pass < 2; pass++)   /* twice is enough for double precision */
        for (guint k = 0; k < j; k++)
          {
            double dot = 0;

            for (guint i = 0; i < p; i++)
              dot += q[i * p + j] * q[i * p + k];
            for (guint i = 0; i < p; i++)
              q[i * p + j] -= dot * q[i * p + k];
          }
      for (guint i = 0; i < p; i++)
        norm += q[i * p + j] * q[i * p + j];
      norm = sqrt (norm);
      for (guint i = 0; i < p; i++)
        q[i * p + j] /= norm;
    }
  /* Check Q^T Q = I so that a wrong Q cannot make the test pass. */
  for (guint j = 0; j < p; j++)
    for (guint k = 0; k < p; k++)
      {
        double dot = 0;

        for (guint i = 0; i < p; i++)
          dot += q[i * p + j] * q[i * p + k];
        g_assert_cmpfloat (fabs (dot - (j == k)), <, 1e-12);
      }
  return q;
}

static double *
matmul (const double *x,
        const double *m,
        guint         n,
        guint         p,
        guint         q)
{
  double *y = g_new0 (double, n * q);

  for (guint i = 0; i < n; i++)
    for (guint k = 0; k < p; k++)
      for (guint j = 0; j < q; j++)
        y[i * q + j] += x[i * p + k] * m[k * q + j];
  return y;
}

/* Rows: X, Y. Columns: X, XQ (orthogonal), 3.7 X (isotropic scaling), XM
 * (random non-orthogonal map), Y. */
static void
check_invariances (gboolean biased)
{
  const guint n = 16, p = 8, k = 3;
  BsRng rng;
  const guint pa[] = { p, 5 };
  const guint pb[] = { p, p, p, p, 5 };
  Data a, b;
  double cka[10];
  g_autofree double *q = NULL;
  g_autofree double *m = g_new (double, p * p);
  BsCkaAccumulator *acc;

  make_data (&a, pa, 2, n, k, 3);
  bs_rng_init (&rng, 99);
  q = random_orthogonal (&rng, p);
  for (guint i = 0; i < p * p; i++)
    m[i] = bs_rng_normal (&rng);
  m[0] += 3.0;  /* make it clearly anisotropic */

  b.n_layers = 5;
  b.p = g_memdup2 (pb, sizeof pb);
  b.x = g_new0 (double *, k * 5);
  for (guint mb = 0; mb < k; mb++)
    {
      const double *x = a.x[mb * 2];

      b.x[mb * 5 + 0] = g_memdup2 (x, n * p * sizeof (double));
      b.x[mb * 5 + 1] = matmul (x, q, n, p, p);
      b.x[mb * 5 + 2] = g_new (double, n * p);
      for (guint i = 0; i < n * p; i++)
        b.x[mb * 5 + 2][i] = 3.7 * x[i];
      b.x[mb * 5 + 3] = matmul (x, m, n, p, p);
      b.x[mb * 5 + 4] = g_memdup2 (a.x[mb * 2 + 1], n * 5 * sizeof (double));
    }

  acc = run_acc (&a, &b, n, 0, k, biased, PATH_F64);
  bs_cka_accumulator_get_result (acc, cka, NULL, NULL, NULL);

  assert_rel (cka[0], 1.0, 1e-12);            /* X vs X */
  assert_rel (cka[1], 1.0, 1e-12);            /* X vs XQ */
  assert_rel (cka[2], 1.0, 1e-12);            /* X vs 3.7 X */
  g_assert_cmpfloat (fabs (cka[3] - 1.0), >, 1e-3);  /* X vs XM: not invariant */
  assert_rel (cka[5 + 1], cka[5 + 0], 1e-10);  /* Y vs XQ == Y vs X */
  assert_rel (cka[5 + 2], cka[5 + 0], 1e-10);  /* Y vs 3.7X == Y vs X */
  g_assert_cmpfloat (fabs (cka[5 + 3] - cka[5 + 0]), >, 1e-4);
  assert_rel (cka[5 + 4], 1.0, 1e-12);        /* Y vs Y */

  bs_cka_accumulator_free (acc);
  data_free (&a, k);
  data_free (&b, k);
}

static void
test_invariance (void)
{
  check_invariances (FALSE);
  check_invariances (TRUE);
}

/* A model against itself: exactly symmetric with an exactly unit diagonal in
 * the symmetric mode; the same up to rounding when the data is given twice. */
static void
test_self (void)
{
  const guint n = 14, k = 4, L = 4;
  Data a;
  double cka[16], se[16], cka2[16];
  BsCkaAccumulator *acc;

  make_data (&a, p_a, L, n, k, 21);
  acc = run_acc (&a, NULL, n, 0, k, FALSE, PATH_CNHW);
  bs_cka_accumulator_get_result (acc, cka, se, NULL, NULL);
  for (guint r = 0; r < L; r++)
    {
      g_assert_cmpfloat (cka[r * L + r], ==, 1.0);
      g_assert_cmpfloat (se[r * L + r], <, 1e-6);
      for (guint c = 0; c < L; c++)
        {
          g_assert_cmpfloat (cka[r * L + c], ==, cka[c * L + r]);
          g_assert_cmpfloat (se[r * L + c], ==, se[c * L + r]);
          g_assert_cmpfloat (cka[r * L + c], <=, 1.0 + 1e-12);
        }
    }
  bs_cka_accumulator_free (acc);

  acc = run_acc (&a, &a, n, 0, k, FALSE, PATH_CNHW);
  bs_cka_accumulator_get_result (acc, cka2, NULL, NULL, NULL);
  for (guint i = 0; i < L * L; i++)
    assert_rel (cka2[i], cka[i], 1e-12);
  bs_cka_accumulator_free (acc);
  data_free (&a, k);
}

/* One minibatch of the biased estimator equals the feature-space form
 * ||Y^T X||_F^2 / (||X^T X||_F ||Y^T Y||_F) after column-centring. */
static void
test_biased_feature_space (void)
{
  const guint n = 11;
  Data a, b;
  double cka[12];
  BsCkaAccumulator *acc;

  make_data (&a, p_a, 4, n, 1, 8);
  make_data (&b, p_b, 3, n, 1, 8);
  acc = run_acc (&a, &b, n, 0, 1, TRUE, PATH_F64);
  bs_cka_accumulator_get_result (acc, cka, NULL, NULL, NULL);

  for (guint r = 0; r < 4; r++)
    for (guint c = 0; c < 3; c++)
      {
        guint p = a.p[r], q = b.p[c];
        g_autofree long double *x = g_new (long double, n * p);
        g_autofree long double *y = g_new (long double, n * q);
        long double yx = 0, xx = 0, yy = 0;

        for (guint f = 0; f < p; f++)
          {
            long double mean = 0;

            for (guint i = 0; i < n; i++)
              mean += a.x[r][i * p + f];
            for (guint i = 0; i < n; i++)
              x[i * p + f] = a.x[r][i * p + f] - mean / n;
          }
        for (guint f = 0; f < q; f++)
          {
            long double mean = 0;

            for (guint i = 0; i < n; i++)
              mean += b.x[c][i * q + f];
            for (guint i = 0; i < n; i++)
              y[i * q + f] = b.x[c][i * q + f] - mean / n;
          }
        for (guint u = 0; u < q; u++)
          for (guint v = 0; v < p; v++)
            {
              long double s = 0;

              for (guint i = 0; i < n; i++)
                s += y[i * q + u] * x[i * p + v];
              yx += s * s;
            }
        for (guint u = 0; u < p; u++)
          for (guint v = 0; v < p; v++)
            {
              long double s = 0;

              for (guint i = 0; i < n; i++)
                s += x[i * p + u] * x[i * p + v];
              xx += s * s;
            }
        for (guint u = 0; u < q; u++)
          for (guint v = 0; v < q; v++)
            {
              long double s = 0;

              for (guint i = 0; i < n; i++)
                s += y[i * q + u] * y[i * q + v];
              yy += s * s;
            }
        assert_rel (cka[r * 3 + c], (double) (yx / (sqrtl (xx) * sqrtl (yy))), 1e-10);
      }

  bs_cka_accumulator_free (acc);
  data_free (&a, 1);
  data_free (&b, 1);
}

/* Sums from two accumulators over disjoint minibatches equal one accumulator over all. */
static void
test_merge (void)
{
  const guint n = 9, k = 5;
  Data a, b;
  double c_all[12], s_all[12], c_m[12], s_m[12];
  BsCkaAccumulator *all, *first, *second, *sym;
  g_autoptr(GError) error = NULL;

  make_data (&a, p_a, 4, n, k, 31);
  make_data (&b, p_b, 3, n, k, 31);
  all = run_acc (&a, &b, n, 0, k, FALSE, PATH_F64);
  first = run_acc (&a, &b, n, 0, 2, FALSE, PATH_F64);
  second = run_acc (&a, &b, n, 2, k, FALSE, PATH_F64);

  g_assert_true (bs_cka_accumulator_merge (first, second, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bs_cka_accumulator_get_n_minibatches (first), ==, k);
  bs_cka_accumulator_get_result (all, c_all, s_all, NULL, NULL);
  bs_cka_accumulator_get_result (first, c_m, s_m, NULL, NULL);
  for (guint i = 0; i < 12; i++)
    {
      assert_rel (c_m[i], c_all[i], 1e-12);
      assert_rel (s_m[i], s_all[i], 1e-8);
    }

  /* Different shapes do not merge. */
  sym = run_acc (&a, NULL, n, 0, 1, FALSE, PATH_F64);
  g_assert_false (bs_cka_accumulator_merge (first, sym, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);

  bs_cka_accumulator_free (all);
  bs_cka_accumulator_free (first);
  bs_cka_accumulator_free (second);
  bs_cka_accumulator_free (sym);
  data_free (&a, k);
  data_free (&b, k);
}

static void
test_small_n (void)
{
  g_autoptr(GError) error = NULL;
  BsCkaAccumulator *acc;

  acc = bs_cka_accumulator_new (2, 2, 3, FALSE, FALSE, &error);
  g_assert_null (acc);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "at least 4"));
  g_clear_error (&error);

  acc = bs_cka_accumulator_new (2, 2, 1, TRUE, FALSE, &error);
  g_assert_null (acc);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  acc = bs_cka_accumulator_new (2, 2, 3, TRUE, FALSE, &error);
  g_assert_no_error (error);
  bs_cka_accumulator_free (acc);

  acc = bs_cka_accumulator_new (2, 3, 8, FALSE, TRUE, &error);
  g_assert_null (acc);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
}

/* A missing Gram is an error, and nothing is added. */
static void
test_incomplete (void)
{
  g_autoptr(GError) error = NULL;
  BsCkaAccumulator *acc = bs_cka_accumulator_new (2, 1, 5, FALSE, FALSE, &error);
  double gram[25];

  for (guint i = 0; i < 25; i++)
    gram[i] = (i / 5 + 1) * (i % 5 + 1);
  bs_cka_accumulator_set_gram (acc, BS_CKA_SIDE_A, 0, gram, TRUE);
  bs_cka_accumulator_set_gram (acc, BS_CKA_SIDE_B, 0, gram, TRUE);
  g_assert_false (bs_cka_accumulator_end_minibatch (acc, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FAILED);
  g_assert_cmpuint (bs_cka_accumulator_get_n_minibatches (acc), ==, 0);
  bs_cka_accumulator_free (acc);
}

/* Constant layers give NaN with a reason, never 0 and never a crash; so do
 * non-finite activations. Other cells are unaffected. */
static void
check_degenerate (GramPath path,
                  gboolean biased)
{
  const guint n = 12, k = 3;
  Data a, b;
  double cka[12], se[12], want[12];
  guint8 rs[4], cs[3];
  BsCkaAccumulator *acc;
  g_autoptr(BsCkaSnapshot) snap = NULL;
  g_autoptr(BsCkaSnapshot) empty = NULL;
  BsCkaSnapshotHeader header;
  BsLayerInfo rows[4] = { { 0 } }, cols[3] = { { 0 } };

  make_data (&a, p_a, 4, n, k, 41);
  make_data (&b, p_b, 3, n, k, 41);
  ref_cka (&a, &b, n, k, want, NULL, NULL, NULL);
  for (guint mb = 0; mb < k; mb++)
    {
      /* Row 1: every example has the same (non-zero) activation. */
      for (guint i = 0; i < n; i++)
        for (guint f = 0; f < a.p[1]; f++)
          a.x[mb * 4 + 1][i * a.p[1] + f] = 0.25 + f;
      /* Column 2: all zero. */
      memset (b.x[mb * 3 + 2], 0, n * b.p[2] * sizeof (double));
    }
  /* Row 3: one NaN in the second minibatch only; the flag stays. */
  a.x[1 * 4 + 3][7] = NAN;

  acc = run_acc (&a, &b, n, 0, k, biased, path);
  bs_cka_accumulator_get_result (acc, cka, se, rs, cs);
  g_assert_cmpint (rs[0], ==, BS_CKA_LAYER_OK);
  g_assert_cmpint (rs[1], ==, BS_CKA_LAYER_CONSTANT);
  g_assert_cmpint (rs[2], ==, BS_CKA_LAYER_OK);
  g_assert_cmpint (rs[3], ==, BS_CKA_LAYER_NOT_FINITE);
  g_assert_cmpint (cs[0], ==, BS_CKA_LAYER_OK);
  g_assert_cmpint (cs[1], ==, BS_CKA_LAYER_OK);
  g_assert_cmpint (cs[2], ==, BS_CKA_LAYER_CONSTANT);
  for (guint r = 0; r < 4; r++)
    for (guint c = 0; c < 3; c++)
      {
        gboolean bad = r == 1 || r == 3 || c == 2;

        g_assert_cmpint (isnan (cka[r * 3 + c]), ==, bad);
        g_assert_cmpint (isnan (se[r * 3 + c]), ==, bad);
        if (!bad && !biased)
          assert_rel (cka[r * 3 + c], want[r * 3 + c], path == PATH_F64 ? 1e-9 : 2e-5);
      }

  for (guint i = 0; i < 4; i++)
    rows[i].name = (char *) "row";
  for (guint i = 0; i < 3; i++)
    cols[i].name = (char *) "col";
  header = (BsCkaSnapshotHeader) { .rows = rows, .n_rows = 4, .cols = cols, .n_cols = 3 };
  empty = bs_cka_snapshot_new_empty (&header);
  g_assert_nonnull (strstr (bs_cka_snapshot_cell_reason (empty, 0, 0), "not computed"));
  snap = bs_cka_accumulator_make_snapshot (acc, &header);
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (snap), ==, k);
  g_assert_cmpuint (bs_cka_snapshot_get_batch_size (snap), ==, n);
  g_assert_cmpint (bs_cka_snapshot_get_biased (snap), ==, biased);
  for (guint i = 0; i < 12; i++)
    {
      g_assert_cmpmem (&bs_cka_snapshot_get_values (snap)[i], sizeof (double), &cka[i], sizeof (double));
      g_assert_cmpmem (&bs_cka_snapshot_get_std_errors (snap)[i], sizeof (double), &se[i], sizeof (double));
    }
  g_assert_null (bs_cka_snapshot_cell_reason (snap, 0, 0));
  g_assert_nonnull (strstr (bs_cka_snapshot_cell_reason (snap, 1, 0), "model A is constant"));
  g_assert_nonnull (strstr (bs_cka_snapshot_cell_reason (snap, 0, 2), "model B is constant"));
  g_assert_nonnull (strstr (bs_cka_snapshot_cell_reason (snap, 1, 2), "both layers"));
  g_assert_nonnull (strstr (bs_cka_snapshot_cell_reason (snap, 3, 1), "NaN or infinite"));

  bs_cka_accumulator_free (acc);
  data_free (&a, k);
  data_free (&b, k);
}

static void
test_degenerate (void)
{
  check_degenerate (PATH_F64, FALSE);
  check_degenerate (PATH_F32, FALSE);
  check_degenerate (PATH_CNHW, FALSE);
  check_degenerate (PATH_CNHW, TRUE);
}

/* U-centring against its defining property: <U(K), U(L)> = n (n - 3) HSIC1(K, L). */
static void
test_u_centre (void)
{
  const guint n = 7;
  Data a;
  double gk[49], gl[49], dot = 0;
  g_autofree long double *K = NULL;
  g_autofree long double *L = NULL;

  make_data (&a, p_a, 2, n, 1, 2);
  K = ref_gram (a.x[0], n, a.p[0]);
  L = ref_gram (a.x[1], n, a.p[1]);
  /* Uncentred Grams: U-centring must not care about column means. */
  for (guint i = 0; i < 49; i++)
    {
      gk[i] = (double) K[i];
      gl[i] = (double) L[i];
    }
  bs_gram_u_centre (gk, n);
  bs_gram_u_centre (gl, n);
  for (guint i = 0; i < n; i++)
    {
      g_assert_cmpfloat (gk[i * n + i], ==, 0.0);
      for (guint j = 0; j < n; j++)
        g_assert_cmpfloat (fabs (gk[i * n + j] - gk[j * n + i]), <, 1e-9);
    }
  for (guint i = 0; i < 49; i++)
    dot += gk[i] * gl[i];
  assert_rel (dot, (double) (n * (n - 3) * ref_hsic1 (K, L, n)), 1e-10);

  data_free (&a, 1);
}

/* ---- bs_gram_from_cnhw_affine: a convolution's Gram and its batch norm's in one pass. */

/* Relative Frobenius distance of U(a) and U(b). */
static double
u_distance (double *a,
            double *b,
            guint   n)
{
  double num = 0, den = 0;

  bs_gram_u_centre (a, n);
  bs_gram_u_centre (b, n);
  for (guint i = 0; i < n * n; i++)
    {
      num += (a[i] - b[i]) * (a[i] - b[i]);
      den += b[i] * b[i];
    }
  return sqrt (num / den);
}

/* U(K) of CNHW float activations, from the slow reference Gram in long double. */
static double *
ref_u_gram_cnhw (const float *act,
                 guint        channels,
                 guint        n,
                 guint        spatial)
{
  guint p = channels * spatial;
  g_autofree double *x = g_new (double, n * p);
  g_autofree long double *K = NULL;
  double *out = g_new (double, n * n);

  for (guint c = 0; c < channels; c++)
    for (guint i = 0; i < n; i++)
      for (guint s = 0; s < spatial; s++)
        x[i * p + c * spatial + s] = act[(c * n + i) * spatial + s];
  K = ref_gram (x, n, p);
  for (guint i = 0; i < n * n; i++)
    out[i] = (double) K[i];
  return out;
}

static void
test_gram_affine (void)
{
  const guint C = 5, n = 24, S = 6;
  g_autofree float *x = g_new (float, C * n * S);
  g_autofree float *y = g_new (float, C * n * S);
  g_autofree double *gram_x = g_new (double, n * n);
  g_autofree double *gram_y = g_new (double, n * n);
  g_autofree double *direct = g_new (double, n * n);
  g_autofree double *ref = NULL;
  const float a[5] = { 1.7f, -0.6f, 0.0f, 2.5f, 0.01f };
  BsGramWorkspace *ws = new_workspace ();
  BsRng rng;

  bs_rng_init (&rng, 77);
  for (guint i = 0; i < C * n * S; i++)
    x[i] = (float) (3.0 + bs_rng_normal (&rng));   /* a large common mean, as after a ReLU */
  for (guint c = 0; c < C; c++)
    for (guint k = 0; k < n * S; k++)
      y[c * n * S + k] = a[c] * x[c * n * S + k] + 0.3f * c - 1.0f;

  /* Both Grams against the reference, and the second against the direct one. */
  g_assert_true (bs_gram_from_cnhw_affine (ws, x, C, n, S, a, gram_x, gram_y));
  g_assert_true (bs_gram_from_cnhw (ws, y, C, n, S, direct));
  ref = ref_u_gram_cnhw (x, C, n, S);
  g_assert_cmpfloat (u_distance (gram_x, ref, n), <, 1e-5);
  g_clear_pointer (&ref, g_free);
  ref = ref_u_gram_cnhw (y, C, n, S);
  g_assert_cmpfloat (u_distance (gram_y, ref, n), <, 1e-5);
  g_assert_cmpfloat (u_distance (direct, ref, n), <, 1e-5);
  g_clear_pointer (&ref, g_free);

  /* The first Gram is the plain one (summed per channel: to float rounding). */
  g_assert_true (bs_gram_from_cnhw (ws, x, C, n, S, direct));
  g_assert_true (bs_gram_from_cnhw_affine (ws, x, C, n, S, a, gram_x, gram_y));
  g_assert_cmpfloat (u_distance (gram_x, direct, n), <, 1e-6);

  /* A constant input: both exactly zero. */
  for (guint i = 0; i < C * n * S; i++)
    y[i] = 0.5f;
  g_assert_true (bs_gram_from_cnhw_affine (ws, y, C, n, S, a, gram_x, gram_y));
  for (guint i = 0; i < n * n; i++)
    {
      g_assert_cmpfloat (gram_x[i], ==, 0.0);
      g_assert_cmpfloat (gram_y[i], ==, 0.0);
    }

  /* Not finite: refused. */
  x[17] = INFINITY;
  g_assert_false (bs_gram_from_cnhw_affine (ws, x, C, n, S, a, gram_x, gram_y));

  bs_gram_workspace_free (ws);
}

/* The per-minibatch product does not depend on the number of threads, to the bit. */
static void
check_product_threads (gboolean symmetric)
{
  const guint n = 12, k = 2;
  Data a, b;
  double one[4 * 4], three[4 * 4];   /* 4 x 3, or 4 x 4 when symmetric */
  BsCkaAccumulator *acc;
  guint saved = n_threads;

  make_data (&a, p_a, 4, n, k, 8);
  make_data (&b, p_b, 3, n, k, 9);
  n_threads = 1;
  acc = run_acc (&a, symmetric ? NULL : &b, n, 0, k, FALSE, PATH_F64);
  bs_cka_accumulator_get_result (acc, one, NULL, NULL, NULL);
  bs_cka_accumulator_free (acc);
  n_threads = 3;
  acc = run_acc (&a, symmetric ? NULL : &b, n, 0, k, FALSE, PATH_F64);
  bs_cka_accumulator_get_result (acc, three, NULL, NULL, NULL);
  bs_cka_accumulator_free (acc);
  n_threads = saved;
  g_assert_cmpmem (one, (symmetric ? 16 : 12) * sizeof (double), three,
                   (symmetric ? 16 : 12) * sizeof (double));
  data_free (&a, k);
  data_free (&b, k);
}

/* The same checks with three threads sharing every Gram (uneven splits);
 * and the Grams do not depend on the number of threads, to the bit. */
static void
test_threads (void)
{
  const guint C = 37, n = 20, S = 64;
  g_autofree float *x = g_new (float, C * n * S);
  float scale[37];
  g_autofree double *g1 = g_new (double, n * n);
  g_autofree double *g3 = g_new (double, n * n);
  g_autofree double *h1 = g_new (double, n * n);
  g_autofree double *h3 = g_new (double, n * n);
  BsGramWorkspace *w1 = bs_gram_workspace_new (1);
  BsGramWorkspace *w3 = bs_gram_workspace_new (3);
  BsRng rng;

  bs_rng_init (&rng, 123);
  for (guint i = 0; i < C * n * S; i++)
    x[i] = (float) bs_rng_normal (&rng);
  g_assert_true (bs_gram_from_cnhw (w1, x, C, n, S, g1));
  g_assert_true (bs_gram_from_cnhw (w3, x, C, n, S, g3));
  g_assert_cmpmem (g1, n * n * sizeof (double), g3, n * n * sizeof (double));
  g_assert_true (bs_gram_from_rows_f32 (w1, x, n, C * S, g1));
  g_assert_true (bs_gram_from_rows_f32 (w3, x, n, C * S, g3));
  g_assert_cmpmem (g1, n * n * sizeof (double), g3, n * n * sizeof (double));
  for (guint c = 0; c < C; c++)
    scale[c] = 0.5f + 0.1f * c;
  g_assert_true (bs_gram_from_cnhw_affine (w1, x, C, n, S, scale, g1, h1));
  g_assert_true (bs_gram_from_cnhw_affine (w3, x, C, n, S, scale, g3, h3));
  g_assert_cmpmem (g1, n * n * sizeof (double), g3, n * n * sizeof (double));
  g_assert_cmpmem (h1, n * n * sizeof (double), h3, n * n * sizeof (double));
  bs_gram_workspace_free (w1);
  bs_gram_workspace_free (w3);

  check_product_threads (FALSE);
  check_product_threads (TRUE);
  n_threads = 3;
  check_against_reference (12, 3, PATH_F64, 1e-9);
  check_against_reference (20, 3, PATH_F32, 2e-5);
  check_against_reference (20, 3, PATH_CNHW, 2e-5);
  chunk_columns = 3;
  check_against_reference (16, 2, PATH_F64, 1e-9);
  check_against_reference (16, 2, PATH_CNHW, 2e-5);
  chunk_columns = 0;
  check_degenerate (PATH_CNHW, FALSE);
  check_degenerate (PATH_F32, TRUE);
  test_gram_affine ();
  n_threads = 1;
}

int
main (int    argc,
      char **argv)
{
  /* As the CKA job does: the Gram threads call BLAS themselves (bs-gram.h). */
  bs_blas_guard_enter ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cka/u-centre", test_u_centre);
  g_test_add_func ("/cka/reference-f64", test_reference_f64);
  g_test_add_func ("/cka/reference-f32", test_reference_f32);
  g_test_add_func ("/cka/std-error", test_std_error);
  g_test_add_func ("/cka/invariance", test_invariance);
  g_test_add_func ("/cka/self", test_self);
  g_test_add_func ("/cka/biased-feature-space", test_biased_feature_space);
  g_test_add_func ("/cka/merge", test_merge);
  g_test_add_func ("/cka/small-n", test_small_n);
  g_test_add_func ("/cka/incomplete", test_incomplete);
  g_test_add_func ("/cka/degenerate", test_degenerate);
  g_test_add_func ("/cka/gram-affine", test_gram_affine);
  g_test_add_func ("/cka/threads", test_threads);

  return g_test_run ();
}
