/* bs-layer-info.h: what a layer output is, shared by models, CKA and the views.
 *
 * Models describe every output they can hand to a tap with a BsLayerInfo;
 * CKA snapshots carry copies of them so that a heatmap can name its rows and
 * columns and mark stage and block boundaries. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BS_LAYER_INPUT,
  BS_LAYER_CONV,       /* a convolution output, before batch norm */
  BS_LAYER_BN,         /* batch norm output, before ReLU */
  BS_LAYER_RELU,
  BS_LAYER_SHORTCUT,   /* the projection on a block's shortcut (conv, or its BN) */
  BS_LAYER_ADD,        /* residual sum, before the block's last ReLU */
  BS_LAYER_MAXPOOL,
  BS_LAYER_AVGPOOL,    /* global average pool, already flat */
  BS_LAYER_FC,         /* logits */
  BS_LAYER_OTHER,      /* activations brought from elsewhere (.npy folders) */
} BsLayerKind;

/* BsLayerInfo.stage: the stem, the residual stages 1 .. 4, the head (pool
 * and classifier); -1 where unknown. */
#define BS_LAYER_STAGE_UNKNOWN (-1)
#define BS_LAYER_STAGE_STEM    0
#define BS_LAYER_STAGE_HEAD    5

typedef struct {
  char        *name;            /* stable, readable, agrees with checkpoint names: "layer2.0.bn1" */
  BsLayerKind  kind;
  guint        channels;        /* per example: channels x height x width features */
  guint        height;          /* 1 for flat outputs (pool, fc) */
  guint        width;
  gint         stage;           /* BS_LAYER_STAGE_STEM, 1..4 the residual stages, BS_LAYER_STAGE_HEAD, or -1 */
  gint         block;           /* block within the stage, -1 outside blocks */
  gboolean     block_output;    /* the output of a residual block (its last ReLU) */
} BsLayerInfo;

static inline gsize
bs_layer_info_n_features (const BsLayerInfo *info)
{
  return (gsize) info->channels * info->height * info->width;
}

const char *bs_layer_kind_to_string (BsLayerKind kind);
/* In words, for people (translated): "Convolution (before batch norm)". */
const char *bs_layer_kind_describe  (BsLayerKind kind);
/* "stage 2" ("2" in short form), "stem", "head", translated; "" for an
 * unknown stage. */
const char *bs_layer_stage_name     (gint        stage,
                                     gboolean    short_form);

/* Where a stage jump from layers[index] lands (keyboard navigation by
 * stage): direction > 0 gives the first layer of the next stage (the last
 * layer from the last stage); direction < 0 the first layer of index's own
 * stage, or of the stage before when index already is that first layer (0
 * from the first stage). A stage starts wherever .stage changes, so layers
 * without stages (all BS_LAYER_STAGE_UNKNOWN) form one stage. */
guint bs_layer_stage_jump (const BsLayerInfo *layers,
                           guint              n_layers,
                           guint              index,
                           int                direction);

/* Deep copy / clear of the name. */
void bs_layer_info_copy  (BsLayerInfo       *dest,
                          const BsLayerInfo *src);
void bs_layer_info_clear (BsLayerInfo       *info);

G_END_DECLS
