/* bs-heatmap-private.h: the heatmap widget's instance, shared by its files.
 *
 * bs-heatmap.c is the widget (properties, public API, layout, drawing,
 * selection), bs-heatmap-figure-node.c keeps what the figure renderer drew,
 * bs-heatmap-input.c turns pointer, touch and key input into hover, zoom,
 * pan and selection, bs-heatmap-gl.c draws the cells with OpenGL,
 * bs-heatmap-a11y.c names and describes it for screen readers. Tests
 * may read the fields; only these files write them. */
#pragma once

#include "bs-blocks.h"
#include "bs-figure-layout.h"
#include "bs-figure-palette.h"
#include "bs-heatmap.h"
#include "bs-heatmap-cells.h"
#include "bs-heatmap-gl.h"
#include "bs-heatmap-matrix.h"

G_BEGIN_DECLS

typedef struct _BsHeatmapA11y BsHeatmapA11y;

struct _BsHeatmap
{
  GtkWidget             parent_instance;

  GtkWidget            *gl_view;              /* BsHeatmapGl; NULL without OpenGL */
  GtkWidget            *hover_label;
  GtkWidget            *zoom_box;

  BsHeatmapMatrix      *matrix;               /* the values and the snapshot they came from */
  BsCkaSnapshot        *source;               /* as set: CKA, with the PC1 analysis when computed */
  BsCkaMeasure          measure;              /* which of source's matrices the matrix shows */
  char                 *model_a_name;         /* display names, for the axis titles */
  char                 *model_b_name;

  BsColormap            colormap;
  gboolean              data_range;
  gboolean              show_boundaries;

  /* Detected blocks (bs-heatmap-blocks.c) of the shown matrix: NULL when it
   * is not a network against itself. */
  gboolean              show_blocks;
  double                block_threshold;
  GArray               *blocks;               /* of BsBlock */
  gint64                blocks_time_us;       /* the last detection took */

  BsHeatmapView         view;
  BsFigureLayout        layout;               /* widget coordinates */
  BsFigurePalette       palette;              /* the theme's, read again in every snapshot */

  /* Without OpenGL: the cells as an image, recoloured by rows. */
  gboolean              gl_ok;                /* FALSE: the cells are drawn with cairo */
  char                 *gl_problem;           /* why not, in words */
  BsHeatmapCells       *cells;
  guint                 cell_updates;         /* cells images brought up to date, and rows coloured */
  guint64               cell_rows;

  /* What the figure renderer drew (bs-heatmap-figure-node.c) and what it
   * showed: kept while that does not change, so a hover or a new selection
   * does not redraw the axes. */
  GskRenderNode        *figure_node;
  gboolean              figure_stale;
  BsHeatmapView         figure_view;
  BsFigureLayout        figure_layout;
  BsFigurePalette       figure_palette;
  double                figure_lo;
  double                figure_hi;
  int                   figure_scale;
  PangoFontDescription *figure_font;
  cairo_font_options_t *figure_font_options;

  gboolean              pointer_inside;
  double                pointer_x;
  double                pointer_y;
  gboolean              has_hover;
  guint                 hover_row;
  guint                 hover_col;

  gboolean              has_strip_hover;      /* the pointer is over a PC1 share strip */
  BsFigureAxis          strip_axis;
  guint                 strip_layer;

  gboolean              has_selection;
  guint                 sel_row;
  guint                 sel_col;

  double                press_x;
  double                press_y;
  double                drag_center_u;
  double                drag_center_v;
  gboolean              drag_in_plot;
  gboolean              drag_moved;
  double                pinch_zoom;
  double                pinch_x;
  double                pinch_y;

  BsHeatmapA11y        *a11y;                 /* bs-heatmap-a11y.c */
};

/* bs-heatmap.c */
guint           _bs_heatmap_get_n_rows          (BsHeatmap      *self);
guint           _bs_heatmap_get_n_cols          (BsHeatmap      *self);
gboolean        _bs_heatmap_point_in_plot       (BsHeatmap      *self,
                                                 double          x,
                                                 double          y);
/* The values the colour map spans now. */
void            _bs_heatmap_get_range           (BsHeatmap      *self,
                                                 double         *lo,
                                                 double         *hi);
/* After the view changed: hover, redraw. */
void            _bs_heatmap_view_changed        (BsHeatmap      *self);
/* Zooms by factor keeping the matrix point under widget point (x, y). */
void            _bs_heatmap_zoom_at             (BsHeatmap      *self,
                                                 double          factor,
                                                 double          x,
                                                 double          y);
/* The OpenGL view, for tests: NULL when the cells are drawn with cairo. */
BsHeatmapGl    *_bs_heatmap_get_gl              (BsHeatmap      *self);
/* The label shown beside the pointer, for tests. */
GtkWidget      *_bs_heatmap_get_hover_label     (BsHeatmap      *self);

/* bs-heatmap-pc1-strips.c: each layer's PC1 share as a strip of colour
 * above the plot (model B's columns) and right of it (model A's rows). */
gboolean        _bs_heatmap_pc1_strips_get_rect (BsHeatmap      *self,
                                                 BsFigureAxis    axis,
                                                 BsFigureRect   *rect);
void            _bs_heatmap_pc1_strips_snapshot (BsHeatmap      *self,
                                                 GtkSnapshot    *snapshot);
/* The layer under widget point (x, y) in a strip: FALSE outside both. */
gboolean        _bs_heatmap_pc1_strips_pick     (BsHeatmap      *self,
                                                 double          x,
                                                 double          y,
                                                 BsFigureAxis   *axis,
                                                 guint          *layer);

/* bs-heatmap-blocks.c: the detected blocks, outlined on the diagonal.
 * update runs the detection on the shown matrix again: TRUE when the
 * blocks (or their statistics) changed. */
gboolean        _bs_heatmap_blocks_update       (BsHeatmap      *self);
void            _bs_heatmap_blocks_snapshot     (BsHeatmap      *self,
                                                 GtkSnapshot    *snapshot);
void            _bs_heatmap_blocks_free         (BsHeatmap      *self);

/* bs-heatmap-figure-node.c: the figure above the cells, rebuilt only when
 * what it shows changed. */
GskRenderNode  *_bs_heatmap_get_figure_node     (BsHeatmap             *self,
                                                 const BsFigurePalette *palette);

/* bs-heatmap-input.c */
void            _bs_heatmap_input_init          (BsHeatmap      *self);
void            _bs_heatmap_input_class_init    (GtkWidgetClass *widget_class);
/* The cell under the pointer, after it or the view moved. */
void            _bs_heatmap_update_hover        (BsHeatmap      *self);
/* Shows, hides or refreshes the label for the hover cell. */
void            _bs_heatmap_update_hover_label  (BsHeatmap      *self);
/* Beside the pointer, inside width x height. */
void            _bs_heatmap_place_hover_label   (BsHeatmap      *self,
                                                 int             width,
                                                 int             height);

/* bs-heatmap-a11y.c: the accessible role, label and description. */
void            _bs_heatmap_a11y_class_init     (GtkWidgetClass *widget_class);
void            _bs_heatmap_a11y_init           (BsHeatmap      *self);
void            _bs_heatmap_a11y_free           (BsHeatmap      *self);
/* After the matrix, the models or the selection changed: the label and,
 * when it says something new, the description. */
void            _bs_heatmap_a11y_update         (BsHeatmap      *self);

G_END_DECLS
