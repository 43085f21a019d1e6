/* bs-training-init.c: a checkpoint's metadata against a run's network and data (see the header). */
#include "bs-config.h"

#include "bs-training-init.h"

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-json-file.h"
#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-number-format.h"
#include "bs-safetensors.h"

/* The channel count of input_shape ("[3, 224, 224]"), 0 when unreadable. */
static guint
shape_channels (const char *shape)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root;
  JsonArray *array;

  /* From a file: its depth is bounded before json-glib (which recurses) parses it. */
  if (shape == NULL || !bs_json_check_depth (shape, strlen (shape), BS_JSON_MAX_DEPTH)
      || !json_parser_load_from_data (parser, shape, -1, NULL))
    return 0;
  root = json_parser_get_root (parser);
  /* White space parses to no root at all. */
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return 0;
  array = json_node_get_array (root);
  if (json_array_get_length (array) != 3)
    return 0;
  return (guint) json_array_get_int_element (array, 0);
}

/* Where the checkpoint's classes come from, as a name to show, or NULL. */
static char *
classes_source (const char *checkpoint,
                const char *dataset)
{
  const BsDatasetInfo *info;

  if (bs_model_catalog_weights_architecture (checkpoint) != NULL)
    return g_strdup ("ImageNet");
  if (dataset == NULL)
    return NULL;
  info = bs_dataset_info_lookup (dataset, NULL);
  return g_strdup (info != NULL ? bs_dataset_info_get_display_name (info) : dataset);
}

char *
bs_training_init_check (const char  *checkpoint,
                        const char  *model,
                        const char  *dataset,
                        GError     **error)
{
  g_autoptr(BsSafetensors) st = NULL;
  const BsDatasetInfo *info = bs_dataset_info_lookup (dataset, NULL);
  const char *architecture, *classes_text;
  g_autofree char *base = g_path_get_basename (checkpoint);
  g_autofree char *from = NULL;
  g_autofree char *data_name = NULL;
  g_autofree char *new_count = NULL;
  g_autofree char *old_count = NULL;
  guint channels, classes, data_channels, data_classes;

  st = bs_safetensors_load (checkpoint, error);
  if (st == NULL)
    return NULL;
  architecture = bs_safetensors_get_metadata (st, "architecture");
  channels = shape_channels (bs_safetensors_get_metadata (st, "input_shape"));
  classes_text = bs_safetensors_get_metadata (st, "classes");
  classes = classes_text != NULL ? (guint) g_ascii_strtoull (classes_text, NULL, 10) : 0;
  if (architecture == NULL || channels == 0 || classes == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: a file name. */
                   _("%s is not a Blockscope checkpoint (its metadata does not say which network it "
                     "holds); torchvision's weights become one with Import Weights…"), base);
      return NULL;
    }
  if (g_strcmp0 (architecture, model) != 0)
    {
      g_autofree char *theirs = bs_model_spec_display_name (architecture);
      g_autofree char *ours = bs_model_spec_display_name (model);

      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: a file name and two networks ("ResNet-50 (ImageNet)"). */
                   _("%s holds weights of %s, which cannot start %s."), base, theirs, ours);
      return NULL;
    }

  /* The generated data set's shape is the one bs_dataset_load () makes. */
  data_channels = info != NULL ? info->channels : 3;
  data_classes = info != NULL ? info->n_classes : 10;
  data_name = g_strdup (info != NULL ? bs_dataset_info_get_display_name (info) : dataset);
  if (channels != data_channels)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: a file name, its images' channel count, a data set, and the
                    * data set's channel count. */
                   g_dngettext (GETTEXT_PACKAGE,
                                "%s holds weights for images of %u channel, but the images of %s have %u.",
                                "%s holds weights for images of %u channels, but the images of %s have %u.",
                                channels),
                   base, channels, data_name, data_channels);
      return NULL;
    }

  if (classes == data_classes)
    return g_strdup (_("Every weight, the head's too, starts from the checkpoint."));
  new_count = bs_format_count (data_classes);
  old_count = bs_format_count (classes);
  from = classes_source (checkpoint, bs_safetensors_get_metadata (st, "dataset"));
  if (from != NULL)
    /* Translators: the data set's class count ("10"), the data set ("CIFAR-10"), the checkpoint's
     * class count ("1,000") and where they come from ("ImageNet"). */
    return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                         "A new head for the %s class of %s replaces the %s classes of %s.",
                                         "A new head for the %s classes of %s replaces the %s classes of %s.",
                                         data_classes),
                            new_count, data_name, old_count, from);
  /* Translators: the data set's class count ("10"), the data set ("CIFAR-10") and the
   * checkpoint's class count ("1,000"). */
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                       "A new head for the %s class of %s replaces the checkpoint's %s classes.",
                                       "A new head for the %s classes of %s replaces the checkpoint's %s classes.",
                                       data_classes),
                          new_count, data_name, old_count);
}

typedef struct {
  char *checkpoint;
  char *model;
  char *dataset;
} Check;

static void
check_free (gpointer data)
{
  Check *c = data;

  g_free (c->checkpoint);
  g_free (c->model);
  g_free (c->dataset);
  g_free (c);
}

static void
check_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  Check *c = data;
  GError *error = NULL;
  char *note = bs_training_init_check (c->checkpoint, c->model, c->dataset, &error);

  if (note != NULL)
    g_task_return_pointer (task, note, g_free);
  else
    g_task_return_error (task, error);
}

void
bs_training_init_check_async (const char          *checkpoint,
                              const char          *model,
                              const char          *dataset,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);
  Check *c = g_new0 (Check, 1);

  c->checkpoint = g_strdup (checkpoint);
  c->model = g_strdup (model);
  c->dataset = g_strdup (dataset);
  g_task_set_task_data (task, c, check_free);
  g_task_set_check_cancellable (task, TRUE);
  g_task_run_in_thread (task, check_thread);
}

char *
bs_training_init_check_finish (GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
