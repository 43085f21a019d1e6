/* bs-heatmap-matrix.c: the float copy of a CKA matrix and its dirty rows
 * (see the header). */
#include "bs-heatmap-matrix.h"

#include <math.h>

struct _BsHeatmapMatrix
{
  BsCkaSnapshot *snapshot;
  float         *values;
  guint          n_rows;
  guint          n_cols;
  gboolean       has_dirty;
  guint          dirty_first;
  guint          dirty_last;
  gboolean       has_data;
  double         data_lo;
  double         data_hi;
};

BsHeatmapMatrix *
bs_heatmap_matrix_new (void)
{
  return g_new0 (BsHeatmapMatrix, 1);
}

void
bs_heatmap_matrix_free (BsHeatmapMatrix *matrix)
{
  if (matrix == NULL)
    return;

  g_clear_pointer (&matrix->snapshot, bs_cka_snapshot_unref);
  g_free (matrix->values);
  g_free (matrix);
}

static gboolean
same_layers (const BsLayerInfo *a,
             const BsLayerInfo *b,
             guint              n)
{
  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (a[i].name, b[i].name) != 0 || a[i].stage != b[i].stage || a[i].block != b[i].block)
      return FALSE;

  return TRUE;
}

static gboolean
same_shape (const BsCkaSnapshot *a,
            const BsCkaSnapshot *b)
{
  return bs_cka_snapshot_get_n_rows (a) == bs_cka_snapshot_get_n_rows (b) &&
         bs_cka_snapshot_get_n_cols (a) == bs_cka_snapshot_get_n_cols (b) &&
         g_strcmp0 (bs_cka_snapshot_get_model_a (a), bs_cka_snapshot_get_model_a (b)) == 0 &&
         g_strcmp0 (bs_cka_snapshot_get_model_b (a), bs_cka_snapshot_get_model_b (b)) == 0 &&
         same_layers (bs_cka_snapshot_get_rows (a), bs_cka_snapshot_get_rows (b), bs_cka_snapshot_get_n_rows (a)) &&
         same_layers (bs_cka_snapshot_get_cols (a), bs_cka_snapshot_get_cols (b), bs_cka_snapshot_get_n_cols (a));
}

static inline float
to_float (double value)
{
  return isfinite (value) ? (float) value : BS_HEATMAP_MATRIX_MISSING;
}

static void
mark_dirty (BsHeatmapMatrix *matrix,
            guint            first,
            guint            last)
{
  if (!matrix->has_dirty)
    {
      matrix->dirty_first = first;
      matrix->dirty_last = last;
      matrix->has_dirty = TRUE;
      return;
    }

  matrix->dirty_first = MIN (matrix->dirty_first, first);
  matrix->dirty_last = MAX (matrix->dirty_last, last);
}

static void
update_data_range (BsHeatmapMatrix *matrix)
{
  gsize n = (gsize) matrix->n_rows * matrix->n_cols;
  float lo = G_MAXFLOAT, hi = -G_MAXFLOAT;

  for (gsize i = 0; i < n; i++)
    if (!bs_heatmap_matrix_is_missing (matrix->values[i]))
      {
        lo = MIN (lo, matrix->values[i]);
        hi = MAX (hi, matrix->values[i]);
      }

  matrix->has_data = lo <= hi;
  matrix->data_lo = matrix->has_data ? lo : 0.0;
  matrix->data_hi = matrix->has_data ? hi : 1.0;
}

