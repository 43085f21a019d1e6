/* bs-model-spec.c */
#include "bs-model-spec.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-runs.h"

#define CHECKPOINT_SUFFIX ".safetensors"

gboolean
bs_model_spec_is_path (const char *text)
{
  return text != NULL && (strchr (text, '/') != NULL || g_str_has_suffix (text, CHECKPOINT_SUFFIX));
}

gboolean
bs_model_spec_parse (const char   *text,
                     BsModelSpec  *spec,
                     GError      **error)
{
  g_return_val_if_fail (spec != NULL, FALSE);

  memset (spec, 0, sizeof *spec);
  if (text == NULL || text[0] == '\0')
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("No model given"));
      return FALSE;
    }

  if (bs_model_spec_is_path (text))
    spec->kind = BS_MODEL_SPEC_CHECKPOINT;
  else
    {
      if (!bs_resnet_spec_parse (text, &spec->architecture, error))
        {
          /* A file of that name is a likely mix-up: say how to name it. */
          if (g_file_test (text, G_FILE_TEST_EXISTS))
            /* Translators: both %s are what the user typed; the reason it is
             * not a model name follows the colon. */
            g_prefix_error (error, _("'%s' is read as a model name, not as the file of that name "
                                     "(write ./%s for the file): "), text, text);
          return FALSE;
        }
      spec->kind = BS_MODEL_SPEC_ARCHITECTURE;
    }
  spec->text = g_strdup (text);
  return TRUE;
}

void
bs_model_spec_clear (BsModelSpec *spec)
{
  g_clear_pointer (&spec->text, g_free);
}

/* Depth and width multiplier of the paper's families, from the layer counts. */
static char *
architecture_name (const BsResnetSpec *arch)
{
  guint blocks = 0;

  for (guint s = 0; s < arch->n_stages; s++)
    blocks += arch->blocks[s];

  if (arch->block == BS_RESNET_BOTTLENECK)
    return g_strdup_printf ("ResNet-%u%s", 3 * blocks + 2, arch->imagenet_stem ? " (ImageNet)" : "");
  if (arch->widths[0] == 16)
    return g_strdup_printf ("ResNet-%u", 2 * blocks + 2);
  return g_strdup_printf ("ResNet-%u ×%u", 2 * blocks + 2, arch->widths[0] / 16);
}

static char *
checkpoint_name (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *runs = bs_runs_get_dir ();
  g_autofree char *runs_slash = g_strconcat (runs, G_DIR_SEPARATOR_S, NULL);

  if (g_str_has_suffix (base, CHECKPOINT_SUFFIX))
    base[strlen (base) - strlen (CHECKPOINT_SUFFIX)] = '\0';

  /* A checkpoint of a trained run: name the run too. */
  if (g_str_has_prefix (path, runs_slash))
    {
      g_autofree char *parent = g_path_get_dirname (path);

      if (strcmp (parent, runs) != 0)
        {
          g_autofree char *run = g_path_get_basename (parent);
          g_autofree char *item = bs_runs_checkpoint_item (base);

          /* A run folder keeps them in checkpoints/: name the run. */
          if (strcmp (run, "checkpoints") == 0)
            {
              g_autofree char *grandparent = g_path_get_dirname (parent);

              if (strcmp (grandparent, runs) != 0)
                {
                  g_free (run);
                  run = g_path_get_basename (grandparent);
                }
            }
          return g_strdup_printf ("%s › %s", run, item);
        }
    }
  return g_steal_pointer (&base);
}

char *
bs_model_spec_get_display_name (const BsModelSpec *spec)
{
  g_return_val_if_fail (spec != NULL && spec->text != NULL, NULL);

  if (spec->kind == BS_MODEL_SPEC_CHECKPOINT)
    return checkpoint_name (spec->text);
  return architecture_name (&spec->architecture);
}

char *
bs_model_spec_display_name (const char *text)
{
  BsModelSpec spec;
  char *name;

  if (text == NULL || text[0] == '\0')
    /* Translators: the name shown when no model is chosen. */
    return g_strdup (_("None"));
  if (!bs_model_spec_parse (text, &spec, NULL))
    return g_strdup (text);
  name = bs_model_spec_get_display_name (&spec);
  bs_model_spec_clear (&spec);
  return name;
}

static BsModel *
load_checkpoint (const char  *path,
                 guint        channels,
                 guint        height,
                 guint        width,
                 guint        n_classes,
                 GError     **error)
{
  BsCheckpointInfo info;
  BsModel *model;

  model = bs_checkpoint_load (path, &info, error);
  if (model == NULL)
    return NULL;
  if ((channels != 0 && info.channels != channels) || (height != 0 && info.height != height) ||
      (width != 0 && info.width != width))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: '%s' is a checkpoint file, %ux%ux%u are channels x height x
                    * width. */
                   _("'%s' was trained on %ux%ux%u images, but the data set has %ux%ux%u"),
                   path, info.channels, info.height, info.width, channels, height, width);
      g_clear_pointer (&model, bs_model_free);
    }
  else if (n_classes != 0 && info.n_classes != n_classes)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: '%s' is a checkpoint file. */
                   _("'%s' has %u classes, but the data set has %u"), path, info.n_classes, n_classes);
      g_clear_pointer (&model, bs_model_free);
    }
  bs_checkpoint_info_clear (&info);
  return model;
}

BsModel *
bs_model_spec_build (const char  *text,
                     guint        channels,
                     guint        height,
                     guint        width,
                     guint        n_classes,
                     guint64      seed,
                     GError     **error)
{
  BsModelSpec spec;
  BsModel *model;

  if (!bs_model_spec_parse (text, &spec, error))
    return NULL;

  if (spec.kind == BS_MODEL_SPEC_CHECKPOINT)
    model = load_checkpoint (spec.text, channels, height, width, n_classes, error);
  else
    {
      model = bs_resnet_build (spec.text, &spec.architecture, channels, height, width, n_classes, error);
      if (model != NULL)
        bs_model_init_params (model, seed);
    }
  bs_model_spec_clear (&spec);
  return model;
}
