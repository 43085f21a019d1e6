/* bs-window-compare.h: CKA across training time and across seeds in the window.
 *
 * win.layer-convergence (the training view's Layer Convergence button,
 * main menu › Layer Convergence): for the training run shown (finished,
 * stopped or opened from its folder), bs_cka_convergence_run () over its
 * checkpoints against its last one, on the run's data set and probe
 * protocol (the images, minibatch and passes of its snapshots), as a job
 * on the window's queue; the result is a BsConvergenceChart beside the
 * run's other charts, until the training view shows another run.
 *
 * win.compare-seeds (main menu › Compare Seeds…): the networks checked in
 * a BsSeedsDialog, bs_cka_seeds_run () on the window's protocol (passes,
 * minibatch, images) and the first checked run's data set (else the
 * window's), as a job; the heatmap then shows the mean CKA matrix over the
 * ordered pairs, titled "Mean over K seed pairs", and win.seed-statistic
 * (View › Measure: "mean" or "std-dev") switches it to the standard
 * deviation across the pairs and back. Networks of different layer grids
 * are refused with the core's message in the error banner. */
#pragma once

#include "bs-compare-job.h"
#include "bs-convergence-chart.h"
#include "bs-seeds-dialog.h"
#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowCompare BsWindowCompare;

BsWindowCompare    *bs_window_compare_new        (BsWindow        *window);
void                bs_window_compare_free       (BsWindowCompare *self);

/* For tests: the chart, the status under it, the job running or run last
 * (NULL before), the dialog while it is open, and the seeds result shown
 * (NULL when the heatmap shows something else). */
BsConvergenceChart *bs_window_compare_get_chart  (BsWindowCompare *self);
const char         *bs_window_compare_get_status (BsWindowCompare *self);
BsJob              *bs_window_compare_get_job    (BsWindowCompare *self);
BsSeedsDialog      *bs_window_compare_get_dialog (BsWindowCompare *self);
const BsCkaSeeds   *bs_window_compare_get_seeds  (BsWindowCompare *self);

G_END_DECLS
