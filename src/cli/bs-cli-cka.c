/* bs-cli-cka.c: `blockscope-cli cka`: minibatch CKA between every layer of two networks.
 *
 *   cka --a SPEC [--b SPEC] --dataset D [--batch 256] [--passes 10] [--seed S]
 *       [--layers all|residual|REGEX] [--biased] [--threads T] [--limit N] --out M.npy|M.csv
 *   cka --acts-a DIR [--acts-b DIR] [--batch n] --out M.npy|M.csv
 *
 * The work is bs_cka_job_run(); this file parses options, reports progress on
 * stderr and writes the result with bs_cka_export(). With --json, a summary
 * object (the files written, layer counts, minibatches, time) goes to stdout
 * after the files are written; see blockscope-cli-cka(1). */
#include <math.h>
#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-cka-export.h"
#include "bs-cka-job.h"
#include "bs-cka-protocol.h"
#include "bs-cka-shard.h"
#include "bs-cli.h"
#include "bs-dataset.h"
#include "bs-dataset-subset.h"
#include "bs-error.h"

typedef struct {
  gint64   start;
  gint64   last_print;
  gboolean tty;
  gboolean quiet;
  gboolean printed;
} Progress;

static char *measure_path (const char         *out,
                           const BsCkaMeasure *measures,
                           guint               i);

static void
print_summary_json (BsCkaSnapshot         *result,
                    const BsCkaExportInfo *info,
                    const char            *matrix_path,
                    const char            *layers,
                    const BsCkaMeasure    *measures,
                    guint                  n_measures)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *json_path = bs_cka_export_json_path (matrix_path);
  const BsCkaJobOptions *options = info->options;
  const double *values = bs_cka_snapshot_get_values (result);
  guint n_rows = bs_cka_snapshot_get_n_rows (result);
  guint n_cols = bs_cka_snapshot_get_n_cols (result);
  guint64 undefined = 0;

  for (gsize i = 0; i < (gsize) n_rows * n_cols; i++)
    undefined += isnan (values[i]) ? 1 : 0;

  json_builder_begin_object (builder);
  bs_cli_json_add_string (builder, "matrix_file", matrix_path);
  bs_cli_json_add_string (builder, "json_file", json_path);
  /* Every measure's matrix file, by name. */
  json_builder_set_member_name (builder, "outputs");
  json_builder_begin_object (builder);
  for (guint i = 0; i < n_measures; i++)
    {
      g_autofree char *path = measure_path (matrix_path, measures, i);

      bs_cli_json_add_string (builder, bs_cka_measure_to_string (measures[i]), path);
    }
  json_builder_end_object (builder);
  bs_cli_json_add_string (builder, "model_a", bs_cka_snapshot_get_model_a (result));
  bs_cli_json_add_string (builder, "model_b", bs_cka_snapshot_get_model_b (result));
  bs_cli_json_add_string (builder, "dataset", info->dataset);
  bs_cli_json_add_string (builder, "acts_a", options->acts_dir_a);
  bs_cli_json_add_string (builder, "acts_b", options->acts_dir_b);
  bs_cli_json_add_string (builder, "layers", layers != NULL ? layers : "all");
  json_builder_set_member_name (builder, "n_layers_a");
  json_builder_add_int_value (builder, n_rows);
  json_builder_set_member_name (builder, "n_layers_b");
  json_builder_add_int_value (builder, n_cols);
  json_builder_set_member_name (builder, "estimator");
  json_builder_add_string_value (builder, bs_cka_snapshot_get_biased (result) ? "biased" : "unbiased");
  json_builder_set_member_name (builder, "batch_size");
  json_builder_add_int_value (builder, bs_cka_snapshot_get_batch_size (result));
  json_builder_set_member_name (builder, "passes");
  json_builder_add_int_value (builder, options->acts_dir_a != NULL ? 1 : options->passes);
  json_builder_set_member_name (builder, "examples_per_pass");
  if (info->n_examples > 0)
    json_builder_add_int_value (builder, info->n_examples);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "minibatches");
  json_builder_add_int_value (builder, bs_cka_snapshot_get_minibatches_done (result));
  json_builder_set_member_name (builder, "minibatches_total");
  json_builder_add_int_value (builder, bs_cka_snapshot_get_minibatches_total (result));
  json_builder_set_member_name (builder, "undefined_cells");
  json_builder_add_int_value (builder, (gint64) undefined);
  bs_cli_json_add_double (builder, "seconds", info->elapsed_seconds);
  json_builder_end_object (builder);
  bs_cli_print_json (builder);
}

