/* bs-cli-bench-train.c: `blockscope-cli bench train`: training and inference
 * throughput of a model on random data, after a warm-up.
 *
 * A training step is what the trainer does per batch: forward in training
 * mode, loss, backward and an SGD update (momentum 0.9, weight decay 5e-4,
 * as the PyTorch peer script). Inference is a forward pass in evaluation mode
 * without taps. Peak RSS comes from getrusage. */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>

#include "bs-blas.h"
#include "bs-cli.h"
#include "bs-error.h"
#include "bs-model.h"
#include "bs-rng.h"
#include "bs-sgd.h"

static gboolean
parse_shape (const char *text,
             guint      *c,
             guint      *h,
             guint      *w)
{
  char *end;
  guint64 v[3];
  const char *p = text;

  for (int i = 0; i < 3; i++)
    {
      if (!g_ascii_isdigit (*p))
        return FALSE;
      v[i] = g_ascii_strtoull (p, &end, 10);
      if (v[i] == 0 || v[i] > 4096)
        return FALSE;
      p = end;
      if (i < 2)
        {
          if (*p != 'x')
            return FALSE;
          p++;
        }
    }
  if (*p != '\0')
    return FALSE;
  *c = v[0];
  *h = v[1];
  *w = v[2];
  return TRUE;
}

/* User + system CPU seconds of the whole process: under load from other
 * programs it shows the work done, where wall time shows the waiting too. */
