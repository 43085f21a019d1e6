/* test-cka-pc1.c: PC1 share, PC1 alignment and CKA without PC1 (bs-pc1, bs-cka-pc1)
 * against their definitions computed from the activations: the covariance's
 * eigen-decomposition by Jacobi rotations in long double, the scores
 * X_c v_1, explicit deflation X_c - s v_1^T and the unbiased HSIC written out. */
#include <math.h>
#include <string.h>

#include "bs-cka-job.h"
#include "bs-cka-pc1.h"
#include "bs-dataset.h"
#include "bs-synthetic.h"
#include "bs-error.h"
#include "bs-pc1.h"
#include "bs-rng.h"
#include "cka-reference.h"

/* ---- The reference. */

/* Eigen-decomposition of the symmetric p x p matrix a (destroyed) by cyclic
 * Jacobi rotations: eigenvalues in w, eigenvectors in the columns of v. */
static void
ref_jacobi (long double *a,
            guint        p,
            long double *w,
            long double *v)
{
  for (guint i = 0; i < p; i++)
    for (guint j = 0; j < p; j++)
      v[i * p + j] = i == j;
  for (guint sweep = 0; sweep < 100; sweep++)
    {
      long double off = 0;

      for (guint i = 0; i < p; i++)
        for (guint j = i + 1; j < p; j++)
          off += a[i * p + j] * a[i * p + j];
      if (off < 1e-40L)
        break;
      for (guint k = 0; k < p; k++)
        for (guint l = k + 1; l < p; l++)
          {
            long double akl = a[k * p + l], theta, t, c, s;

            if (fabsl (akl) < 1e-300L)
              continue;
            theta = (a[l * p + l] - a[k * p + k]) / (2 * akl);
            t = (theta >= 0 ? 1 : -1) / (fabsl (theta) + sqrtl (theta * theta + 1));
            c = 1 / sqrtl (t * t + 1);
            s = t * c;
            for (guint i = 0; i < p; i++)
              {
                long double aik = a[i * p + k], ail = a[i * p + l];

                a[i * p + k] = c * aik - s * ail;
                a[i * p + l] = s * aik + c * ail;
              }
            for (guint i = 0; i < p; i++)
              {
                long double aki = a[k * p + i], ali = a[l * p + i];

                a[k * p + i] = c * aki - s * ali;
                a[l * p + i] = s * aki + c * ali;
              }
            for (guint i = 0; i < p; i++)
              {
                long double vik = v[i * p + k], vil = v[i * p + l];

                v[i * p + k] = c * vik - s * vil;
                v[i * p + l] = s * vik + c * vil;
              }
          }
    }
  for (guint i = 0; i < p; i++)
    w[i] = a[i * p + i];
}

typedef struct {
  long double  share;   /* lambda_1 / sum lambda */
  long double *u;       /* n: unit PC1 scores */
  long double *xd;      /* n x p: centred activations without PC1 */
} RefPc1;

/* From the activations x (n x p): centre, covariance, top eigenpair, scores, deflation. */
static void
ref_pc1 (const double *x,
         guint         n,
         guint         p,
         RefPc1       *out)
{
  g_autofree long double *xc = g_new (long double, n * p);
  g_autofree long double *cov = g_new0 (long double, p * p);
  g_autofree long double *w = g_new (long double, p);
  g_autofree long double *v = g_new (long double, p * p);
  long double total = 0, norm = 0;
  guint top = 0;

  for (guint f = 0; f < p; f++)
    {
      long double mean = 0;

      for (guint i = 0; i < n; i++)
        mean += x[i * p + f];
      mean /= n;
      for (guint i = 0; i < n; i++)
        xc[i * p + f] = x[i * p + f] - mean;
    }
  for (guint f = 0; f < p; f++)
    for (guint g = 0; g < p; g++)
      for (guint i = 0; i < n; i++)
        cov[f * p + g] += xc[i * p + f] * xc[i * p + g];
  ref_jacobi (cov, p, w, v);
  for (guint f = 0; f < p; f++)
    {
      total += w[f];
      if (w[f] > w[top])
        top = f;
    }
  out->share = w[top] / total;
  out->u = g_new (long double, n);
  out->xd = g_new (long double, n * p);
  for (guint i = 0; i < n; i++)
    {
      long double s = 0;

      for (guint f = 0; f < p; f++)
        s += xc[i * p + f] * v[f * p + top];
      out->u[i] = s;
      norm += s * s;
      for (guint f = 0; f < p; f++)
        out->xd[i * p + f] = xc[i * p + f];
      for (guint f = 0; f < p; f++)
        out->xd[i * p + f] -= s * v[f * p + top];
    }
  for (guint i = 0; i < n; i++)
    out->u[i] /= sqrtl (norm);
}

