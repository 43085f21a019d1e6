/* bs-resnet-spec.h: which ResNet a model name means, and building it.
 *
 *   resnet<D>[x<K>]      the paper's CIFAR ResNet v1: D = 6n + 2, three stages of
 *                        n basic blocks with 16K, 32K, 64K channels, 3x3 stem,
 *                        1x1 stride-2 projection (no BN) where the shape changes
 *   imagenet-resnet50/101/152
 *                        torchvision's bottleneck ResNet v1.5 (stride on the 3x3),
 *                        7x7 stride-2 stem with 3x3 stride-2 max-pool,
 *                        projection = 1x1 conv + BN (downsample.0 / .1)
 *
 * The spec is public so tests can build small variants of either family
 * (e.g. one bottleneck block) that no name describes. */
#pragma once

#include <glib.h>

#include "bs-model.h"

G_BEGIN_DECLS

typedef enum {
  BS_RESNET_BASIC,
  BS_RESNET_BOTTLENECK,
} BsResnetBlockKind;

#define BS_RESNET_MAX_STAGES 4

typedef struct {
  BsResnetBlockKind block;
  guint             n_stages;
  guint             blocks[BS_RESNET_MAX_STAGES];
  guint             widths[BS_RESNET_MAX_STAGES];  /* basic: channels; bottleneck: planes (out = 4x) */
  guint             stem_channels;
  gboolean          imagenet_stem;                 /* 7x7/2 conv + 3x3/2 max-pool, else 3x3/1 conv */
} BsResnetSpec;

gboolean  bs_resnet_spec_parse (const char         *name,
                                BsResnetSpec       *spec,
                                GError            **error);

/* Builds the layer graph; parameters are allocated but not initialised. */
BsModel  *bs_resnet_build      (const char         *name,
                                const BsResnetSpec *spec,
                                guint               in_channels,
                                guint               in_height,
                                guint               in_width,
                                guint               n_classes,
                                GError            **error);

G_END_DECLS