static void
on_snapshot (BsCkaSnapshot *snap,
             gpointer       user_data)
{
  Progress *p = user_data;
  gint64 now = g_get_monotonic_time ();
  guint done = bs_cka_snapshot_get_minibatches_done (snap);
  guint total = bs_cka_snapshot_get_minibatches_total (snap);
  double elapsed = (now - p->start) / 1e6;
  double left = done > 0 ? elapsed / done * (total - done) : 0;
  gboolean last = done == total;

  if (p->quiet)
    return;
  /* A terminal gets a line that updates in place; a log gets a line every 5 s. */
  if (!p->tty && !last && now - p->last_print < 5 * G_USEC_PER_SEC)
    return;
  p->last_print = now;
  fputs (p->tty ? "\r" : "", stderr);
  /* Translators: progress of blockscope-cli cka: minibatches done, of all, seconds. */
  fprintf (stderr, _("cka: minibatch %u/%u, %.1f s elapsed, %.1f s left"), done, total, elapsed, left);
  fputs (p->tty && !last ? "   " : "\n", stderr);
  fflush (stderr);
  p->printed = TRUE;
}

/* --shard K/N, or "slurm": SLURM_ARRAY_TASK_ID of SLURM_ARRAY_TASK_COUNT
 * (an array 0-(N-1), as the README's sbatch script submits it). */
static gboolean
parse_shard (const char  *text,
             guint       *shard,
             guint       *n_shards,
             GError     **error)
{
  g_auto(GStrv) parts = NULL;
  const char *k_text = NULL, *n_text = NULL;
  guint64 k, n;

  if (g_strcmp0 (text, "slurm") == 0)
    {
      k_text = g_getenv ("SLURM_ARRAY_TASK_ID");
      n_text = g_getenv ("SLURM_ARRAY_TASK_COUNT");
      if (k_text == NULL || n_text == NULL)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       _("--shard slurm needs SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT (run it in an sbatch --array job)"));
          return FALSE;
        }
    }
  else
    {
      parts = g_strsplit (text, "/", 3);
      if (g_strv_length (parts) == 2)
        {
          k_text = parts[0];
          n_text = parts[1];
        }
    }
  if (k_text == NULL || !g_ascii_string_to_unsigned (n_text, 10, 1, 1000000, &n, NULL)
      || !g_ascii_string_to_unsigned (k_text, 10, 0, n - 1, &k, NULL))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: what was given to --shard. */
                   _("--shard takes K/N with 0 <= K < N (or 'slurm'), not '%s'"), text);
      return FALSE;
    }
  *shard = (guint) k;
  *n_shards = (guint) n;
  return TRUE;
}

/* --exclude-images: image numbers separated by commas. */
static GArray *
parse_indices (const char  *text,
               GError     **error)
{
  g_auto(GStrv) parts = g_strsplit (text, ",", -1);
  g_autoptr(GArray) indices = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; parts[i] != NULL; i++)
    {
      guint64 v;

      if (!g_ascii_string_to_unsigned (g_strstrip (parts[i]), 10, 0, G_MAXUINT - 1, &v, NULL))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       /* Translators: what was given to --exclude-images. */
                       _("--exclude-images takes image numbers separated by commas, not '%s'"), parts[i]);
          return NULL;
        }
      g_array_append_vals (indices, &(guint) { (guint) v }, 1);
    }
  if (indices->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("--exclude-images needs at least one number"));
      return NULL;
    }
  return g_steal_pointer (&indices);
}

