/* bs-cka-open.c: a CKA result from a picked file, falling back to the matrix alone (see the header). */
#include "bs-cka-open.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "bs-cka-import.h"
#include "bs-error.h"
#include "bs-npy.h"

/* The matrix of a .npy alone: layers by number, no stages. */
static BsCkaSnapshot *
load_matrix_only (const char  *path,
                  GError     **error)
{
  g_autoptr(BsNpyFile) file = bs_npy_file_open (path, error);
  const gint64 *shape;
  BsCkaSnapshotHeader header = { 0 };
  g_autofree BsLayerInfo *rows = NULL, *cols = NULL;
  double *values, *std_error;
  BsCkaSnapshot *snapshot;
  guint n_rows, n_cols;

  if (file == NULL)
    return NULL;
  shape = bs_npy_file_get_shape (file);
  if (bs_npy_file_get_ndim (file) != 2 || shape[0] < 1 || shape[1] < 1
      || shape[0] > BS_CKA_IMPORT_MAX_LAYERS || shape[1] > BS_CKA_IMPORT_MAX_LAYERS)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: %s is a file name; %u the most layers a side may have. */
                   _("'%s' is not a CKA matrix: it must be a two-dimensional array of at most %u × %u layers"),
                   path, BS_CKA_IMPORT_MAX_LAYERS, BS_CKA_IMPORT_MAX_LAYERS);
      return NULL;
    }
  n_rows = (guint) shape[0];
  n_cols = (guint) shape[1];
  values = g_try_new (double, (gsize) n_rows * n_cols);
  std_error = g_try_new (double, (gsize) n_rows * n_cols);
  if (values == NULL || std_error == NULL
      || !bs_npy_file_read_rows (file, 0, n_rows, BS_DTYPE_F64, values, error))
    {
      if (values == NULL || std_error == NULL)
        g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Not enough memory for the matrix of '%s'"), path);
      g_free (values);
      g_free (std_error);
      return NULL;
    }
  for (gsize i = 0; i < (gsize) n_rows * n_cols; i++)
    std_error[i] = NAN;

  rows = g_new0 (BsLayerInfo, n_rows);
  cols = g_new0 (BsLayerInfo, n_cols);
  for (guint i = 0; i < n_rows; i++)
    rows[i] = (BsLayerInfo) { .name = g_strdup_printf ("%u", i), .stage = BS_LAYER_STAGE_UNKNOWN, .block = -1 };
  for (guint i = 0; i < n_cols; i++)
    cols[i] = (BsLayerInfo) { .name = g_strdup_printf ("%u", i), .stage = BS_LAYER_STAGE_UNKNOWN, .block = -1 };
  header.rows = rows;
  header.n_rows = n_rows;
  header.cols = cols;
  header.n_cols = n_cols;
  header.minibatches_total = 1;
  snapshot = bs_cka_snapshot_new (&header, 1, values, std_error, g_new0 (guint8, n_rows), g_new0 (guint8, n_cols));
  for (guint i = 0; i < n_rows; i++)
    bs_layer_info_clear (&rows[i]);
  for (guint i = 0; i < n_cols; i++)
    bs_layer_info_clear (&cols[i]);
  return snapshot;
}

BsCkaSnapshot *
bs_cka_open_result (const char  *matrix_path,
                    char       **warning,
                    GError     **error)
{
  g_autoptr(GError) import_error = NULL;
  BsCkaSnapshot *snapshot;

  if (warning != NULL)
    *warning = NULL;
  snapshot = bs_cka_import (matrix_path, &import_error);
  if (snapshot != NULL)
    return snapshot;

  /* Only the description may be lost: the matrix itself must read. */
  snapshot = load_matrix_only (matrix_path, error);
  if (snapshot != NULL && warning != NULL)
    /* Translators: why the layers' description could not be read, then the matrix's file name. */
    *warning = g_strdup_printf (_("%s; the layers of '%s' are shown by number"), import_error->message, matrix_path);
  return snapshot;
}
