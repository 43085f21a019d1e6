/* bs-cka-snapshot.c */
#include "bs-cka-snapshot.h"

#include <glib/gi18n-lib.h>
#include <math.h>

struct _BsCkaSnapshot {
  gatomicrefcount  ref_count;
  guint            n_rows;
  guint            n_cols;
  BsLayerInfo     *rows;
  BsLayerInfo     *cols;
  char            *model_a;
  char            *model_b;
  double          *cka;
  double          *std_error;
  guint8          *row_status;
  guint8          *col_status;
  guint            minibatches_done;
  guint            minibatches_total;
  guint            batch_size;
  gboolean         biased;
  BsCkaMeasure     measure;
  BsCkaStatistic   statistic;
  /* The PC1 analysis, when attached. */
  BsCkaSnapshot   *without_pc1;
  BsCkaSnapshot   *pc1_alignment;
  double          *row_share;
  double          *row_share_se;
  double          *col_share;
  double          *col_share_se;
};

G_DEFINE_BOXED_TYPE (BsCkaSnapshot, bs_cka_snapshot, bs_cka_snapshot_ref, bs_cka_snapshot_unref)

static BsLayerInfo *
copy_layers (const BsLayerInfo *layers,
             guint              n)
{
  BsLayerInfo *copy = g_new0 (BsLayerInfo, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    bs_layer_info_copy (&copy[i], &layers[i]);
  return copy;
}

BsCkaSnapshot *
bs_cka_snapshot_new (const BsCkaSnapshotHeader *header,
                     guint                      minibatches_done,
                     double                    *cka,
                     double                    *std_error,
                     guint8                    *row_status,
                     guint8                    *col_status)
{
  BsCkaSnapshot *self;

  g_return_val_if_fail (header != NULL, NULL);
  g_return_val_if_fail (cka != NULL && std_error != NULL, NULL);
  g_return_val_if_fail (row_status != NULL && col_status != NULL, NULL);

  self = g_new0 (BsCkaSnapshot, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->n_rows = header->n_rows;
  self->n_cols = header->n_cols;
  self->rows = copy_layers (header->rows, header->n_rows);
  self->cols = copy_layers (header->cols, header->n_cols);
  self->model_a = g_strdup (header->model_a);
  self->model_b = g_strdup (header->model_b);
  self->batch_size = header->batch_size;
  self->minibatches_total = header->minibatches_total;
  self->biased = header->biased;
  self->measure = header->measure;
  self->statistic = header->statistic;
  self->minibatches_done = minibatches_done;
  self->cka = cka;
  self->std_error = std_error;
  self->row_status = row_status;
  self->col_status = col_status;

  return self;
}

BsCkaSnapshot *
bs_cka_snapshot_new_empty (const BsCkaSnapshotHeader *header)
{
  gsize n;
  double *cka, *std_error;

  g_return_val_if_fail (header != NULL, NULL);

  n = (gsize) header->n_rows * header->n_cols;
  cka = g_new (double, MAX (n, 1));
  std_error = g_new (double, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    cka[i] = std_error[i] = NAN;

  return bs_cka_snapshot_new (header, 0, cka, std_error,
                              g_new0 (guint8, MAX (header->n_rows, 1)),
                              g_new0 (guint8, MAX (header->n_cols, 1)));
}

BsCkaSnapshot *
bs_cka_snapshot_ref (BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);

  g_atomic_ref_count_inc (&snapshot->ref_count);
  return snapshot;
}

void
bs_cka_snapshot_unref (BsCkaSnapshot *snapshot)
{
  if (snapshot == NULL || !g_atomic_ref_count_dec (&snapshot->ref_count))
    return;

  for (guint i = 0; i < snapshot->n_rows; i++)
    bs_layer_info_clear (&snapshot->rows[i]);
  for (guint i = 0; i < snapshot->n_cols; i++)
    bs_layer_info_clear (&snapshot->cols[i]);
  g_free (snapshot->rows);
  g_free (snapshot->cols);
  g_free (snapshot->model_a);
  g_free (snapshot->model_b);
  g_free (snapshot->cka);
  g_free (snapshot->std_error);
  g_free (snapshot->row_status);
  g_free (snapshot->col_status);
  g_clear_pointer (&snapshot->without_pc1, bs_cka_snapshot_unref);
  g_clear_pointer (&snapshot->pc1_alignment, bs_cka_snapshot_unref);
  g_free (snapshot->row_share);
  g_free (snapshot->row_share_se);
  g_free (snapshot->col_share);
  g_free (snapshot->col_share_se);
  g_free (snapshot);
}

void
bs_cka_snapshot_attach_pc1 (BsCkaSnapshot *snapshot,
                            BsCkaSnapshot *without_pc1,
                            BsCkaSnapshot *pc1_alignment,
                            double        *row_share,
                            double        *row_share_se,
                            double        *col_share,
                            double        *col_share_se)
{
  g_return_if_fail (snapshot != NULL && without_pc1 != NULL && pc1_alignment != NULL);
  /* Snapshots are immutable once shared. */
  g_return_if_fail (g_atomic_ref_count_compare (&snapshot->ref_count, 1));
  g_return_if_fail (snapshot->without_pc1 == NULL);

  snapshot->without_pc1 = without_pc1;
  snapshot->pc1_alignment = pc1_alignment;
  /* The other measures' matrices carry the shares too: a figure or file
   * of one of them alone still has them. */
  for (guint i = 0; i < 2; i++)
    {
      BsCkaSnapshot *other = i == 0 ? without_pc1 : pc1_alignment;

      if (other->row_share == NULL)
        bs_cka_snapshot_attach_pc1_shares (other,
                                           g_memdup2 (row_share, sizeof (double) * MAX (snapshot->n_rows, 1)),
                                           g_memdup2 (row_share_se, sizeof (double) * MAX (snapshot->n_rows, 1)),
                                           g_memdup2 (col_share, sizeof (double) * MAX (snapshot->n_cols, 1)),
                                           g_memdup2 (col_share_se, sizeof (double) * MAX (snapshot->n_cols, 1)));
    }
  bs_cka_snapshot_attach_pc1_shares (snapshot, row_share, row_share_se, col_share, col_share_se);
}

void
bs_cka_snapshot_attach_pc1_shares (BsCkaSnapshot *snapshot,
                                   double        *row_share,
                                   double        *row_share_se,
                                   double        *col_share,
                                   double        *col_share_se)
{
  g_return_if_fail (snapshot != NULL && row_share != NULL && col_share != NULL);
  g_return_if_fail (g_atomic_ref_count_compare (&snapshot->ref_count, 1));
  g_return_if_fail (snapshot->row_share == NULL);

  snapshot->row_share = row_share;
  snapshot->row_share_se = row_share_se;
  snapshot->col_share = col_share;
  snapshot->col_share_se = col_share_se;
}

gboolean
bs_cka_snapshot_has_pc1_shares (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, FALSE);
  return snapshot->row_share != NULL;
}

BsCkaSnapshot *
bs_cka_snapshot_get_measure (BsCkaSnapshot *snapshot,
                             BsCkaMeasure   measure)
{
  g_return_val_if_fail (snapshot != NULL, NULL);

  switch (measure)
    {
    case BS_CKA_MEASURE_CKA:
      return snapshot;
    case BS_CKA_MEASURE_CKA_WITHOUT_PC1:
      return snapshot->without_pc1;
    case BS_CKA_MEASURE_PC1_ALIGNMENT:
      return snapshot->pc1_alignment;
    default:
      g_return_val_if_reached (NULL);
    }
}

BsCkaMeasure
bs_cka_snapshot_get_measure_type (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, BS_CKA_MEASURE_CKA);
  return snapshot->measure;
}

