/* bs-cli-import.c: `blockscope-cli import`: torchvision weights into a checkpoint.
 *
 * The work is bs_weights_import_model() (bs-weights-import.h); the result is
 * saved with bs_checkpoint_save(), so every other command takes it. */
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>

#include "bs-checkpoint.h"
#include "bs-cli.h"
#include "bs-error.h"
#include "bs-weights-import.h"

static const char *const architectures[] = {
  "imagenet-resnet50", "imagenet-resnet101", "imagenet-resnet152", NULL
};

int
bs_cli_import (int    argc,
               char **argv)
{
  g_autofree char *model_name = NULL;
  g_autofree char *out = NULL;
  g_autofree char *input = NULL;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING, &model_name, N_("Architecture (required): imagenet-resnet50, imagenet-resnet101 or imagenet-resnet152"), "MODEL" },
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out, N_("Checkpoint to write (required), .safetensors"), "FILE" },
    { "input", 0, 0, G_OPTION_ARG_STRING, &input, N_("Image shape the checkpoint is for, CxHxW (default 3x32x32)"), "SHAPE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  guint channels = 3, height = 32, width = 32;
  BsModel *model;
  gboolean ok;
  int status;

  if (!bs_cli_parse ("import", N_("FILE"),
                     N_("Import torchvision's ImageNet ResNet weights from a .pth file (torch.save "
                        "of a state dict, read without running any of its code) or a safetensors "
                        "file, check every name and shape against the architecture and save them "
                        "as a Blockscope checkpoint."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("import", _("give the file to import"));
  if (argc > 2)
    return bs_cli_usage_error ("import", _("unexpected argument '%s'"), argv[2]);
  if (model_name == NULL || !g_strv_contains (architectures, model_name))
    return bs_cli_usage_error ("import", _("--model must be imagenet-resnet50, imagenet-resnet101 or imagenet-resnet152"));
  if (out == NULL)
    return bs_cli_usage_error ("import", _("--out is required"));
  if (input != NULL && (sscanf (input, "%ux%ux%u", &channels, &height, &width) != 3
                        || channels < 1 || height < 1 || width < 1))
    return bs_cli_usage_error ("import", _("--input must be CxHxW, such as 3x32x32, not '%s'"), input);

  model = bs_weights_import_model (argv[1], model_name, channels, height, width, &error);
  if (model == NULL)
    return bs_cli_fail (error);
  ok = bs_checkpoint_save (model, NULL, out, &error);
  if (ok && json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      bs_cli_json_add_string (builder, "file", argv[1]);
      bs_cli_json_add_string (builder, "architecture", model_name);
      bs_cli_json_add_string (builder, "checkpoint", out);
      json_builder_set_member_name (builder, "classes");
      json_builder_add_int_value (builder, bs_model_get_n_classes (model));
      json_builder_set_member_name (builder, "parameters");
      json_builder_add_int_value (builder, (gint64) bs_model_count_trainable (model));
      json_builder_end_object (builder);
      bs_cli_print_json (builder);
    }
  else if (ok)
    /* Translators: a file, an architecture, the checkpoint written. */
    printf (_("%s imported as %s: %s\n"), argv[1], model_name, out);
  bs_model_free (model);
  return ok ? BS_CLI_EXIT_OK : bs_cli_fail (error);
}
