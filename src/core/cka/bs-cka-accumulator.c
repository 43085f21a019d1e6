/* bs-cka-accumulator.c: centred Grams in, sums of HSIC estimates out. */
#include "bs-cka-accumulator.h"

#include <cblas.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "bs-cka-protocol.h"
#include "bs-error.h"
#include "bs-gram.h"
#include "bs-gram-private.h"
#include "bs-simd.h"

/* A layer is constant when its centred Gram is this small relative to its
 * trace (the total variance): exactly zero for a truly constant layer,
 * because bs-gram centres columns exactly; the margin absorbs double rounding. */
#define CONSTANT_TOLERANCE 1e-9

typedef struct {
  guint    n_layers;
  double  *g;          /* n_layers x m packed centred Grams of this minibatch */
  guint8  *have;       /* Gram handed over in this minibatch */
  guint8  *bad;        /* not finite in this minibatch */
  double  *trace;      /* trace of the Gram before centring, this minibatch */
  /* Sums over minibatches (mergeable). */
  double  *s_self;     /* sum HSIC(K, K) */
  double  *s_self2;    /* sum HSIC(K, K)^2 */
  double  *s_trace2;   /* sum trace^2 (raw units): the scale for the constant test */
  guint8  *not_finite; /* ever not finite */
} Side;

/* The product of this minibatch's Grams, G_A G_B^T, in PRODUCT_SLICES
 * slices of the packed Gram length: one BLAS call each, into a partial
 * product of its own, and the partials summed in slice order. Each row of G
 * is then read from memory once (bands of rows read every row below theirs
 * again: 40 against 19 ms for ResNet-56's 198 layers) and the result is the
 * same for any number of threads. */
#define PRODUCT_SLICES 8

/* One slice's partial: the product, then side A's and side B's self terms. */
static gsize
partial_doubles (guint R,
                 guint C)
{
  return (gsize) R * C + R + C;
}

struct _BsCkaAccumulator {
  guint     n_rows;
  guint     n_cols;
  guint     n;
  gboolean  biased;
  gboolean  symmetric;
  gsize     m;          /* packed length of one Gram */
  double    norm;       /* <centred K, centred L> / norm = HSIC */
  Side      a;
  Side      b;          /* unused arrays when symmetric */
  double   *prod;       /* n_rows x n_cols, this minibatch */
  double   *last_self_a; /* the last minibatch's HSIC(K, K) per row */
  double   *last_self_b;
  double   *last_trace_a;
  double   *last_trace_b;
  guint8   *last_bad_a;
  guint8   *last_bad_b;
  double   *partials;   /* PRODUCT_SLICES partial products (see product_task ()) */
  double   *triangle;   /* a Gram handed over as a full matrix, as a triangle */
  double   *means;      /* n: what centring subtracts */
  BsGramWorkspace *ws;  /* borrowed, may be NULL */
  guint64   k;          /* minibatches in the sums */
  double   *s_xy;       /* n_rows x n_cols sums, see the header */
  double   *s_xy2;
  double   *s_xy_a;
  double   *s_xy_b;
  double   *s_a_b;
};

static void
side_init (Side  *side,
           guint  n_layers)
{
  side->n_layers = n_layers;
  side->g = NULL;
  side->have = g_new0 (guint8, MAX (n_layers, 1));
  side->bad = g_new0 (guint8, MAX (n_layers, 1));
  side->trace = g_new0 (double, MAX (n_layers, 1));
  side->s_self = g_new0 (double, MAX (n_layers, 1));
  side->s_self2 = g_new0 (double, MAX (n_layers, 1));
  side->s_trace2 = g_new0 (double, MAX (n_layers, 1));
  side->not_finite = g_new0 (guint8, MAX (n_layers, 1));
}

static void
side_clear (Side *side)
{
  g_free (side->g);
  g_free (side->have);
  g_free (side->bad);
  g_free (side->trace);
  g_free (side->s_self);
  g_free (side->s_self2);
  g_free (side->s_trace2);
  g_free (side->not_finite);
}

