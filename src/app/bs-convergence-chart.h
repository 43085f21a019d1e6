/* bs-convergence-chart.h: each layer's CKA with its final self over a run's checkpoints.
 *
 * One line per layer (bs_cka_convergence_run (), bs-cka-compare.h) over the
 * checkpoints' epochs, on a 0 to 1 grid: which layers settle first, and
 * whether a block's layers settle together. Lines are coloured by residual
 * stage (odd stages in the accent colour, even ones in orange, the stem and
 * the head in the secondary text colour), block outputs drawn thicker.
 * Hovering shows the nearest point's layer, epoch and value in the title
 * row and brings its line to the front; a click keeps that layer
 * highlighted (again, or a click away from every line, lets it go). An
 * IMG for screen readers, whose description says when each block output
 * settles. */
#pragma once

#include <gtk/gtk.h>

#include "bs-cka-compare.h"

G_BEGIN_DECLS

#define BS_TYPE_CONVERGENCE_CHART (bs_convergence_chart_get_type ())

G_DECLARE_FINAL_TYPE (BsConvergenceChart, bs_convergence_chart, BS, CONVERGENCE_CHART, GtkWidget)

/* A layer has settled from the first checkpoint from which its CKA with
 * the final model stays at or above this (as `blockscope-cli convergence`'s
 * default --settled). */
#define BS_CONVERGENCE_SETTLED 0.9

GtkWidget  *bs_convergence_chart_new         (void);

/* result and the epochs of its checkpoints are copied; NULL clears. */
void        bs_convergence_chart_set_result  (BsConvergenceChart     *self,
                                              const BsCkaConvergence *result,
                                              const guint            *epochs);
/* What is shown (tests): layers, checkpoints, the CKA of layer l at
 * checkpoint k (NaN outside), and layer l's name. */
guint       bs_convergence_chart_get_n_layers      (BsConvergenceChart *self);
guint       bs_convergence_chart_get_n_checkpoints (BsConvergenceChart *self);
double      bs_convergence_chart_get_value         (BsConvergenceChart *self,
                                                    guint               layer,
                                                    guint               checkpoint);
/* Widget coordinates of a point (tests aim the pointer with it). FALSE
 * before the chart has a size or outside the result. */
gboolean    bs_convergence_chart_get_point         (BsConvergenceChart *self,
                                                    guint               layer,
                                                    guint               checkpoint,
                                                    double             *x,
                                                    double             *y);
/* The read-out in the title row, NULL while the pointer is elsewhere and
 * no layer is kept; the layer kept by a click (-1: none). */
const char *bs_convergence_chart_get_readout       (BsConvergenceChart *self);
gint        bs_convergence_chart_get_selected      (BsConvergenceChart *self);

G_END_DECLS
