/* test-figure-matrix.c: the heatmap's float matrix (bs-heatmap-matrix.h)
 * tells same-shape updates from reshapes, reports exactly the rows that
 * changed, keeps NaN as its sentinel and knows the range of the values. */
#include "bs-config.h"

#include <math.h>

#include "bs-heatmap-matrix.h"

typedef double (*ValueFunc) (guint row, guint col);

typedef struct {
  const char *model_a;
  const char *renamed_row;   /* a new name for row 1, or NULL */
  gint        row_2_stage;   /* the stage of row 2 */
} Shape;

static const Shape plain = { "resnet20", NULL, 1 };

static BsCkaSnapshot *
make_snapshot (guint        n_rows,
               guint        n_cols,
               ValueFunc    value,
               const Shape *shape)
{
  BsLayerInfo *rows = g_new0 (BsLayerInfo, n_rows);
  BsLayerInfo *cols = g_new0 (BsLayerInfo, n_cols);
  BsCkaSnapshotHeader header = {
    .rows = rows, .n_rows = n_rows, .cols = cols, .n_cols = n_cols,
    .model_a = shape->model_a, .model_b = "resnet8",
    .batch_size = 16, .minibatches_total = 4,
  };
  /* At least one of each: the snapshot wants arrays, even when empty. */
  double *cka = g_new (double, MAX ((gsize) n_rows * n_cols, 1));
  double *std_error = g_new (double, MAX ((gsize) n_rows * n_cols, 1));
  BsCkaSnapshot *snapshot;

  for (guint i = 0; i < MAX (n_rows, n_cols); i++)
    {
      BsLayerInfo info = { .kind = BS_LAYER_CONV, .channels = 4, .height = 2, .width = 2,
                           .stage = 1, .block = (gint) i / 3 };

      info.name = g_strdup_printf ("layer%u", i);
      if (i < n_rows)
        {
          bs_layer_info_copy (&rows[i], &info);
          if (i == 1 && shape->renamed_row != NULL)
            {
              g_free (rows[i].name);
              rows[i].name = g_strdup (shape->renamed_row);
            }
          if (i == 2)
            rows[i].stage = shape->row_2_stage;
        }
      if (i < n_cols)
        bs_layer_info_copy (&cols[i], &info);
      bs_layer_info_clear (&info);
    }

  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        cka[(gsize) r * n_cols + c] = value (r, c);
        std_error[(gsize) r * n_cols + c] = NAN;
      }

  snapshot = bs_cka_snapshot_new (&header, 1, cka, std_error,
                                  g_new0 (guint8, MAX (n_rows, 1)), g_new0 (guint8, MAX (n_cols, 1)));
  for (guint i = 0; i < n_rows; i++)
    bs_layer_info_clear (&rows[i]);
  for (guint i = 0; i < n_cols; i++)
    bs_layer_info_clear (&cols[i]);
  g_free (rows);
  g_free (cols);

  return snapshot;
}

static double
base_value (guint row,
            guint col)
{
  return 0.01 * row + 0.001 * col;
}

static double
rows_3_and_7_changed (guint row,
                      guint col)
{
  return row == 3 || row == 7 ? 0.9 : base_value (row, col);
}

static double
row_2_changed (guint row,
               guint col)
{
  return row == 2 && col == 5 ? 0.5 : base_value (row, col);
}

static double
row_5_changed (guint row,
               guint col)
{
  return (row == 2 && col == 5) || (row == 5 && col == 0) ? 0.5 : base_value (row, col);
}

static void
assert_dirty (BsHeatmapMatrix *matrix,
              guint            want_first,
              guint            want_last)
{
  guint first = G_MAXUINT, last = G_MAXUINT;

  g_assert_true (bs_heatmap_matrix_get_dirty_rows (matrix, &first, &last));
  g_assert_cmpuint (first, ==, want_first);
  g_assert_cmpuint (last, ==, want_last);
}

static void
assert_clean (BsHeatmapMatrix *matrix)
{
  guint first, last;

  g_assert_false (bs_heatmap_matrix_get_dirty_rows (matrix, &first, &last));
}

