/* bs-cli-activations.c: `blockscope-cli activations`: layer outputs as .npy files.
 *
 * The work is bs_acts_export_run() (bs-acts-export.h); this file parses the
 * options, builds the model on the CLI's engine configuration and reports
 * progress on stderr. */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <unistd.h>

#include "bs-acts-export.h"
#include "bs-cli.h"
#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-model-spec.h"

typedef struct {
  gboolean quiet;
  gboolean tty;
  gint64   last_print;
} Progress;

static void
on_progress (guint    done,
             guint    total,
             gpointer user_data)
{
  Progress *p = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = done == total;

  if (p->quiet || (!last && now - p->last_print < (p->tty ? 200 : 5000) * G_TIME_SPAN_MILLISECOND))
    return;
  p->last_print = now;
  fputs (p->tty ? "\r" : "", stderr);
  /* Translators: progress on stderr: images done, of all. */
  fprintf (stderr, _("activations: %u/%u images"), done, total);
  fputs (p->tty && !last ? "   " : "\n", stderr);
  fflush (stderr);
}

int
bs_cli_activations (int    argc,
                    char **argv)
{
  g_autofree char *dataset_name = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *layers = NULL;
  g_autofree char *out = NULL;
  gint batch = 64, threads = 0, limit = 0;
  gint64 seed = 0;
  gboolean quiet = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set whose test images are used (required)"), "NAME" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers, N_("all (default, with the input and the logits), residual (block outputs) or a regular expression on layer names"), "WHICH" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Use only the first N test images (default: all)"), "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, N_("Images per forward pass (default 64)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Initialisation seed of a model given by name (default 0)"), "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Folder to write (required): new or empty"), "DIR" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress on stderr"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON summary on stdout when done"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsThreadPool) pool = NULL;
  BsActsExportOptions options;
  Progress progress = { FALSE, isatty (fileno (stderr)), 0 };
  BsModel *model;
  guint n_layers = 0;
  gint64 start;
  int status;
  gboolean ok;

  if (!bs_cli_parse ("activations", N_("SPEC"),
                     N_("Write the output of every selected layer of a network (a checkpoint or a "
                        "model name) on a data set's test images as float32 .npy files, one per "
                        "layer, numbered in layer order, with activations.json describing them: "
                        "the folder that “cka --acts-a” reads."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("activations", _("give the network: a checkpoint or a model name"));
  if (argc > 2)
    return bs_cli_usage_error ("activations", _("unexpected argument '%s'"), argv[2]);
  if (dataset_name == NULL)
    return bs_cli_usage_error ("activations", _("--dataset is required"));
  if (out == NULL)
    return bs_cli_usage_error ("activations", _("--out is required"));
  if (batch < 1 || batch > 65536)
    return bs_cli_usage_error ("activations", _("--batch must be between 1 and 65536"));
  if (threads < 0 || limit < 0 || seed < 0)
    return bs_cli_usage_error ("activations", _("--threads, --limit and --seed cannot be negative"));

  dataset = bs_dataset_load_test (dataset_name, data_dir, &error);
  if (dataset == NULL)
    return bs_cli_fail (error);
  model = bs_model_spec_build (argv[1], dataset->test.channels, dataset->test.height,
                               dataset->test.width, dataset->n_classes, (guint64) seed, &error);
  if (model == NULL)
    return bs_cli_fail (error);
  pool = bs_cli_new_pool ((guint) threads);
  bs_model_set_pool (model, pool);

  progress.quiet = quiet;
  bs_acts_export_options_init (&options);
  options.model = model;
  options.spec = argv[1];
  options.dataset = dataset;
  options.limit = (guint) limit;
  options.batch_size = (guint) batch;
  options.layers = bs_cka_layer_selection_parse (layers);
  options.layer_pattern = layers;
  options.out_dir = out;
  start = g_get_monotonic_time ();
  ok = bs_acts_export_run (&options, 0, on_progress, &progress, &n_layers, NULL, &error);
  bs_model_free (model);
  if (!ok)
    return bs_cli_fail (error);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autofree char *info = g_build_filename (out, "activations.json", NULL);
      guint n_images = limit > 0 ? MIN ((guint) limit, dataset->test.n_images) : dataset->test.n_images;

      json_builder_begin_object (builder);
      bs_cli_json_add_string (builder, "folder", out);
      bs_cli_json_add_string (builder, "description", info);
      json_builder_set_member_name (builder, "layers");
      json_builder_add_int_value (builder, n_layers);
      json_builder_set_member_name (builder, "images");
      json_builder_add_int_value (builder, n_images);
      bs_cli_json_add_double (builder, "seconds", (g_get_monotonic_time () - start) / 1e6);
      json_builder_end_object (builder);
      bs_cli_print_json (builder);
    }
  else if (!quiet)
    /* Translators: layers written, then the folder. */
    fprintf (stderr, g_dngettext (NULL, "activations: %u layer written to %s\n",
                                  "activations: %u layers written to %s\n", n_layers),
             n_layers, out);
  return BS_CLI_EXIT_OK;
}
