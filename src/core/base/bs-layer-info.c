/* bs-layer-info.c */
#include "bs-layer-info.h"

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
