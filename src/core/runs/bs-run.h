/* bs-run.h: a training run as a folder, shared by the window and the command line.
 *
 * A run is everything one training of one network leaves behind, so that it
 * can be watched while it trains, opened again later (on another machine
 * too), resumed after a stop or a crash, and compared with other runs.
 * The folder (by default a new one under bs_runs_get_dir ()):
 *
 *   run.json                 what the run is: format version, model spec,
 *                            initialisation seed and weights (a checkpoint
 *                            to fine-tune, when one is), data set, the recipe, the
 *                            snapshot plan, the checkpoint policy, the state
 *                            (running, finished, stopped, failed, with the
 *                            error message), the thread count, the versions
 *                            that wrote it, created and updated times.
 *   metrics.jsonl            one JSON object per line, appended as the run
 *                            goes: {"kind":"step",...} after every step and
 *                            {"kind":"epoch",...} after every epoch (see
 *                            BsRunStep and BsRunEpoch for the fields).
 *   checkpoints/epoch-NNNN.safetensors
 *                            the model after epoch NNNN (bs-checkpoint.h)
 *                            and what a resume needs: the SGD momentum
 *                            buffers ("optimizer.momentum.<param>") and the
 *                            global step in the metadata. Shuffling and
 *                            augmentation derive from (seed, epoch, batch)
 *                            alone (bs-batcher.h), so no RNG state is kept.
 *   snapshots/NNN-epoch-E.npy (+ .json), NNN-step-S.npy (+ .json)
 *                            CKA of the network against itself on the probe
 *                            set, exactly as `blockscope-cli cka` writes a
 *                            result (bs-cka-export.h); NNN counts from 000,
 *                            the snapshot at initialisation is 000-epoch-0.
 *
 *   train.lock               locked (flock) by the process that trains the
 *                            run, so that no second one trains it at once;
 *                            the kernel drops the lock when that process
 *                            dies, however it dies.
 *
 * Every file is written atomically (BsAtomicFile) or, for metrics.jsonl,
 * appended one whole line at a time: a run killed at any moment leaves a
 * folder that opens with everything up to its last complete step (a
 * truncated last line is ignored). A damaged folder (a missing checkpoint, a
 * malformed metrics line, a corrupt snapshot) opens with what is intact;
 * bs_run_get_problems () says what was skipped, naming the file.
 *
 * Thread safety: a BsRun is read and written by one thread at a time; the
 * window opens its own BsRun for a folder a worker is training. */
#pragma once

#include <gio/gio.h>

#include "bs-cka-snapshot.h"
#include "bs-trainer.h"

G_BEGIN_DECLS

#define BS_RUN_FORMAT_VERSION 1

typedef enum {
  BS_RUN_STATE_RUNNING,    /* training, or killed while training (resumable) */
  BS_RUN_STATE_FINISHED,   /* every epoch done */
  BS_RUN_STATE_STOPPED,    /* cancelled by the user (resumable) */
  BS_RUN_STATE_FAILED,     /* diverged or an error; bs_run_get_error_message () */
} BsRunState;

const char *bs_run_state_to_string   (BsRunState  state);   /* "running", ... as in run.json */
gboolean    bs_run_state_from_string (const char *text,
                                      BsRunState *state);

/* When CKA snapshots of the network against itself are taken. */
typedef struct {
  gboolean at_init;        /* before the first step (default TRUE) */
  guint    every_epochs;   /* after every K-th epoch and the last (default 1; 0: none) */
  guint    every_steps;    /* every N global steps as well (default 0: off) */
  guint    probe_images;   /* the first M test images (default 1024) */
  guint    probe_batch;    /* minibatch size n (default 256) */
  guint    probe_passes;   /* passes over the probe images (default 1) */
} BsSnapshotPlan;

void     bs_snapshot_plan_init  (BsSnapshotPlan       *plan);
gboolean bs_snapshot_plan_check (const BsSnapshotPlan *plan,
                                 GError              **error);
/* Whether the data set's test split holds a probe minibatch (when the plan
 * takes any snapshot): BS_ERROR_INVALID_ARGUMENT otherwise. */
gboolean bs_snapshot_plan_check_dataset (const BsSnapshotPlan *plan,
                                         const BsDataset      *dataset,
                                         GError              **error);

typedef struct {
  char           *model;              /* a model name, "resnet56" (bs-model-spec.h) */
  guint64         init_seed;          /* initialisation */
  char           *init;               /* a checkpoint whose weights start the run (fine-tuning;
                                       * bs_checkpoint_init_model ()), or NULL */
  char           *dataset;            /* data set name, "fashion-mnist" */
  BsTrainRecipe   recipe;
  BsSnapshotPlan  plan;
  gboolean        keep_all_checkpoints; /* FALSE: only the last epoch's and those at snapshot epochs */
} BsRunSettings;

/* The defaults: resnet20 on fashion-mnist, bs_train_recipe_init (), bs_snapshot_plan_init (). */
void     bs_run_settings_init   (BsRunSettings       *settings);
void     bs_run_settings_clear  (BsRunSettings       *settings);
void     bs_run_settings_copy   (const BsRunSettings *src,
                                 BsRunSettings       *dest);

/* One line of metrics.jsonl of kind "step". */
typedef struct {
  guint64 global_step;   /* 1-based, across epochs */
  guint   epoch;         /* 1-based */
  guint   step;          /* 1-based within the epoch */
  float   loss;
  double  lr;
  double  seconds;       /* since the run (first) started, pauses excluded */
} BsRunStep;

/* One line of metrics.jsonl of kind "epoch". */
typedef struct {
  guint   epoch;
  double  train_loss;
  double  train_accuracy;
  double  test_loss;
  double  test_accuracy;
  double  seconds;       /* since the run (first) started */
} BsRunEpoch;