BsCkaAccumulator *
bs_cka_accumulator_new (guint      n_rows,
                        guint      n_cols,
                        guint      n,
                        gboolean   biased,
                        gboolean   symmetric,
                        GError   **error)
{
  BsCkaAccumulator *acc;
  gsize cells = (gsize) n_rows * n_cols;

  if (!bs_cka_protocol_check_batch_size (n, biased, error))
    return NULL;
  if (n_rows == 0 || n_cols == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: the numbers of layers chosen in models A
                                 * and B, one of them 0. */
                                "No layers to compare (%u layer of model A, %u of model B)",
                                "No layers to compare (%u layers of model A, %u of model B)", n_rows),
                   n_rows, n_cols);
      return NULL;
    }
  if (symmetric && n_rows != n_cols)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("A model compared with itself needs as many rows as columns (%u, %u)"),
                   n_rows, n_cols);
      return NULL;
    }
  if (n > 46340)  /* n * n must fit in a BLAS int */
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Minibatch size %u is too large (at most 46340)"), n);
      return NULL;
    }

  acc = g_new0 (BsCkaAccumulator, 1);
  acc->n_rows = n_rows;
  acc->n_cols = n_cols;
  acc->n = n;
  acc->biased = biased;
  acc->symmetric = symmetric;
  acc->m = (gsize) n * (n - 1) / 2 + (biased ? n : 0);
  acc->norm = biased ? (double) (n - 1) * (n - 1) : (double) n * (n - 3);
  side_init (&acc->a, n_rows);
  side_init (&acc->b, n_cols);

  /* The packed Grams of one minibatch are the only large buffers: fail
   * cleanly rather than abort when a huge n does not fit. */
  acc->a.g = g_try_malloc0_n ((gsize) n_rows * acc->m, sizeof (double));
  if (!symmetric)
    acc->b.g = g_try_malloc0_n ((gsize) n_cols * acc->m, sizeof (double));
  acc->partials = g_try_malloc_n (PRODUCT_SLICES * partial_doubles (n_rows, n_cols), sizeof (double));
  if (acc->a.g == NULL || (!symmetric && acc->b.g == NULL) || acc->partials == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                   /* Translators: the layers of models A and B, then the minibatch size. */
                   _("Not enough memory for the Grams of %u + %u layers with minibatches of %u "
                     "(%.1f GiB)"), n_rows, symmetric ? 0 : n_cols, n,
                   (double) (n_rows + (symmetric ? 0 : n_cols)) * acc->m * sizeof (double) / (1 << 30));
      bs_cka_accumulator_free (acc);
      return NULL;
    }
  acc->prod = g_new0 (double, cells);
  acc->last_self_a = g_new0 (double, MAX (n_rows, 1));
  acc->last_self_b = g_new0 (double, MAX (n_cols, 1));
  acc->last_trace_a = g_new0 (double, MAX (n_rows, 1));
  acc->last_trace_b = g_new0 (double, MAX (n_cols, 1));
  acc->last_bad_a = g_new0 (guint8, MAX (n_rows, 1));
  acc->last_bad_b = g_new0 (guint8, MAX (n_cols, 1));
  acc->triangle = g_new (double, bs_gram_triangles_doubles (1, n));
  acc->means = g_new (double, n);
  acc->s_xy = g_new0 (double, cells);
  acc->s_xy2 = g_new0 (double, cells);
  acc->s_xy_a = g_new0 (double, cells);
  acc->s_xy_b = g_new0 (double, cells);
  acc->s_a_b = g_new0 (double, cells);

  return acc;
}

void
bs_cka_accumulator_free (BsCkaAccumulator *acc)
{
  if (acc == NULL)
    return;
  side_clear (&acc->a);
  side_clear (&acc->b);
  g_free (acc->prod);
  g_free (acc->last_self_a);
  g_free (acc->last_self_b);
  g_free (acc->last_trace_a);
  g_free (acc->last_trace_b);
  g_free (acc->last_bad_a);
  g_free (acc->last_bad_b);
  g_free (acc->partials);
  g_free (acc->triangle);
  g_free (acc->means);
  g_free (acc->s_xy);
  g_free (acc->s_xy2);
  g_free (acc->s_xy_a);
  g_free (acc->s_xy_b);
  g_free (acc->s_a_b);
  g_free (acc);
}