static long double *
ref_gram_ld (const long double *x,
             guint              n,
             guint              p)
{
  long double *K = g_new0 (long double, n * n);

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      for (guint f = 0; f < p; f++)
        K[i * n + j] += x[i * p + f] * x[j * p + f];
  return K;
}

/* ---- Generated activations: layers of one "network" share a latent with a
 * dominant direction of varying strength, so shares spread over (0, 1). */

#define N 40
#define MINIBATCHES 3
static const guint layer_p[] = { 6, 11, 3, 17, 9 };
#define LAYERS G_N_ELEMENTS (layer_p)

static double *
make_layer (BsRng *rng,
            guint  mb,
            guint  layer)
{
  guint p = layer_p[layer];
  double *x = g_new (double, N * p);
  double strength = 0.5 + layer;

  for (guint i = 0; i < N; i++)
    {
      /* The latent of example i of this minibatch, the same for every layer. */
      BsRng latent;
      double z;

      bs_rng_init_stream (&latent, 7, mb * N + i);
      z = bs_rng_normal (&latent);
      for (guint f = 0; f < p; f++)
        x[i * p + f] = strength * z * cos (f + layer) + bs_rng_normal (rng) + 3.0;
    }
  return x;
}

/* K = X X^T in double, as the engine hands Grams over. */
static double *
gram (const double *x,
      guint         p)
{
  double *k = g_new0 (double, N * N);

  for (guint i = 0; i < N; i++)
    for (guint j = 0; j < N; j++)
      for (guint f = 0; f < p; f++)
        k[i * N + j] += x[i * p + f] * x[j * p + f];
  return k;
}

static void
assert_rel (double      got,
            long double want,
            double      tolerance)
{
  double scale = MAX (fabs ((double) want), 1e-12);

  if (!(fabs (got - (double) want) <= tolerance * scale))
    g_error ("got %.17g, want %.17Lg (relative error %.3g)", got, want, fabs (got - (double) want) / scale);
}

/* ---- The eigensolver alone. */

/* C = X_c X_c^T of random data with the given spread of variances. */
static double *
centred_gram (guint         n,
              guint         p,
              const double *sd,
              guint64       seed,
              double      **x_out)
{
  double *x = g_new (double, n * p);
  double *c = g_new0 (double, n * n);
  BsRng rng;

  bs_rng_init (&rng, seed);
  for (guint i = 0; i < n * p; i++)
    x[i] = sd[i % p] * bs_rng_normal (&rng);
  for (guint f = 0; f < p; f++)
    {
      double mean = 0;

      for (guint i = 0; i < n; i++)
        mean += x[i * p + f];
      for (guint i = 0; i < n; i++)
        x[i * p + f] -= mean / n;
    }
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      for (guint f = 0; f < p; f++)
        c[i * n + j] += x[i * p + f] * x[j * p + f];
  *x_out = x;
  return c;
}

static void
check_top_eigen (guint         n,
                 guint         p,
                 const double *sd,
                 int           expect_fallback)  /* -1: either */
{
  g_autoptr(BsPc1Solver) solver = bs_pc1_solver_new (n);
  g_autofree double *x = NULL;
  g_autofree double *c = centred_gram (n, p, sd, n * 31 + p, &x);
  g_autofree double *u = g_new (double, n);
  RefPc1 ref;
  double lambda, trace = 0, dot = 0;

  ref_pc1 (x, n, p, &ref);
  lambda = bs_pc1_top_eigen (solver, c, u);
  for (guint i = 0; i < n; i++)
    {
      trace += c[i * n + i];
      dot += u[i] * (double) ref.u[i];
    }
  g_test_message ("n %u, p %u: %u products%s, share %.6f", n, p, bs_pc1_solver_get_last_steps (solver),
                  bs_pc1_solver_get_last_fallback (solver) ? " and dsyevr" : "", lambda / trace);
  if (expect_fallback >= 0)
    g_assert_cmpint (bs_pc1_solver_get_last_fallback (solver), ==, expect_fallback);
  assert_rel (lambda / trace, ref.share, 1e-11);
  /* The same direction (up to sign): |cos| = 1. */
  assert_rel (fabs (dot), 1.0L, 1e-10);
  g_free (ref.u);
  g_free (ref.xd);
}

