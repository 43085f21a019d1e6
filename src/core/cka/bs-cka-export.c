/* bs-cka-export.c: CKA matrix as .npy or .csv, and its description as JSON. */
#include "bs-config.h"

#include "bs-cka-export.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "bs-atomic-file.h"
#include "bs-blocks.h"
#include "bs-dtype.h"
#include "bs-error.h"
#include "bs-npy.h"

char *
bs_cka_export_json_path (const char *matrix_path)
{
  g_autofree char *base = g_path_get_basename (matrix_path);
  const char *dot = strrchr (base, '.');
  gsize keep = strlen (matrix_path) - (dot && dot != base ? strlen (dot) : 0);

  return g_strdup_printf ("%.*s.json", (int) keep, matrix_path);
}

static void
add_number_or_null (JsonBuilder *b,
                    double       v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (!isfinite (v))
    {
      json_builder_add_null_value (b);
      return;
    }
  /* json-glib (1.6) appends ".0" to a number printed without a point, so
   * 1e-300 would come out as "1e-300.0", which no JSON parser reads. One
   * unit in the last place off is far below what the JSON is for (the
   * .npy holds the exact matrix). */
  g_ascii_dtostr (buf, sizeof buf, v);
  while (strchr (buf, '.') == NULL && strpbrk (buf, "eE") != NULL)
    {
      v = nextafter (v, 0);
      g_ascii_dtostr (buf, sizeof buf, v);
    }
  json_builder_add_double_value (b, v);
}

static void
add_matrix (JsonBuilder  *b,
            const char   *name,
            const double *m,
            guint         rows,
            guint         cols)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint r = 0; r < rows; r++)
    {
      json_builder_begin_array (b);
      for (guint c = 0; c < cols; c++)
        add_number_or_null (b, m[(gsize) r * cols + c]);
      json_builder_end_array (b);
    }
  json_builder_end_array (b);
}

static void
add_vector (JsonBuilder  *b,
            const char   *name,
            const double *v,
            guint         n)
{
  json_builder_set_member_name (b, name);
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    add_number_or_null (b, v[i]);
  json_builder_end_array (b);
}

/* Every layer's PC1 share and its standard error (bs-cka-pc1.h). */
static void
add_pc1_shares (JsonBuilder         *b,
                const BsCkaSnapshot *s)
{
  guint n_rows = bs_cka_snapshot_get_n_rows (s), n_cols = bs_cka_snapshot_get_n_cols (s);
  g_autofree double *rows = g_new (double, MAX (n_rows, 1)), *rows_se = g_new (double, MAX (n_rows, 1));
  g_autofree double *cols = g_new (double, MAX (n_cols, 1)), *cols_se = g_new (double, MAX (n_cols, 1));

  for (guint i = 0; i < n_rows; i++)
    rows[i] = bs_cka_snapshot_get_row_pc1_share (s, i, &rows_se[i]);
  for (guint i = 0; i < n_cols; i++)
    cols[i] = bs_cka_snapshot_get_col_pc1_share (s, i, &cols_se[i]);
  json_builder_set_member_name (b, "pc1_share");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "definition");
  json_builder_add_string_value (b, "largest eigenvalue of the centred Gram HKH over its trace (the fraction of "
                                    "variance on the first principal component), mean over minibatches; null "
                                    "for a layer without variance");
  add_vector (b, "rows", rows, n_rows);
  add_vector (b, "rows_std_error", rows_se, n_rows);
  add_vector (b, "cols", cols, n_cols);
  add_vector (b, "cols_std_error", cols_se, n_cols);
  json_builder_end_object (b);
}

static const char *
measure_definition (BsCkaMeasure measure)
{
  switch (measure)
    {
    case BS_CKA_MEASURE_CKA_WITHOUT_PC1:
      return "the same CKA on the Grams HKH - lambda_1 u_1 u_1^T: each layer's first principal component removed";
    case BS_CKA_MEASURE_PC1_ALIGNMENT:
      return "squared cosine (u_1 . u_1')^2 between the layers' PC1 score vectors on the same minibatch, "
             "mean over minibatches; standard error of that mean";
    case BS_CKA_MEASURE_CKA:
    default:
      return "minibatch CKA";
    }
}