/* A snapshot the run holds. */
typedef struct {
  guint    index;        /* NNN */
  guint    epoch;        /* completed epochs when it was taken (0: initialisation) */
  guint64  global_step;  /* steps taken when it was taken */
  char    *matrix_path;  /* absolute path of the .npy */
} BsRunSnapshotInfo;

typedef struct _BsRun BsRun;

/* A new run folder dir (made, with its parents; it must not hold a run.json
 * already) with settings, in state running and nothing trained yet. */
BsRun        *bs_run_create               (const char           *dir,
                                           const BsRunSettings  *settings,
                                           GError              **error);
/* Reads a run folder. Fails only when run.json is missing or unreadable;
 * every other damage is skipped and listed in bs_run_get_problems (). */
BsRun        *bs_run_open                 (const char           *dir,
                                           GError              **error);
BsRun        *bs_run_ref                  (BsRun                *run);
void          bs_run_unref                (BsRun                *run);

const char          *bs_run_get_dir              (BsRun *run);
const BsRunSettings *bs_run_get_settings         (BsRun *run);
BsRunState           bs_run_get_state            (BsRun *run);
/* Why a failed run failed, or NULL. */
const char          *bs_run_get_error_message    (BsRun *run);
/* "resnet56 on Fashion-MNIST, 3,000 images" style title for lists (translated). */
char                *bs_run_describe             (BsRun *run);
/* When the run was created, ISO 8601 in UTC ("2026-12-02T05:04:20Z"), or NULL. */
const char          *bs_run_get_created          (BsRun *run);
/* Steps per epoch, known once the run has trained (0 before). */
guint                bs_run_get_steps_per_epoch  (BsRun *run);
/* Whether a process trains the run right now (it holds train.lock): a
 * "running" run that is not being trained was killed, and resumes. */
gboolean             bs_run_is_training          (BsRun *run);
/* Whether bs_run_train () would continue it (running or stopped, epochs left). */
gboolean             bs_run_can_resume           (BsRun *run);

/* Arrays of BsRunStep, BsRunEpoch and BsRunSnapshotInfo, in order. Owned by the run. */
GArray              *bs_run_get_steps            (BsRun *run);
GArray              *bs_run_get_epochs           (BsRun *run);
GArray              *bs_run_get_snapshots        (BsRun *run);
/* The epochs whose checkpoints exist, ascending (guint), and one's path (free it). */
GArray              *bs_run_get_checkpoint_epochs (BsRun *run);
char                *bs_run_get_checkpoint_path  (BsRun *run,
                                                  guint  epoch);
/* What bs_run_open () skipped: translated messages naming the file and the problem. */
GPtrArray           *bs_run_get_problems         (BsRun *run);

/* A snapshot read back from its .npy and .json (checked as hostile files). */
BsCkaSnapshot       *bs_run_load_snapshot        (BsRun      *run,
                                                  guint       index,
                                                  GError    **error);

/* What bs_run_train () reports, on the thread that runs it. Any may be NULL.
 * A callback may block (the window pauses a run that way). */
typedef struct {
  /* After every step, as bs-trainer.h reports it. */
  void (*step)             (const BsTrainProgress    *progress,
                            gpointer                  user_data);
  /* After every epoch, its metrics line and checkpoint written. */
  void (*epoch)            (const BsTrainEpochResult *result,
                            gpointer                  user_data);
  /* A snapshot starts (its info, matrix_path already decided). */
  void (*snapshot_started) (const BsRunSnapshotInfo  *info,
                            gpointer                  user_data);
  /* After every minibatch of a snapshot (borrowed; ref to keep). */
  void (*snapshot_partial) (const BsRunSnapshotInfo  *info,
                            BsCkaSnapshot            *snapshot,
                            gpointer                  user_data);
  /* The snapshot's files are written. */
  void (*snapshot_saved)   (const BsRunSnapshotInfo  *info,
                            BsCkaSnapshot            *snapshot,
                            gpointer                  user_data);
} BsRunCallbacks;

/* Trains the run to its last epoch: from the start when it has no
 * checkpoint, otherwise resumed from its last checkpoint (momentum, global
 * step, epoch), so that the final weights are bit-identical to an
 * uninterrupted run with the same seed and thread count. dataset must be the
 * run's. Writes metrics, checkpoints, snapshots and the state as it goes:
 * finished at the end, stopped on cancel (G_IO_ERROR_CANCELLED), failed with
 * the message when it diverges (BS_ERROR_DIVERGED, the last good checkpoint
 * kept) or on any other error. Fails at once (BS_ERROR_FAILED) while another
 * BsRun or process trains the folder (train.lock). A finished run returns
 * TRUE at once; a failed one is not trained again (BS_ERROR_INVALID_ARGUMENT).
 * Time spent in the callbacks (a paused run) is not counted in the metrics'
 * seconds. Blocks: call it from a worker thread. */
gboolean             bs_run_train                (BsRun                  *run,
                                                  BsDataset              *dataset,
                                                  const BsEngineConfig   *engine,
                                                  const BsRunCallbacks   *callbacks,
                                                  gpointer                user_data,
                                                  GCancellable           *cancellable,
                                                  GError                **error);

/* Run folders under dir (each holding a run.json), newest first; unreadable
 * ones are left out. Element type BsRun (unref'd by the array). */
GPtrArray           *bs_runs_list                (const char *dir);
/* A new folder name under dir for a run: MODEL-DATASET-YYYYMMDD-HHMMSS(-2...). */
char                *bs_runs_new_run_dir         (const char  *dir,
                                                  const char  *model,
                                                  const char  *dataset,
                                                  GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsRun, bs_run_unref)

G_END_DECLS
