/* bs-probe-chart.h: linear probe accuracy along a model's layers.
 *
 * One point per probed layer (bs-probe.h), in network order: the test
 * accuracy as a solid line in the accent colour, the validation accuracy
 * dashed in orange, over a 0 to 1 grid; a vertical line where the
 * residual stage changes, and the heatmap's detected blocks shaded (the
 * probed layers inside a block's range of layers). An IMG for screen
 * readers, with every layer's numbers in its description. */
#pragma once

#include <gtk/gtk.h>

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

#define BS_TYPE_PROBE_CHART (bs_probe_chart_get_type ())

G_DECLARE_FINAL_TYPE (BsProbeChart, bs_probe_chart, BS, PROBE_CHART, GtkWidget)

GtkWidget *bs_probe_chart_new         (void);

/* results: a GArray of BsProbeResult (referenced), NULL clears. */
void       bs_probe_chart_set_results (BsProbeChart  *self,
                                       GArray        *results);
GArray    *bs_probe_chart_get_results (BsProbeChart  *self);
/* blocks: a GArray of BsBlock over the layers of shown's rows (both
 * referenced; NULL: none). A probed layer is inside a block when its name
 * is a row in the block's range. */
void       bs_probe_chart_set_blocks  (BsProbeChart  *self,
                                       GArray        *blocks,
                                       BsCkaSnapshot *shown);
/* For tests: whether probed layer i is shaded as inside a block. */
gboolean   bs_probe_chart_in_block    (BsProbeChart  *self,
                                       guint          i);

G_END_DECLS
