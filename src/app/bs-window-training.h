/* bs-window-training.h: the window's training runs: their actions, the
 * training view under the heatmap, the dialogs, and the question on close.
 *
 * Actions (win.*): new-training-run (Ctrl+T), demo-training-run,
 * show-runs (the Runs list, a popover under the title), open-run (a
 * folder chooser), show-run(s) (a run folder, from the Runs list), pause-training, continue-training, stop-training, resume-run. */
#pragma once

#include "bs-run-list.h"
#include "bs-training-dialog.h"
#include "bs-training-job.h"
#include "bs-training-view.h"
#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowTraining BsWindowTraining;

/* Adds the actions to window; view is the window's training view. */
BsWindowTraining *bs_window_training_new        (BsWindow         *window,
                                                 BsTrainingView   *view);
void              bs_window_training_free       (BsWindowTraining *self);

/* Whether a run is training (or waiting to) in this window. */
gboolean          bs_window_training_is_active  (BsWindowTraining *self);
/* The window is asked to close: FALSE lets it; TRUE keeps it open while
 * the question "Stop Training?" is asked (Stop closes it again). */
gboolean          bs_window_training_close_request (BsWindowTraining *self);
/* The heatmap goes to another computation: the run's snapshots stop reaching it. */
void              bs_window_training_detach     (BsWindowTraining *self);
/* The heatmap's selection, for the chart of a cell across the snapshots. */
void              bs_window_training_set_cell   (BsWindowTraining *self,
                                                 gboolean          selected,
                                                 guint             row,
                                                 guint             col);
/* Starts a run with settings (as Start in the dialog does); FALSE after
 * showing why it cannot start. */
gboolean          bs_window_training_start      (BsWindowTraining    *self,
                                                 const BsRunSettings *settings);
/* Shows the run in folder dir (the live one when it is training here). */
gboolean          bs_window_training_show_run   (BsWindowTraining *self,
                                                 const char       *dir);

/* The run the training view shows, when it is not training here (NULL
 * otherwise): what its checkpoints are is on disk for good. */
BsRun            *bs_window_training_get_shown_run (BsWindowTraining *self);

/* For tests. */
BsTrainingJob    *bs_window_training_get_job    (BsWindowTraining *self);
BsTrainingDialog *bs_window_training_get_dialog (BsWindowTraining *self);
BsRunList        *bs_window_training_get_run_list (BsWindowTraining *self);
GtkWindow        *bs_window_training_get_question (BsWindowTraining *self);

G_END_DECLS
