/* bs-cli-convergence.c: `blockscope-cli convergence`: each layer's CKA with the final model over a run's checkpoints.
 *
 * Which layers settle first, and whether a block's layers settle together
 * (bs-cka-compare.h). Writes a CSV (a row per layer, a column per
 * checkpoint) and a JSON beside it, and prints when each block output
 * first reaches a CKA of --settled with its final self. */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-atomic-file.h"
#include "bs-cka-compare.h"
#include "bs-cka-export.h"
#include "bs-cli.h"
#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-run.h"

static void
on_progress (guint    done,
             guint    total,
             gpointer user_data)
{
  if (*(gboolean *) user_data)
    return;
  /* Translators: checkpoints compared so far, of all. */
  fprintf (stderr, _("convergence: checkpoint %u of %u\n"), MIN (done + 1, total), total);
}

static char *
format_number (double v)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  return g_strdup (isnan (v) ? "nan" : g_ascii_formatd (buf, sizeof buf, "%.9g", v));
}

static gboolean
write_csv (const char             *path,
           const BsCkaConvergence *c,
           GArray                 *epochs,
           GError                **error)
{
  g_autoptr(GString) out = g_string_new ("layer");

  for (guint k = 0; k < epochs->len; k++)
    g_string_append_printf (out, ",epoch %u", g_array_index (epochs, guint, k));
  g_string_append_c (out, '\n');
  for (guint l = 0; l < c->layers->len; l++)
    {
      g_string_append (out, g_array_index (c->layers, BsLayerInfo, l).name);
      for (guint k = 0; k < c->n_checkpoints; k++)
        {
          g_autofree char *v = format_number (c->cka[(gsize) l * c->n_checkpoints + k]);

          g_string_append_printf (out, ",%s", v);
        }
      g_string_append_c (out, '\n');
    }
  return bs_atomic_file_write_contents (path, out->str, out->len, error);
}

static gboolean
write_json (const char             *path,
            const char             *run_dir,
            const char             *dataset,
            const BsCkaConvergence *c,
            GArray                 *epochs,
            GError                **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (b);
  bs_cli_json_add_string (b, "format", "blockscope-convergence");
  bs_cli_json_add_string (b, "run", run_dir);
  bs_cli_json_add_string (b, "dataset", dataset);
  bs_cli_json_add_string (b, "definition", "CKA between each layer at a checkpoint and the same layer of the "
                                           "last checkpoint, minibatch CKA on the same test images");
  json_builder_set_member_name (b, "epochs");
  json_builder_begin_array (b);
  for (guint k = 0; k < epochs->len; k++)
    json_builder_add_int_value (b, g_array_index (epochs, guint, k));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint l = 0; l < c->layers->len; l++)
    {
      const BsLayerInfo *info = &g_array_index (c->layers, BsLayerInfo, l);

      json_builder_begin_object (b);
      bs_cli_json_add_string (b, "name", info->name);
      json_builder_set_member_name (b, "stage");
      json_builder_add_int_value (b, info->stage);
      json_builder_set_member_name (b, "block");
      json_builder_add_int_value (b, info->block);
      json_builder_set_member_name (b, "block_output");
      json_builder_add_boolean_value (b, info->block_output);
      json_builder_set_member_name (b, "cka");
      json_builder_begin_array (b);
      for (guint k = 0; k < c->n_checkpoints; k++)
        {
          double v = c->cka[(gsize) l * c->n_checkpoints + k];

          if (isnan (v))
            json_builder_add_null_value (b);
          else
            json_builder_add_double_value (b, v);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, NULL);
  return bs_atomic_file_write_contents (path, text, strlen (text), error);
}

