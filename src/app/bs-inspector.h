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

/* What the inspector shows now, for tests: the layer names of A and B and
 * the value text; NULL while no cell is shown. */
const char *bs_inspector_get_layer_a_name (BsInspector   *self);
const char *bs_inspector_get_layer_b_name (BsInspector   *self);
const char *bs_inspector_get_value_text   (BsInspector   *self);

/* Appends widget under the profiles (shown while the cell page is). */
void        bs_inspector_add_extra        (BsInspector   *self,
                                           GtkWidget     *widget);

G_END_DECLS
