/* bs-heatmap.h: the zoomable CKA heatmap widget.
 *
 * Shows a BsCkaSnapshot: rows are the layers of model A (vertical axis,
 * layer 0 at the bottom), columns those of model B (horizontal axis), and
 * when the snapshot has the PC1 analysis, any of its measures and each
 * layer's PC1 share as a strip above (columns) and right of (rows) the
 * plot (bs-heatmap-pc1-strips.c). The
 * cells are drawn by OpenGL (BsHeatmapGl: matrix as an R32F texture,
 * colour map as a 256 x 1 texture, coloured in the fragment shader); when
 * OpenGL is unavailable, the same picture is drawn with cairo. Axes, stage
 * and block marks and the colour bar are drawn on top by the cairo figure
 * renderer of src/core/figure; hover and selection outlines with
 * GtkSnapshot.
 *
 * For a network against itself, the block structure detection of
 * bs-blocks.h runs on the shown matrix after every change, and each block
 * found is outlined on the diagonal (properties "show-blocks" and
 * "block-threshold", signal "blocks-changed"; bs-heatmap-blocks.c).
 *
 * Input: scroll, pinch and +/- zoom at the pointer; drag pans; 0 or Home
 * resets; a click selects a cell; arrow keys move the selection, Page Up
 * and Page Down (with Ctrl: for columns) jump it by stages, Ctrl+Home and
 * Ctrl+End to the corners. Screen readers hear what the matrix is and
 * which cell is selected (bs-heatmap-a11y.c). */
#pragma once

#include <gtk/gtk.h>

#include "bs-cka-snapshot.h"
#include "bs-colormap.h"
#include "bs-heatmap-view.h"

G_BEGIN_DECLS

#define BS_TYPE_HEATMAP (bs_heatmap_get_type ())

G_DECLARE_FINAL_TYPE (BsHeatmap, bs_heatmap, BS, HEATMAP, GtkWidget)

GtkWidget           *bs_heatmap_new              (void);

/* Takes a reference. A snapshot of another shape (or other layers) resets
 * the view and the selection; one of the same shape uploads only the rows
 * that changed. NULL clears. */
void                 bs_heatmap_set_snapshot     (BsHeatmap     *self,
                                                  BsCkaSnapshot *snapshot);
BsCkaSnapshot       *bs_heatmap_get_snapshot     (BsHeatmap     *self);

/* Which matrix of the snapshot the cells show (bs_cka_snapshot_get_measure ()):
 * CKA by default; a PC1 measure the snapshot lacks shows CKA. */
void                 bs_heatmap_set_measure      (BsHeatmap     *self,
                                                  BsCkaMeasure   measure);
BsCkaMeasure         bs_heatmap_get_measure      (BsHeatmap     *self);
/* The matrix shown: the snapshot's matrix of the measure (borrowed; what a
 * figure, the data export and the hover label use). NULL without snapshot. */
BsCkaSnapshot       *bs_heatmap_get_shown_snapshot (BsHeatmap   *self);

void                 bs_heatmap_set_colormap     (BsHeatmap     *self,
                                                  BsColormap     colormap);
BsColormap           bs_heatmap_get_colormap     (BsHeatmap     *self);

/* TRUE stretches the colour map over the computed values' range instead
 * of the fixed [0, 1]. */
void                 bs_heatmap_set_data_range   (BsHeatmap     *self,
                                                  gboolean       data_range);
/* The value range the colour map currently spans. */
void                 bs_heatmap_get_value_range  (BsHeatmap     *self,
                                                  double        *lo,
                                                  double        *hi);

/* Selection: FALSE when nothing is selected. */
gboolean             bs_heatmap_get_selection    (BsHeatmap     *self,
                                                  guint         *row,
                                                  guint         *col);
void                 bs_heatmap_select           (BsHeatmap     *self,
                                                  guint          row,
                                                  guint          col);
void                 bs_heatmap_clear_selection  (BsHeatmap     *self);

void                 bs_heatmap_reset_view       (BsHeatmap     *self);
/* Zooms by factor at the middle of the plot. */
void                 bs_heatmap_zoom             (BsHeatmap     *self,
                                                  double         factor);

/* The blocks detected in the shown matrix, a GArray of BsBlock
 * (bs-blocks.h; borrowed, replaced on "blocks-changed"), or NULL when the
 * matrix is not a network against itself. */
GArray              *bs_heatmap_get_blocks       (BsHeatmap     *self);
/* Zooms to block index and selects the cell of its last and first layer. */
void                 bs_heatmap_show_block       (BsHeatmap     *self,
                                                  guint          index);

/* The geometry, for tests and for the window: the view's width and height
 * are the plot's, whose top-left corner in widget coordinates is returned. */
const BsHeatmapView *bs_heatmap_get_view         (BsHeatmap     *self);
void                 bs_heatmap_get_plot_origin  (BsHeatmap     *self,
                                                  double        *x,
                                                  double        *y);
/* Whether the cells are drawn with OpenGL (FALSE: cairo fallback). */
gboolean             bs_heatmap_get_uses_gl      (BsHeatmap     *self);
/* Texture uploads so far: calls and matrix rows sent (tests check that an
 * update sends only what changed). Without OpenGL: updates of the cells
 * image and the rows recoloured, by the same rule. */
void                 bs_heatmap_get_upload_stats (BsHeatmap     *self,
                                                  guint         *uploads,
                                                  guint64       *rows);

G_END_DECLS