int
bs_cli_convergence (int    argc,
                    char **argv)
{
  g_autofree char *dataset_name = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *layers = NULL;
  g_autofree char *out = NULL;
  gint batch = 256, passes = 1, threads = 0, limit = 1024;
  double settled = 0.9;
  gboolean quiet = FALSE;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set whose test images are used (default: the run's)"), "NAME" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Use the first N test images (default 1024)"), "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Minibatch size n (default 256)"), "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes, N_("Passes over the test images (default 1)"), "N" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers, N_("all (default), residual (block outputs) or a regular expression on layer names"), "WHICH" },
    { "settled", 0, 0, G_OPTION_ARG_DOUBLE, &settled, N_("A layer has settled when its CKA with its final self reaches this (default 0.9)"), "X" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "T" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Table to write (required): FILE.csv, a row per layer, a column per checkpoint; FILE.json beside it"), "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress on stderr"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *json_path = NULL;
  BsCkaConvergence result;
  BsCkaJobOptions options;
  GArray *epochs;
  int status;

  if (!bs_cli_parse ("convergence", N_("RUN-DIR"),
                     N_("Each layer's CKA with the same layer of the final model, at every checkpoint "
                        "of a training run: which layers settle first, and whether a block's layers "
                        "settle together."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("convergence", _("give the run folder"));
  if (argc > 2)
    return bs_cli_usage_error ("convergence", _("unexpected argument '%s'"), argv[2]);
  if (out == NULL || !g_str_has_suffix (out, ".csv"))
    return bs_cli_usage_error ("convergence", _("--out FILE.csv is required"));
  if (batch < 1 || passes < 1 || limit < 1 || threads < 0)
    return bs_cli_usage_error ("convergence", _("--batch, --passes and --limit must be positive"));
  if (!(settled > 0 && settled <= 1))
    return bs_cli_usage_error ("convergence", _("--settled must be in (0, 1]"));

  run = bs_run_open (argv[1], &error);
  if (run == NULL)
    return bs_cli_fail (error);
  epochs = bs_run_get_checkpoint_epochs (run);
  if (epochs->len < 2)
    {
      g_set_error (&error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a run folder. */
                   _("The run in '%s' has fewer than two checkpoints (train it with --keep-all-checkpoints "
                     "or snapshots every epoch)"), argv[1]);
      return bs_cli_fail (error);
    }
  for (guint k = 0; k < epochs->len; k++)
    g_ptr_array_add (paths, bs_run_get_checkpoint_path (run, g_array_index (epochs, guint, k)));

  dataset = bs_dataset_load_test (dataset_name ? dataset_name : bs_run_get_settings (run)->dataset, data_dir,
                                  &error);
  if (dataset == NULL)
    return bs_cli_fail (error);

  bs_cka_job_options_init (&options);
  options.dataset = dataset;
  options.limit = (guint) limit;
  options.batch_size = (guint) batch;
  options.passes = (guint) passes;
  options.layers = bs_cka_layer_selection_parse (layers);
  options.layer_pattern = layers;
  options.engine = bs_cli_get_engine ();
  options.threads = (guint) threads;
  if (!bs_cka_convergence_run ((const char *const *) paths->pdata, paths->len,
                               g_ptr_array_index (paths, paths->len - 1), &options, on_progress, &quiet,
                               &result, NULL, &error))
    return bs_cli_fail (error);

  json_path = bs_cka_export_json_path (out);
  if (!write_csv (out, &result, epochs, &error)
      || !write_json (json_path, argv[1], dataset->name, &result, epochs, &error))
    {
      bs_cka_convergence_clear (&result);
      return bs_cli_fail (error);
    }

  /* When each block output first reached --settled and stayed there. */
  /* Translators: %.2f is the threshold of --settled. */
  printf (_("Epoch at which each block output's CKA with its final self stays at or above %.2f:\n"), settled);
  for (guint l = 0; l < result.layers->len; l++)
    {
      const BsLayerInfo *info = &g_array_index (result.layers, BsLayerInfo, l);
      const double *row = result.cka + (gsize) l * result.n_checkpoints;
      gint from = -1;

      if (!info->block_output && info->kind != BS_LAYER_INPUT && l + 1 != result.layers->len)
        continue;
      for (gint k = (gint) result.n_checkpoints - 1; k >= 0 && row[k] >= settled; k--)
        from = k;
      if (from >= 0)
        printf ("  %-24s %u\n", info->name, g_array_index (epochs, guint, from));
      else
        printf ("  %-24s %s\n", info->name, _("not settled"));
    }
  if (!quiet)
    /* Translators: two file names. */
    fprintf (stderr, _("convergence: wrote %s and %s\n"), out, json_path);
  bs_cka_convergence_clear (&result);
  return BS_CLI_EXIT_OK;
}
