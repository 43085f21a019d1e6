/* bs-cli-probe.c: `blockscope-cli probe`: linear probes of a network's layers.
 *
 * The work is bs_probe_run() (bs-probe.h, where the method is written
 * down); this file parses the options, reports progress on stderr and
 * prints a table, JSON (--json) or writes CSV (--out). */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "bs-atomic-file.h"
#include "bs-cli.h"
#include "bs-probe.h"

typedef struct {
  gboolean quiet;
  gboolean tty;
  gint64   last_print;
} Progress;

static void
on_progress (BsProbeStage         stage,
             guint                done,
             guint                total,
             const BsProbeResult *result,
             gpointer             user_data)
{
  Progress *p = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = done == total;

  (void) result;
  if (p->quiet || (!last && now - p->last_print < (p->tty ? 200 : 5000) * G_TIME_SPAN_MILLISECOND))
    return;
  p->last_print = now;
  fputs (p->tty ? "\r" : "", stderr);
  if (stage == BS_PROBE_STAGE_FEATURES)
    /* Translators: progress on stderr: images run through the network, of all. */
    fprintf (stderr, _("probe: activations of %u/%u images"), done, total);
  else
    /* Translators: progress on stderr: layers whose classifier is fitted, of all. */
    fprintf (stderr, _("probe: %u/%u layers fitted"), done, total);
  fputs (p->tty && !last ? "        " : "\n", stderr);
  fflush (stderr);
}

static void
add_csv_number (GString *out,
                double   v,
                const char *format)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_c (out, ',');
  g_string_append (out, isfinite (v) ? g_ascii_formatd (buf, sizeof buf, format, v) : "nan");
}

static gboolean
write_csv (const char  *path,
           GArray      *results,
           GError     **error)
{
  g_autoptr(GString) out = g_string_new ("layer,kind,stage,block,features,pooled,train_accuracy,"
                                         "validation_accuracy,test_accuracy,epoch,l2\n");

  for (guint i = 0; i < results->len; i++)
    {
      const BsProbeResult *r = &g_array_index (results, BsProbeResult, i);

      /* Layer names are identifiers ("layer2.0.bn2"): no quoting needed. */
      g_string_append_printf (out, "%s,%s,%d,%d,%u,%d", r->info.name, bs_layer_kind_to_string (r->info.kind),
                              r->info.stage, r->info.block, r->features, r->pooled ? 1 : 0);
      add_csv_number (out, r->train_accuracy, "%.6f");
      add_csv_number (out, r->validation_accuracy, "%.6f");
      add_csv_number (out, r->test_accuracy, "%.6f");
      g_string_append_printf (out, ",%u", r->epoch);
      add_csv_number (out, r->l2, "%g");
      g_string_append_c (out, '\n');
    }
  return bs_atomic_file_write_contents (path, out->str, out->len, error);
}

static void
print_json (const char           *spec,
            const char           *dataset,
            const BsProbeOptions *o,
            const BsProbeCounts  *counts,
            GArray               *results,
            double                seconds)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  bs_cli_json_add_string (b, "model", spec);
  bs_cli_json_add_string (b, "dataset", dataset);
  json_builder_set_member_name (b, "fit_images");
  json_builder_add_int_value (b, counts->fit);
  json_builder_set_member_name (b, "validation_images");
  json_builder_add_int_value (b, counts->validation);
  json_builder_set_member_name (b, "test_images");
  json_builder_add_int_value (b, counts->test);
  json_builder_set_member_name (b, "epochs");
  json_builder_add_int_value (b, o->epochs);
  json_builder_set_member_name (b, "l2_candidates");
  json_builder_begin_array (b);
  for (guint k = 0; k < o->n_l2; k++)
    json_builder_add_double_value (b, o->l2[k]);
  json_builder_end_array (b);
  bs_cli_json_add_string (b, "choice", "the (l2, epoch) of the highest validation accuracy; test images not used");
  bs_cli_json_add_double (b, "seconds", seconds);
  json_builder_set_member_name (b, "layers");
  json_builder_begin_array (b);
  for (guint i = 0; i < results->len; i++)
    {
      const BsProbeResult *r = &g_array_index (results, BsProbeResult, i);

      json_builder_begin_object (b);
      bs_cli_json_add_string (b, "name", r->info.name);
      bs_cli_json_add_string (b, "kind", bs_layer_kind_to_string (r->info.kind));
      json_builder_set_member_name (b, "stage");
      json_builder_add_int_value (b, r->info.stage);
      json_builder_set_member_name (b, "block");
      json_builder_add_int_value (b, r->info.block);
      json_builder_set_member_name (b, "block_output");
      json_builder_add_boolean_value (b, r->info.block_output);
      json_builder_set_member_name (b, "features");
      json_builder_add_int_value (b, r->features);
      json_builder_set_member_name (b, "pooled");
      json_builder_add_boolean_value (b, r->pooled);
      bs_cli_json_add_double (b, "train_accuracy", r->train_accuracy);
      bs_cli_json_add_double (b, "validation_accuracy", r->validation_accuracy);
      bs_cli_json_add_double (b, "test_accuracy", r->test_accuracy);
      json_builder_set_member_name (b, "epoch");
      json_builder_add_int_value (b, r->epoch);
      bs_cli_json_add_double (b, "l2", r->l2);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  bs_cli_print_json (b);
}