BsCkaStatistic
bs_cka_snapshot_get_statistic (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, BS_CKA_STATISTIC_ESTIMATE);
  return snapshot->statistic;
}

const char *
bs_cka_snapshot_get_label (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);

  if (snapshot->statistic == BS_CKA_STATISTIC_SEED_STD_DEV && snapshot->measure == BS_CKA_MEASURE_CKA)
    /* Translators: the title of the heatmap's colour bar (keep it short):
     * the standard deviation of CKA across networks trained from different
     * seeds. */
    return _("Std. dev. of CKA");
  return bs_cka_measure_get_label (snapshot->measure);
}

gboolean
bs_cka_snapshot_has_pc1 (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, FALSE);
  return snapshot->without_pc1 != NULL;
}

double
bs_cka_snapshot_get_row_pc1_share (const BsCkaSnapshot *snapshot,
                                   guint                row,
                                   double              *std_error)
{
  g_return_val_if_fail (snapshot != NULL && row < snapshot->n_rows, NAN);

  if (std_error != NULL)
    *std_error = snapshot->row_share_se != NULL ? snapshot->row_share_se[row] : NAN;
  return snapshot->row_share != NULL ? snapshot->row_share[row] : NAN;
}

double
bs_cka_snapshot_get_col_pc1_share (const BsCkaSnapshot *snapshot,
                                   guint                col,
                                   double              *std_error)
{
  g_return_val_if_fail (snapshot != NULL && col < snapshot->n_cols, NAN);

  if (std_error != NULL)
    *std_error = snapshot->col_share_se != NULL ? snapshot->col_share_se[col] : NAN;
  return snapshot->col_share != NULL ? snapshot->col_share[col] : NAN;
}

