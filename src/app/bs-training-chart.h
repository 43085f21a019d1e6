/* bs-training-chart.h: a chart of one training run: loss, accuracy,
 * learning rate, or one cell's CKA across the run's snapshots.
 *
 * Every kind is drawn over the run's epochs (a step at its fractional
 * epoch), so the charts of a run line up and the timeline's position is
 * one vertical mark on each. Hovering reads out the nearest point. */
#pragma once

#include <gtk/gtk.h>

#include "bs-training-history.h"

G_BEGIN_DECLS

#define BS_TYPE_TRAINING_CHART (bs_training_chart_get_type ())

G_DECLARE_FINAL_TYPE (BsTrainingChart, bs_training_chart, BS, TRAINING_CHART, GtkWidget)

typedef enum {
  BS_TRAINING_CHART_LOSS,           /* training loss per step: raw (faint) and smoothed */
  BS_TRAINING_CHART_ACCURACY,       /* training and test accuracy per epoch */
  BS_TRAINING_CHART_LEARNING_RATE,  /* per step */
  BS_TRAINING_CHART_CELL,           /* CKA of one cell in every snapshot */
} BsTrainingChartKind;

GtkWidget *bs_training_chart_new        (BsTrainingChartKind  kind);

/* The run to show (referenced; NULL clears). */
void       bs_training_chart_set_history (BsTrainingChart    *self,
                                          BsTrainingHistory  *history);
/* The timeline's position, in epochs (NaN: none). */
void       bs_training_chart_set_marker (BsTrainingChart    *self,
                                         double              epoch);
/* BS_TRAINING_CHART_CELL: the cell (row, col) of the snapshots. */
void       bs_training_chart_set_cell   (BsTrainingChart    *self,
                                         guint               row,
                                         guint               col);

/* How many points its main line has (tests): steps, epochs or snapshots. */
guint      bs_training_chart_get_n_points (BsTrainingChart  *self);
/* The hover read-out, NULL while the pointer is elsewhere (tests). */
const char *bs_training_chart_get_readout (BsTrainingChart  *self);

G_END_DECLS