BsHeatmapMatrixChange
bs_heatmap_matrix_update (BsHeatmapMatrix *matrix,
                          BsCkaSnapshot   *snapshot)
{
  BsHeatmapMatrixChange change;
  const double *src;
  gboolean reshape;
  gsize n;

  g_return_val_if_fail (matrix != NULL, BS_HEATMAP_MATRIX_UNCHANGED);

  if (snapshot == matrix->snapshot)
    return BS_HEATMAP_MATRIX_UNCHANGED;

  if (snapshot == NULL || bs_cka_snapshot_get_n_rows (snapshot) == 0 || bs_cka_snapshot_get_n_cols (snapshot) == 0)
    {
      g_clear_pointer (&matrix->snapshot, bs_cka_snapshot_unref);
      g_clear_pointer (&matrix->values, g_free);
      matrix->n_rows = matrix->n_cols = 0;
      matrix->has_dirty = FALSE;
      update_data_range (matrix);
      return BS_HEATMAP_MATRIX_CLEARED;
    }

  reshape = matrix->snapshot == NULL || !same_shape (snapshot, matrix->snapshot);
  bs_cka_snapshot_ref (snapshot);
  g_clear_pointer (&matrix->snapshot, bs_cka_snapshot_unref);
  matrix->snapshot = snapshot;
  src = bs_cka_snapshot_get_values (snapshot);

  if (reshape)
    {
      matrix->n_rows = bs_cka_snapshot_get_n_rows (snapshot);
      matrix->n_cols = bs_cka_snapshot_get_n_cols (snapshot);
      n = (gsize) matrix->n_rows * matrix->n_cols;
      g_free (matrix->values);
      matrix->values = g_new (float, n);
      for (gsize i = 0; i < n; i++)
        matrix->values[i] = to_float (src[i]);
      /* Nothing drawn before can be kept. */
      matrix->has_dirty = FALSE;
      mark_dirty (matrix, 0, matrix->n_rows - 1);
      change = BS_HEATMAP_MATRIX_RESHAPED;
    }
  else
    {
      change = BS_HEATMAP_MATRIX_UNCHANGED;
      for (guint r = 0; r < matrix->n_rows; r++)
        {
          float *row = matrix->values + (gsize) r * matrix->n_cols;
          const double *src_row = src + (gsize) r * matrix->n_cols;
          gboolean changed = FALSE;

          for (guint c = 0; c < matrix->n_cols; c++)
            {
              float v = to_float (src_row[c]);

              /* No NaN here (missing cells hold the sentinel), so != is exact. */
              if (v != row[c])
                {
                  row[c] = v;
                  changed = TRUE;
                }
            }

          if (changed)
            {
              mark_dirty (matrix, r, r);
              change = BS_HEATMAP_MATRIX_UPDATED;
            }
        }
    }

  update_data_range (matrix);

  return change;
}

BsCkaSnapshot *
bs_heatmap_matrix_get_snapshot (const BsHeatmapMatrix *matrix)
{
  return matrix->snapshot;
}

guint
bs_heatmap_matrix_get_n_rows (const BsHeatmapMatrix *matrix)
{
  return matrix->n_rows;
}

guint
bs_heatmap_matrix_get_n_cols (const BsHeatmapMatrix *matrix)
{
  return matrix->n_cols;
}

const float *
bs_heatmap_matrix_get_values (const BsHeatmapMatrix *matrix)
{
  return matrix->values;
}

double
bs_heatmap_matrix_get_value (const BsHeatmapMatrix *matrix,
                             guint                  row,
                             guint                  col)
{
  float v;

  g_return_val_if_fail (row < matrix->n_rows && col < matrix->n_cols, NAN);

  v = matrix->values[(gsize) row * matrix->n_cols + col];

  return bs_heatmap_matrix_is_missing (v) ? NAN : (double) v;
}

gboolean
bs_heatmap_matrix_get_dirty_rows (const BsHeatmapMatrix *matrix,
                                  guint                 *first,
                                  guint                 *last)
{
  if (!matrix->has_dirty)
    return FALSE;

  *first = matrix->dirty_first;
  *last = matrix->dirty_last;

  return TRUE;
}

void
bs_heatmap_matrix_clear_dirty_rows (BsHeatmapMatrix *matrix)
{
  matrix->has_dirty = FALSE;
}

gboolean
bs_heatmap_matrix_get_data_range (const BsHeatmapMatrix *matrix,
                                  double                *lo,
                                  double                *hi)
{
  *lo = matrix->has_data ? matrix->data_lo : 0.0;
  *hi = matrix->has_data ? matrix->data_hi : 1.0;

  return matrix->has_data;
}