/* The index of text in names[0..n), or -1: the file names of the enums below. */
static int
name_index (const char *const *names,
            guint              n,
            const char        *text)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (text, names[i]) == 0)
      return (int) i;
  return -1;
}

static const char *const measure_names[BS_CKA_N_MEASURES] = {
  "cka", "cka-without-pc1", "pc1-alignment",
};

const char *
bs_cka_measure_to_string (BsCkaMeasure measure)
{
  g_return_val_if_fail (measure < BS_CKA_N_MEASURES, NULL);
  return measure_names[measure];
}

gboolean
bs_cka_measure_from_string (const char   *text,
                            BsCkaMeasure *measure)
{
  int i = name_index (measure_names, BS_CKA_N_MEASURES, text);

  if (i < 0)
    return FALSE;
  *measure = (BsCkaMeasure) i;
  return TRUE;
}

static const char *const statistic_names[BS_CKA_N_STATISTICS] = {
  "estimate", "seed-std-dev",
};

const char *
bs_cka_statistic_to_string (BsCkaStatistic statistic)
{
  g_return_val_if_fail (statistic < BS_CKA_N_STATISTICS, NULL);
  return statistic_names[statistic];
}

gboolean
bs_cka_statistic_from_string (const char     *text,
                              BsCkaStatistic *statistic)
{
  int i = name_index (statistic_names, BS_CKA_N_STATISTICS, text);

  if (i < 0)
    return FALSE;
  *statistic = (BsCkaStatistic) i;
  return TRUE;
}

const char *
bs_cka_measure_get_label (BsCkaMeasure measure)
{
  switch (measure)
    {
    case BS_CKA_MEASURE_CKA:
      return _("CKA");
    case BS_CKA_MEASURE_CKA_WITHOUT_PC1:
      /* Translators: CKA after each layer's first principal component is removed. */
      return _("CKA without PC1");
    case BS_CKA_MEASURE_PC1_ALIGNMENT:
      /* Translators: how alike two layers' first principal components are. */
      return _("PC1 alignment");
    default:
      g_return_val_if_reached (NULL);
    }
}

guint
bs_cka_snapshot_get_n_rows (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, 0);
  return snapshot->n_rows;
}

guint
bs_cka_snapshot_get_n_cols (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, 0);
  return snapshot->n_cols;
}

const BsLayerInfo *
bs_cka_snapshot_get_rows (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  return snapshot->rows;
}

const BsLayerInfo *
bs_cka_snapshot_get_cols (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  return snapshot->cols;
}

const BsLayerInfo *
bs_cka_snapshot_get_row (const BsCkaSnapshot *snapshot,
                         guint                row)
{
  g_return_val_if_fail (snapshot != NULL && row < snapshot->n_rows, NULL);
  return &snapshot->rows[row];
}

const BsLayerInfo *
bs_cka_snapshot_get_col (const BsCkaSnapshot *snapshot,
                         guint                col)
{
  g_return_val_if_fail (snapshot != NULL && col < snapshot->n_cols, NULL);
  return &snapshot->cols[col];
}

const char *
bs_cka_snapshot_get_model_a (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  return snapshot->model_a;
}

const char *
bs_cka_snapshot_get_model_b (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  return snapshot->model_b;
}

double
bs_cka_snapshot_get_value (const BsCkaSnapshot *snapshot,
                           guint                row,
                           guint                col)
{
  g_return_val_if_fail (snapshot != NULL && row < snapshot->n_rows && col < snapshot->n_cols, NAN);
  return snapshot->cka[(gsize) row * snapshot->n_cols + col];
}

