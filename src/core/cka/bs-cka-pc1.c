/* bs-cka-pc1.c: per-minibatch eigenpairs of every layer's centred Gram, and their sums. */
#include "bs-cka-pc1.h"

#include <cblas.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "bs-error.h"
#include "bs-gram-private.h"
#include "bs-pc1.h"

/* A layer has no variance when the trace of its centred Gram is this small
 * against the trace of its raw Gram (rounding of the centring, not variance). */
#define CONSTANT_TOLERANCE 1e-12

typedef struct {
  guint    n_layers;
  double  *tri;         /* n_layers x tri_doubles: this minibatch's Grams, then deflated */
  guint8  *have;
  guint8  *bad;         /* not finite in this minibatch */
  double  *u;           /* n_layers x n: this minibatch's PC1 directions (zero when none) */
  double  *share;       /* this minibatch's PC1 share, NaN when none */
  double  *s_share;     /* sums over the minibatches with a share */
  double  *s_share2;
  guint64 *k_share;
  guint8  *not_finite;  /* ever */
} Side;

struct _BsCkaPc1 {
  guint             n_rows;
  guint             n_cols;
  guint             n;
  gboolean          symmetric;
  gsize             tri_size;     /* the upper triangle with the diagonal */
  gsize             tri_doubles;  /* and the row sums after it */
  BsCkaAccumulator *without;      /* CKA of the deflated Grams */
  Side              a;
  Side              b;
  BsGramWorkspace  *ws;           /* borrowed, may be NULL */
  BsPc1Solver     **solvers;      /* one per thread */
  double          **full;         /* one n x n centred Gram per thread */
  guint             n_threads;
  double           *align;        /* n_rows x n_cols, this minibatch */
  double           *s_align;
  double           *s_align2;
  guint64          *k_align;
  guint64           k;
};

static gboolean
side_init (Side   *side,
           guint   n_layers,
           gsize   tri_doubles,
           guint   n)
{
  guint m = MAX (n_layers, 1);

  side->n_layers = n_layers;
  side->tri = g_try_malloc0_n ((gsize) m * tri_doubles, sizeof (double));
  side->u = g_try_malloc0_n ((gsize) m * n, sizeof (double));
  side->have = g_new0 (guint8, m);
  side->bad = g_new0 (guint8, m);
  side->share = g_new0 (double, m);
  side->s_share = g_new0 (double, m);
  side->s_share2 = g_new0 (double, m);
  side->k_share = g_new0 (guint64, m);
  side->not_finite = g_new0 (guint8, m);
  return side->tri != NULL && side->u != NULL;
}

static void
side_clear (Side *side)
{
  g_free (side->tri);
  g_free (side->u);
  g_free (side->have);
  g_free (side->bad);
  g_free (side->share);
  g_free (side->s_share);
  g_free (side->s_share2);
  g_free (side->k_share);
  g_free (side->not_finite);
}

static void
free_solvers (BsCkaPc1 *pc1)
{
  for (guint t = 0; t < pc1->n_threads; t++)
    {
      bs_pc1_solver_free (pc1->solvers[t]);
      g_free (pc1->full[t]);
    }
  g_clear_pointer (&pc1->solvers, g_free);
  g_clear_pointer (&pc1->full, g_free);
  pc1->n_threads = 0;
}

BsCkaPc1 *
bs_cka_pc1_new (guint      n_rows,
                guint      n_cols,
                guint      n,
                gboolean   biased,
                gboolean   symmetric,
                GError   **error)
{
  BsCkaPc1 *pc1;
  BsCkaAccumulator *without;
  gsize cells = (gsize) n_rows * n_cols;
  gboolean ok;

  /* The CKA accumulator checks n, the layer counts and the symmetry. */
  without = bs_cka_accumulator_new (n_rows, n_cols, n, biased, symmetric, error);
  if (without == NULL)
    return NULL;

  pc1 = g_new0 (BsCkaPc1, 1);
  pc1->n_rows = n_rows;
  pc1->n_cols = n_cols;
  pc1->n = n;
  pc1->symmetric = symmetric;
  pc1->without = without;
  pc1->tri_size = bs_gram_triangle_size (n);
  pc1->tri_doubles = pc1->tri_size + n;
  ok = side_init (&pc1->a, n_rows, pc1->tri_doubles, n);
  ok = side_init (&pc1->b, symmetric ? 0 : n_cols, pc1->tri_doubles, n) && ok;
  if (!ok)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                   /* Translators: the layers of models A and B, then the minibatch size. */
                   _("Not enough memory for the PC1 analysis of %u + %u layers with minibatches of %u"),
                   n_rows, symmetric ? 0 : n_cols, n);
      bs_cka_pc1_free (pc1);
      return NULL;
    }
  pc1->align = g_new0 (double, MAX (cells, 1));
  pc1->s_align = g_new0 (double, MAX (cells, 1));
  pc1->s_align2 = g_new0 (double, MAX (cells, 1));
  pc1->k_align = g_new0 (guint64, MAX (cells, 1));
  return pc1;
}