guint64
bs_cka_accumulator_get_n_minibatches (const BsCkaAccumulator *acc)
{
  return acc->k;
}

guint
bs_cka_accumulator_get_n_rows (const BsCkaAccumulator *acc)
{
  return acc->n_rows;
}

guint
bs_cka_accumulator_get_n_cols (const BsCkaAccumulator *acc)
{
  return acc->n_cols;
}

guint
bs_cka_accumulator_get_batch_size (const BsCkaAccumulator *acc)
{
  return acc->n;
}

/* The centring of either estimator as one subtraction, K(i, j) - m_i - m_j:
 * for U-centring the means of bs_gram_u_centre(); for H-centring
 * r_i - g / 2, with r_i the row means (diagonal included) and g their mean,
 * since HKH(i, j) = K(i, j) - r_i - r_j + g. */
static void
centring_means (const BsCkaAccumulator *acc,
                const BsGramTriangle   *tri,
                double                 *means)
{
  guint n = acc->n;
  double grand = 0.0;

  memcpy (means, tri->row_sums, n * sizeof (double));
  if (!acc->biased)
    {
      bs_gram_u_means (means, n);
      return;
    }
  for (guint j = 0; j < n; j++)
    {
      means[j] = (means[j] + tri->upper[bs_gram_triangle_at (j, j)]) / n;
      grand += means[j];
    }
  grand /= n;
  for (guint j = 0; j < n; j++)
    means[j] -= 0.5 * grand;
}

/* The packed row of a centred Gram: the strict upper triangle column by
 * column (entry (i, j), i < j, at j (j - 1) / 2 + i), then for the biased
 * estimator the diagonal over sqrt 2, so that <packed K, packed L> is half
 * the Frobenius product. */
static BS_SIMD_CLONES void
centre_into_row (const double *upper,
                 const double *means,
                 guint         n,
                 gboolean      biased,
                 double       *row)
{
  for (guint j = 1; j < n; j++)
    {
      const double *col = upper + bs_gram_triangle_at (0, j);
      double *out = row + (gsize) j * (j - 1) / 2;
      double mj = means[j];

      for (guint i = 0; i < j; i++)
        out[i] = col[i] - (means[i] + mj);
    }
  if (biased)
    {
      double *diag = row + (gsize) n * (n - 1) / 2;

      for (guint j = 0; j < n; j++)
        diag[j] = (upper[bs_gram_triangle_at (j, j)] - 2.0 * means[j]) * G_SQRT2 * 0.5;
    }
}

void
bs_cka_accumulator_set_gram_triangle (BsCkaAccumulator     *acc,
                                      BsCkaSide             side_id,
                                      guint                 layer,
                                      const BsGramTriangle *tri,
                                      gboolean              finite)
{
  Side *side = side_id == BS_CKA_SIDE_A ? &acc->a : &acc->b;
  guint n = acc->n;
  double *row;
  double trace = 0.0;

  g_return_if_fail (layer < side->n_layers);
  g_return_if_fail (!(acc->symmetric && side_id == BS_CKA_SIDE_B));

  row = side->g + (gsize) layer * acc->m;
  side->have[layer] = TRUE;
  side->bad[layer] = !finite;
  if (!finite)
    {
      /* Keep NaN out of the product: it would spread to other cells in some BLAS kernels. */
      memset (row, 0, acc->m * sizeof (double));
      side->trace[layer] = 0.0;
      return;
    }

  for (guint j = 0; j < n; j++)
    trace += tri->upper[bs_gram_triangle_at (j, j)];
  side->trace[layer] = trace;

  centring_means (acc, tri, acc->means);
  centre_into_row (tri->upper, acc->means, n, acc->biased, row);
}

