/* bs-cli-eval.c: `blockscope-cli eval`: test accuracy of a checkpoint. */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <stdio.h>

#include "bs-checkpoint.h"
#include "bs-cli.h"
#include "bs-dataset-locate.h"
#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-evaluate.h"

static void
print_json (const char         *checkpoint,
            const char         *architecture,
            BsDataset          *dataset,
            const BsEvalResult *result,
            double              seconds)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "checkpoint");
  json_builder_add_string_value (builder, checkpoint);
  json_builder_set_member_name (builder, "architecture");
  json_builder_add_string_value (builder, architecture);
  json_builder_set_member_name (builder, "dataset");
  json_builder_add_string_value (builder, dataset->name);
  json_builder_set_member_name (builder, "images");
  json_builder_add_int_value (builder, result->images);
  json_builder_set_member_name (builder, "correct");
  json_builder_add_int_value (builder, result->correct);
  json_builder_set_member_name (builder, "accuracy");
  json_builder_add_double_value (builder, result->accuracy);
  json_builder_set_member_name (builder, "loss");
  if (isfinite (result->loss))
    json_builder_add_double_value (builder, result->loss);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "seconds");
  json_builder_add_double_value (builder, seconds);
  json_builder_end_object (builder);

  bs_cli_print_json (builder);
}

int
bs_cli_eval (int    argc,
             char **argv)
{
  g_autofree char *dataset_name = NULL;
  g_autofree char *data_dir = NULL;
  gboolean json = FALSE;
  gint limit = -1, batch = 256, threads = -1;
  const GOptionEntry entries[] = {
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set (default: the one the checkpoint was trained on)"), "NAME" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Use only the first N test images"), "N" },
    { "batch", 'b', 0, G_OPTION_ARG_INT, &batch, N_("Images per batch (default 256)"), "N" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "N" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GTimer) timer = NULL;
  g_autoptr(BsThreadPool) pool = NULL;
  BsCheckpointInfo info;
  BsEvalResult result;
  BsModel *model;
  const char *path;
  int status;
  gboolean ok;

  if (!bs_cli_parse ("eval", N_("CHECKPOINT"), N_("Test accuracy of a checkpoint."), entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("eval", _("give the checkpoint to evaluate"));
  if (argc > 2)
    return bs_cli_usage_error ("eval", _("unexpected argument '%s'"), argv[2]);
  if (limit != -1 && limit < 1)
    return bs_cli_usage_error ("eval", _("--limit must be at least 1"));
  if (batch < 1 || batch > 65536)
    return bs_cli_usage_error ("eval", _("--batch must be between 1 and 65536"));
  if (threads != -1 && threads < 1)
    return bs_cli_usage_error ("eval", _("--threads must be at least 1"));
  if (dataset_name != NULL && bs_dataset_info_lookup (dataset_name, &error) == NULL)
    return bs_cli_usage_error ("eval", "%s", error->message);
  path = argv[1];

  model = bs_checkpoint_load (path, &info, &error);
  if (model == NULL)
    return bs_cli_fail (error);

  if (dataset_name == NULL)
    {
      if (info.dataset == NULL)
        {
          bs_model_free (model);
          bs_checkpoint_info_clear (&info);
          return bs_cli_usage_error ("eval", _("'%s' does not say which data set it was trained on: give --dataset"), path);
        }
      dataset_name = g_strdup (info.dataset);
    }

  dataset = bs_dataset_load (dataset_name, data_dir, &error);
  if (dataset != NULL && dataset->n_classes != bs_model_get_n_classes (model))
    g_set_error (&error, BS_ERROR, BS_ERROR_MISMATCH,
                 /* Translators: a checkpoint file, its classes, a data set, its classes. */
                 _("“%s” has %u classes, but %s has %u"),
                 path, bs_model_get_n_classes (model), dataset->name, dataset->n_classes);
  if (error != NULL)
    {
      bs_model_free (model);
      bs_checkpoint_info_clear (&info);
      return bs_cli_fail (error);
    }

  pool = bs_cli_new_pool ((guint) threads);
  bs_model_set_pool (model, pool);
  timer = g_timer_new ();
  ok = bs_evaluate (model, &dataset->test, batch, limit > 0 ? limit : 0, NULL, &result, &error);
  if (ok && result.images == 0)
    {
      g_set_error (&error, BS_ERROR, BS_ERROR_FAILED, _("%s has no test images"), dataset->name);
      ok = FALSE;
    }
  if (ok)
    {
      if (json)
        print_json (path, info.architecture, dataset, &result, g_timer_elapsed (timer, NULL));
      else
        /* Translators: checkpoint, data set, accuracy in percent, correct images, all images, loss. */
        printf (_("%s on %s: test accuracy %.2f %% (%u of %u images), loss %.4f\n"),
                path, bs_cli_dataset_display_name (dataset),
                100 * result.accuracy, result.correct, result.images, result.loss);
    }
  bs_model_free (model);
  bs_checkpoint_info_clear (&info);
  return ok ? BS_CLI_EXIT_OK : bs_cli_fail (error);
}