void
bs_cka_pc1_free (BsCkaPc1 *pc1)
{
  if (pc1 == NULL)
    return;
  bs_cka_accumulator_free (pc1->without);
  side_clear (&pc1->a);
  side_clear (&pc1->b);
  free_solvers (pc1);
  g_free (pc1->align);
  g_free (pc1->s_align);
  g_free (pc1->s_align2);
  g_free (pc1->k_align);
  g_free (pc1);
}

void
bs_cka_pc1_set_workspace (BsCkaPc1        *pc1,
                          BsGramWorkspace *ws)
{
  pc1->ws = ws;
  bs_cka_accumulator_set_workspace (pc1->without, ws);
}

static Side *
get_side (BsCkaPc1  *pc1,
          BsCkaSide  side)
{
  return side == BS_CKA_SIDE_A || pc1->symmetric ? &pc1->a : &pc1->b;
}

void
bs_cka_pc1_set_gram_triangle (BsCkaPc1             *pc1,
                              BsCkaSide             side_id,
                              guint                 layer,
                              const BsGramTriangle *tri,
                              gboolean              finite)
{
  Side *side = get_side (pc1, side_id);
  double *dest;

  g_return_if_fail (layer < side->n_layers);
  g_return_if_fail (!(pc1->symmetric && side_id == BS_CKA_SIDE_B));

  dest = side->tri + (gsize) layer * pc1->tri_doubles;
  side->have[layer] = TRUE;
  side->bad[layer] = !finite;
  if (!finite)
    return;
  memcpy (dest, tri->upper, pc1->tri_size * sizeof (double));
  memcpy (dest + pc1->tri_size, tri->row_sums, pc1->n * sizeof (double));
}

void
bs_cka_pc1_set_gram (BsCkaPc1 *pc1,
                     BsCkaSide side,
                     guint     layer,
                     double   *gram,
                     gboolean  finite)
{
  g_autofree double *buffer = g_new (double, pc1->tri_doubles);
  BsGramTriangle tri = { buffer, buffer + pc1->tri_size };

  if (finite)
    bs_gram_triangle_from_full (gram, pc1->n, &tri);
  bs_cka_pc1_set_gram_triangle (pc1, side, layer, &tri, finite);
}

void
bs_cka_pc1_discard_minibatch (BsCkaPc1 *pc1)
{
  memset (pc1->a.have, 0, MAX (pc1->a.n_layers, 1));
  memset (pc1->b.have, 0, MAX (pc1->b.n_layers, 1));
  bs_cka_accumulator_discard_minibatch (pc1->without);
}

/* One layer: C = H K H in full, its top eigenpair, then C - lambda u u^T
 * written back over the layer's triangle (with its off-diagonal row sums),
 * ready for the CKA accumulator. */
static void
eigen_task (gpointer data,
            guint    task,
            guint    thread)
{
  BsCkaPc1 *pc1 = data;
  Side *side = task < pc1->a.n_layers ? &pc1->a : &pc1->b;
  guint layer = task < pc1->a.n_layers ? task : task - pc1->a.n_layers;
  guint n = pc1->n;
  double *upper = side->tri + (gsize) layer * pc1->tri_doubles;
  double *row_sums = upper + pc1->tri_size;
  double *u = side->u + (gsize) layer * n;
  double *c = pc1->full[thread];
  double grand = 0.0, trace = 0.0, raw_trace = 0.0, lambda, left;
  g_autofree double *means = NULL;

  side->share[layer] = NAN;
  if (side->bad[layer])
    {
      memset (u, 0, n * sizeof (double));
      return;
    }

  /* HKH(i, j) = K(i, j) - r_i - r_j + g, r the row means (diagonal included). */
  means = g_new (double, n);
  for (guint i = 0; i < n; i++)
    {
      double kii = upper[bs_gram_triangle_at (i, i)];

      raw_trace += kii;
      means[i] = (row_sums[i] + kii) / n;
      grand += means[i];
    }
  grand /= n;
  for (guint j = 0; j < n; j++)
    for (guint i = 0; i <= j; i++)
      {
        double v = upper[bs_gram_triangle_at (i, j)] - means[i] - means[j] + grand;

        c[(gsize) i * n + j] = v;
        c[(gsize) j * n + i] = v;
      }
  for (guint i = 0; i < n; i++)
    trace += c[(gsize) i * n + i];

  if (!(trace > CONSTANT_TOLERANCE * raw_trace))
    {
      /* No variance: no PC1, and CKA's own test finds the layer constant. */
      memset (u, 0, n * sizeof (double));
      lambda = 0.0;
    }
  else
    {
      lambda = bs_pc1_top_eigen (pc1->solvers[thread], c, u);
      if (isfinite (lambda))
        side->share[layer] = lambda / trace;
      else
        {
          memset (u, 0, n * sizeof (double));
          lambda = 0.0;
        }
    }

  /* What is left without PC1 is rounding when its variance is that small
   * (a rank-one layer): then it is exactly nothing, which CKA calls constant. */
  left = 1.0;
  if (!(trace - lambda > CONSTANT_TOLERANCE * raw_trace))
    left = 0.0;
  for (guint i = 0; i < n; i++)
    row_sums[i] = 0.0;
  for (guint j = 0; j < n; j++)
    for (guint i = 0; i <= j; i++)
      {
        double v = left * (c[(gsize) i * n + j] - lambda * u[i] * u[j]);

        upper[bs_gram_triangle_at (i, j)] = v;
        if (i != j)
          {
            row_sums[i] += v;
            row_sums[j] += v;
          }
      }
}