void
bs_cka_accumulator_set_gram (BsCkaAccumulator *acc,
                             BsCkaSide         side_id,
                             guint             layer,
                             double           *gram,
                             gboolean          finite)
{
  BsGramTriangle tri;

  bs_gram_triangles_init (&tri, 1, acc->n, acc->triangle);
  if (finite)
    bs_gram_triangle_from_full (gram, acc->n, &tri);
  bs_cka_accumulator_set_gram_triangle (acc, side_id, layer, &tri, finite);
}

void
bs_cka_accumulator_discard_minibatch (BsCkaAccumulator *acc)
{
  memset (acc->a.have, 0, acc->n_rows);
  memset (acc->b.have, 0, acc->n_cols);
}

static gboolean
check_complete (const Side  *side,
                const char  *model,
                GError     **error)
{
  for (guint i = 0; i < side->n_layers; i++)
    if (!side->have[i])
      {
        g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                     /* Translators: the model is A or B. */
                     _("Internal error: no Gram for layer %u of model %s in this minibatch"),
                     i, model);
        return FALSE;
      }
  return TRUE;
}

/* HSIC(K, K) of this minibatch for every layer of a side, and its sums. */
static void
side_add_self (Side         *side,
               const double *self)
{
  for (guint i = 0; i < side->n_layers; i++)
    {
      double t = side->trace[i];

      side->s_self[i] += self[i];
      side->s_self2[i] += self[i] * self[i];
      side->s_trace2[i] += t * t;
      side->not_finite[i] |= side->bad[i];
      side->have[i] = FALSE;
    }
}

void
bs_cka_accumulator_set_workspace (BsCkaAccumulator *acc,
                                  BsGramWorkspace  *ws)
{
  acc->ws = ws;
}

static void
product_task (gpointer data,
              guint    task,
              guint    thread)
{
  BsCkaAccumulator *acc = data;
  guint R = acc->n_rows, C = acc->n_cols;
  double *prod = acc->partials + task * partial_doubles (R, C);
  double *self_a = prod + (gsize) R * C, *self_b = self_a + R;
  int m = (int) acc->m;
  gsize k0, k1;
  int k;

  bs_gram_split (acc->m, PRODUCT_SLICES, task, &k0, &k1);
  k = (int) (k1 - k0);
  if (k == 0)
    {
      memset (prod, 0, partial_doubles (R, C) * sizeof (double));
      return;
    }
  if (acc->symmetric)
    {
      /* The upper triangle; the diagonal holds the self terms. */
      cblas_dsyrk (CblasRowMajor, CblasUpper, CblasNoTrans, (int) R, k, 1.0, acc->a.g + k0, m, 0.0,
                   prod, (int) C);
      return;
    }
  cblas_dgemm (CblasRowMajor, CblasNoTrans, CblasTrans, (int) R, (int) C, k, 1.0, acc->a.g + k0, m,
               acc->b.g + k0, m, 0.0, prod, (int) C);
  for (guint r = 0; r < R; r++)
    {
      const double *g = acc->a.g + r * acc->m + k0;

      self_a[r] = cblas_ddot (k, g, 1, g, 1);
    }
  for (guint c = 0; c < C; c++)
    {
      const double *g = acc->b.g + c * acc->m + k0;

      self_b[c] = cblas_ddot (k, g, 1, g, 1);
    }
}

/* Entry i of the product: scale times the sum of the slices' entries i, in slice order. */
static double
sum_partials (const BsCkaAccumulator *acc,
              gsize                   i,
              double                  scale)
{
  gsize stride = partial_doubles (acc->n_rows, acc->n_cols);
  double sum = 0.0;

  for (guint t = 0; t < PRODUCT_SLICES; t++)
    sum += acc->partials[t * stride + i];
  return scale * sum;
}

/* The sums of one minibatch's terms; side_add_self () before it has taken
 * each side's traces and flags. */
