/* bs-cka-snapshot.c */
#include "bs-cka-snapshot.h"

#include <math.h>

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
bs_cka_snapshot_new (const BsLayerInfo *rows,
                     guint              n_rows,
                     const BsLayerInfo *cols,
                     guint              n_cols)
{
  BsCkaSnapshot *self = g_new0 (BsCkaSnapshot, 1);
  gsize n = (gsize) n_rows * n_cols;

  self->ref_count = 1;
  self->n_rows = n_rows;
  self->n_cols = n_cols;
  self->rows = copy_layers (rows, n_rows);
  self->cols = copy_layers (cols, n_cols);
  self->cka = g_new (double, MAX (n, 1));
  self->std_error = g_new (double, MAX (n, 1));
  self->row_status = g_new0 (guint8, MAX (n_rows, 1));
  self->col_status = g_new0 (guint8, MAX (n_cols, 1));
  for (gsize i = 0; i < n; i++)
    self->cka[i] = self->std_error[i] = NAN;

  return self;
}

BsCkaSnapshot *
bs_cka_snapshot_ref (BsCkaSnapshot *snapshot)
{
  g_return_val_if_fail (snapshot != NULL, NULL);

  g_atomic_int_inc (&snapshot->ref_count);
  return snapshot;
}

void
bs_cka_snapshot_unref (BsCkaSnapshot *snapshot)
{
  if (snapshot == NULL || !g_atomic_int_dec_and_test (&snapshot->ref_count))
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
  g_free (snapshot);
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
           ? "the layer of model A produced NaN or infinite activations"
           : "the layer of model B produced NaN or infinite activations";
  if (a == BS_CKA_LAYER_CONSTANT && b == BS_CKA_LAYER_CONSTANT)
    return "both layers are constant over the examples (zero variance): CKA is 0/0";
  if (a == BS_CKA_LAYER_CONSTANT)
    return "the layer of model A is constant over the examples (zero variance): CKA is 0/0";
  if (b == BS_CKA_LAYER_CONSTANT)
    return "the layer of model B is constant over the examples (zero variance): CKA is 0/0";
  if (snapshot->minibatches_done == 0)
    return "not computed yet";
  if (isnan (bs_cka_snapshot_get (snapshot, row, col)))
    return "undefined";
  return NULL;
}
