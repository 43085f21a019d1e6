/* bs-layer-info.c */
#include "bs-layer-info.h"

#include <glib/gi18n-lib.h>

const char *
bs_layer_kind_to_string (BsLayerKind kind)
{
  switch (kind)
    {
    case BS_LAYER_INPUT: return "input";
    case BS_LAYER_CONV: return "conv";
    case BS_LAYER_BN: return "bn";
    case BS_LAYER_RELU: return "relu";
    case BS_LAYER_SHORTCUT: return "shortcut";
    case BS_LAYER_ADD: return "add";
    case BS_LAYER_MAXPOOL: return "maxpool";
    case BS_LAYER_AVGPOOL: return "avgpool";
    case BS_LAYER_FC: return "fc";
    case BS_LAYER_OTHER: return "other";
    default: return "unknown";
    }
}

const char *
bs_layer_kind_describe (BsLayerKind kind)
{
  switch (kind)
    {
    case BS_LAYER_INPUT: return _("Input images");
    case BS_LAYER_CONV: return _("Convolution (before batch norm)");
    case BS_LAYER_BN: return _("Batch norm (before ReLU)");
    case BS_LAYER_RELU: return _("ReLU");
    case BS_LAYER_SHORTCUT: return _("Shortcut projection");
    case BS_LAYER_ADD: return _("Residual sum (before ReLU)");
    case BS_LAYER_MAXPOOL: return _("Max pooling");
    case BS_LAYER_AVGPOOL: return _("Global average pooling");
    case BS_LAYER_FC: return _("Fully connected (logits)");
    case BS_LAYER_OTHER:
    /* Translators: a layer whose activations were read from a file, of no known kind. */
    default: return _("Activations");
    }
}

const char *
bs_layer_stage_name (gint     stage,
                     gboolean short_form)
{
  /* Translators: the parts of a ResNet, drawn along the heatmap's axes:
   * the stem (the first convolution), its residual stages and the head
   * (pooling and classifier). */
  static const char *long_names[] = { N_("stem"), N_("stage 1"), N_("stage 2"), N_("stage 3"),
                                      N_("stage 4"), N_("head") };
  static const char *short_names[] = { N_("stem"), "1", "2", "3", "4", N_("head") };

  if (stage < BS_LAYER_STAGE_STEM || stage > BS_LAYER_STAGE_HEAD)
    return "";
  return _(short_form ? short_names[stage] : long_names[stage]);
}

guint
bs_layer_stage_jump (const BsLayerInfo *layers,
                     guint              n_layers,
                     guint              index,
                     int                direction)
{
  guint i;

  g_return_val_if_fail (layers != NULL || n_layers == 0, 0);

  if (n_layers == 0)
    return 0;
  index = MIN (index, n_layers - 1);

  if (direction > 0)
    {
      for (i = index + 1; i < n_layers; i++)
        if (layers[i].stage != layers[i - 1].stage)
          return i;
      return n_layers - 1;
    }

  if (direction < 0)
    {
      /* Step off a stage's first layer, then back to the start of the stage. */
      i = index > 0 && layers[index].stage != layers[index - 1].stage ? index - 1 : index;
      while (i > 0 && layers[i].stage == layers[i - 1].stage)
        i--;
      return i;
    }

  return index;
}

void
bs_layer_info_copy (BsLayerInfo       *dest,
                    const BsLayerInfo *src)
{
  *dest = *src;
  dest->name = g_strdup (src->name);
}

void
bs_layer_info_clear (BsLayerInfo *info)
{
  g_clear_pointer (&info->name, g_free);
}
