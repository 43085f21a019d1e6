/* bs-cli-dominant.c: `blockscope-cli dominant`: the test images that dominate a layer's PC1.
 *
 * Lists the images with the largest |PC1 score| in one layer (bs-dominant-images.h),
 * with their classes, and the indices ready for `cka --exclude-images`, which
 * recomputes CKA without them. */
#include "bs-config.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "bs-cli.h"
#include "bs-dataset.h"
#include "bs-dominant-images.h"
#include "bs-error.h"
#include "bs-model-spec.h"

/* The layer named name, or an error that lists a few that exist. */
static gboolean
find_layer (BsModel     *model,
            const char  *name,
            guint       *index,
            GError     **error)
{
  g_autoptr(GString) some = g_string_new (NULL);
  guint n = bs_model_get_n_layers (model);

  for (guint i = 0; i < n; i++)
    if (g_strcmp0 (bs_model_get_layer (model, i)->name, name) == 0)
      {
        *index = i;
        return TRUE;
      }
  for (guint i = 0; i < n && i < 6; i++)
    g_string_append_printf (some, "%s%s", i > 0 ? ", " : "", bs_model_get_layer (model, i)->name);
  g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
               /* Translators: a layer name, a model name, then a few layer names. */
               _("%s has no layer '%s' (its layers are %s, ...; 'blockscope-cli cka --json' lists them all)"),
               bs_model_get_name (model), name, some->str);
  return FALSE;
}

int
bs_cli_dominant (int    argc,
                 char **argv)
{
  g_autofree char *dataset_name = NULL;
  g_autofree char *data_dir = NULL;
  g_autofree char *layer = NULL;
  gint top = 10, limit = 1000, threads = 0;
  gint64 seed = 0;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "layer", 'l', 0, G_OPTION_ARG_STRING, &layer, N_("The layer, by name (layer2.0.relu2) (required)"), "NAME" },
    { "dataset", 'd', 0, G_OPTION_ARG_STRING, &dataset_name, N_("Data set whose test images are used (required)"), "NAME" },
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to look for data sets in first"), "DIR" },
    { "top", 'k', 0, G_OPTION_ARG_INT, &top, N_("How many images to list (default 10)"), "K" },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, N_("Principal components over the first N test images (default 1000)"), "N" },
    { "seed", 0, 0, G_OPTION_ARG_INT64, &seed, N_("Initialisation seed of a model given by name (default 0)"), "S" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads, N_("Worker threads (default: $BLOCKSCOPE_THREADS, else as many as OpenBLAS uses)"), "N" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the result as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsThreadPool) pool = NULL;
  BsDominantImagesOptions options;
  BsDominantImagesResult result;
  BsModel *model;
  gboolean ok;
  int status;

  if (!bs_cli_parse ("dominant", N_("SPEC"),
                     N_("The test images that dominate the first principal component of one layer "
                        "of a network (a checkpoint or a model name): the largest PC1 scores, with "
                        "their classes, and the layer's PC1 share over those images."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("dominant", _("give the network: a checkpoint or a model name"));
  if (argc > 2)
    return bs_cli_usage_error ("dominant", _("unexpected argument '%s'"), argv[2]);
  if (layer == NULL)
    return bs_cli_usage_error ("dominant", _("--layer is required"));
  if (dataset_name == NULL)
    return bs_cli_usage_error ("dominant", _("--dataset is required"));
  if (top < 1)
    return bs_cli_usage_error ("dominant", _("--top must be at least 1"));
  if (limit < 3)
    return bs_cli_usage_error ("dominant", _("--limit must be at least 3"));
  if (threads < 0 || seed < 0)
    return bs_cli_usage_error ("dominant", _("--threads and --seed cannot be negative"));

  dataset = bs_dataset_load_test (dataset_name, data_dir, &error);
  if (dataset == NULL)
    return bs_cli_fail (error);
  model = bs_model_spec_build (argv[1], dataset->test.channels, dataset->test.height,
                               dataset->test.width, dataset->n_classes, (guint64) seed, &error);
  if (model == NULL)
    return bs_cli_fail (error);
  pool = bs_cli_new_pool ((guint) threads);
  bs_model_set_pool (model, pool);

  bs_dominant_images_options_init (&options);
  options.top = (guint) top;
  options.n_images = (guint) limit;
  ok = find_layer (model, layer, &options.layer, &error)
       && bs_dominant_images_run (model, dataset, &options, NULL, NULL, &result, NULL, &error);
  bs_model_free (model);
  if (!ok)
    return bs_cli_fail (error);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(GString) indices = g_string_new (NULL);

      json_builder_begin_object (builder);
      bs_cli_json_add_string (builder, "model", argv[1]);
      bs_cli_json_add_string (builder, "layer", layer);
      bs_cli_json_add_string (builder, "dataset", dataset->name);
      json_builder_set_member_name (builder, "images_used");
      json_builder_add_int_value (builder, result.n_images);
      bs_cli_json_add_double (builder, "pc1_share", result.share);
      json_builder_set_member_name (builder, "top");
      json_builder_begin_array (builder);
      for (guint i = 0; i < result.images->len; i++)
        {
          const BsDominantImage *image = &g_array_index (result.images, BsDominantImage, i);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "index");
          json_builder_add_int_value (builder, image->index);
          json_builder_set_member_name (builder, "label");
          json_builder_add_int_value (builder, image->label);
          bs_cli_json_add_string (builder, "class", dataset->class_names[image->label]);
          bs_cli_json_add_double (builder, "score", image->score);
          json_builder_end_object (builder);
          g_string_append_printf (indices, "%s%u", i > 0 ? "," : "", image->index);
        }
      json_builder_end_array (builder);
      /* Ready for cka --exclude-images. */
      bs_cli_json_add_string (builder, "exclude_images", indices->str);
      json_builder_end_object (builder);
      bs_cli_print_json (builder);
    }
  else
    {
      g_autoptr(GString) indices = g_string_new (NULL);

      /* Translators: a layer name, a count of images, then a percentage. */
      printf (_("%s over %u test images: PC1 holds %.1f %% of the variance\n"), layer, result.n_images,
              100.0 * result.share);
      /* Translators: the header of a table; keep the columns aligned with the rows below it. */
      printf ("%s\n", _("rank  image  score         class"));
      for (guint i = 0; i < result.images->len; i++)
        {
          const BsDominantImage *image = &g_array_index (result.images, BsDominantImage, i);

          printf ("%4u  %5u  %+12.5g  %s\n", i + 1, image->index, image->score,
                  dataset->class_names[image->label]);
          g_string_append_printf (indices, "%s%u", i > 0 ? "," : "", image->index);
        }
      /* Translators: %s is a list of image numbers, for the command that follows. */
      printf (_("CKA without them: blockscope-cli cka ... --limit %u --exclude-images %s\n"), result.n_images,
              indices->str);
    }
  bs_dominant_images_result_clear (&result);
  return BS_CLI_EXIT_OK;
}
