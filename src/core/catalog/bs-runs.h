/* bs-runs.h: where trained models are kept, so that the command line and the app find the same ones.
 *
 * `blockscope-cli train` without --out writes there, and the app lists
 * what it finds there in its model menus: the runs folder is
 * $BLOCKSCOPE_RUNS_DIR, or $XDG_DATA_HOME/blockscope/runs
 * (~/.local/share/blockscope/runs). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* $BLOCKSCOPE_RUNS_DIR, or $XDG_DATA_HOME/blockscope/runs. */
char      *bs_runs_get_dir             (void);

/* A checkpoint path in dir (made if missing) for a new run:
 * MODEL-DATASET-YYYYMMDD-HHMMSS.safetensors, with -2, -3 ... added when
 * that name is taken. NULL with an error when dir cannot be made. */
char      *bs_runs_new_checkpoint_path (const char  *dir,
                                        const char  *model,
                                        const char  *dataset,
                                        GError     **error);

typedef struct {
  char   *path;     /* absolute path of the .safetensors file */
  char   *label;    /* "run-name › epoch 3" (a run's checkpoints/epoch-0003.safetensors)
                     * or "run-name › file" for menus */
  gint64  mtime;    /* seconds since the epoch */
  char   *run;      /* the folder under the runs folder it is in; NULL at the top */
  char   *item;     /* the label without the run: "epoch 3", or the file's stem */
} BsRunCheckpoint;

void       bs_run_checkpoint_free      (BsRunCheckpoint *checkpoint);

/* A checkpoint's name in menus from its file name without .safetensors:
 * "epoch 3" for a run's epoch-0003 (translated), else the stem itself. */
char      *bs_runs_checkpoint_item     (const char      *stem);

/* Checkpoints (*.safetensors) in dir, up to two folder levels deep, newest
 * first, at most max_entries. Never fails: a missing folder is an empty
 * list. Element type BsRunCheckpoint. */
GPtrArray *bs_runs_find_checkpoints    (const char      *dir,
                                        guint            max_entries);

G_END_DECLS