static void
test_top_eigen (void)
{
  const double dominant[] = { 5, 1, 1, 0.5, 0.3, 2, 1, 0.2 };
  const double close[] = { 1.02, 1, 0.7, 0.5, 0.3, 0.2, 0.1, 0.05 };
  const double rank_one[] = { 1 };

  check_top_eigen (256, 8, dominant, FALSE);
  check_top_eigen (64, 8, dominant, FALSE);
  /* Fewer examples than Lanczos steps: the Krylov space is everything. */
  check_top_eigen (12, 8, close, FALSE);
  /* A 2 % gap over hundreds of examples: restarts or dsyevr, still exact. */
  check_top_eigen (256, 8, close, -1);
  check_top_eigen (100, 1, rank_one, FALSE);
}

/* Full rank (more features than examples) with a slowly decaying spectrum,
 * as in a wide layer: the reference is Jacobi on the n x n centred Gram. */
static void
check_full_rank (double decay)
{
  const guint n = 96, p = 200;
  g_autoptr(BsPc1Solver) solver = bs_pc1_solver_new (n);
  g_autofree double *sd = g_new (double, p);
  g_autofree double *x = NULL;
  g_autofree double *c = NULL;
  g_autofree double *u = g_new (double, n);
  g_autofree long double *a = g_new (long double, n * n);
  g_autofree long double *w = g_new (long double, n);
  g_autofree long double *v = g_new (long double, n * n);
  long double total = 0, dot = 0;
  double lambda, trace = 0;
  guint top = 0;

  for (guint f = 0; f < p; f++)
    sd[f] = 1.0 / (1.0 + f * decay);
  c = centred_gram (n, p, sd, 5, &x);
  for (guint i = 0; i < n * n; i++)
    a[i] = c[i];
  ref_jacobi (a, n, w, v);
  for (guint i = 0; i < n; i++)
    {
      total += w[i];
      if (w[i] > w[top])
        top = i;
    }
  lambda = bs_pc1_top_eigen (solver, c, u);
  for (guint i = 0; i < n; i++)
    {
      trace += c[i * n + i];
      dot += u[i] * v[i * n + top];
    }
  g_test_message ("n %u, p %u: %u products%s, share %.6f", n, p, bs_pc1_solver_get_last_steps (solver),
                  bs_pc1_solver_get_last_fallback (solver) ? " and dsyevr" : "", lambda / trace);
  assert_rel (lambda / trace, w[top] / total, 1e-11);
  assert_rel (fabs ((double) dot), 1.0L, 1e-10);
}

static void
test_top_eigen_full_rank (void)
{
  check_full_rank (1.0 / 20);
  /* Isotropic features: lambda_1 and lambda_2 only a few per cent apart. */
  check_full_rank (0.0);
}

static void
test_top_eigen_degenerate (void)
{
  g_autoptr(BsPc1Solver) solver = bs_pc1_solver_new (32);
  g_autofree double *c = g_new0 (double, 32 * 32);
  g_autofree double *u = g_new (double, 32);
  double trace = 0;

  /* Zero: no eigenvector. */
  g_assert_cmpfloat (bs_pc1_top_eigen (solver, c, u), ==, 0.0);
  for (guint i = 0; i < 32; i++)
    g_assert_cmpfloat (u[i], ==, 0.0);

  /* Isotropic: 4 orthogonal zero-mean columns of equal norm (Walsh functions),
   * every eigenvalue equal, PC1 share exactly 1/4. */
  for (guint i = 0; i < 32; i++)
    for (guint j = 0; j < 32; j++)
      for (guint f = 1; f <= 4; f++)
        {
          double wi = (__builtin_popcount (i & (f * 3)) & 1) ? -1 : 1;
          double wj = (__builtin_popcount (j & (f * 3)) & 1) ? -1 : 1;

          c[i * 32 + j] += wi * wj;
        }
  for (guint i = 0; i < 32; i++)
    trace += c[i * 32 + i];
  assert_rel (bs_pc1_top_eigen (solver, c, u) / trace, 0.25L, 1e-12);
}