static void
add_layers (JsonBuilder         *b,
            const BsCkaSnapshot *s,
            gboolean             rows)
{
  const char *spec = rows ? bs_cka_snapshot_get_model_a (s) : bs_cka_snapshot_get_model_b (s);
  const BsLayerInfo *layers = rows ? bs_cka_snapshot_get_rows (s) : bs_cka_snapshot_get_cols (s);
  guint n = rows ? bs_cka_snapshot_get_n_rows (s) : bs_cka_snapshot_get_n_cols (s);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "spec");
  json_builder_add_string_value (b, spec ? spec : "");
  json_builder_set_member_name (b, "n_layers");
  json_builder_add_int_value (b, n);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < n; i++)
    {
      const BsLayerInfo *l = &layers[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, l->name ? l->name : "");
      json_builder_set_member_name (b, "kind");
      json_builder_add_string_value (b, bs_layer_kind_to_string (l->kind));
      json_builder_set_member_name (b, "shape");
      json_builder_begin_array (b);
      json_builder_add_int_value (b, l->channels);
      json_builder_add_int_value (b, l->height);
      json_builder_add_int_value (b, l->width);
      json_builder_end_array (b);
      json_builder_set_member_name (b, "features");
      json_builder_add_int_value (b, (gint64) bs_layer_info_n_features (l));
      json_builder_set_member_name (b, "stage");
      json_builder_add_int_value (b, l->stage);
      json_builder_set_member_name (b, "block");
      json_builder_add_int_value (b, l->block);
      json_builder_set_member_name (b, "block_output");
      json_builder_add_boolean_value (b, l->block_output);
      json_builder_set_member_name (b, "status");
      json_builder_add_string_value (b, bs_cka_layer_status_to_string (
        rows ? bs_cka_snapshot_get_row_status (s, i) : bs_cka_snapshot_get_col_status (s, i)));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* A network against itself: one spec, one initialisation seed for both. */
static gboolean
is_self_comparison (const BsCkaSnapshot   *s,
                    const BsCkaExportInfo *info)
{
  const char *a = bs_cka_snapshot_get_model_a (s), *b = bs_cka_snapshot_get_model_b (s);
  const BsCkaJobOptions *o = info ? info->options : NULL;

  if (bs_cka_snapshot_get_n_rows (s) != bs_cka_snapshot_get_n_cols (s) || g_strcmp0 (a, b) != 0)
    return FALSE;
  if (o != NULL && o->acts_dir_a != NULL)
    return o->acts_dir_b == NULL || strcmp (o->acts_dir_a, o->acts_dir_b) == 0;
  return o == NULL || o->init_seed_a == o->init_seed_b;
}

/* "blocks": the block structure with bs-blocks.h's defaults, for a network
 * against itself once a minibatch is in (blockscope-cli-blocks(1)). */
static void
add_blocks (JsonBuilder           *b,
            const BsCkaSnapshot   *s,
            const BsCkaExportInfo *info)
{
  g_autoptr(GArray) blocks = NULL;
  BsBlocksOptions options;

  if (!is_self_comparison (s, info) || bs_cka_snapshot_get_minibatches_done (s) == 0)
    return;
  bs_blocks_options_init (&options);
  blocks = bs_blocks_find (bs_cka_snapshot_get_values (s), bs_cka_snapshot_get_n_rows (s),
                           bs_cka_snapshot_get_n_cols (s), &options, NULL);
  if (blocks == NULL)
    return;
  json_builder_set_member_name (b, "blocks");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "threshold");
  add_number_or_null (b, options.threshold);
  json_builder_set_member_name (b, "min_size");
  json_builder_add_int_value (b, options.min_size);
  json_builder_set_member_name (b, "min_contrast");
  add_number_or_null (b, options.min_contrast);
  json_builder_set_member_name (b, "blocks");
  json_builder_begin_array (b);
  for (guint i = 0; i < blocks->len; i++)
    {
      const BsBlock *block = &g_array_index (blocks, BsBlock, i);

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "first");
      json_builder_add_int_value (b, block->first);
      json_builder_set_member_name (b, "last");
      json_builder_add_int_value (b, block->last);
      json_builder_set_member_name (b, "size");
      json_builder_add_int_value (b, block->size);
      json_builder_set_member_name (b, "mean_inside");
      add_number_or_null (b, block->mean_inside);
      json_builder_set_member_name (b, "corner");
      add_number_or_null (b, block->corner);
      json_builder_set_member_name (b, "mean_rest");
      add_number_or_null (b, block->mean_rest);
      json_builder_set_member_name (b, "edge");
      add_number_or_null (b, block->edge);
      json_builder_set_member_name (b, "contrast");
      add_number_or_null (b, block->contrast);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* The matrix info asks for: the snapshot itself, or an attached PC1 one; NULL when missing. */
static const BsCkaSnapshot *
measure_of (const BsCkaSnapshot   *snapshot,
            const BsCkaExportInfo *info)
{
  return bs_cka_snapshot_get_measure ((BsCkaSnapshot *) snapshot, info ? info->measure : BS_CKA_MEASURE_CKA);
}

char *
bs_cka_export_json (const BsCkaSnapshot   *snapshot,
                    const BsCkaExportInfo *info,
                    const char            *matrix_file)
{
  const BsCkaSnapshot *s = measure_of (snapshot, info);
  BsCkaMeasure measure = info ? info->measure : BS_CKA_MEASURE_CKA;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  const BsCkaJobOptions *o = info ? info->options : NULL;
  gboolean acts = o && o->acts_dir_a;
  guint n_rows = bs_cka_snapshot_get_n_rows (s);
  guint n_cols = bs_cka_snapshot_get_n_cols (s);
  guint per_pass = 0;

  if (acts)
    per_pass = bs_cka_snapshot_get_minibatches_total (s);
  else if (o && o->passes > 0)
    per_pass = bs_cka_snapshot_get_minibatches_total (s) / o->passes;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "format");
  json_builder_add_string_value (b, "blockscope-cka");
  json_builder_set_member_name (b, "format_version");
  json_builder_add_int_value (b, 1);
  json_builder_set_member_name (b, "blockscope_version");
  json_builder_add_string_value (b, BS_VERSION);
  if (matrix_file)
    {
      json_builder_set_member_name (b, "matrix_file");
      json_builder_add_string_value (b, matrix_file);
    }
  json_builder_set_member_name (b, "axes");
  json_builder_add_string_value (b, "rows are the layers of model A, columns those of model B");
  json_builder_set_member_name (b, "measure");
  json_builder_add_string_value (b, bs_cka_measure_to_string (measure));
  /* Named only when the values are not the measure itself: files of an
   * estimate stay as they were, and readers that predate it read CKA. */
  if (bs_cka_snapshot_get_statistic (s) != BS_CKA_STATISTIC_ESTIMATE)
    {
      json_builder_set_member_name (b, "statistic");
      json_builder_add_string_value (b, bs_cka_statistic_to_string (bs_cka_snapshot_get_statistic (s)));
    }
  if (info != NULL && info->note != NULL)
    {
      json_builder_set_member_name (b, "note");
      json_builder_add_string_value (b, info->note);
    }
  else if (bs_cka_snapshot_get_statistic (s) == BS_CKA_STATISTIC_SEED_STD_DEV)
    {
      json_builder_set_member_name (b, "note");
      json_builder_add_string_value (b, "sample standard deviation across every ordered pair of the models "
                                        "(model_a lists them) of their CKA matrix");
    }

  json_builder_set_member_name (b, "model_a");
  add_layers (b, s, TRUE);
  json_builder_set_member_name (b, "model_b");
  add_layers (b, s, FALSE);

  json_builder_set_member_name (b, "data");
  json_builder_begin_object (b);
  if (acts)
    {
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, "activation folders (.npy per layer, file-name order)");
      json_builder_set_member_name (b, "acts_a");
      json_builder_add_string_value (b, o->acts_dir_a);
      json_builder_set_member_name (b, "acts_b");
      json_builder_add_string_value (b, o->acts_dir_b ? o->acts_dir_b : o->acts_dir_a);
    }
  else
    {
      json_builder_set_member_name (b, "dataset");
      if (info && info->dataset)
        json_builder_add_string_value (b, info->dataset);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "split");
      json_builder_add_string_value (b, "test");
      if (info != NULL && info->n_excluded > 0)
        {
          json_builder_set_member_name (b, "excluded_images");
          json_builder_begin_array (b);
          for (guint i = 0; i < info->n_excluded; i++)
            json_builder_add_int_value (b, info->excluded_images[i]);
          json_builder_end_array (b);
        }
    }
  json_builder_set_member_name (b, "examples_per_pass");
  if (info && info->n_examples)
    json_builder_add_int_value (b, info->n_examples);
  else
    json_builder_add_null_value (b);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "protocol");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "estimator");
  json_builder_add_string_value (b, bs_cka_snapshot_get_biased (s)
      ? "biased HSIC (Kornblith et al. 2019): <HKH, HLH> / (n-1)^2"
      : "unbiased HSIC (Song et al. 2012) via U-centred Grams, Eq. 2 and 3 of Nguyen et al. 2021");
  json_builder_set_member_name (b, "cka");
  json_builder_add_string_value (b, "sum_i HSIC(K_i, L_i) / sqrt(sum_i HSIC(K_i, K_i) * sum_i HSIC(L_i, L_i)) over minibatches i");
  if (measure != BS_CKA_MEASURE_CKA)
    {
      json_builder_set_member_name (b, "measure");
      json_builder_add_string_value (b, measure_definition (measure));
    }
  json_builder_set_member_name (b, "batch_size");
  json_builder_add_int_value (b, bs_cka_snapshot_get_batch_size (s));
  if (o && !acts)
    {
      json_builder_set_member_name (b, "passes");
      json_builder_add_int_value (b, o->passes);
      json_builder_set_member_name (b, "seed");
      json_builder_add_int_value (b, (gint64) o->seed);
      json_builder_set_member_name (b, "order");
      json_builder_add_string_value (b, "a new permutation of the test images every pass, from (seed, pass)");
      json_builder_set_member_name (b, "init_seed_a");
      json_builder_add_int_value (b, (gint64) o->init_seed_a);
      json_builder_set_member_name (b, "init_seed_b");
      json_builder_add_int_value (b, (gint64) o->init_seed_b);
    }
  else if (acts)
    {
      json_builder_set_member_name (b, "passes");
      json_builder_add_int_value (b, 1);
      json_builder_set_member_name (b, "order");
      json_builder_add_string_value (b, "examples in file order, consecutive minibatches");
    }
  json_builder_set_member_name (b, "last_minibatch");
  json_builder_add_string_value (b, "dropped: a short last minibatch of a pass is not used");
  if (o)
    {
      json_builder_set_member_name (b, "layers");
      json_builder_add_string_value (b, bs_cka_layer_selection_to_string (o));
    }
  json_builder_set_member_name (b, "minibatches_per_pass");
  if (per_pass)
    json_builder_add_int_value (b, per_pass);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "standard_error");
  json_builder_add_string_value (b, "delta method for the ratio of means over minibatches, "
                                    "sample covariance with divisor k-1, divided by k; null before two minibatches");
  json_builder_end_object (b);

  json_builder_set_member_name (b, "minibatches_used");
  json_builder_add_int_value (b, bs_cka_snapshot_get_minibatches_done (s));
  json_builder_set_member_name (b, "minibatches_total");
  json_builder_add_int_value (b, bs_cka_snapshot_get_minibatches_total (s));
  json_builder_set_member_name (b, "elapsed_seconds");
  if (info && info->elapsed_seconds >= 0)
    json_builder_add_double_value (b, info->elapsed_seconds);
  else
    json_builder_add_null_value (b);

  if (info == NULL || !info->header_only)
    {
      if (bs_cka_snapshot_has_pc1_shares (snapshot))
        add_pc1_shares (b, snapshot);
      /* Blocks of a CKA matrix (with or without PC1), not of PC1 alignment. */
      if (measure != BS_CKA_MEASURE_PC1_ALIGNMENT)
        add_blocks (b, s, info);
      add_matrix (b, "cka", bs_cka_snapshot_get_values (s), n_rows, n_cols);
      add_matrix (b, "std_error", bs_cka_snapshot_get_std_errors (s), n_rows, n_cols);
    }
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  return json_generator_to_data (gen, NULL);
}

