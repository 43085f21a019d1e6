/* bs-cka-import.c: .npy + .json -> BsCkaSnapshot, checked as hostile files. */
#include "bs-cka-import.h"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <math.h>
#include <string.h>

#include "bs-cka-export.h"
#include "bs-error.h"
#include "bs-json-file.h"
#include "bs-npy.h"

/* The JSON holds the CKA and standard-error matrices as text, about 25
 * bytes a cell. */
#define MAX_JSON_BYTES ((gsize) 1 << 30)
#define MAX_SIDE 1000000

static gboolean import_error (GError    **error,
                              const char *path,
                              const char *format,
                              ...) G_GNUC_PRINTF (3, 4);

static gboolean
import_error (GError    **error,
              const char *path,
              const char *format,
              ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  /* Translators: a file path, then what is wrong with it. */
  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a usable CKA result: %s"), path, detail);
  return FALSE;
}

static gboolean
get_int (JsonObject *object,
         const char *member,
         gint64      min,
         gint64      max,
         gint64     *value)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_int (node);
  return *value >= min && *value <= max;
}

static const char *
get_string (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
get_object (JsonObject *object,
            const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

static JsonArray *
get_array (JsonObject *object,
           const char *member)
{
  JsonNode *node = json_object_get_member (object, member);

  return node != NULL && JSON_NODE_HOLDS_ARRAY (node) ? json_node_get_array (node) : NULL;
}

static gboolean
kind_from_string (const char  *text,
                  BsLayerKind *kind)
{
  for (int k = BS_LAYER_INPUT; k <= BS_LAYER_OTHER; k++)
    if (g_strcmp0 (text, bs_layer_kind_to_string (k)) == 0)
      {
        *kind = k;
        return TRUE;
      }
  return FALSE;
}

static gboolean
status_from_string (const char *text,
                    guint8     *status)
{
  for (int s = BS_CKA_LAYER_OK; s <= BS_CKA_LAYER_NOT_FINITE; s++)
    if (g_strcmp0 (text, bs_cka_layer_status_to_string (s)) == 0)
      {
        *status = (guint8) s;
        return TRUE;
      }
  return FALSE;
}

/* One side ("model_a" or "model_b"): n layers into layers and status. */
static gboolean
read_side (JsonObject  *root,
           const char  *side,
           guint        n,
           const char  *path,
           BsLayerInfo *layers,
           guint8      *status,
           char       **spec,
           GError     **error)
{
  JsonObject *object = get_object (root, side);
  JsonArray *array = object ? get_array (object, "layers") : NULL;
  gint64 n_layers;

  if (object == NULL || array == NULL)
    /* Translators: %s is a key of the file ("model_a"); this and the other
     * details follow "'FILE' is not a usable CKA result: ". */
    return import_error (error, path, _("'%s' or its layers are missing"), side);
  if (!get_int (object, "n_layers", 0, BS_CKA_IMPORT_MAX_LAYERS, &n_layers) || (guint) n_layers != n
      || json_array_get_length (array) != n)
    /* Translators: %s is a key of the file ("model_a"). */
    return import_error (error, path, _("the layers of '%s' do not match the matrix's shape"), side);
  *spec = g_strdup (get_string (object, "spec"));

  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *layer = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      JsonArray *shape = layer ? get_array (layer, "shape") : NULL;
      const char *name = layer ? get_string (layer, "name") : NULL;
      gint64 dims[3], stage, block;
      JsonNode *output = layer ? json_object_get_member (layer, "block_output") : NULL;

      if (layer == NULL || name == NULL || shape == NULL || json_array_get_length (shape) != 3
          || !kind_from_string (get_string (layer, "kind"), &layers[i].kind)
          || !get_int (layer, "stage", -1, 64, &stage) || !get_int (layer, "block", -1, G_MAXINT, &block)
          || output == NULL || !JSON_NODE_HOLDS_VALUE (output)
          || json_node_get_value_type (output) != G_TYPE_BOOLEAN
          || !status_from_string (get_string (layer, "status"), &status[i]))
        /* Translators: a layer's number and a key of the file ("model_a"). */
        return import_error (error, path, _("layer %u of '%s' is incomplete or malformed"), i, side);
      for (guint d = 0; d < 3; d++)
        {
          JsonNode *dim = json_array_get_element (shape, d);

          if (!JSON_NODE_HOLDS_VALUE (dim) || json_node_get_value_type (dim) != G_TYPE_INT64
              || json_node_get_int (dim) < 0 || json_node_get_int (dim) > MAX_SIDE)
            return import_error (error, path, _("layer %u of '%s' is incomplete or malformed"), i, side);
          dims[d] = json_node_get_int (dim);
        }
      layers[i].name = g_strdup (name);
      layers[i].channels = (guint) dims[0];
      layers[i].height = (guint) dims[1];
      layers[i].width = (guint) dims[2];
      layers[i].stage = (gint) stage;
      layers[i].block = (gint) block;
      layers[i].block_output = json_node_get_boolean (output);
    }
  return TRUE;
}

/* "std_error": n_rows arrays of n_cols numbers or nulls. */
static gboolean
read_matrix (JsonObject *root,
             const char *member,
             guint       n_rows,
             guint       n_cols,
             const char *path,
             double     *out,
             GError    **error)
{
  JsonArray *rows = get_array (root, member);

  if (rows == NULL || json_array_get_length (rows) != n_rows)
    /* Translators: %s is a key of the file ("std_error"). */
    return import_error (error, path, _("'%s' is missing or does not match the matrix's shape"), member);
  for (guint r = 0; r < n_rows; r++)
    {
      JsonNode *row_node = json_array_get_element (rows, r);
      JsonArray *row = JSON_NODE_HOLDS_ARRAY (row_node) ? json_node_get_array (row_node) : NULL;

      if (row == NULL || json_array_get_length (row) != n_cols)
        return import_error (error, path, _("'%s' is missing or does not match the matrix's shape"), member);
      for (guint c = 0; c < n_cols; c++)
        {
          JsonNode *cell = json_array_get_element (row, c);
          GType type = JSON_NODE_HOLDS_VALUE (cell) ? json_node_get_value_type (cell) : G_TYPE_INVALID;

          if (JSON_NODE_HOLDS_NULL (cell))
            out[(gsize) r * n_cols + c] = NAN;
          else if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
            out[(gsize) r * n_cols + c] = json_node_get_double (cell);
          else
            /* Translators: %s is a key of the file ("std_error"). */
            return import_error (error, path, _("'%s' holds something other than numbers"), member);
        }
    }
  return TRUE;
}

/* An array of n numbers or nulls (NaN), into a new array; NULL without
 * error when absent, NULL with error when malformed. */
static double *
read_vector (JsonObject  *object,
             const char  *member,
             guint        n,
             const char  *path,
             GError     **error)
{
  JsonArray *values = get_array (object, member);
  g_autofree double *out = NULL;

  if (json_object_get_member (object, member) == NULL)
    return NULL;
  if (values == NULL || json_array_get_length (values) != n)
    {
      /* Translators: %s is a key of the file ("rows" of "pc1_share"). */
      import_error (error, path, _("'%s' of the PC1 shares is not one value per layer"), member);
      return NULL;
    }
  out = g_new (double, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      JsonNode *cell = json_array_get_element (values, i);
      GType type = JSON_NODE_HOLDS_VALUE (cell) ? json_node_get_value_type (cell) : G_TYPE_INVALID;

      if (JSON_NODE_HOLDS_NULL (cell))
        out[i] = NAN;
      else if (type == G_TYPE_DOUBLE || type == G_TYPE_INT64)
        out[i] = json_node_get_double (cell);
      else
        {
          import_error (error, path, _("'%s' of the PC1 shares holds something other than numbers"), member);
          return NULL;
        }
    }
  return g_steal_pointer (&out);
}

/* "pc1_share" (bs-cka-export.h), when the file has it, onto snapshot. */
static gboolean
read_pc1_shares (JsonObject     *root,
                 BsCkaSnapshot  *snapshot,
                 const char     *path,
                 GError        **error)
{
  JsonObject *shares = get_object (root, "pc1_share");
  guint n_rows = bs_cka_snapshot_get_n_rows (snapshot), n_cols = bs_cka_snapshot_get_n_cols (snapshot);
  g_autofree double *rows = NULL, *rows_se = NULL, *cols = NULL, *cols_se = NULL;
  GError *local = NULL;

  if (shares == NULL)
    return TRUE;
  rows = read_vector (shares, "rows", n_rows, path, &local);
  if (local == NULL)
    rows_se = read_vector (shares, "rows_std_error", n_rows, path, &local);
  if (local == NULL)
    cols = read_vector (shares, "cols", n_cols, path, &local);
  if (local == NULL)
    cols_se = read_vector (shares, "cols_std_error", n_cols, path, &local);
  if (local == NULL && (rows == NULL || cols == NULL))
    import_error (&local, path, _("'%s' of the PC1 shares is not one value per layer"), rows == NULL ? "rows" : "cols");
  if (local != NULL)
    {
      g_propagate_error (error, local);
      return FALSE;
    }
  bs_cka_snapshot_attach_pc1_shares (snapshot, g_steal_pointer (&rows), g_steal_pointer (&rows_se),
                                     g_steal_pointer (&cols), g_steal_pointer (&cols_se));
  return TRUE;
}

static void
clear_layers (BsLayerInfo *layers,
              guint        n)
{
  for (guint i = 0; layers != NULL && i < n; i++)
    bs_layer_info_clear (&layers[i]);
  g_free (layers);
}

BsCkaSnapshot *
bs_cka_import (const char  *matrix_path,
               GError     **error)
{
  g_autoptr(BsNpyFile) npy = NULL;
  g_autoptr(JsonNode) root_node = NULL;
  g_autofree char *json_path = NULL;
  g_autofree double *cka = NULL;
  g_autofree double *std_error = NULL;
  g_autofree guint8 *row_status = NULL;
  g_autofree guint8 *col_status = NULL;
  g_autofree char *spec_a = NULL;
  g_autofree char *spec_b = NULL;
  BsLayerInfo *rows = NULL, *cols = NULL;
  BsCkaSnapshotHeader header = { 0 };
  BsCkaSnapshot *snapshot = NULL;
  JsonObject *root, *protocol;
  const char *format, *estimator;
  const gint64 *shape;
  gint64 batch_size, used, total;
  guint n_rows, n_cols;

  g_return_val_if_fail (matrix_path != NULL, NULL);

  json_path = bs_cka_export_json_path (matrix_path);
  {
    /* bs_npy_file_open checks the type after its open; a FIFO must not
     * get that far. */
    GStatBuf st;

    if (g_stat (matrix_path, &st) == 0 && !S_ISREG (st.st_mode))
      {
        g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not a regular file"), matrix_path);
        return NULL;
      }
  }
  npy = bs_npy_file_open (matrix_path, error);
  if (npy == NULL)
    return NULL;
  shape = bs_npy_file_get_shape (npy);
  if (bs_npy_file_get_ndim (npy) != 2 || bs_npy_file_get_dtype (npy) != BS_DTYPE_F64
      || shape[0] < 1 || shape[1] < 1 || shape[0] > BS_CKA_IMPORT_MAX_LAYERS || shape[1] > BS_CKA_IMPORT_MAX_LAYERS)
    {
      import_error (error, matrix_path, _("the matrix is not a float64 array of rows by columns of layers"));
      return NULL;
    }
  n_rows = (guint) shape[0];
  n_cols = (guint) shape[1];

  root_node = bs_json_file_load (json_path, MAX_JSON_BYTES, error);
  if (root_node == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root_node))
    {
      import_error (error, json_path, _("it is not a JSON object"));
      return NULL;
    }
  root = json_node_get_object (root_node);
  format = get_string (root, "format");
  if (g_strcmp0 (format, "blockscope-cka") != 0)
    {
      import_error (error, json_path, _("it does not say \"format\": \"blockscope-cka\""));
      return NULL;
    }
  protocol = get_object (root, "protocol");
  estimator = protocol ? get_string (protocol, "estimator") : NULL;
  if (protocol == NULL || estimator == NULL || !get_int (protocol, "batch_size", 2, G_MAXUINT, &batch_size)
      || !get_int (root, "minibatches_used", 0, G_MAXUINT, &used)
      || !get_int (root, "minibatches_total", 0, G_MAXUINT, &total) || used > total)
    {
      import_error (error, json_path, _("the protocol or the minibatch counts are missing or malformed"));
      return NULL;
    }

  rows = g_new0 (BsLayerInfo, n_rows);
  cols = g_new0 (BsLayerInfo, n_cols);
  row_status = g_new0 (guint8, n_rows);
  col_status = g_new0 (guint8, n_cols);
  /* At most BS_CKA_IMPORT_MAX_LAYERS squared, and the .npy holds that many
   * doubles already (its reader checked the file's size against the shape). */
  cka = g_try_new (double, (gsize) n_rows * n_cols);
  std_error = g_try_new (double, (gsize) n_rows * n_cols);
  if (cka == NULL || std_error == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %zu bytes"),
                   matrix_path, (gsize) n_rows * n_cols * sizeof (double));
      goto out;
    }
  if (!read_side (root, "model_a", n_rows, json_path, rows, row_status, &spec_a, error)
      || !read_side (root, "model_b", n_cols, json_path, cols, col_status, &spec_b, error)
      || !read_matrix (root, "std_error", n_rows, n_cols, json_path, std_error, error)
      || !bs_npy_file_read_rows (npy, 0, n_rows, BS_DTYPE_F64, cka, error))
    goto out;

  header.rows = rows;
  header.n_rows = n_rows;
  header.cols = cols;
  header.n_cols = n_cols;
  header.model_a = spec_a;
  header.model_b = spec_b;
  header.batch_size = (guint) batch_size;
  header.minibatches_total = (guint) total;
  header.biased = g_str_has_prefix (estimator, "biased");
  /* Absent in files of earlier versions, which held CKA; unknown names too. */
  if (!bs_cka_measure_from_string (bs_json_member_string (root, "measure"), &header.measure))
    header.measure = BS_CKA_MEASURE_CKA;
  if (!bs_cka_statistic_from_string (bs_json_member_string (root, "statistic"), &header.statistic))
    header.statistic = BS_CKA_STATISTIC_ESTIMATE;
  snapshot = bs_cka_snapshot_new (&header, (guint) used, g_steal_pointer (&cka), g_steal_pointer (&std_error),
                                  g_steal_pointer (&row_status), g_steal_pointer (&col_status));
  if (!read_pc1_shares (root, snapshot, json_path, error))
    g_clear_pointer (&snapshot, bs_cka_snapshot_unref);