/* ---- The accumulator against the reference. */

typedef struct {
  double *x[MINIBATCHES][LAYERS];
  RefPc1  ref[MINIBATCHES][LAYERS];
} Data;

static void
data_init (Data *d)
{
  BsRng rng;

  bs_rng_init (&rng, 42);
  for (guint mb = 0; mb < MINIBATCHES; mb++)
    for (guint l = 0; l < LAYERS; l++)
      {
        d->x[mb][l] = make_layer (&rng, mb, l);
        ref_pc1 (d->x[mb][l], N, layer_p[l], &d->ref[mb][l]);
      }
}

static void
data_clear (Data *d)
{
  for (guint mb = 0; mb < MINIBATCHES; mb++)
    for (guint l = 0; l < LAYERS; l++)
      {
        g_free (d->x[mb][l]);
        g_free (d->ref[mb][l].u);
        g_free (d->ref[mb][l].xd);
      }
}

static void
feed (BsCkaPc1   *pc1,
      const Data *d,
      guint       mb,
      gboolean    symmetric)
{
  g_autoptr(GError) error = NULL;

  for (guint l = 0; l < LAYERS; l++)
    {
      g_autofree double *k = gram (d->x[mb][l], layer_p[l]);

      bs_cka_pc1_set_gram (pc1, BS_CKA_SIDE_A, l, k, TRUE);
      if (!symmetric)
        {
          g_autofree double *k2 = gram (d->x[mb][LAYERS - 1 - l], layer_p[LAYERS - 1 - l]);

          bs_cka_pc1_set_gram (pc1, BS_CKA_SIDE_B, l, k2, TRUE);
        }
    }
  g_assert_true (bs_cka_pc1_end_minibatch (pc1, &error));
  g_assert_no_error (error);
}

/* A header for snapshots of LAYERS x LAYERS. */
static BsCkaSnapshot *
empty_snapshot (guint n_minibatches)
{
  BsLayerInfo layers[LAYERS];
  BsCkaSnapshotHeader header = { layers, LAYERS, layers, LAYERS, "a", "b", N, MINIBATCHES, FALSE };
  gsize cells = LAYERS * LAYERS;
  BsCkaSnapshot *snapshot;

  memset (layers, 0, sizeof layers);
  for (guint l = 0; l < LAYERS; l++)
    layers[l].name = g_strdup_printf ("layer%u", l);
  snapshot = bs_cka_snapshot_new (&header, n_minibatches, g_new0 (double, cells), g_new0 (double, cells),
                                  g_new0 (guint8, LAYERS), g_new0 (guint8, LAYERS));
  for (guint l = 0; l < LAYERS; l++)
    g_free ((char *) layers[l].name);
  return snapshot;
}