static void
print_table (GArray *results)
{
  /* Translators: column headings of the probe table; keep the widths. */
  printf ("%-24s %9s %8s %10s %8s\n", _("layer"), _("features"), _("train"), _("validation"), _("test"));
  for (guint i = 0; i < results->len; i++)
    {
      const BsProbeResult *r = &g_array_index (results, BsProbeResult, i);

      printf ("%-24s %9u %7.2f%% %9.2f%% %7.2f%%\n", r->info.name, r->features,
              100 * r->train_accuracy, 100 * r->validation_accuracy, 100 * r->test_accuracy);
    }
}

int
bs_cli_probe (int    argc,
              char **argv)
{
  g_autofree char *dataset_name = NULL, *data_dir = NULL, *layers = NULL, *out = NULL;
  gint limit = 5000, test_limit = 0, epochs = 30, threads = 0;
  gint64 seed = 0;
  gboolean quiet = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set (required): probes fit on its training images, report on its test images"), "NAME" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers, N_("residual (default: block outputs and the batch norms before them), all, or a regular expression on layer names"), "WHICH" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Training images drawn for the probes, a fifth of them held out for validation (default 5000; 0: all)"), "N" },
    { "test-limit", 0, 0, G_OPTION_ARG_INT, &test_limit, N_("Report on the first N test images only (default: all)"), "N" },
    { "epochs", 'e', 0, G_OPTION_ARG_INT, &epochs, N_("Epochs of each classifier; the best by validation accuracy is kept (default 30)"), "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the image draw and the classifiers, and of a model given by name (default 0)"), "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "N" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Write the accuracies as CSV to this file"), "FILE.csv" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the accuracies as JSON on stdout"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress on stderr"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) results = NULL;
  BsProbeOptions options;
  BsProbeCounts counts;
  Progress progress = { FALSE, isatty (fileno (stderr)), 0 };
  gint64 start;
  int status;

  if (!bs_cli_parse ("probe", N_("SPEC"),
                     N_("Train a linear softmax classifier on the activations of each selected layer of a "
                        "network (a checkpoint or a model name) and report its accuracy on training, "
                        "validation and test images: how much of the class each layer makes linearly readable."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("probe", _("give the network: a checkpoint or a model name"));
  if (argc > 2)
    /* Translators: a command-line argument. */
    return bs_cli_usage_error ("probe", _("unexpected argument '%s'"), argv[2]);
  if (dataset_name == NULL)
    return bs_cli_usage_error ("probe", _("--dataset is required"));
  if (limit < 0 || test_limit < 0 || threads < 0 || seed < 0)
    return bs_cli_usage_error ("probe", _("--limit, --test-limit, --threads and --seed cannot be negative"));
  if (epochs < 1 || epochs > 10000)
    return bs_cli_usage_error ("probe", _("--epochs must be between 1 and 10000"));
  if (out != NULL && !g_str_has_suffix (out, ".csv"))
    return bs_cli_usage_error ("probe", _("--out must name a .csv file"));

  progress.quiet = quiet;
  bs_probe_options_init (&options);
  options.spec = argv[1];
  options.init_seed = (guint64) seed;
  options.dataset_name = dataset_name;
  options.data_dir = data_dir;
  if (layers == NULL || g_strcmp0 (layers, "residual") == 0)
    options.layers = BS_PROBE_LAYERS_RESIDUAL;
  else if (g_strcmp0 (layers, "all") == 0)
    options.layers = BS_PROBE_LAYERS_ALL;
  else
    {
      options.layers = BS_PROBE_LAYERS_PATTERN;
      options.layer_pattern = layers;
    }
  options.train_images = (guint) limit;
  options.test_images = (guint) test_limit;
  options.epochs = (guint) epochs;
  options.seed = (guint64) seed;
  options.engine = bs_cli_get_engine ();
  options.threads = (guint) threads;

  start = g_get_monotonic_time ();
  results = bs_probe_run (&options, on_progress, &progress, &counts, NULL, &error);
  if (results == NULL)
    return bs_cli_fail (error);

  if (out != NULL && !write_csv (out, results, &error))
    return bs_cli_fail (error);
  if (json)
    print_json (argv[1], dataset_name, &options, &counts, results, (g_get_monotonic_time () - start) / 1e6);
  else if (out == NULL)
    print_table (results);
  return BS_CLI_EXIT_OK;
}
