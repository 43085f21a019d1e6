/* bs-training-history.h: what the window knows of one training run: its
 * steps, epochs and CKA snapshots, on the main thread.
 *
 * Fed live by a BsTrainingJob, or read back from a run folder (BsRun).
 * The charts and the timeline read it and redraw on its signals. */
#pragma once

#include <glib-object.h>

#include "bs-run.h"

G_BEGIN_DECLS

#define BS_TYPE_TRAINING_HISTORY (bs_training_history_get_type ())

G_DECLARE_FINAL_TYPE (BsTrainingHistory, bs_training_history, BS, TRAINING_HISTORY, GObject)

/* One snapshot of the run, as far as it is known. */
typedef struct {
  guint          index;        /* NNN of the run's snapshots */
  guint          epoch;        /* completed epochs when taken (0: initialisation) */
  guint64        global_step;  /* steps taken when taken */
  BsCkaSnapshot *snapshot;     /* newest state (NULL when it could not be read) */
  gboolean       complete;     /* every minibatch of it done */
} BsTrainingSnapshotEntry;

BsTrainingHistory *bs_training_history_new              (guint          n_epochs,
                                                         guint64        total_steps);
/* Everything a run folder holds: its steps, epochs and snapshots (each
 * read; one that cannot be read is listed with a NULL snapshot and its
 * problem added to the run's problems in *problems, when given). */
BsTrainingHistory *bs_training_history_new_from_run     (BsRun         *run,
                                                         GPtrArray    **problems);

guint              bs_training_history_get_n_epochs     (BsTrainingHistory *self);
/* All steps the run will take (0 while unknown). */
guint64            bs_training_history_get_total_steps  (BsTrainingHistory *self);
void               bs_training_history_set_total_steps  (BsTrainingHistory *self,
                                                         guint64            total_steps);

/* BsRunStep and BsRunEpoch, in order; owned by the history. */
GArray            *bs_training_history_get_steps        (BsTrainingHistory *self);
GArray            *bs_training_history_get_epochs       (BsTrainingHistory *self);
guint              bs_training_history_get_n_snapshots  (BsTrainingHistory *self);
const BsTrainingSnapshotEntry *
                   bs_training_history_get_snapshot     (BsTrainingHistory *self,
                                                         guint              position);

/* Feeding it ("changed" follows each call). */
void               bs_training_history_add_steps        (BsTrainingHistory *self,
                                                         const BsRunStep   *steps,
                                                         guint              n_steps);
void               bs_training_history_add_epoch        (BsTrainingHistory *self,
                                                         const BsRunEpoch  *epoch);
/* A new snapshot, or a newer state of one it has (same index);
 * "snapshot-changed" follows with its position. */
void               bs_training_history_set_snapshot     (BsTrainingHistory *self,
                                                         guint              index,
                                                         guint              epoch,
                                                         guint64            global_step,
                                                         BsCkaSnapshot     *snapshot,
                                                         gboolean           complete);

/* The best test accuracy of the epochs so far (NaN before the first). */
double             bs_training_history_get_best_test_accuracy (BsTrainingHistory *self);

G_END_DECLS