static void
test_first_update_is_a_reshape (void)
{
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  g_autoptr(BsCkaSnapshot) snapshot = make_snapshot (10, 12, base_value, &plain);
  const float *values;

  g_assert_cmpuint (bs_heatmap_matrix_get_n_rows (matrix), ==, 0);
  g_assert_null (bs_heatmap_matrix_get_values (matrix));
  assert_clean (matrix);

  g_assert_cmpint (bs_heatmap_matrix_update (matrix, snapshot), ==, BS_HEATMAP_MATRIX_RESHAPED);
  g_assert_true (bs_heatmap_matrix_get_snapshot (matrix) == snapshot);
  g_assert_cmpuint (bs_heatmap_matrix_get_n_rows (matrix), ==, 10);
  g_assert_cmpuint (bs_heatmap_matrix_get_n_cols (matrix), ==, 12);
  assert_dirty (matrix, 0, 9);

  /* Row-major floats, row 0 first. */
  values = bs_heatmap_matrix_get_values (matrix);
  for (guint r = 0; r < 10; r++)
    for (guint c = 0; c < 12; c++)
      {
        g_assert_cmpfloat (values[r * 12 + c], ==, (float) base_value (r, c));
        g_assert_cmpfloat (bs_heatmap_matrix_get_value (matrix, r, c), ==, (double) (float) base_value (r, c));
      }

  bs_heatmap_matrix_clear_dirty_rows (matrix);
  assert_clean (matrix);

  /* The same snapshot again changes nothing. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, snapshot), ==, BS_HEATMAP_MATRIX_UNCHANGED);
  assert_clean (matrix);
}

static void
test_dirty_rows (void)
{
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  g_autoptr(BsCkaSnapshot) first = make_snapshot (10, 12, base_value, &plain);
  g_autoptr(BsCkaSnapshot) same = make_snapshot (10, 12, base_value, &plain);
  g_autoptr(BsCkaSnapshot) changed = make_snapshot (10, 12, rows_3_and_7_changed, &plain);
  g_autoptr(BsCkaSnapshot) back = make_snapshot (10, 12, base_value, &plain);
  g_autoptr(BsCkaSnapshot) row_2 = make_snapshot (10, 12, row_2_changed, &plain);
  g_autoptr(BsCkaSnapshot) row_5 = make_snapshot (10, 12, row_5_changed, &plain);

  bs_heatmap_matrix_update (matrix, first);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  /* Equal values in a new snapshot: same shape, nothing to draw. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, same), ==, BS_HEATMAP_MATRIX_UNCHANGED);
  g_assert_true (bs_heatmap_matrix_get_snapshot (matrix) == same);
  assert_clean (matrix);

  /* Rows 3 and 7 change: the range [3, 7]. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, changed), ==, BS_HEATMAP_MATRIX_UPDATED);
  assert_dirty (matrix, 3, 7);
  g_assert_cmpfloat (bs_heatmap_matrix_get_value (matrix, 7, 11), ==, (double) 0.9f);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  g_assert_cmpint (bs_heatmap_matrix_update (matrix, back), ==, BS_HEATMAP_MATRIX_UPDATED);
  assert_dirty (matrix, 3, 7);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  /* Updates before anyone drew accumulate: row 2, then rows 2 and 5. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, row_2), ==, BS_HEATMAP_MATRIX_UPDATED);
  assert_dirty (matrix, 2, 2);
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, row_5), ==, BS_HEATMAP_MATRIX_UPDATED);
  assert_dirty (matrix, 2, 5);
}

static double
with_nan (guint row,
          guint col)
{
  if (row == 4 && col == 4)
    return NAN;
  if (row == 1 && col == 2)
    return INFINITY;
  if (row == 0 && col == 0)
    return -0.25;
  if (row == 5 && col == 6)
    return 1.5;
  return base_value (row, col);
}

static double
nan_moved (guint row,
           guint col)
{
  /* (4, 4) gets a value, (6, 1) loses its own. */
  if (row == 4 && col == 4)
    return 0.3;
  if (row == 6 && col == 1)
    return NAN;
  return with_nan (row, col);
}

static double
all_nan (guint row,
         guint col)
{
  return NAN;
}

static void
test_nan_and_range (void)
{
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  g_autoptr(BsCkaSnapshot) a = make_snapshot (7, 8, with_nan, &plain);
  g_autoptr(BsCkaSnapshot) a_again = make_snapshot (7, 8, with_nan, &plain);
  g_autoptr(BsCkaSnapshot) b = make_snapshot (7, 8, nan_moved, &plain);
  g_autoptr(BsCkaSnapshot) empty = make_snapshot (7, 8, all_nan, &plain);
  double lo, hi;

  bs_heatmap_matrix_update (matrix, a);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  /* NaN and infinity are stored as the sentinel and read back as NaN. */
  g_assert_true (bs_heatmap_matrix_is_missing (bs_heatmap_matrix_get_values (matrix)[4 * 8 + 4]));
  g_assert_true (bs_heatmap_matrix_is_missing (bs_heatmap_matrix_get_values (matrix)[1 * 8 + 2]));
  g_assert_cmpfloat (bs_heatmap_matrix_get_values (matrix)[4 * 8 + 4], ==, BS_HEATMAP_MATRIX_MISSING);
  g_assert_true (isnan (bs_heatmap_matrix_get_value (matrix, 4, 4)));
  g_assert_false (bs_heatmap_matrix_is_missing (-0.25f));

  /* The range of the cells with a value, outside [0, 1] included. */
  g_assert_true (bs_heatmap_matrix_get_data_range (matrix, &lo, &hi));
  g_assert_cmpfloat (lo, ==, (double) -0.25f);
  g_assert_cmpfloat (hi, ==, (double) 1.5f);

  /* NaN equals NaN here: the same cells again change nothing. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, a_again), ==, BS_HEATMAP_MATRIX_UNCHANGED);
  assert_clean (matrix);

  /* A value replacing NaN, and NaN replacing a value, are changes. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, b), ==, BS_HEATMAP_MATRIX_UPDATED);
  assert_dirty (matrix, 4, 6);
  g_assert_cmpfloat (bs_heatmap_matrix_get_value (matrix, 4, 4), ==, (double) 0.3f);
  g_assert_true (isnan (bs_heatmap_matrix_get_value (matrix, 6, 1)));

  /* Nothing computed yet: no range, and the fixed [0, 1]. */
  bs_heatmap_matrix_update (matrix, empty);
  g_assert_false (bs_heatmap_matrix_get_data_range (matrix, &lo, &hi));
  g_assert_cmpfloat (lo, ==, 0.0);
  g_assert_cmpfloat (hi, ==, 1.0);
}