static void
add_products (BsCkaAccumulator *acc,
              const double     *xy,
              const double     *self_a,
              const double     *sb)
{
  guint R = acc->n_rows, C = acc->n_cols;

  for (guint r = 0; r < R; r++)
    for (guint c = 0; c < C; c++)
      {
        gsize i = (gsize) r * C + c;
        double x = xy[i];

        acc->s_xy[i] += x;
        acc->s_xy2[i] += x * x;
        acc->s_xy_a[i] += x * self_a[r];
        acc->s_xy_b[i] += x * sb[c];
        acc->s_a_b[i] += self_a[r] * sb[c];
      }
  acc->k++;
}

/* Keeps what this minibatch added, for bs_cka_accumulator_get_last_terms (). */
static void
keep_terms (BsCkaAccumulator *acc,
            const double     *self_a,
            const double     *self_b)
{
  const Side *b = acc->symmetric ? &acc->a : &acc->b;

  memcpy (acc->last_self_a, self_a, acc->n_rows * sizeof (double));
  memcpy (acc->last_self_b, self_b, acc->n_cols * sizeof (double));
  memcpy (acc->last_trace_a, acc->a.trace, acc->n_rows * sizeof (double));
  memcpy (acc->last_trace_b, b->trace, acc->n_cols * sizeof (double));
  memcpy (acc->last_bad_a, acc->a.bad, acc->n_rows);
  memcpy (acc->last_bad_b, b->bad, acc->n_cols);
}

gboolean
bs_cka_accumulator_end_minibatch (BsCkaAccumulator  *acc,
                                  GError           **error)
{
  guint R = acc->n_rows, C = acc->n_cols;
  g_autofree double *self_a = NULL;
  g_autofree double *self_b = NULL;
  double scale = 2.0 / acc->norm;
  const double *sb;

  if (!check_complete (&acc->a, "A", error) ||
      (!acc->symmetric && !check_complete (&acc->b, "B", error)))
    return FALSE;

  self_a = g_new (double, R);
  self_b = g_new (double, C);
  if (acc->ws != NULL)
    bs_gram_workspace_run_tasks (acc->ws, PRODUCT_SLICES, product_task, acc);
  else
    for (guint t = 0; t < PRODUCT_SLICES; t++)
      product_task (acc, t, 0);

  if (acc->symmetric)
    {
      for (guint r = 0; r < R; r++)
        for (guint c = r; c < C; c++)
          acc->prod[(gsize) r * C + c] = acc->prod[(gsize) c * C + r] =
            sum_partials (acc, (gsize) r * C + c, scale);
      for (guint r = 0; r < R; r++)
        self_a[r] = acc->prod[(gsize) r * C + r];
      sb = self_a;
    }
  else
    {
      gsize cells = (gsize) R * C;

      for (gsize i = 0; i < cells; i++)
        acc->prod[i] = sum_partials (acc, i, scale);
      for (guint r = 0; r < R; r++)
        self_a[r] = sum_partials (acc, cells + r, scale);
      for (guint c = 0; c < C; c++)
        self_b[c] = sum_partials (acc, cells + R + c, scale);
      sb = self_b;
    }

  keep_terms (acc, self_a, sb);
  side_add_self (&acc->a, self_a);
  if (!acc->symmetric)
    side_add_self (&acc->b, self_b);
  add_products (acc, acc->prod, self_a, sb);
  return TRUE;
}

gboolean
bs_cka_accumulator_get_last_terms (const BsCkaAccumulator *acc,
                                   BsCkaMinibatchTerms    *terms)
{
  if (acc->k == 0)
    return FALSE;
  *terms = (BsCkaMinibatchTerms) {
    .xy = acc->prod, .self_a = acc->last_self_a, .self_b = acc->last_self_b,
    .trace_a = acc->last_trace_a, .trace_b = acc->last_trace_b,
    .bad_a = acc->last_bad_a, .bad_b = acc->last_bad_b,
  };
  return TRUE;
}