/* --measure: distinct known names, in the order given; cka alone by default. */
static gboolean
parse_measures (const char    *text,
                BsCkaMeasure  *measures,
                guint         *n_measures,
                GError       **error)
{
  g_auto(GStrv) names = g_strsplit (text != NULL ? text : "cka", ",", -1);

  *n_measures = 0;
  for (guint i = 0; names[i] != NULL; i++)
    {
      BsCkaMeasure m;
      const char *name = g_strstrip (names[i]);

      if (!bs_cka_measure_from_string (name, &m))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       /* Translators: a name given to --measure; the list names what exists. */
                       _("unknown --measure '%s' (cka, cka-without-pc1 or pc1-alignment)"), name);
          return FALSE;
        }
      for (guint j = 0; j < *n_measures; j++)
        if (measures[j] == m)
          {
            g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("--measure names '%s' twice"), name);
            return FALSE;
          }
      measures[(*n_measures)++] = m;
    }
  if (*n_measures == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("--measure needs at least one name"));
      return FALSE;
    }
  return TRUE;
}

/* Where measure i goes: --out itself for the first, OUT-NAME.ext for the others. */
static char *
measure_path (const char         *out,
              const BsCkaMeasure *measures,
              guint               i)
{
  const char *dot = strrchr (out, '.');

  if (i == 0)
    return g_strdup (out);
  return g_strdup_printf ("%.*s-%s%s", (int) (dot - out), out, bs_cka_measure_to_string (measures[i]), dot);
}