double
bs_cka_snapshot_get_std_error (const BsCkaSnapshot *snapshot,
                               guint                row,
                               guint                col)
{
  g_return_val_if_fail (snapshot != NULL && row < snapshot->n_rows && col < snapshot->n_cols, NAN);
  return snapshot->std_error[(gsize) row * snapshot->n_cols + col];
}

const double *
bs_cka_snapshot_get_values (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  return snapshot->cka;
}

const double *
bs_cka_snapshot_get_std_errors (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);
  return snapshot->std_error;
}

BsCkaLayerStatus
bs_cka_snapshot_get_row_status (const BsCkaSnapshot *snapshot,
                                guint                row)
{
  g_return_val_if_fail (snapshot != NULL && row < snapshot->n_rows, BS_CKA_LAYER_OK);
  return snapshot->row_status[row];
}

BsCkaLayerStatus
bs_cka_snapshot_get_col_status (const BsCkaSnapshot *snapshot,
                                guint                col)
{
  g_return_val_if_fail (snapshot != NULL && col < snapshot->n_cols, BS_CKA_LAYER_OK);
  return snapshot->col_status[col];
}

guint
bs_cka_snapshot_get_minibatches_done (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, 0);
  return snapshot->minibatches_done;
}

guint
bs_cka_snapshot_get_minibatches_total (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, 0);
  return snapshot->minibatches_total;
}

guint
bs_cka_snapshot_get_batch_size (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, 0);
  return snapshot->batch_size;
}

gboolean
bs_cka_snapshot_get_biased (const BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, FALSE);
  return snapshot->biased;
}

void
bs_cka_snapshot_get_header (const BsCkaSnapshot *snapshot,
                            BsCkaSnapshotHeader *header)
{
  g_return_if_fail (snapshot != NULL && header != NULL);

  *header = (BsCkaSnapshotHeader) {
    .rows = snapshot->rows, .n_rows = snapshot->n_rows,
    .cols = snapshot->cols, .n_cols = snapshot->n_cols,
    .model_a = snapshot->model_a, .model_b = snapshot->model_b,
    .batch_size = snapshot->batch_size,
    .minibatches_total = snapshot->minibatches_total,
    .biased = snapshot->biased,
    .measure = snapshot->measure,
    .statistic = snapshot->statistic,
  };
}

const char *
bs_cka_layer_status_to_string (BsCkaLayerStatus status)
{
  switch (status)
    {
    case BS_CKA_LAYER_OK: return "ok";
    case BS_CKA_LAYER_CONSTANT: return "constant layer";
    case BS_CKA_LAYER_NOT_FINITE: return "non-finite activations";
    default: return "unknown";
    }
}

const char *
bs_cka_snapshot_cell_reason (const BsCkaSnapshot *snapshot,
                             guint                row,
                             guint                col)
{
  BsCkaLayerStatus a, b;

  g_return_val_if_fail (snapshot != NULL, NULL);
  g_return_val_if_fail (row < snapshot->n_rows && col < snapshot->n_cols, NULL);

  a = snapshot->row_status[row];
  b = snapshot->col_status[col];
  if (a == BS_CKA_LAYER_NOT_FINITE || b == BS_CKA_LAYER_NOT_FINITE)
    return a == BS_CKA_LAYER_NOT_FINITE
           ? _("the layer of model A produced NaN or infinite activations")
           : _("the layer of model B produced NaN or infinite activations");
  if (a == BS_CKA_LAYER_CONSTANT && b == BS_CKA_LAYER_CONSTANT)
    return _("both layers are constant over the examples (zero variance): CKA is 0/0");
  if (a == BS_CKA_LAYER_CONSTANT)
    return _("the layer of model A is constant over the examples (zero variance): CKA is 0/0");
  if (b == BS_CKA_LAYER_CONSTANT)
    return _("the layer of model B is constant over the examples (zero variance): CKA is 0/0");
  if (snapshot->minibatches_done == 0)
    return _("not computed yet");
  if (isnan (bs_cka_snapshot_get_value (snapshot, row, col)))
    /* Translators: why a CKA value is missing, when no reason is known. */
    return _("undefined");
  return NULL;
}