static void
csv_field (GString    *out,
           const char *text)
{
  if (strpbrk (text, ",\"\n\r") == NULL)
    {
      g_string_append (out, text);
      return;
    }
  g_string_append_c (out, '"');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static gboolean
write_csv (const BsCkaSnapshot  *s,
           const char           *path,
           GError              **error)
{
  g_autoptr(GString) out = g_string_new ("");
  guint n_rows = bs_cka_snapshot_get_n_rows (s);
  guint n_cols = bs_cka_snapshot_get_n_cols (s);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append (out, "layer");
  for (guint c = 0; c < n_cols; c++)
    {
      const char *name = bs_cka_snapshot_get_col (s, c)->name;

      g_string_append_c (out, ',');
      csv_field (out, name ? name : "");
    }
  g_string_append_c (out, '\n');
  for (guint r = 0; r < n_rows; r++)
    {
      const char *name = bs_cka_snapshot_get_row (s, r)->name;

      csv_field (out, name ? name : "");
      for (guint c = 0; c < n_cols; c++)
        {
          double v = bs_cka_snapshot_get_value (s, r, c);

          g_string_append_c (out, ',');
          /* Locale-independent, round-trips exactly. */
          g_string_append (out, isnan (v) ? "nan" : g_ascii_formatd (buf, sizeof buf, "%.17g", v));
        }
      g_string_append_c (out, '\n');
    }
  return bs_atomic_file_write_contents (path, out->str, out->len, error);
}

gboolean
bs_cka_export (const BsCkaSnapshot   *snapshot,
               const BsCkaExportInfo *info,
               const char            *path,
               GError               **error)
{
  g_autofree char *json_path = NULL;
  g_autofree char *json = NULL;
  g_autofree char *base = NULL;
  gboolean csv = g_str_has_suffix (path, ".csv");
  const BsCkaSnapshot *matrix = measure_of (snapshot, info);

  if (matrix == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a measure ("CKA without PC1"). */
                   _("The result holds no matrix of %s (the PC1 analysis was not computed)"),
                   bs_cka_measure_get_label (info->measure));
      return FALSE;
    }
  if (!csv && !g_str_has_suffix (path, ".npy"))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Output file '%s' must end in .npy (float64 matrix) or .csv"), path);
      return FALSE;
    }

  if (csv)
    {
      if (!write_csv (matrix, path, error))
        return FALSE;
    }
  else
    {
      gint64 shape[2] = { bs_cka_snapshot_get_n_rows (matrix), bs_cka_snapshot_get_n_cols (matrix) };

      if (!bs_npy_save (path, BS_DTYPE_F64, 2, shape, bs_cka_snapshot_get_values (matrix), error))
        return FALSE;
    }

  json_path = bs_cka_export_json_path (path);
  base = g_path_get_basename (path);
  json = bs_cka_export_json (snapshot, info, base);
  return bs_atomic_file_write_contents (json_path, json, strlen (json), error);
}
