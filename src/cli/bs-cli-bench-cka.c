/* bs-cli-bench-cka.c: `blockscope-cli bench cka`: seconds per CKA minibatch.
 *
 * Runs the real job (bs_cka_job_run) on random images, one minibatch per
 * pass, and times each minibatch from one snapshot to the next after a
 * warm-up. Like the PyTorch peer (../shared/bench/torch_cka_peer.py), a model
 * compared with itself runs once per minibatch. */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "bs-blas.h"
#include "bs-cka-job.h"
#include "bs-cli.h"
#include "bs-dataset.h"
#include "bs-rng.h"

typedef struct {
  GArray *times;     /* gint64 microseconds at each snapshot */
  GArray *cpu;       /* double: the process's CPU seconds at each snapshot */
} Clock;

/* CPU time of the whole process: on a shared machine, what a run with one
 * thread cost, whatever else ran beside it. */
static double
process_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
on_snapshot (BsCkaSnapshot *snap,
             gpointer       user_data)
{
  Clock *clock = user_data;
  gint64 now = g_get_monotonic_time ();
  double cpu = process_cpu_seconds ();

  g_array_append_val (clock->times, now);
  g_array_append_val (clock->cpu, cpu);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Sorts x[0..n) and returns its median (n >= 1). */
static double
sorted_median (double *x,
               gint    n)
{
  qsort (x, n, sizeof (double), compare_doubles);
  return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* One minibatch of random pixels, the shape the models take. */
static BsDataset *
random_images (guint   n,
               guint   channels,
               guint   height,
               guint   width,
               guint   n_classes,
               guint64 seed)
{
  BsDataset *dataset = bs_dataset_new ("random", "Random pixels", n_classes);
  BsImageSet *set = &dataset->test;
  gsize bytes = (gsize) n * channels * height * width;
  BsRng rng;

  bs_rng_init (&rng, seed);
  set->n_images = n;
  set->channels = channels;
  set->height = height;
  set->width = width;
  set->pixels = g_malloc (bytes);
  set->labels = g_malloc0 (n);
  for (gsize i = 0; i < bytes; i++)
    set->pixels[i] = (guint8) bs_rng_below (&rng, 256);
  return dataset;
}

int
bs_cli_bench_cka (int    argc,
                  char **argv)
{
  g_autofree char *model_a = NULL;
  g_autofree char *model_b = NULL;
  gint batch = 256, minibatches = 3, warmup = 1, threads = 0, images = 0, passes = 0;
  gint channels = 3, size = 32, classes = 10;
  gboolean json = FALSE, biased = FALSE, pc1 = FALSE;
  const GOptionEntry entries[] = {
    { "a", 0, 0, G_OPTION_ARG_STRING, &model_a, N_("Model A (required): a model name (resnet20) or checkpoint"), "SPEC" },
    { "b", 0, 0, G_OPTION_ARG_STRING, &model_b, N_("Model B (default: A, which then runs once per minibatch)"), "SPEC" },
    { "batch", 0, 0, G_OPTION_ARG_INT, &batch, N_("Minibatch size (default 256)"), "N" },
    { "minibatches", 0, 0, G_OPTION_ARG_INT, &minibatches, N_("Timed minibatches (default 3)"), "K" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed minibatches first (default 1, at least 1)"), "W" },
    { "images", 0, 0, G_OPTION_ARG_INT, &images, N_("A whole protocol instead: this many random test images ..."), "N" },
    { "passes", 0, 0, G_OPTION_ARG_INT, &passes, N_("... and this many passes over them (e.g. --images 10000 --passes 10)"), "P" },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "T" },
    { "channels", 0, 0, G_OPTION_ARG_INT, &channels, N_("Input channels (default 3)"), "C" },
    { "size", 0, 0, G_OPTION_ARG_INT, &size, N_("Input height and width (default 32)"), "S" },
    { "classes", 0, 0, G_OPTION_ARG_INT, &classes, N_("Classes (default 10)"), "K" },
    { "biased", 0, 0, G_OPTION_ARG_NONE, &biased, N_("Biased estimator"), NULL },
    { "pc1", 0, 0, G_OPTION_ARG_NONE, &pc1, N_("With the PC1 analysis (PC1 shares, PC1 alignment, CKA without PC1)"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsCkaSnapshot) snap = NULL;
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GArray) cpu = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree double *seconds = NULL;
  g_autofree double *cpu_seconds = NULL;
  const BsBlasInfo *blas;
  BsCkaJobOptions o;
  Clock clock = { times, cpu };
  struct rusage usage;
  double median, lo, hi, total, cpu_median;
  guint job_threads;
  gint64 start;
  int status;

  if (!bs_cli_parse ("bench cka", "", N_("Seconds per minibatch of CKA between every layer pair, "
                     "after a warm-up, on random input."), entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("bench cka", _("unexpected argument '%s'"), argv[1]);
  if (model_a == NULL)
    return bs_cli_usage_error ("bench cka", _("--a is required (a model name such as resnet20)"));
  if (batch < 1 || minibatches < 1 || warmup < 1 || threads < 0)
    return bs_cli_usage_error ("bench cka", _("--batch, --minibatches and --warmup must be positive, "
                               "--threads not negative"));
  if (images < 0 || passes < 0 || (images > 0) != (passes > 0) || (images > 0 && images < batch))
    return bs_cli_usage_error ("bench cka", _("--images and --passes go together, and --images must be at least --batch"));
  if (channels < 1 || channels > 64 || size < 1 || size > 4096 || classes < 1 || classes > 256)
    return bs_cli_usage_error ("bench cka", _("--channels (1-64), --size (1-4096) or --classes (1-256) out of range"));

  /* Per-minibatch mode: one minibatch per pass, warm-up + timed passes. */
  if (images == 0)
    {
      images = batch;
      passes = warmup + minibatches;
    }
  dataset = random_images ((guint) images, (guint) channels, (guint) size, (guint) size,
                           (guint) classes, 1);
  bs_cka_job_options_init (&o);
  o.spec_a = model_a;
  o.spec_b = model_b;
  o.dataset = dataset;
  o.batch_size = (guint) batch;
  o.passes = (guint) passes;
  o.biased = biased;
  o.pc1 = pc1;
  o.engine = bs_cli_get_engine ();
  o.threads = (guint) threads;

  start = g_get_monotonic_time ();
  snap = bs_cka_job_run (&o, on_snapshot, &clock, NULL, &error);
  if (snap == NULL)
    return bs_cli_fail (error);
  total = (g_array_index (times, gint64, times->len - 1) - start) / 1e6;
  if ((gint) times->len <= warmup)
    return bs_cli_usage_error ("bench cka", _("--warmup leaves no minibatch to time"));
  minibatches = (gint) times->len - warmup;

  /* Minibatch k is timed from snapshot k - 1 to snapshot k; the warm-up
   * (at least one) absorbs building the models and first-touch allocations. */
  seconds = g_new (double, minibatches);
  cpu_seconds = g_new (double, minibatches);
  for (gint i = 0; i < minibatches; i++)
    {
      guint k = (guint) (warmup + i);

      seconds[i] = (g_array_index (times, gint64, k) - g_array_index (times, gint64, k - 1)) / 1e6;
      cpu_seconds[i] = g_array_index (cpu, double, k) - g_array_index (cpu, double, k - 1);
    }
  median = sorted_median (seconds, minibatches);
  cpu_median = sorted_median (cpu_seconds, minibatches);
  lo = seconds[0];
  hi = seconds[minibatches - 1];

  getrusage (RUSAGE_SELF, &usage);
  blas = bs_blas_get_info ();
  job_threads = threads > 0 ? (guint) threads : bs_cli_get_engine ()->threads;

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "benchmark");
      json_builder_add_string_value (b, "cka");
      json_builder_set_member_name (b, "model_a");
      json_builder_add_string_value (b, bs_cka_snapshot_get_model_a (snap));
      json_builder_set_member_name (b, "model_b");
      json_builder_add_string_value (b, bs_cka_snapshot_get_model_b (snap));
      json_builder_set_member_name (b, "same_model");
      json_builder_add_boolean_value (b, model_b == NULL || g_strcmp0 (model_a, model_b) == 0);
      json_builder_set_member_name (b, "batch");
      json_builder_add_int_value (b, batch);
      json_builder_set_member_name (b, "layers_a");
      json_builder_add_int_value (b, bs_cka_snapshot_get_n_rows (snap));
      json_builder_set_member_name (b, "layers_b");
      json_builder_add_int_value (b, bs_cka_snapshot_get_n_cols (snap));
      json_builder_set_member_name (b, "seconds_per_minibatch");
      json_builder_add_double_value (b, median);
      json_builder_set_member_name (b, "cpu_seconds_per_minibatch");
      json_builder_add_double_value (b, cpu_median);
      json_builder_set_member_name (b, "seconds_min");
      json_builder_add_double_value (b, lo);
      json_builder_set_member_name (b, "seconds_max");
      json_builder_add_double_value (b, hi);
      json_builder_set_member_name (b, "minibatches");
      json_builder_add_int_value (b, minibatches);
      json_builder_set_member_name (b, "warmup");
      json_builder_add_int_value (b, warmup);
      json_builder_set_member_name (b, "images");
      json_builder_add_int_value (b, images);
      json_builder_set_member_name (b, "passes");
      json_builder_add_int_value (b, passes);
      json_builder_set_member_name (b, "seconds_total");
      json_builder_add_double_value (b, total);
      json_builder_set_member_name (b, "peak_rss_bytes");
      json_builder_add_int_value (b, (gint64) usage.ru_maxrss * 1024);
      json_builder_set_member_name (b, "blas_core");
      json_builder_add_string_value (b, blas->corename ? blas->corename : "unknown");
      json_builder_set_member_name (b, "blas_threads");
      json_builder_add_int_value (b, blas->threads);
      json_builder_set_member_name (b, "threads");
      json_builder_add_int_value (b, job_threads);
      bs_cli_add_engine_json (b);
      json_builder_end_object (b);
      bs_cli_print_json (b);
    }
  else
    {
      printf (g_dngettext (GETTEXT_PACKAGE,
                           /* Translators: model A, model B, their layer counts, the minibatch size,
                            * the median seconds, the number of minibatches timed, the fastest and
                            * slowest, the peak memory, OpenBLAS's kernels and the thread count. */
                           "cka %s vs %s (%u × %u layers), minibatch of %d: %.3f s per minibatch "
                           "(median of %d; %.3f–%.3f), peak RSS %.0f MiB, OpenBLAS %s, %u thread\n",
                           "cka %s vs %s (%u × %u layers), minibatch of %d: %.3f s per minibatch "
                           "(median of %d; %.3f–%.3f), peak RSS %.0f MiB, OpenBLAS %s, %u threads\n",
                           job_threads),
              bs_cka_snapshot_get_model_a (snap), bs_cka_snapshot_get_model_b (snap),
              bs_cka_snapshot_get_n_rows (snap), bs_cka_snapshot_get_n_cols (snap), batch, median,
              minibatches, lo, hi, usage.ru_maxrss / 1024.0,
              blas->corename ? blas->corename : "unknown", job_threads);
      printf (g_dngettext (GETTEXT_PACKAGE,
                           /* Translators: minibatches, passes, images, seconds. */
                           "%u minibatch (%d passes over %d images) in %.1f s, models built included\n",
                           "%u minibatches (%d passes over %d images) in %.1f s, models built included\n",
                           bs_cka_snapshot_get_minibatches_done (snap)),
              bs_cka_snapshot_get_minibatches_done (snap), passes, images, total);
    }
  return BS_CLI_EXIT_OK;
}
