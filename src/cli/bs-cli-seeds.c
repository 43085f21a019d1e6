/* bs-cli-seeds.c: `blockscope-cli seeds`: CKA across networks trained from different seeds.
 *
 * The mean CKA matrix over every pair of the models given and its standard
 * deviation (bs-cka-compare.h): the paper's Fig. 6, where different seeds
 * disagree inside the blocks. */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bs-cka-compare.h"
#include "bs-cka-export.h"
#include "bs-cli.h"
#include "bs-dataset.h"
#include "bs-error.h"

static void
on_progress (guint    done,
             guint    total,
             gpointer user_data)
{
  if (*(gboolean *) user_data || done == total)
    return;
  /* Translators: pairs of models compared so far, of all. */
  fprintf (stderr, _("seeds: pair %u of %u\n"), done + 1, total);
}

int
bs_cli_seeds (int    argc,
              char **argv)
{
  g_autofree char *dataset_name = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *layers = NULL;
  g_autofree char *out = NULL;
  gint batch = 256, passes = 1, threads = 0, limit = 1024;
  gint64 seed = 0;
  gboolean quiet = FALSE;
  const GOptionEntry entries[] = {
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set whose test images are used (required)"), "NAME" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Use the first N test images (default 1024)"), "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Minibatch size n (default 256)"), "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes, N_("Passes over the test images (default 1)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the shuffles (default 0)"), "S" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers, N_("all (default), residual (block outputs) or a regular expression on layer names"), "WHICH" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "T" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Mean matrix to write (required): M.npy or M.csv; the standard deviation goes to M-std.npy"), "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress on stderr"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autofree char *std_path = NULL;
  BsCkaExportInfo info = { 0 };
  BsCkaJobOptions options;
  BsCkaSeeds result;
  const char *dot;
  int status;

  if (!bs_cli_parse ("seeds", N_("SPEC SPEC [SPEC...]"),
                     N_("CKA across networks of one architecture trained from different seeds: the mean "
                        "matrix over every pair of them and its standard deviation, cell by cell."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 3)
    return bs_cli_usage_error ("seeds", _("give at least two networks (checkpoints, or model names)"));
  if (dataset_name == NULL)
    return bs_cli_usage_error ("seeds", _("--dataset is required"));
  if (out == NULL || (!g_str_has_suffix (out, ".npy") && !g_str_has_suffix (out, ".csv")))
    return bs_cli_usage_error ("seeds", _("--out M.npy or M.csv is required"));
  if (batch < 1 || passes < 1 || limit < 1 || threads < 0 || seed < 0)
    return bs_cli_usage_error ("seeds", _("--batch, --passes and --limit must be positive"));

  dataset = bs_dataset_load_test (dataset_name, data_dir, &error);
  if (dataset == NULL)
    return bs_cli_fail (error);
  bs_cka_job_options_init (&options);
  options.dataset = dataset;
  options.limit = (guint) limit;
  options.batch_size = (guint) batch;
  options.passes = (guint) passes;
  options.seed = (guint64) seed;
  options.layers = bs_cka_layer_selection_parse (layers);
  options.layer_pattern = layers;
  options.engine = bs_cli_get_engine ();
  options.threads = (guint) threads;
  if (!bs_cka_seeds_run ((const char *const *) argv + 1, (guint) argc - 1, &options, on_progress, &quiet,
                         &result, NULL, &error))
    return bs_cli_fail (error);

  info.options = &options;
  info.dataset = dataset->name;
  info.elapsed_seconds = -1;
  info.note = "mean over every ordered pair of the models (model_a lists them) of their CKA matrix; "
              "std_error holds the sample standard deviation across the pairs, not a standard error";
  dot = strrchr (out, '.');
  std_path = g_strdup_printf ("%.*s-std%s", (int) (dot - out), out, dot);
  if (!bs_cka_export (result.mean, &info, out, &error))
    goto failed;
  info.note = NULL;   /* bs_cka_export () describes the deviation itself */
  if (!bs_cka_export (result.std_dev, &info, std_path, &error))
    goto failed;
  if (!quiet)
    /* Translators: a count of model pairs, then two file names. */
    fprintf (stderr, _("seeds: %u ordered pairs; wrote %s and %s\n"), result.n_pairs, out, std_path);
  bs_cka_seeds_clear (&result);
  return BS_CLI_EXIT_OK;

failed:
  bs_cka_seeds_clear (&result);
  return bs_cli_fail (error);
}
