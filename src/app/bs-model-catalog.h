/* bs-model-catalog.h: the networks the model menus offer.
 *
 * Menu items carry model specs (bs-model-spec.h): architecture names and
 * the paths of the checkpoints found in the runs folder (bs-runs.h). */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* CIFAR ResNet depths and width multipliers the menus list (0-terminated). */
extern const guint bs_model_catalog_depths[];
extern const guint bs_model_catalog_widths[];
extern const guint bs_model_catalog_imagenet_depths[];

/* The menu of a model button: CIFAR ResNets by width, then by depth, the
 * ImageNet-style ResNets, the checkpoints given (BsRunCheckpoint), and
 * Open Checkpoint….
 * action is the stateful string action ("win.model-a"); open_action and
 * open_target name the action that opens a file chooser. */
GMenu     *bs_model_catalog_build_menu     (const char *action,
                                            const char *open_action,
                                            const char *open_target,
                                            GPtrArray  *checkpoints);

G_END_DECLS
