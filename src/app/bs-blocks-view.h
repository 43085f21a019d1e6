/* bs-blocks-view.h: the heatmap's detected blocks as a list in the inspector.
 *
 * One row per block of bs_heatmap_get_blocks (): its first and last
 * layer, its size, the mean CKA inside it and to the other layers.
 * Activating a row (click, Enter or Space) zooms the heatmap to the block
 * (bs_heatmap_show_block ()). Hidden when there are no blocks or the
 * heatmap does not show them. */
#pragma once

#include <gtk/gtk.h>

#include "bs-heatmap.h"

G_BEGIN_DECLS

#define BS_TYPE_BLOCKS_VIEW (bs_blocks_view_get_type ())

G_DECLARE_FINAL_TYPE (BsBlocksView, bs_blocks_view, BS, BLOCKS_VIEW, GtkWidget)

/* Follows heatmap (a weak reference) until it is finalised. */
GtkWidget  *bs_blocks_view_new      (BsHeatmap    *heatmap);
/* The list, for tests: its rows are the blocks in order. */
GtkListBox *bs_blocks_view_get_list (BsBlocksView *self);

G_END_DECLS