static double
cpu_seconds (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return 0.0;
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static double
peak_rss_mib (void)
{
  struct rusage usage;

  if (getrusage (RUSAGE_SELF, &usage) != 0)
    return -1.0;
  return usage.ru_maxrss / 1024.0;  /* KiB on Linux */
}

int
bs_cli_bench_train (int    argc,
                    char **argv)
{
  g_autofree char *model_name = NULL;
  g_autofree char *input = NULL;
  int batch = 128, threads = 2, steps = 10, warmup = 2, classes = 10;
  gint64 seed = 0;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, N_("Model (default resnet20)"), "NAME" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, N_("Images per batch (default 128)"), "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default 2)"), "N" },
    { "steps", 0, 0, G_OPTION_ARG_INT, &steps, N_("Timed steps of each kind (default 10)"), "N" },
    { "warmup", 0, 0, G_OPTION_ARG_INT, &warmup, N_("Untimed training steps first (default 2)"), "N" },
    { "input", 0, 0, G_OPTION_ARG_STRING, &input, N_("Image shape CxHxW (default 3x32x32)"), "SHAPE" },
    { "classes", 0, 0, G_OPTION_ARG_INT, &classes, N_("Number of classes (default 10)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Seed for weights and data (default 0)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsModel) model = NULL;
  g_autoptr(BsSgd) sgd = NULL;
  g_autoptr(BsThreadPool) pool = NULL;
  g_autofree float *images = NULL;
  g_autofree guint8 *labels = NULL;
  guint c = 3, h = 32, w = 32;
  gsize image_size;
  double train_s, infer_s, train_ips, infer_ips, loss = 0.0;
  double cpu0 = 0.0, train_cpu, infer_cpu;
  gsize engine_peak = 0;
  BsRng rng;
  gint64 t0 = 0;
  int status;

  if (!bs_cli_parse ("bench train", "", N_("Training and inference images per second on random data."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc > 1)
    return bs_cli_usage_error ("bench train", _("unexpected argument '%s'"), argv[1]);
  if (batch < 1 || batch > 65536)
    return bs_cli_usage_error ("bench train", _("--batch must be between 1 and 65536, not %d"), batch);
  if (threads < 1 || threads > 256)
    return bs_cli_usage_error ("bench train", _("--threads must be between 1 and 256, not %d"), threads);
  if (steps < 1 || warmup < 0)
    return bs_cli_usage_error ("bench train", _("--steps must be at least 1 and --warmup at least 0"));
  if (classes < 2 || classes > 256)
    return bs_cli_usage_error ("bench train", _("--classes must be between 2 and 256, not %d"), classes);
  if (input && !parse_shape (input, &c, &h, &w))
    return bs_cli_usage_error ("bench train", _("--input must look like 3x32x32, not '%s'"), input);

  model = bs_model_new (model_name ? model_name : "resnet20", c, h, w, classes, &error);
  if (model == NULL)
    return bs_cli_fail (error);
  bs_model_init_params (model, seed);
  pool = bs_cli_new_pool ((guint) threads);
  bs_model_set_pool (model, pool);
  sgd = bs_sgd_try_new (model, 0.9, 5e-4, &error);
  if (sgd == NULL)
    return bs_cli_fail (error);

  /* Random data like the peer's torch.randn images and random labels. */
  image_size = (gsize) c * h * w;
  images = g_try_new (float, image_size * batch);
  if (images == NULL)
    {
      g_autofree char *size = bs_format_size_plain ((guint64) image_size * batch * sizeof (float));

      g_set_error (&error, BS_ERROR, BS_ERROR_FAILED,
                   /* Translators: a number of images, then an amount of memory ("1.2 GB"). */
                   _("Not enough memory for a batch of %d images (%s): use a smaller batch"), batch, size);
      return bs_cli_fail (error);
    }
  labels = g_new (guint8, batch);
  bs_rng_init_stream (&rng, seed, 1);
  for (gsize i = 0; i < image_size * batch; i++)
    images[i] = (float) bs_rng_normal (&rng);
  for (int i = 0; i < batch; i++)
    labels[i] = bs_rng_below (&rng, classes);

  for (int i = 0; i < warmup + steps; i++)
    {
      if (i == warmup)
        {
          t0 = g_get_monotonic_time ();
          cpu0 = cpu_seconds ();
        }
      if (bs_model_try_forward (model, images, batch, TRUE, NULL, NULL, &error) == NULL)
        return bs_cli_fail (error);
      loss = bs_model_loss (model, labels);
      if (!bs_model_try_backward (model, &error))
        return bs_cli_fail (error);
      bs_sgd_step (sgd, 0.05);
    }
  train_s = (g_get_monotonic_time () - t0) / 1e6;
  train_cpu = cpu_seconds () - cpu0;
  bs_model_get_memory_bytes (model, &engine_peak);

  /* As in a CKA job, the weights do not change while inference is timed. */
  bs_model_set_params_frozen (model, TRUE);
  if (bs_model_try_forward (model, images, batch, FALSE, NULL, NULL, &error) == NULL)
    return bs_cli_fail (error);
  t0 = g_get_monotonic_time ();
  cpu0 = cpu_seconds ();
  for (int i = 0; i < steps; i++)
    bs_model_forward (model, images, batch, FALSE, NULL, NULL);
  infer_s = (g_get_monotonic_time () - t0) / 1e6;
  infer_cpu = cpu_seconds () - cpu0;
  bs_model_set_params_frozen (model, FALSE);

  train_ips = (double) steps * batch / train_s;
  infer_ips = (double) steps * batch / infer_s;

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, bs_model_get_name (model));
      json_builder_set_member_name (b, "batch");
      json_builder_add_int_value (b, batch);
      json_builder_set_member_name (b, "threads");
      json_builder_add_int_value (b, threads);
      json_builder_set_member_name (b, "steps");
      json_builder_add_int_value (b, steps);
      json_builder_set_member_name (b, "train_images_per_s");
      json_builder_add_double_value (b, train_ips);
      json_builder_set_member_name (b, "infer_images_per_s");
      json_builder_add_double_value (b, infer_ips);
      json_builder_set_member_name (b, "train_step_ms");
      json_builder_add_double_value (b, 1e3 * train_s / steps);
      json_builder_set_member_name (b, "infer_step_ms");
      json_builder_add_double_value (b, 1e3 * infer_s / steps);
      json_builder_set_member_name (b, "train_cpu_ms_per_step");
      json_builder_add_double_value (b, 1e3 * train_cpu / steps);
      json_builder_set_member_name (b, "infer_cpu_ms_per_step");
      json_builder_add_double_value (b, 1e3 * infer_cpu / steps);
      json_builder_set_member_name (b, "peak_rss_mib");
      json_builder_add_double_value (b, peak_rss_mib ());
      json_builder_set_member_name (b, "engine_peak_mib");
      json_builder_add_double_value (b, engine_peak / 1048576.0);
      json_builder_set_member_name (b, "parameters");
      json_builder_add_int_value (b, bs_model_count_trainable (model));
      json_builder_set_member_name (b, "last_loss");
      json_builder_add_double_value (b, loss);
      json_builder_set_member_name (b, "blas_core");
      json_builder_add_string_value (b, bs_blas_get_info ()->corename);
      bs_cli_add_engine_json (b);
      json_builder_end_object (b);

      bs_cli_print_json (b);
    }
  else
    {
      /* Translators: the model, the batch size, the thread count, the timed steps, the
       * warm-up steps and OpenBLAS's kernels. */
      printf (g_dngettext (GETTEXT_PACKAGE, "%s, batch %d, %d thread, %d steps after %d warm-up (BLAS kernels: %s)\n",
                           "%s, batch %d, %d threads, %d steps after %d warm-up (BLAS kernels: %s)\n", threads),
              bs_model_get_name (model), batch, threads, steps, warmup,
              bs_blas_get_info ()->corename);
      printf (_("  training:  %8.1f images/s  (%.1f ms per step)\n"), train_ips, 1e3 * train_s / steps);
      printf (_("  inference: %8.1f images/s  (%.1f ms per batch)\n"), infer_ips, 1e3 * infer_s / steps);
      printf (_("  peak RSS:  %8.1f MiB (engine buffers %.1f MiB)\n"), peak_rss_mib (),
              engine_peak / 1048576.0);
    }

  return BS_CLI_EXIT_OK;
}