out:
  clear_layers (rows, n_rows);
  clear_layers (cols, n_cols);
  return snapshot;
}

BsCkaSnapshot *
bs_cka_import_header (JsonObject  *root,
                      const char  *what,
                      GError     **error)
{
  JsonObject *a = get_object (root, "model_a"), *b = get_object (root, "model_b");
  JsonObject *protocol = get_object (root, "protocol");
  const char *estimator = protocol ? get_string (protocol, "estimator") : NULL;
  g_autofree guint8 *row_status = NULL;
  g_autofree guint8 *col_status = NULL;
  g_autofree char *spec_a = NULL;
  g_autofree char *spec_b = NULL;
  BsLayerInfo *rows = NULL, *cols = NULL;
  BsCkaSnapshotHeader header = { 0 };
  BsCkaSnapshot *snapshot = NULL;
  gint64 n_rows, n_cols, batch_size, total;

  if (a == NULL || b == NULL || !get_int (a, "n_layers", 1, BS_CKA_IMPORT_MAX_LAYERS, &n_rows)
      || !get_int (b, "n_layers", 1, BS_CKA_IMPORT_MAX_LAYERS, &n_cols) || estimator == NULL
      || !get_int (protocol, "batch_size", 2, G_MAXUINT, &batch_size)
      || !get_int (root, "minibatches_total", 0, G_MAXUINT, &total))
    {
      import_error (error, what, _("the protocol or the minibatch counts are missing or malformed"));
      return NULL;
    }
  rows = g_new0 (BsLayerInfo, n_rows);
  cols = g_new0 (BsLayerInfo, n_cols);
  row_status = g_new0 (guint8, n_rows);
  col_status = g_new0 (guint8, n_cols);
  if (read_side (root, "model_a", (guint) n_rows, what, rows, row_status, &spec_a, error)
      && read_side (root, "model_b", (guint) n_cols, what, cols, col_status, &spec_b, error))
    {
      header.rows = rows;
      header.n_rows = (guint) n_rows;
      header.cols = cols;
      header.n_cols = (guint) n_cols;
      header.model_a = spec_a;
      header.model_b = spec_b;
      header.batch_size = (guint) batch_size;
      header.minibatches_total = (guint) total;
      header.biased = g_str_has_prefix (estimator, "biased");
      snapshot = bs_cka_snapshot_new_empty (&header);
    }
  clear_layers (rows, (guint) n_rows);
  clear_layers (cols, (guint) n_cols);
  return snapshot;
}