int
bs_cli_cka (int    argc,
            char **argv)
{
  g_autofree char *spec_a = NULL;
  g_autofree char *spec_b = NULL;
  g_autofree char *dataset_name = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *layers = NULL;
  g_autofree char *out = NULL;
  g_autofree char *acts_a = NULL;
  g_autofree char *acts_b = NULL;
  g_autofree char *measures_text = NULL;
  g_autofree char *exclude_text = NULL;
  g_autofree char *shard_text = NULL;
  g_autoptr(BsCkaShard) shard = NULL;
  g_autoptr(GArray) exclude = NULL;
  gboolean pc1 = FALSE;
  guint shard_index = 0, n_shards = 0;
  BsCkaMeasure measures[BS_CKA_N_MEASURES];
  guint n_measures = 0;
  gint batch = 256, passes = 10, threads = 0, limit = 0;
  gint64 seed = 0, seed_b = -1;
  gboolean biased = FALSE, quiet = FALSE, json = FALSE;
  const GOptionEntry entries[] = {
    { "a", 0, 0, G_OPTION_ARG_STRING, &spec_a, N_("Model A (rows): checkpoint or model name (required without --acts-a)"), "SPEC" },
    { "b", 0, 0, G_OPTION_ARG_STRING, &spec_b, N_("Model B (columns); default: model A"), "SPEC" },
    { "dataset", 0, 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set whose test split is used (required without --acts-a)"), "NAME" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Use only the first N test images"), "N" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Minibatch size n (default 256; at least 4, or 2 with --biased)"), "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes, N_("Passes over the test images (default 10)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed of the shuffles and of models given by name (default 0)"), "S" },
    { "seed-b", 0, 0, G_OPTION_ARG_INT64, &seed_b, N_("Initialisation seed of model B when given by name (default: --seed)"), "S" },
    { "layers", 0, 0, G_OPTION_ARG_STRING, &layers, N_("all (default), residual (block outputs) or a regular expression on layer names"), "WHICH" },
    { "biased", 0, 0, G_OPTION_ARG_NONE, &biased, N_("Biased HSIC estimator (Kornblith et al. 2019)"), NULL },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "T" },
    { "acts-a", 0, 0, G_OPTION_ARG_FILENAME, &acts_a, N_("Folder of .npy activations of model A, one file per layer"), "DIR" },
    { "acts-b", 0, 0, G_OPTION_ARG_FILENAME, &acts_b, N_("Folder of .npy activations of model B (default: --acts-a)"), "DIR" },
    { "measure", 0, 0, G_OPTION_ARG_STRING, &measures_text, N_("What to compute, one or more separated by commas: cka (default), cka-without-pc1, pc1-alignment; the first goes to --out, each other to OUT-MEASURE.npy"), "LIST" },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_text, N_("Compute only shard K of N (K/N, from 0; or 'slurm' for the array task) and write it to --out FILE.bscka for cka-merge"), "K/N" },
    { "exclude-images", 0, 0, G_OPTION_ARG_STRING, &exclude_text, N_("Leave out these test images (numbers separated by commas, counted among the first --limit), e.g. those 'blockscope-cli dominant' lists"), "LIST" },
    { "pc1", 0, 0, G_OPTION_ARG_NONE, &pc1, N_("Also each layer's PC1 share (the fraction of its variance on its first principal component), in the JSON"), NULL },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Output matrix (required): M.npy (float64) or M.csv; M.json is written beside it"), "FILE" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress on stderr"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print a JSON summary on stdout when done"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsCkaSnapshot) result = NULL;
  BsCkaJobOptions options;
  BsCkaExportInfo info = { 0 };
  Progress progress = { 0 };
  int status;

  if (!bs_cli_parse ("cka", "", N_("Minibatch CKA between every layer of model A (rows) and "
                     "every layer of model B (columns), as in Nguyen, Raghu and Kornblith (2021)."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("cka", _("unexpected argument '%s'"), argv[1]);

  if (out == NULL)
    return bs_cli_usage_error ("cka", _("--out is required"));
  if (shard_text != NULL)
    {
      if (!parse_shard (shard_text, &shard_index, &n_shards, &error))
        return bs_cli_usage_error ("cka", "%s", error->message);
      if (!g_str_has_suffix (out, ".bscka"))
        return bs_cli_usage_error ("cka", _("with --shard, --out must end in .bscka, not '%s'"), out);
      if (measures_text != NULL || pc1)
        return bs_cli_usage_error ("cka", _("--shard computes CKA only, not --measure or --pc1"));
    }
  else if (!g_str_has_suffix (out, ".npy") && !g_str_has_suffix (out, ".csv"))
    return bs_cli_usage_error ("cka", _("--out must end in .npy or .csv, not '%s'"), out);
  if (batch < 1)
    return bs_cli_usage_error ("cka", _("--batch must be positive"));
  if (passes < 1)
    return bs_cli_usage_error ("cka", _("--passes must be at least 1"));
  if (threads < 0 || limit < 0)
    return bs_cli_usage_error ("cka", _("--threads and --limit cannot be negative"));
  if (seed < 0)
    return bs_cli_usage_error ("cka", _("--seed cannot be negative"));
  if (!parse_measures (measures_text, measures, &n_measures, &error))
    return bs_cli_usage_error ("cka", "%s", error->message);
  if (exclude_text != NULL && (exclude = parse_indices (exclude_text, &error)) == NULL)
    return bs_cli_usage_error ("cka", "%s", error->message);

  bs_cka_job_options_init (&options);
  options.batch_size = (guint) batch;
  options.passes = (guint) passes;
  options.seed = (guint64) seed;
  options.biased = biased;
  options.engine = bs_cli_get_engine ();
  options.threads = (guint) threads;
  options.layers = bs_cka_layer_selection_parse (layers);
  options.layer_pattern = layers;
  options.pc1 = pc1;
  options.shard = shard_index;
  options.n_shards = n_shards;
  options.shard_out = &shard;
  for (guint i = 0; i < n_measures; i++)
    options.pc1 |= measures[i] != BS_CKA_MEASURE_CKA;

  if (acts_a != NULL || acts_b != NULL)
    {
      if (acts_a == NULL)
        return bs_cli_usage_error ("cka", _("--acts-b needs --acts-a"));
      if (spec_a || spec_b || dataset_name)
        return bs_cli_usage_error ("cka", _("--acts-a/--acts-b replace --a, --b and --dataset"));
      if (exclude != NULL)
        return bs_cli_usage_error ("cka", _("--exclude-images needs --dataset"));
      options.acts_dir_a = acts_a;
      options.acts_dir_b = acts_b ? acts_b : acts_a;
    }
  else
    {
      if (spec_a == NULL)
        return bs_cli_usage_error ("cka", _("--a (a checkpoint or a model name) is required"));
      if (dataset_name == NULL)
        return bs_cli_usage_error ("cka", _("--dataset is required"));
      dataset = bs_dataset_load_test (dataset_name, data_dir, &error);
      if (dataset == NULL)
        return bs_cli_fail (error);
      if (exclude != NULL)
        {
          /* The protocol then runs on what is left of the first --limit images. */
          BsDataset *subset = bs_dataset_new_test_subset (dataset, (guint) limit, (const guint *) exclude->data,
                                                          exclude->len, &error);

          if (subset == NULL)
            return bs_cli_usage_error ("cka", "%s", error->message);
          g_clear_pointer (&dataset, bs_dataset_unref);
          dataset = subset;
          limit = 0;
          info.excluded_images = (const guint *) exclude->data;
          info.n_excluded = exclude->len;
        }
      options.spec_a = spec_a;
      options.spec_b = spec_b;
      options.init_seed_a = (guint64) seed;
      options.init_seed_b = seed_b >= 0 ? (guint64) seed_b : (guint64) seed;
      options.dataset = dataset;
      options.limit = (guint) limit;
      info.dataset = dataset->name;
      info.n_examples = bs_cka_protocol_images_per_pass (dataset->test.n_images, (guint) limit);
    }

  progress.start = progress.last_print = g_get_monotonic_time ();
  progress.tty = isatty (STDERR_FILENO);
  progress.quiet = quiet;
  result = bs_cka_job_run (&options, on_snapshot, &progress, NULL, &error);
  if (result == NULL)
    {
      if (progress.printed && progress.tty)
        fputc ('\n', stderr);
      return bs_cli_fail (error);
    }

  info.options = &options;
  info.elapsed_seconds = (g_get_monotonic_time () - progress.start) / 1e6;
  if (shard != NULL)
    {
      if (!bs_cka_shard_save (shard, out, &error))
        return bs_cli_fail (error);
      if (!quiet)
        /* Translators: a shard's number, the number of shards, minibatches, seconds, a file. */
        fprintf (stderr, _("cka: shard %u of %u, %u minibatches in %.1f s; wrote %s\n"), shard_index, n_shards,
                 bs_cka_shard_get_n_minibatches (shard), info.elapsed_seconds, out);
      return BS_CLI_EXIT_OK;
    }
  for (guint i = 0; i < n_measures; i++)
    {
      g_autofree char *path = measure_path (out, measures, i);
      g_autofree char *json_path = bs_cka_export_json_path (path);

      info.measure = measures[i];
      if (!bs_cka_export (result, &info, path, &error))
        return bs_cli_fail (error);
      if (!quiet && i == 0)
        /* Translators: rows, columns, minibatches, the minibatch size, seconds, two file names. */
        fprintf (stderr, _("cka: %u × %u layers, %u minibatches of %u in %.1f s; wrote %s and %s\n"),
                 bs_cka_snapshot_get_n_rows (result), bs_cka_snapshot_get_n_cols (result),
                 bs_cka_snapshot_get_minibatches_done (result),
                 bs_cka_snapshot_get_batch_size (result),
                 info.elapsed_seconds, path, json_path);
      else if (!quiet)
        /* Translators: a measure ("CKA without PC1"), then two file names. */
        fprintf (stderr, _("cka: %s: wrote %s and %s\n"), bs_cka_measure_get_label (measures[i]), path,
                 json_path);
    }
  info.measure = BS_CKA_MEASURE_CKA;
  if (json)
    print_summary_json (result, &info, out, layers, measures, n_measures);
  return BS_CLI_EXIT_OK;
}
