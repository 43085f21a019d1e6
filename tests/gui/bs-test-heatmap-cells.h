/* bs-test-heatmap-cells.h: whether the window's heatmap shows a matrix's
 * cells in their colours, read from a screenshot. */
#pragma once

#include "bs-cka-snapshot.h"
#include "bs-colormap.h"
#include "bs-heatmap.h"

G_BEGIN_DECLS

/* Whether got is value's colour in map over [lo, hi] or, on the edge
 * between two entries of the map, either neighbour's (the GPU's float may
 * round either way). */
gboolean bs_test_colormap_matches     (const guint8   got[3],
                                       BsColormap     map,
                                       double         value,
                                       double         lo,
                                       double         hi);

/* Fails the test unless every cell centre of heatmap (but those under the
 * zoom buttons and cells under 3 points wide) has the colour of matrix's
 * value as a float, in the heatmap's colour map and range; returns how many
 * were checked. The screenshot is saved as name (bs_test_screenshot ()). */
guint    bs_test_check_heatmap_cells  (BsHeatmap     *heatmap,
                                       BsCkaSnapshot *matrix,
                                       const char    *name);

G_END_DECLS