void
bs_cka_accumulator_add_terms (BsCkaAccumulator          *acc,
                              const BsCkaMinibatchTerms *terms)
{
  /* As end_minibatch: each side's traces and flags, then the sums. */
  memcpy (acc->a.trace, terms->trace_a, acc->n_rows * sizeof (double));
  memcpy (acc->a.bad, terms->bad_a, acc->n_rows);
  if (!acc->symmetric)
    {
      memcpy (acc->b.trace, terms->trace_b, acc->n_cols * sizeof (double));
      memcpy (acc->b.bad, terms->bad_b, acc->n_cols);
    }
  keep_terms (acc, terms->self_a, acc->symmetric ? terms->self_a : terms->self_b);
  if (terms->xy != acc->prod)
    memcpy (acc->prod, terms->xy, (gsize) acc->n_rows * acc->n_cols * sizeof (double));
  side_add_self (&acc->a, terms->self_a);
  if (!acc->symmetric)
    side_add_self (&acc->b, terms->self_b);
  add_products (acc, acc->prod, terms->self_a, acc->symmetric ? terms->self_a : terms->self_b);
}

static void
add_array (double       *dest,
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
  add_array (dest->s_self, src->s_self, dest->n_layers);
  add_array (dest->s_self2, src->s_self2, dest->n_layers);
  add_array (dest->s_trace2, src->s_trace2, dest->n_layers);
  for (guint i = 0; i < dest->n_layers; i++)
    dest->not_finite[i] |= src->not_finite[i];
}

/* What must agree for two accumulators to merge, in words: one whole
 * phrase per estimator and symmetry, for translations. */
static char *
describe_shape (const BsCkaAccumulator *acc)
{
  if (acc->biased && acc->symmetric)
    /* Translators: the shape of a set of CKA sums: layers of model A x layers
     * of model B, the minibatch size n, the HSIC estimator, and whether a
     * model is compared with itself. */
    return g_strdup_printf (_("%u x %u layers, n = %u, biased, symmetric"),
                            acc->n_rows, acc->n_cols, acc->n);
  if (acc->biased)
    return g_strdup_printf (_("%u x %u layers, n = %u, biased"),
                            acc->n_rows, acc->n_cols, acc->n);
  if (acc->symmetric)
    return g_strdup_printf (_("%u x %u layers, n = %u, unbiased, symmetric"),
                            acc->n_rows, acc->n_cols, acc->n);
  return g_strdup_printf (_("%u x %u layers, n = %u, unbiased"),
                          acc->n_rows, acc->n_cols, acc->n);
}

gboolean
bs_cka_accumulator_merge (BsCkaAccumulator        *dest,
                          const BsCkaAccumulator  *src,
                          GError                 **error)
{
  gsize cells = (gsize) dest->n_rows * dest->n_cols;

  if (dest->n_rows != src->n_rows || dest->n_cols != src->n_cols || dest->n != src->n ||
      dest->biased != src->biased || dest->symmetric != src->symmetric)
    {
      g_autofree char *dest_shape = describe_shape (dest);
      g_autofree char *src_shape = describe_shape (src);

      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: both %s are shapes such as "10 x 10 layers, n = 256, unbiased". */
                   _("Cannot merge CKA sums of different shapes: %s versus %s"),
                   dest_shape, src_shape);
      return FALSE;
    }

  side_merge (&dest->a, &src->a);
  side_merge (&dest->b, &src->b);
  add_array (dest->s_xy, src->s_xy, cells);
  add_array (dest->s_xy2, src->s_xy2, cells);
  add_array (dest->s_xy_a, src->s_xy_a, cells);
  add_array (dest->s_xy_b, src->s_xy_b, cells);
  add_array (dest->s_a_b, src->s_a_b, cells);
  dest->k += src->k;
  return TRUE;
}

static guint8
layer_status (const Side *side,
              guint       i,
              double      norm)
{
  if (side->not_finite[i])
    return BS_CKA_LAYER_NOT_FINITE;
  /* s_self is in HSIC units (divided by norm), s_trace2 in raw units squared. */
  if (side->s_self[i] * norm <= CONSTANT_TOLERANCE * CONSTANT_TOLERANCE * side->s_trace2[i])
    return BS_CKA_LAYER_CONSTANT;
  return BS_CKA_LAYER_OK;
}