static void
test_reshapes (void)
{
  static const Shape other_model = { "resnet56", NULL, 1 };
  static const Shape renamed = { "resnet20", "shortcut", 1 };
  static const Shape restaged = { "resnet20", NULL, 2 };
  g_autoptr(BsHeatmapMatrix) matrix = bs_heatmap_matrix_new ();
  g_autoptr(BsCkaSnapshot) start = make_snapshot (10, 12, base_value, &plain);
  g_autoptr(BsCkaSnapshot) bigger = make_snapshot (11, 12, base_value, &plain);
  g_autoptr(BsCkaSnapshot) model = make_snapshot (11, 12, base_value, &other_model);
  g_autoptr(BsCkaSnapshot) name = make_snapshot (11, 12, base_value, &renamed);
  g_autoptr(BsCkaSnapshot) stage = make_snapshot (11, 12, base_value, &restaged);
  g_autoptr(BsCkaSnapshot) no_rows = make_snapshot (0, 12, base_value, &plain);
  double lo, hi;

  bs_heatmap_matrix_update (matrix, start);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  /* Every kind of other shape marks every row, even with equal values. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, bigger), ==, BS_HEATMAP_MATRIX_RESHAPED);
  g_assert_cmpuint (bs_heatmap_matrix_get_n_rows (matrix), ==, 11);
  assert_dirty (matrix, 0, 10);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  g_assert_cmpint (bs_heatmap_matrix_update (matrix, model), ==, BS_HEATMAP_MATRIX_RESHAPED);
  assert_dirty (matrix, 0, 10);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  g_assert_cmpint (bs_heatmap_matrix_update (matrix, name), ==, BS_HEATMAP_MATRIX_RESHAPED);
  assert_dirty (matrix, 0, 10);
  bs_heatmap_matrix_clear_dirty_rows (matrix);

  g_assert_cmpint (bs_heatmap_matrix_update (matrix, stage), ==, BS_HEATMAP_MATRIX_RESHAPED);
  assert_dirty (matrix, 0, 10);

  /* A reshape forgets what an earlier update left dirty. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, name), ==, BS_HEATMAP_MATRIX_RESHAPED);
  assert_dirty (matrix, 0, 10);

  /* Empty and NULL clear. */
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, no_rows), ==, BS_HEATMAP_MATRIX_CLEARED);
  g_assert_null (bs_heatmap_matrix_get_snapshot (matrix));
  g_assert_null (bs_heatmap_matrix_get_values (matrix));
  g_assert_cmpuint (bs_heatmap_matrix_get_n_rows (matrix), ==, 0);
  g_assert_cmpuint (bs_heatmap_matrix_get_n_cols (matrix), ==, 0);
  assert_clean (matrix);
  g_assert_false (bs_heatmap_matrix_get_data_range (matrix, &lo, &hi));

  g_assert_cmpint (bs_heatmap_matrix_update (matrix, start), ==, BS_HEATMAP_MATRIX_RESHAPED);
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, NULL), ==, BS_HEATMAP_MATRIX_CLEARED);
  g_assert_cmpint (bs_heatmap_matrix_update (matrix, NULL), ==, BS_HEATMAP_MATRIX_UNCHANGED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/figure-matrix/first-update", test_first_update_is_a_reshape);
  g_test_add_func ("/figure-matrix/dirty-rows", test_dirty_rows);
  g_test_add_func ("/figure-matrix/nan-and-range", test_nan_and_range);
  g_test_add_func ("/figure-matrix/reshapes", test_reshapes);

  return g_test_run ();
}