static void
check_against_reference (gboolean symmetric)
{
  g_autoptr(GError) error = NULL;
  BsCkaPc1 *pc1 = bs_cka_pc1_new (LAYERS, LAYERS, N, FALSE, symmetric, &error);
  BsCkaSnapshot *snapshot;
  BsCkaSnapshot *without, *alignment;
  Data d;
  long double sxy[LAYERS][LAYERS] = { { 0 } }, sxx[LAYERS] = { 0 }, syy[LAYERS] = { 0 };

  g_assert_no_error (error);
  data_init (&d);
  for (guint mb = 0; mb < MINIBATCHES; mb++)
    feed (pc1, &d, mb, symmetric);
  snapshot = bs_cka_pc1_attach (pc1, empty_snapshot (MINIBATCHES));
  g_assert_true (bs_cka_snapshot_has_pc1 (snapshot));
  without = bs_cka_snapshot_get_measure (snapshot, BS_CKA_MEASURE_CKA_WITHOUT_PC1);
  alignment = bs_cka_snapshot_get_measure (snapshot, BS_CKA_MEASURE_PC1_ALIGNMENT);
  g_assert_true (bs_cka_snapshot_get_measure (snapshot, BS_CKA_MEASURE_CKA) == snapshot);

  /* Shares: the mean over minibatches. */
  for (guint l = 0; l < LAYERS; l++)
    {
      guint lb = symmetric ? l : LAYERS - 1 - l;
      long double want_a = 0, want_b = 0;
      double se;

      for (guint mb = 0; mb < MINIBATCHES; mb++)
        {
          want_a += d.ref[mb][l].share / MINIBATCHES;
          want_b += d.ref[mb][lb].share / MINIBATCHES;
        }
      assert_rel (bs_cka_snapshot_get_row_pc1_share (snapshot, l, &se), want_a, 1e-10);
      g_assert_true (se > 0 && se < 0.5);
      assert_rel (bs_cka_snapshot_get_col_pc1_share (snapshot, l, NULL), want_b, 1e-10);
      g_test_message ("layer %u (%u features): PC1 share %.4f", l, layer_p[l], (double) want_a);
    }

  /* Alignment and CKA without PC1, cell by cell. */
  for (guint mb = 0; mb < MINIBATCHES; mb++)
    {
      long double *ka[LAYERS], *kb[LAYERS];

      for (guint l = 0; l < LAYERS; l++)
        {
          guint lb = symmetric ? l : LAYERS - 1 - l;

          ka[l] = ref_gram_ld (d.ref[mb][l].xd, N, layer_p[l]);
          kb[l] = ref_gram_ld (d.ref[mb][lb].xd, N, layer_p[lb]);
        }
      for (guint r = 0; r < LAYERS; r++)
        {
          sxx[r] += ref_hsic1 (ka[r], ka[r], N);
          syy[r] += ref_hsic1 (kb[r], kb[r], N);
          for (guint c = 0; c < LAYERS; c++)
            sxy[r][c] += ref_hsic1 (ka[r], kb[c], N);
        }
      for (guint l = 0; l < LAYERS; l++)
        {
          g_free (ka[l]);
          g_free (kb[l]);
        }
    }
  for (guint r = 0; r < LAYERS; r++)
    for (guint c = 0; c < LAYERS; c++)
      {
        guint cb = symmetric ? c : LAYERS - 1 - c;
        long double want = 0;

        for (guint mb = 0; mb < MINIBATCHES; mb++)
          {
            long double dot = 0;

            for (guint i = 0; i < N; i++)
              dot += d.ref[mb][r].u[i] * d.ref[mb][cb].u[i];
            want += dot * dot / MINIBATCHES;
          }
        assert_rel (bs_cka_snapshot_get_value (alignment, r, c), want, 1e-9);
        assert_rel (bs_cka_snapshot_get_value (without, r, c), sxy[r][c] / sqrtl (sxx[r] * syy[c]), 1e-9);
      }
  if (symmetric)
    for (guint l = 0; l < LAYERS; l++)
      {
        /* A layer against itself, with or without its PC1. */
        assert_rel (bs_cka_snapshot_get_value (without, l, l), 1.0L, 1e-12);
        assert_rel (bs_cka_snapshot_get_value (alignment, l, l), 1.0L, 1e-12);
      }

  bs_cka_snapshot_unref (snapshot);
  bs_cka_pc1_free (pc1);
  data_clear (&d);
}

static void
test_reference (void)
{
  check_against_reference (TRUE);
  check_against_reference (FALSE);
}