void
bs_cka_accumulator_get_result (const BsCkaAccumulator *acc,
                               double                 *cka,
                               double                 *std_error,
                               guint8                 *row_status,
                               guint8                 *col_status)
{
  guint R = acc->n_rows, C = acc->n_cols;
  const Side *b = acc->symmetric ? &acc->a : &acc->b;
  g_autofree guint8 *rs = g_new0 (guint8, R);
  g_autofree guint8 *cs = g_new0 (guint8, C);
  double k = (double) acc->k;

  if (acc->k > 0)
    {
      for (guint r = 0; r < R; r++)
        rs[r] = layer_status (&acc->a, r, acc->norm);
      for (guint c = 0; c < C; c++)
        cs[c] = layer_status (b, c, acc->norm);
    }

  for (guint r = 0; r < R; r++)
    for (guint c = 0; c < C; c++)
      {
        gsize i = (gsize) r * C + c;
        double sa = acc->a.s_self[r], sb = b->s_self[c];
        double value = NAN, se = NAN;

        if (acc->k > 0 && rs[r] == BS_CKA_LAYER_OK && cs[c] == BS_CKA_LAYER_OK)
          value = acc->s_xy[i] / sqrt (sa * sb);

        if (acc->k > 1 && !isnan (value))
          {
            /* Delta method for x / sqrt (a b) at the means (see the header). */
            double mx = acc->s_xy[i] / k, ma = sa / k, mb = sb / k;
            double vxx = (acc->s_xy2[i] - k * mx * mx) / (k - 1);
            double vaa = (acc->a.s_self2[r] - k * ma * ma) / (k - 1);
            double vbb = (b->s_self2[c] - k * mb * mb) / (k - 1);
            double vxa = (acc->s_xy_a[i] - k * mx * ma) / (k - 1);
            double vxb = (acc->s_xy_b[i] - k * mx * mb) / (k - 1);
            double vab = (acc->s_a_b[i] - k * (ma * mb)) / (k - 1);
            double gx = 1.0 / sqrt (ma * mb);
            double ga = -0.5 * value / ma;
            double gb = -0.5 * value / mb;
            /* Grouped so that swapping the roles of a and b gives the same
             * bits: a model against itself gets an exactly symmetric matrix. */
            double var = gx * gx * vxx + (ga * ga * vaa + gb * gb * vbb)
                         + 2.0 * ((gx * ga * vxa + gx * gb * vxb) + (ga * gb) * vab);

            se = sqrt (MAX (var, 0.0) / k);
          }

        if (cka)
          cka[i] = value;
        if (std_error)
          std_error[i] = se;
      }

  if (row_status)
    memcpy (row_status, rs, R);
  if (col_status)
    memcpy (col_status, cs, C);
}

BsCkaSnapshot *
bs_cka_accumulator_make_snapshot (const BsCkaAccumulator    *acc,
                                  const BsCkaSnapshotHeader *header)
{
  BsCkaSnapshotHeader h;
  gsize n;
  double *cka, *std_error;
  guint8 *row_status, *col_status;

  g_return_val_if_fail (acc != NULL && header != NULL, NULL);
  g_return_val_if_fail (header->n_rows == acc->n_rows && header->n_cols == acc->n_cols, NULL);

  /* The accumulator knows best what it computed. */
  h = *header;
  h.batch_size = acc->n;
  h.biased = acc->biased;
  n = (gsize) acc->n_rows * acc->n_cols;
  cka = g_new (double, MAX (n, 1));
  std_error = g_new (double, MAX (n, 1));
  row_status = g_new0 (guint8, MAX (acc->n_rows, 1));
  col_status = g_new0 (guint8, MAX (acc->n_cols, 1));
  bs_cka_accumulator_get_result (acc, cka, std_error, row_status, col_status);

  return bs_cka_snapshot_new (&h, (guint) acc->k, cka, std_error, row_status, col_status);
}
