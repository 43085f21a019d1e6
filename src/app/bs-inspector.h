/* bs-inspector.h: the pane beside the heatmap that describes the selected cell. */
#pragma once

#include <gtk/gtk.h>

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

#define BS_TYPE_INSPECTOR (bs_inspector_get_type ())

G_DECLARE_FINAL_TYPE (BsInspector, bs_inspector, BS, INSPECTOR, GtkWidget)

GtkWidget  *bs_inspector_new              (void);

/* Shows cell (row, col) of snapshot; snapshot NULL shows the placeholder. */
void        bs_inspector_show_cell        (BsInspector   *self,
                                           BsCkaSnapshot *snapshot,
                                           guint          row,
                                           guint          col);

/* Which measure the value shows (the heatmap's); the PC1 section lists
 * every measure and both layers' PC1 shares when the snapshot has them. */
void        bs_inspector_set_measure      (BsInspector   *self,
                                           BsCkaMeasure   measure);
/* The PC1 section's values, for tests: 0 and 1 the PC1 shares of layers
 * A and B, 2 + a BsCkaMeasure the cell in that measure ("0.912 ± 0.004");
 * NULL while it is hidden. */
const char *bs_inspector_get_pc1_text     (BsInspector   *self,
                                           guint          i);

/* What the inspector shows now, for tests: the layer names of A and B and
 * the value text; NULL while no cell is shown. */
const char *bs_inspector_get_layer_a_name (BsInspector   *self);
const char *bs_inspector_get_layer_b_name (BsInspector   *self);
const char *bs_inspector_get_value_text   (BsInspector   *self);

/* Appends widget under the profiles (shown while the cell page is). */
void        bs_inspector_add_extra        (BsInspector   *self,
                                           GtkWidget     *widget);

G_END_DECLS
