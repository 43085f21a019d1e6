/* fuzz-cka-export.c: the JSON beside a CKA matrix (bs-cka-import, bs-cka-open).
 *
 * The first two bytes are the matrix's rows and columns (of layers); the
 * harness writes a float64 .npy of that shape (with some NaN cells, as a
 * result with undefined cells has), and the rest of the input is its JSON,
 * M.json beside M.npy, as `blockscope-cli cka` and run snapshots write
 * them. The pair is read back by bs_cka_import (a run's snapshot) and by
 * bs_cka_open_result (a result a user opens, which falls back to the
 * matrix alone). */

#include "fuzz-util.h"

#include <math.h>

#include "bs-cka-import.h"
#include "bs-cka-open.h"
#include "bs-npy.h"

static guint matrix_rows = G_MAXUINT, matrix_cols = G_MAXUINT;
static char *matrix_path;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  bs_fuzz_init ();
  matrix_path = g_build_filename (bs_fuzz_dir (), "fuzz.npy", NULL);
  return 0;
}

static void
write_matrix (guint rows,
              guint cols)
{
  g_autofree double *values = g_new (double, MAX (rows * cols, 1));
  gint64 shape[2] = { rows, cols };

  if (rows == matrix_rows && cols == matrix_cols)
    return;
  for (guint i = 0; i < rows; i++)
    for (guint j = 0; j < cols; j++)
      values[i * cols + j] = (i * j) % 5 == 4 ? NAN : ((i + j) % 7) / 7.0;
  if (!bs_npy_save (matrix_path, BS_DTYPE_F64, 2, shape, values, NULL))
    abort ();
  matrix_rows = rows;
  matrix_cols = cols;
}

static void
touch_snapshot (BsCkaSnapshot *snapshot)
{
  guint rows = bs_cka_snapshot_get_n_rows (snapshot), cols = bs_cka_snapshot_get_n_cols (snapshot);

  if (rows != matrix_rows || cols != matrix_cols)
    __builtin_trap ();
  for (guint i = 0; i < rows; i++)
    bs_fuzz_touch (bs_cka_snapshot_get_row (snapshot, i)->name, 1);
  for (guint j = 0; j < cols; j++)
    bs_fuzz_touch (bs_cka_snapshot_get_col (snapshot, j)->name, 1);
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autofree char *json_path = NULL;
  g_autofree char *warning = NULL;
  BsCkaSnapshot *snapshot;

  bs_fuzz_accepted = FALSE;
  if (size < 2)
    return 0;
  write_matrix (data[0], data[1]);
  json_path = bs_fuzz_write ("fuzz.json", data + 2, size - 2);

  snapshot = bs_cka_import (matrix_path, NULL);
  bs_fuzz_accepted = snapshot != NULL;
  if (snapshot != NULL)
    {
      touch_snapshot (snapshot);
      bs_cka_snapshot_unref (snapshot);
    }

  snapshot = bs_cka_open_result (matrix_path, &warning, NULL);
  /* The matrix is valid: it opens, with or without its JSON. */
  if (snapshot == NULL && data[0] > 0 && data[1] > 0)
    __builtin_trap ();
  if (snapshot != NULL)
    {
      if (bs_fuzz_accepted != (warning == NULL))
        __builtin_trap ();
      touch_snapshot (snapshot);
      bs_cka_snapshot_unref (snapshot);
    }
  return 0;
}
