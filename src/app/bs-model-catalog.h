/* bs-model-catalog.h: the networks the model menus offer.
 *
 * Menu items carry model specs (bs-model-spec.h): architecture names and
 * the paths of the checkpoints found in the runs folder (bs-runs.h). */
#pragma once

#include <gio/gio.h>

#include "bs-run.h"

G_BEGIN_DECLS

/* CIFAR ResNet depths and width multipliers the menus list (0-terminated). */
extern const guint bs_model_catalog_depths[];
extern const guint bs_model_catalog_widths[];
extern const guint bs_model_catalog_imagenet_depths[];

/* The menu of a model button: CIFAR ResNets by width, then by depth, the
 * ImageNet-style ResNets, their ImageNet weights (downloaded or not), the
 * checkpoints given (BsRunCheckpoint), and
 * Open Checkpoint….
 * action is the stateful string action ("win.model-a"); open_action and
 * open_target name the action that opens a file chooser. */
GMenu     *bs_model_catalog_build_menu     (const char *action,
                                            const char *open_action,
                                            const char *open_target,
                                            GPtrArray  *checkpoints);

/* Whether the menu bs_model_catalog_build_menu () makes with checkpoints
 * has an item for spec. */
gboolean    bs_model_catalog_lists         (const char *spec,
                                            GPtrArray  *checkpoints);

/* The pretrained ImageNet weights (bs-weights-fetch.h) as the menus offer
 * them: the checkpoint <weights folder>/<architecture>.safetensors. */
char       *bs_model_catalog_weights_path          (const char *architecture);
/* The architecture ("imagenet-resnet50") when spec is the path of its
 * weights checkpoint in the weights folder, else NULL. */
const char *bs_model_catalog_weights_architecture  (const char *spec);
/* The size of the official file to download, in bytes (0: none). */
guint64     bs_model_catalog_weights_download_size (const char *architecture);
/* "ResNet-50 (ImageNet weights)". */
char       *bs_model_catalog_weights_display_name  (const char *architecture);
/* A model spec as the window names it: the weights by their menu name,
 * anything else as bs_model_spec_display_name () does. */
char       *bs_model_catalog_display_name          (const char *spec);
/* bs_run_describe (), and the checkpoint a fine-tuned run started from. */
char       *bs_model_catalog_describe_run          (BsRun      *run);

G_END_DECLS
