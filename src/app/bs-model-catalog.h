/* bs-model-catalog.h: the networks the model menus offer, and their names.
 *
 * A model spec is what BsCkaJobOptions.spec_a takes: an architecture name
 * ("resnet20", "resnet56x4", "imagenet-resnet50") or the path of a
 * checkpoint. Checkpoints trained so far are looked for under the runs
 * folder, $XDG_DATA_HOME/blockscope/runs (~/.local/share/blockscope/runs),
 * or $BLOCKSCOPE_RUNS_DIR when set. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* CIFAR ResNet depths and width multipliers the menus list (0-terminated). */
extern const guint bs_model_catalog_depths[];
extern const guint bs_model_catalog_widths[];
extern const guint bs_model_catalog_imagenet_depths[];

typedef struct {
  char   *path;     /* absolute path of the .safetensors file */
  char   *label;    /* "run-name › file" for menus */
  gint64  mtime;    /* seconds since the epoch, newest first in lists */
} BsCheckpointEntry;

void       bs_checkpoint_entry_free        (BsCheckpointEntry *entry);


/* Checkpoints (*.safetensors) in the runs folder, up to two levels deep,
 * newest first, at most max_entries. Never fails: a missing folder is an
 * empty list. Element type BsCheckpointEntry. */
GPtrArray *bs_model_catalog_find_checkpoints (guint max_entries);

/* Whether spec names a file rather than an architecture. */
gboolean   bs_model_spec_is_path           (const char *spec);

/* "ResNet-20", "ResNet-56 ×4", "ResNet-50 (ImageNet)", or for a checkpoint
 * its file name without the extension (with the run folder's name in front
 * when it sits in one). */
char      *bs_model_spec_display_name      (const char *spec);

/* The menu of a model button: CIFAR ResNets by width, then by depth, the
 * ImageNet-style ResNets, the checkpoints given, and Open Checkpoint….
 * action is the stateful string action ("win.model-a"); open_action and
 * open_target name the action that opens a file chooser. */
GMenu     *bs_model_catalog_build_menu     (const char *action,
                                            const char *open_action,
                                            const char *open_target,
                                            GPtrArray  *checkpoints);

G_END_DECLS