static gboolean
check_complete (const Side  *side,
                GError     **error)
{
  for (guint i = 0; i < side->n_layers; i++)
    if (!side->have[i])
      {
        g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                     _("Internal error: no Gram for layer %u in this minibatch"), i);
        return FALSE;
      }
  return TRUE;
}

static void
ensure_solvers (BsCkaPc1 *pc1)
{
  guint threads = pc1->ws != NULL ? bs_gram_workspace_get_n_threads (pc1->ws) : 1;

  if (threads == pc1->n_threads)
    return;
  free_solvers (pc1);
  pc1->n_threads = threads;
  pc1->solvers = g_new0 (BsPc1Solver *, threads);
  pc1->full = g_new0 (double *, threads);
  for (guint t = 0; t < threads; t++)
    {
      pc1->solvers[t] = bs_pc1_solver_new (pc1->n);
      pc1->full[t] = g_new (double, (gsize) pc1->n * pc1->n);
    }
}

static void
side_add (Side *side)
{
  for (guint i = 0; i < side->n_layers; i++)
    {
      double s = side->share[i];

      side->not_finite[i] |= side->bad[i];
      side->have[i] = FALSE;
      if (isnan (s))
        continue;
      side->s_share[i] += s;
      side->s_share2[i] += s * s;
      side->k_share[i]++;
    }
}

gboolean
bs_cka_pc1_end_minibatch (BsCkaPc1  *pc1,
                          GError   **error)
{
  guint R = pc1->n_rows, C = pc1->n_cols, n = pc1->n;
  guint n_tasks = pc1->a.n_layers + pc1->b.n_layers;
  const Side *b = pc1->symmetric ? &pc1->a : &pc1->b;

  if (!check_complete (&pc1->a, error) || !check_complete (&pc1->b, error))
    return FALSE;

  ensure_solvers (pc1);
  if (pc1->ws != NULL)
    bs_gram_workspace_run_tasks (pc1->ws, n_tasks, eigen_task, pc1);
  else
    for (guint t = 0; t < n_tasks; t++)
      eigen_task (pc1, t, 0);

  /* CKA of the deflated Grams. */
  for (guint s = 0; s < (pc1->symmetric ? 1 : 2); s++)
    {
      Side *side = s == 0 ? &pc1->a : &pc1->b;

      for (guint i = 0; i < side->n_layers; i++)
        {
          double *upper = side->tri + (gsize) i * pc1->tri_doubles;
          BsGramTriangle tri = { upper, upper + pc1->tri_size };

          bs_cka_accumulator_set_gram_triangle (pc1->without, s == 0 ? BS_CKA_SIDE_A : BS_CKA_SIDE_B,
                                                i, &tri, !side->bad[i]);
        }
    }
  if (!bs_cka_accumulator_end_minibatch (pc1->without, error))
    return FALSE;

  /* Alignment: (u_r . u_c)^2 for every pair, from one product. */
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) R, (int) C, (int) n, 1.0, pc1->a.u, (int) n,
               b->u, (int) n, 0.0, pc1->align, (int) C);
  for (guint r = 0; r < R; r++)
    for (guint c = 0; c < C; c++)
      {
        gsize i = (gsize) r * C + c;
        double v;

        if (isnan (pc1->a.share[r]) || isnan (b->share[c]))
          continue;
        /* Both unit vectors: clamp the rounding above 1. */
        v = MIN (pc1->align[i] * pc1->align[i], 1.0);
        pc1->s_align[i] += v;
        pc1->s_align2[i] += v * v;
        pc1->k_align[i]++;
      }

  side_add (&pc1->a);
  side_add (&pc1->b);
  pc1->k++;
  return TRUE;
}

static void
add_doubles (double       *dest,
             const double *src,
             gsize         n)
{
  for (gsize i = 0; i < n; i++)
    dest[i] += src[i];
}

