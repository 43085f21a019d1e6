/* bs-window-probes.h: linear probes in the window.
 *
 * Action win.linear-probes runs bs_probe_run () with its default options
 * (bs-probe-job.h) on model A of the computation shown (or run last), on
 * its data set, as a job on the window's queue (progress and Stop in the
 * jobs list). The result is a chart in the inspector (BsProbeChart): test
 * and validation accuracy along model A's layers, with the stage marks and
 * the heatmap's detected blocks shaded. Disabled before the first
 * computation and while probes run. */
#pragma once

#include "bs-job.h"
#include "bs-probe-chart.h"
#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowProbes BsWindowProbes;

BsWindowProbes *bs_window_probes_new       (BsWindow       *window);
void            bs_window_probes_free      (BsWindowProbes *self);
/* For tests: the chart, and the job running or run last (NULL before). */
BsProbeChart   *bs_window_probes_get_chart (BsWindowProbes *self);
BsJob          *bs_window_probes_get_job   (BsWindowProbes *self);
/* For tests: fewer images and epochs than bs-probe.h's defaults (0: the
 * defaults), for the next run. */
void            bs_window_probes_set_size  (BsWindowProbes *self,
                                            guint           train_images,
                                            guint           test_images,
                                            guint           epochs);

G_END_DECLS
