/* bs-training-view.h: a training run under the heatmap: its timeline, its
 * state with Pause, Continue, Stop and Resume, and its charts.
 *
 * The timeline is a slider with one mark per CKA snapshot of the run
 * (labelled by epoch); moving it shows that snapshot ("snapshot-shown",
 * which the window hands to the heatmap), and a play button steps through
 * them. While the slider is at the newest snapshot it follows the run, so
 * a snapshot being computed streams into the heatmap. The buttons carry
 * the window's actions (win.pause-training, win.continue-training,
 * win.stop-training, win.resume-run, win.layer-convergence). */
#pragma once

#include <gtk/gtk.h>

#include "bs-training-history.h"

G_BEGIN_DECLS

#define BS_TYPE_TRAINING_VIEW (bs_training_view_get_type ())

G_DECLARE_FINAL_TYPE (BsTrainingView, bs_training_view, BS, TRAINING_VIEW, GtkWidget)

typedef enum {
  BS_TRAINING_VIEW_TRAINING,   /* running: Pause and Stop */
  BS_TRAINING_VIEW_PAUSED,     /* Continue and Stop */
  BS_TRAINING_VIEW_WAITING,    /* in the queue: Stop */
  BS_TRAINING_VIEW_RESUMABLE,  /* stopped or killed: Resume */
  BS_TRAINING_VIEW_DONE,       /* finished or failed: nothing */
} BsTrainingViewState;

GtkWidget         *bs_training_view_new          (void);

/* The run shown (referenced; NULL clears); the slider goes to its newest
 * snapshot. Property "history" (read-only, notified on change). */
void               bs_training_view_set_history  (BsTrainingView      *self,
                                                  BsTrainingHistory   *history);
BsTrainingHistory *bs_training_view_get_history  (BsTrainingView      *self);
/* One line about the run ("ResNet-56 on Fashion-MNIST") and one about its state. */
void               bs_training_view_set_text     (BsTrainingView      *self,
                                                  const char          *title,
                                                  const char          *status);
void               bs_training_view_set_state    (BsTrainingView      *self,
                                                  BsTrainingViewState  state);

/* The snapshot at the slider (its position in the history), NULL when none. */
guint              bs_training_view_get_position (BsTrainingView      *self);
void               bs_training_view_set_position (BsTrainingView      *self,
                                                  guint                position);
BsCkaSnapshot     *bs_training_view_get_shown_snapshot (BsTrainingView *self);
/* Marks on the slider (one per snapshot). */
guint              bs_training_view_get_n_marks  (BsTrainingView      *self);
/* Steps through the snapshots from the first, one per interval_ms; again stops. */
void               bs_training_view_play         (BsTrainingView      *self,
                                                  guint                interval_ms);
/* The selected cell, for the chart of its CKA across the snapshots
 * (bs_training_view_get_chart (BS_TRAINING_CHART_CELL), which the view
 * does not hold: the window puts it in the inspector; it shows while a
 * cell is selected). */
void               bs_training_view_set_cell     (BsTrainingView      *self,
                                                  gboolean             selected,
                                                  guint                row,
                                                  guint                col);

/* A chart of the run's beside the others (the window's layer
 * convergence); it may hide itself. */
void               bs_training_view_add_chart    (BsTrainingView      *self,
                                                  GtkWidget           *chart);

/* Children, for tests. */
GtkRange          *bs_training_view_get_timeline (BsTrainingView      *self);
GtkWidget         *bs_training_view_get_chart    (BsTrainingView      *self,
                                                  guint                kind);

G_END_DECLS