static void
side_merge (Side       *dest,
            const Side *src)
{
  add_doubles (dest->s_share, src->s_share, dest->n_layers);
  add_doubles (dest->s_share2, src->s_share2, dest->n_layers);
  for (guint i = 0; i < dest->n_layers; i++)
    {
      dest->k_share[i] += src->k_share[i];
      dest->not_finite[i] |= src->not_finite[i];
    }
}

gboolean
bs_cka_pc1_merge (BsCkaPc1        *dest,
                  const BsCkaPc1  *src,
                  GError         **error)
{
  gsize cells = (gsize) dest->n_rows * dest->n_cols;

  /* The CKA accumulators check (and name) the shapes. */
  if (!bs_cka_accumulator_merge (dest->without, src->without, error))
    return FALSE;
  side_merge (&dest->a, &src->a);
  side_merge (&dest->b, &src->b);
  add_doubles (dest->s_align, src->s_align, cells);
  add_doubles (dest->s_align2, src->s_align2, cells);
  for (gsize i = 0; i < cells; i++)
    dest->k_align[i] += src->k_align[i];
  dest->k += src->k;
  return TRUE;
}

/* The mean of k values from their sum and sum of squares, and its standard error. */
static double
mean_and_error (double   sum,
                double   sum2,
                guint64  k,
                double  *std_error)
{
  double mean, var;

  *std_error = NAN;
  if (k == 0)
    return NAN;
  mean = sum / k;
  if (k > 1)
    {
      var = (sum2 - k * mean * mean) / (k - 1);
      *std_error = sqrt (MAX (var, 0.0) / k);
    }
  return mean;
}

void
bs_cka_pc1_get_shares (const BsCkaPc1 *pc1,
                       BsCkaSide       side_id,
                       double         *share,
                       double         *std_error)
{
  const Side *side = side_id == BS_CKA_SIDE_A || pc1->symmetric ? &pc1->a : &pc1->b;

  for (guint i = 0; i < side->n_layers; i++)
    share[i] = mean_and_error (side->s_share[i], side->s_share2[i], side->k_share[i], &std_error[i]);
}

static guint8
layer_status (const Side *side,
              guint       i,
              guint64     k)
{
  if (side->not_finite[i])
    return BS_CKA_LAYER_NOT_FINITE;
  if (k > 0 && side->k_share[i] == 0)
    return BS_CKA_LAYER_CONSTANT;
  return BS_CKA_LAYER_OK;
}

BsCkaSnapshot *
bs_cka_pc1_attach (const BsCkaPc1 *pc1,
                   BsCkaSnapshot  *cka)
{
  guint R = pc1->n_rows, C = pc1->n_cols;
  gsize cells = (gsize) R * C;
  const Side *b = pc1->symmetric ? &pc1->a : &pc1->b;
  BsCkaSnapshotHeader header;
  double *values = g_new (double, MAX (cells, 1));
  double *errors = g_new (double, MAX (cells, 1));
  guint8 *rs = g_new0 (guint8, MAX (R, 1));
  guint8 *cs = g_new0 (guint8, MAX (C, 1));
  double *row_share = g_new (double, MAX (R, 1)), *row_se = g_new (double, MAX (R, 1));
  double *col_share = g_new (double, MAX (C, 1)), *col_se = g_new (double, MAX (C, 1));
  BsCkaSnapshot *without, *alignment;

  g_return_val_if_fail (cka != NULL, NULL);
  g_return_val_if_fail (bs_cka_snapshot_get_n_rows (cka) == R && bs_cka_snapshot_get_n_cols (cka) == C, cka);

  bs_cka_snapshot_get_header (cka, &header);
  header.measure = BS_CKA_MEASURE_CKA_WITHOUT_PC1;
  without = bs_cka_accumulator_make_snapshot (pc1->without, &header);
  header.measure = BS_CKA_MEASURE_PC1_ALIGNMENT;

  for (guint r = 0; r < R; r++)
    rs[r] = layer_status (&pc1->a, r, pc1->k);
  for (guint c = 0; c < C; c++)
    cs[c] = layer_status (b, c, pc1->k);
  for (gsize i = 0; i < cells; i++)
    values[i] = mean_and_error (pc1->s_align[i], pc1->s_align2[i], pc1->k_align[i], &errors[i]);
  alignment = bs_cka_snapshot_new (&header, (guint) pc1->k, values, errors, rs, cs);

  bs_cka_pc1_get_shares (pc1, BS_CKA_SIDE_A, row_share, row_se);
  bs_cka_pc1_get_shares (pc1, BS_CKA_SIDE_B, col_share, col_se);
  bs_cka_snapshot_attach_pc1 (cka, without, alignment, row_share, row_se, col_share, col_se);
  return cka;
}