/* Sums over two halves merged are the sums over all. */
static void
test_merge (void)
{
  g_autoptr(GError) error = NULL;
  BsCkaPc1 *all = bs_cka_pc1_new (LAYERS, LAYERS, N, FALSE, FALSE, &error);
  BsCkaPc1 *first = bs_cka_pc1_new (LAYERS, LAYERS, N, FALSE, FALSE, &error);
  BsCkaPc1 *rest = bs_cka_pc1_new (LAYERS, LAYERS, N, FALSE, FALSE, &error);
  BsCkaPc1 *other = bs_cka_pc1_new (LAYERS, LAYERS, N + 1, FALSE, FALSE, &error);
  BsCkaSnapshot *a, *b;
  Data d;

  g_assert_no_error (error);
  data_init (&d);
  for (guint mb = 0; mb < MINIBATCHES; mb++)
    {
      feed (all, &d, mb, FALSE);
      feed (mb == 0 ? first : rest, &d, mb, FALSE);
    }
  g_assert_true (bs_cka_pc1_merge (first, rest, &error));
  g_assert_no_error (error);
  g_assert_false (bs_cka_pc1_merge (first, other, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);

  a = bs_cka_pc1_attach (all, empty_snapshot (MINIBATCHES));
  b = bs_cka_pc1_attach (first, empty_snapshot (MINIBATCHES));
  for (guint m = BS_CKA_MEASURE_CKA_WITHOUT_PC1; m < BS_CKA_N_MEASURES; m++)
    for (guint r = 0; r < LAYERS; r++)
      for (guint c = 0; c < LAYERS; c++)
        {
          assert_rel (bs_cka_snapshot_get_value (bs_cka_snapshot_get_measure (b, m), r, c),
                      bs_cka_snapshot_get_value (bs_cka_snapshot_get_measure (a, m), r, c), 1e-13);
          /* From sums of squares: cancellation leaves about sqrt (1e-16) of the value. */
          g_assert_cmpfloat_with_epsilon (bs_cka_snapshot_get_std_error (bs_cka_snapshot_get_measure (b, m), r, c),
                                          bs_cka_snapshot_get_std_error (bs_cka_snapshot_get_measure (a, m), r, c),
                                          1e-7);
        }
  bs_cka_snapshot_unref (a);
  bs_cka_snapshot_unref (b);
  bs_cka_pc1_free (all);
  bs_cka_pc1_free (first);
  bs_cka_pc1_free (rest);
  bs_cka_pc1_free (other);
  data_clear (&d);
}

/* A rank-one layer has all its variance on PC1 (and nothing left without
 * it); a constant and a non-finite layer have no PC1 and say why. */
static void
test_special_layers (void)
{
  g_autoptr(GError) error = NULL;
  BsCkaPc1 *pc1 = bs_cka_pc1_new (3, 3, N, FALSE, TRUE, &error);
  g_autofree double *rank_one = g_new (double, N * 4);
  g_autofree double *constant = g_new (double, N * 4);
  g_autofree double *k1 = NULL, *k2 = NULL;
  BsCkaSnapshot *snapshot, *without, *alignment;
  BsLayerInfo layers[3] = { { 0 } };
  BsCkaSnapshotHeader header = { layers, 3, layers, 3, "a", "a", N, 2, FALSE };
  BsRng rng;

  g_assert_no_error (error);
  bs_rng_init (&rng, 3);
  for (guint mb = 0; mb < 2; mb++)
    {
      for (guint i = 0; i < N; i++)
        {
          double z = bs_rng_normal (&rng);

          for (guint f = 0; f < 4; f++)
            {
              rank_one[i * 4 + f] = z * (f + 1) + 2;
              constant[i * 4 + f] = 1.5 + f;
            }
        }
      k1 = gram (rank_one, 4);
      k2 = gram (constant, 4);
      bs_cka_pc1_set_gram (pc1, BS_CKA_SIDE_A, 0, k1, TRUE);
      bs_cka_pc1_set_gram (pc1, BS_CKA_SIDE_A, 1, k2, TRUE);
      bs_cka_pc1_set_gram (pc1, BS_CKA_SIDE_A, 2, k1, FALSE);
      g_clear_pointer (&k1, g_free);
      g_clear_pointer (&k2, g_free);
      g_assert_true (bs_cka_pc1_end_minibatch (pc1, &error));
      g_assert_no_error (error);
    }
  for (guint l = 0; l < 3; l++)
    layers[l].name = "layer";
  snapshot = bs_cka_snapshot_new (&header, 2, g_new0 (double, 9), g_new0 (double, 9), g_new0 (guint8, 3),
                                  g_new0 (guint8, 3));
  bs_cka_pc1_attach (pc1, snapshot);
  without = bs_cka_snapshot_get_measure (snapshot, BS_CKA_MEASURE_CKA_WITHOUT_PC1);
  alignment = bs_cka_snapshot_get_measure (snapshot, BS_CKA_MEASURE_PC1_ALIGNMENT);

  assert_rel (bs_cka_snapshot_get_row_pc1_share (snapshot, 0, NULL), 1.0L, 1e-12);
  g_assert_true (isnan (bs_cka_snapshot_get_row_pc1_share (snapshot, 1, NULL)));
  g_assert_true (isnan (bs_cka_snapshot_get_row_pc1_share (snapshot, 2, NULL)));
  assert_rel (bs_cka_snapshot_get_value (alignment, 0, 0), 1.0L, 1e-12);
  for (guint l = 0; l < 3; l++)
    {
      /* Nothing is left of the rank-one layer without its PC1: no variance. */
      g_assert_true (isnan (bs_cka_snapshot_get_value (without, l, l)));
      if (l > 0)
        g_assert_true (isnan (bs_cka_snapshot_get_value (alignment, l, 0)));
    }
  g_assert_cmpint (bs_cka_snapshot_get_row_status (without, 0), ==, BS_CKA_LAYER_CONSTANT);
  g_assert_cmpint (bs_cka_snapshot_get_row_status (without, 1), ==, BS_CKA_LAYER_CONSTANT);
  g_assert_cmpint (bs_cka_snapshot_get_row_status (alignment, 1), ==, BS_CKA_LAYER_CONSTANT);
  g_assert_cmpint (bs_cka_snapshot_get_row_status (alignment, 2), ==, BS_CKA_LAYER_NOT_FINITE);
  g_assert_cmpint (bs_cka_snapshot_get_row_status (without, 2), ==, BS_CKA_LAYER_NOT_FINITE);
  g_assert_nonnull (bs_cka_snapshot_cell_reason (alignment, 1, 0));

  bs_cka_snapshot_unref (snapshot);
  bs_cka_pc1_free (pc1);
}

/* In a job: the CKA matrix is the same with or without the analysis, and
 * the analysis comes with every snapshot. */
static void
test_job (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = bs_dataset_new_synthetic (64, 96, 3, 16, 16, 4, 5);
  g_autoptr(BsCkaSnapshot) plain = NULL;
  g_autoptr(BsCkaSnapshot) with_pc1 = NULL;
  BsCkaJobOptions options;
  guint n_rows;

  bs_cka_job_options_init (&options);
  options.spec_a = "resnet8";
  options.dataset = dataset;
  options.batch_size = 32;
  options.passes = 2;
  options.threads = 2;
  plain = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (bs_cka_snapshot_has_pc1 (plain));
  g_assert_null (bs_cka_snapshot_get_measure (plain, BS_CKA_MEASURE_PC1_ALIGNMENT));
  g_assert_true (isnan (bs_cka_snapshot_get_row_pc1_share (plain, 0, NULL)));

  options.pc1 = TRUE;
  with_pc1 = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (bs_cka_snapshot_has_pc1 (with_pc1));
  n_rows = bs_cka_snapshot_get_n_rows (with_pc1);
  g_assert_cmpmem (bs_cka_snapshot_get_values (plain), n_rows * n_rows * sizeof (double),
                   bs_cka_snapshot_get_values (with_pc1), n_rows * n_rows * sizeof (double));
  for (guint l = 0; l < n_rows; l++)
    {
      double share = bs_cka_snapshot_get_row_pc1_share (with_pc1, l, NULL);
      BsCkaSnapshot *without = bs_cka_snapshot_get_measure (with_pc1, BS_CKA_MEASURE_CKA_WITHOUT_PC1);

      /* At least 1/n of the variance, at most all of it. */
      g_assert_cmpfloat (share, >=, 1.0 / 32 - 1e-12);
      g_assert_cmpfloat (share, <=, 1.0 + 1e-12);
      g_assert_cmpfloat (share, ==, bs_cka_snapshot_get_col_pc1_share (with_pc1, l, NULL));
      if (!isnan (bs_cka_snapshot_get_value (without, l, l)))
        assert_rel (bs_cka_snapshot_get_value (without, l, l), 1.0L, 1e-12);
    }
}

static void
test_measure_names (void)
{
  for (guint m = 0; m < BS_CKA_N_MEASURES; m++)
    {
      BsCkaMeasure back;

      g_assert_true (bs_cka_measure_from_string (bs_cka_measure_to_string (m), &back));
      g_assert_cmpint (back, ==, m);
      g_assert_nonnull (bs_cka_measure_get_label (m));
    }
  {
    BsCkaMeasure back;

    g_assert_false (bs_cka_measure_from_string ("svcca", &back));
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cka-pc1/top-eigen", test_top_eigen);
  g_test_add_func ("/cka-pc1/top-eigen-full-rank", test_top_eigen_full_rank);
  g_test_add_func ("/cka-pc1/top-eigen-degenerate", test_top_eigen_degenerate);
  g_test_add_func ("/cka-pc1/reference", test_reference);
  g_test_add_func ("/cka-pc1/merge", test_merge);
  g_test_add_func ("/cka-pc1/special-layers", test_special_layers);
  g_test_add_func ("/cka-pc1/job", test_job);
  g_test_add_func ("/cka-pc1/measure-names", test_measure_names);

  return g_test_run ();
}
