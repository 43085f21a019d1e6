/* bs-heatmap.c: the CKA heatmap widget (see bs-heatmap.h).
 *
 * The widget keeps the matrix (BsHeatmapMatrix), the view and the layout,
 * and draws in snapshot (): a BsHeatmapGl child placed exactly over the
 * plot draws the cells with OpenGL, and the figure renderer
 * (bs-heatmap-figure.h) draws the axes, stage lines and colour bar above
 * it (bs-heatmap-figure-node.c); without OpenGL the renderer draws the
 * cells too, from an image recoloured by rows. What the renderer drew is
 * kept until something it shows changes, so a hover or a selection
 * redraws only the outlines, which stay here with the zoom buttons. Input
 * and the hover label live in bs-heatmap-input.c. Every colour but the
 * colour map's comes from the theme (bs-theme-palette.h), read in each
 * snapshot. */
#include "bs-config.h"

#include <glib/gi18n.h>

#include "bs-heatmap-private.h"
#include "bs-model-spec.h"
#include "bs-theme-palette.h"

#include <math.h>

G_DEFINE_FINAL_TYPE (BsHeatmap, bs_heatmap, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_COLORMAP_NAME,
  PROP_COLOR_RANGE,
  PROP_SHOW_BOUNDARIES,
  PROP_HAS_SNAPSHOT,
  PROP_MEASURE,
  PROP_HAS_PC1,
  PROP_SHOW_BLOCKS,
  PROP_BLOCK_THRESHOLD,
  N_PROPS
};

enum {
  SELECTION_CHANGED,
  BLOCKS_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- helpers */

static BsCkaSnapshot *
get_snapshot (BsHeatmap *self)
{
  return bs_heatmap_matrix_get_snapshot (self->matrix);
}

guint
_bs_heatmap_get_n_rows (BsHeatmap *self)
{
  return bs_heatmap_matrix_get_n_rows (self->matrix);
}

guint
_bs_heatmap_get_n_cols (BsHeatmap *self)
{
  return bs_heatmap_matrix_get_n_cols (self->matrix);
}

gboolean
_bs_heatmap_point_in_plot (BsHeatmap *self,
                           double     x,
                           double     y)
{
  const BsFigureRect *p = &self->layout.plot;

  return x >= p->x && x < p->x + p->width && y >= p->y && y < p->y + p->height;
}

void
_bs_heatmap_get_range (BsHeatmap *self,
                       double    *lo,
                       double    *hi)
{
  double data_lo, data_hi;

  if (self->data_range && bs_heatmap_matrix_get_data_range (self->matrix, &data_lo, &data_hi) &&
      data_hi > data_lo)
    {
      *lo = data_lo;
      *hi = data_hi;
    }
  else
    {
      *lo = 0.0;
      *hi = 1.0;
    }
}

/* The colours changed: the GL view's uniforms, the figure and the cells. */
static void
queue_redraw (BsHeatmap *self)
{
  if (self->gl_view != NULL && self->gl_ok)
    {
      double lo, hi;

      _bs_heatmap_get_range (self, &lo, &hi);
      bs_heatmap_gl_set_colors (BS_HEATMAP_GL (self->gl_view), self->colormap, lo, hi);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
invalidate_figure (BsHeatmap *self)
{
  self->figure_stale = TRUE;
  queue_redraw (self);
}

static void
on_gl_failed (BsHeatmapGl *gl_view,
              const char  *why,
              BsHeatmap   *self)
{
  self->gl_ok = FALSE;
  g_free (self->gl_problem);
  self->gl_problem = g_strdup_printf (_("OpenGL is unavailable (%s): drawn without it."), why);
  gtk_widget_set_visible (self->gl_view, FALSE);
  invalidate_figure (self);
}

/* ---------------------------------------------------------------- drawing */

/* Without OpenGL: bring the cells image up to date (only the rows that
 * changed, unless the colours did). */
static void
update_cells (BsHeatmap *self)
{
  double lo, hi;
  guint rows;

  _bs_heatmap_get_range (self, &lo, &hi);
  rows = bs_heatmap_cells_update (self->cells, self->matrix, self->colormap, lo, hi);
  if (rows > 0)
    {
      self->cell_updates++;
      self->cell_rows += rows;
      self->figure_stale = TRUE;
    }
}

static void
stroke_rect (GtkSnapshot   *snapshot,
             const GdkRGBA *color,
             double         x,
             double         y,
             double         w,
             double         h,
             float          line)
{
  GskRoundedRect outline;
  const float widths[4] = { line, line, line, line };
  const GdkRGBA colors[4] = { *color, *color, *color, *color };

  gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT ((float) x, (float) y, (float) w, (float) h), 0);
  gtk_snapshot_append_border (snapshot, &outline, widths, colors);
}

/* A ring of color and width around the cell, between a dark ring outside
 * and, when light_inside, a light one inside: over colour-map cells, which
 * run from dark to light, one of the two always stands out. */
static void
draw_cell_outline (BsHeatmap           *self,
                   GtkSnapshot         *snapshot,
                   guint                row,
                   guint                col,
                   const BsFigureColor *color,
                   float                width,
                   gboolean             light_inside)
{
  GdkRGBA ring = bs_theme_palette_rgba (color);
  GdkRGBA dark = bs_theme_palette_rgba (&self->palette.outline_dark);
  GdkRGBA light = bs_theme_palette_rgba (&self->palette.outline_light);
  double scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  double rings, x, y, w, h, x1, y1;

  bs_heatmap_view_cell_to_rect (&self->view, row, col, &x, &y, &w, &h);
  x += self->layout.plot.x;
  y += self->layout.plot.y;
  width = (float) (MAX (round (width * scale), 1.0) / scale);
  rings = width + (light_inside ? 1 : 0);

  /* Small cells get an outline that grows outwards, so they stay visible. */
  if (w < 2 * rings + 3)
    {
      double grow = ceil ((2 * rings + 3 - w) / 2);

      x -= grow;
      w += 2 * grow;
    }
  if (h < 2 * rings + 3)
    {
      double grow = ceil ((2 * rings + 3 - h) / 2);

      y -= grow;
      h += 2 * grow;
    }

  /* Edges on device pixels, lines in whole device pixels: crisp at any
   * scale (the widget's origin is on a device pixel at the integer scales
   * of GTK 4.8). */
  x1 = round ((x + w) * scale) / scale;
  y1 = round ((y + h) * scale) / scale;
  x = round (x * scale) / scale;
  y = round (y * scale) / scale;
  w = x1 - x;
  h = y1 - y;

  stroke_rect (snapshot, &dark, x - 1, y - 1, w + 2, h + 2, 1);
  stroke_rect (snapshot, &ring, x, y, w, h, width);
  if (light_inside)
    stroke_rect (snapshot, &light, x + width, y + width, w - 2 * width, h - 2 * width, 1);
}

static void
draw_gl_problem (BsHeatmap   *self,
                 GtkSnapshot *snapshot)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), self->gl_problem);
  PangoAttrList *attrs = pango_attr_list_new ();
  GdkRGBA dim = bs_theme_palette_rgba (&self->palette.text_secondary);
  double top = self->layout.plot.y;
  BsFigureRect strip;
  int w, h;

  pango_attr_list_insert (attrs, pango_attr_scale_new (0.75));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_layout_get_pixel_size (layout, &w, &h);

  gtk_snapshot_save (snapshot);
  /* Above the PC1 share strip, when there is one. */
  if (_bs_heatmap_pc1_strips_get_rect (self, BS_FIGURE_AXIS_COLS, &strip))
    top = strip.y;
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT ((float) self->layout.plot.x,
                                                          (float) round (top - 6 - h)));
  gtk_snapshot_append_layout (snapshot, layout, &dim);
  gtk_snapshot_restore (snapshot);
  g_object_unref (layout);
}

static void
bs_heatmap_snapshot (GtkWidget   *widget,
                     GtkSnapshot *snapshot)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  const BsFigureRect *p = &self->layout.plot;

  if (_bs_heatmap_get_n_rows (self) == 0 || p->width < 1)
    return;

  bs_theme_palette_read (widget, "window_bg_color", &self->palette);

  if (self->gl_ok)
    gtk_widget_snapshot_child (widget, self->gl_view, snapshot);
  else
    update_cells (self);

  /* Under the figure: a long measure name above the colour bar may reach
   * over the end of the column strip, and stays legible. */
  _bs_heatmap_pc1_strips_snapshot (self, snapshot);
  gtk_snapshot_append_node (snapshot, _bs_heatmap_get_figure_node (self, &self->palette));

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT ((float) p->x, (float) p->y,
                                                         (float) p->width, (float) p->height));
  _bs_heatmap_blocks_snapshot (self, snapshot);
  if (self->has_hover)
    draw_cell_outline (self, snapshot, self->hover_row, self->hover_col,
                       &self->palette.outline_light, 1.5f, FALSE);
  if (self->has_selection)
    draw_cell_outline (self, snapshot, self->sel_row, self->sel_col,
                       &self->palette.accent, 2.0f, TRUE);
  gtk_snapshot_pop (snapshot);

  if (!self->gl_ok && self->gl_problem != NULL)
    draw_gl_problem (self, snapshot);

  gtk_widget_snapshot_child (widget, self->zoom_box, snapshot);
  if (gtk_widget_get_visible (self->hover_label))
    gtk_widget_snapshot_child (widget, self->hover_label, snapshot);
}

/* ---------------------------------------------------------------- layout */

static void
bs_heatmap_measure (GtkWidget      *widget,
                    GtkOrientation  orientation,
                    int             for_size,
                    int            *minimum,
                    int            *natural,
                    int            *minimum_baseline,
                    int            *natural_baseline)
{
  double top, right, bottom, left;
  int margins;

  bs_figure_layout_get_margins (1.0, FALSE, &top, &right, &bottom, &left);
  margins = (int) ceil (orientation == GTK_ORIENTATION_HORIZONTAL ? left + right : top + bottom);
  *minimum = margins + 200;
  *natural = margins + 640;
}

static void
bs_heatmap_size_allocate (GtkWidget *widget,
                          int        width,
                          int        height,
                          int        baseline)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  const BsFigureRect *p = &self->layout.plot;
  GtkAllocation plot;
  GtkRequisition zoom_size;

  bs_figure_layout_init (&self->layout, width, height, 1.0, FALSE);
  bs_heatmap_view_set_size (&self->view, p->width, p->height);
  plot = (GtkAllocation) { (int) p->x, (int) p->y, (int) p->width, (int) p->height };

  if (self->gl_view != NULL)
    gtk_widget_size_allocate (self->gl_view, &plot, -1);

  gtk_widget_get_preferred_size (self->zoom_box, NULL, &zoom_size);
  gtk_widget_size_allocate (self->zoom_box,
                            &(GtkAllocation) { plot.x + plot.width - zoom_size.width - 8, plot.y + 8,
                                               zoom_size.width, zoom_size.height }, -1);

  if (gtk_widget_get_visible (self->hover_label))
    _bs_heatmap_place_hover_label (self, width, height);
}

/* ---------------------------------------------------------------- view, selection */

void
_bs_heatmap_view_changed (BsHeatmap *self)
{
  _bs_heatmap_update_hover (self);
  if (self->gl_view != NULL && self->gl_ok)
    gtk_gl_area_queue_render (GTK_GL_AREA (self->gl_view));
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
_bs_heatmap_zoom_at (BsHeatmap *self,
                     double     factor,
                     double     x,
                     double     y)
{
  if (_bs_heatmap_get_n_rows (self) == 0)
    return;

  bs_heatmap_view_zoom_at (&self->view, factor, x - self->layout.plot.x, y - self->layout.plot.y);
  _bs_heatmap_view_changed (self);
}

void
bs_heatmap_select (BsHeatmap *self,
                   guint      row,
                   guint      col)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  if (row >= _bs_heatmap_get_n_rows (self) || col >= _bs_heatmap_get_n_cols (self))
    return;
  if (self->has_selection && self->sel_row == row && self->sel_col == col)
    return;

  self->has_selection = TRUE;
  self->sel_row = row;
  self->sel_col = col;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  _bs_heatmap_a11y_update (self);
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

void
bs_heatmap_clear_selection (BsHeatmap *self)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  if (!self->has_selection)
    return;

  self->has_selection = FALSE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  _bs_heatmap_a11y_update (self);
  g_signal_emit (self, signals[SELECTION_CHANGED], 0);
}

gboolean
bs_heatmap_get_selection (BsHeatmap *self,
                          guint     *row,
                          guint     *col)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), FALSE);

  if (self->has_selection)
    {
      if (row != NULL)
        *row = self->sel_row;
      if (col != NULL)
        *col = self->sel_col;
    }

  return self->has_selection;
}

/* ---------------------------------------------------------------- public */

void
bs_heatmap_reset_view (BsHeatmap *self)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  bs_heatmap_view_reset (&self->view);
  _bs_heatmap_view_changed (self);
}

void
bs_heatmap_zoom (BsHeatmap *self,
                 double     factor)
{
  const BsFigureRect *p;

  g_return_if_fail (BS_IS_HEATMAP (self));

  p = &self->layout.plot;
  _bs_heatmap_zoom_at (self, factor, p->x + p->width / 2, p->y + p->height / 2);
}

/* The matrix of the measure asked for, or CKA when the snapshot lacks it. */
static BsCkaSnapshot *
pick_shown (BsHeatmap *self)
{
  BsCkaSnapshot *shown;

  if (self->source == NULL)
    return NULL;
  shown = bs_cka_snapshot_get_measure (self->source, self->measure);
  return shown != NULL ? shown : self->source;
}

static void
update_blocks (BsHeatmap *self)
{
  if (_bs_heatmap_blocks_update (self))
    {
      _bs_heatmap_a11y_update (self);
      g_signal_emit (self, signals[BLOCKS_CHANGED], 0);
    }
}

static void
show_matrix (BsHeatmap     *self,
             BsCkaSnapshot *snapshot)
{
  BsHeatmapMatrixChange change;
  gboolean had_snapshot;

  if (snapshot == get_snapshot (self))
    return;

  had_snapshot = get_snapshot (self) != NULL;
  /* The colour bar names what the values are: the seeds' mean and their
   * deviation are both CKA matrices. */
  if (had_snapshot && snapshot != NULL &&
      g_strcmp0 (bs_cka_snapshot_get_label (get_snapshot (self)), bs_cka_snapshot_get_label (snapshot)) != 0)
    self->figure_stale = TRUE;
  change = bs_heatmap_matrix_update (self->matrix, snapshot);
  if (had_snapshot != (snapshot != NULL))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_SNAPSHOT]);

  if (change == BS_HEATMAP_MATRIX_CLEARED)
    {
      g_clear_pointer (&self->model_a_name, g_free);
      g_clear_pointer (&self->model_b_name, g_free);
      self->has_selection = self->has_hover = self->has_strip_hover = FALSE;
      _bs_heatmap_update_hover_label (self);
      invalidate_figure (self);
      update_blocks (self);
      _bs_heatmap_a11y_update (self);
      g_signal_emit (self, signals[SELECTION_CHANGED], 0);
      return;
    }

  if (change == BS_HEATMAP_MATRIX_RESHAPED)
    {
      gboolean had_selection = self->has_selection;

      bs_heatmap_view_set_shape (&self->view, _bs_heatmap_get_n_rows (self), _bs_heatmap_get_n_cols (self));
      g_free (self->model_a_name);
      g_free (self->model_b_name);
      /* The axis titles use the catalog's names: the renderer knows none. */
      self->model_a_name = bs_model_spec_display_name (bs_cka_snapshot_get_model_a (snapshot));
      self->model_b_name = bs_model_spec_display_name (bs_cka_snapshot_get_model_b (snapshot));
      self->has_selection = FALSE;
      self->has_hover = FALSE;
      self->has_strip_hover = FALSE;
      self->figure_stale = TRUE;
      if (had_selection)
        g_signal_emit (self, signals[SELECTION_CHANGED], 0);
    }

  update_blocks (self);
  /* New values change the hover label and the inspector even when no
   * colour changes (the standard errors, the minibatch count). */
  _bs_heatmap_update_hover_label (self);
  _bs_heatmap_a11y_update (self);
  if (self->has_selection)
    g_signal_emit (self, signals[SELECTION_CHANGED], 0);
  if (change != BS_HEATMAP_MATRIX_UNCHANGED)
    queue_redraw (self);
}

void
bs_heatmap_set_snapshot (BsHeatmap     *self,
                         BsCkaSnapshot *snapshot)
{
  gboolean had_pc1;

  g_return_if_fail (BS_IS_HEATMAP (self));

  if (snapshot == self->source)
    return;

  had_pc1 = self->source != NULL && bs_cka_snapshot_has_pc1 (self->source);
  if (snapshot != NULL)
    bs_cka_snapshot_ref (snapshot);
  g_clear_pointer (&self->source, bs_cka_snapshot_unref);
  self->source = snapshot;
  show_matrix (self, pick_shown (self));
  /* The PC1 strips change with every snapshot, whatever the cells do. */
  _bs_heatmap_a11y_update (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  if (had_pc1 != (snapshot != NULL && bs_cka_snapshot_has_pc1 (snapshot)))
    {
      /* The strips' label is part of the figure. */
      invalidate_figure (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_HAS_PC1]);
    }
}

void
bs_heatmap_set_measure (BsHeatmap    *self,
                        BsCkaMeasure  measure)
{
  g_return_if_fail (BS_IS_HEATMAP (self));
  g_return_if_fail (measure < BS_CKA_N_MEASURES);

  if (self->measure == measure)
    return;

  self->measure = measure;
  show_matrix (self, pick_shown (self));
  /* The colour bar says what the cells measure. */
  invalidate_figure (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MEASURE]);
}

BsCkaMeasure
bs_heatmap_get_measure (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), BS_CKA_MEASURE_CKA);

  return self->measure;
}

BsCkaSnapshot *
bs_heatmap_get_shown_snapshot (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), NULL);

  return get_snapshot (self);
}

BsCkaSnapshot *
bs_heatmap_get_snapshot (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), NULL);

  return self->source;
}

void
bs_heatmap_set_colormap (BsHeatmap  *self,
                         BsColormap  colormap)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  if (self->colormap == colormap)
    return;

  self->colormap = colormap;
  invalidate_figure (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLORMAP_NAME]);
}

BsColormap
bs_heatmap_get_colormap (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), BS_COLORMAP_MAGMA);

  return self->colormap;
}

void
bs_heatmap_set_data_range (BsHeatmap *self,
                           gboolean   data_range)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  data_range = !!data_range;
  if (self->data_range == data_range)
    return;

  self->data_range = data_range;
  invalidate_figure (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_COLOR_RANGE]);
}

void
bs_heatmap_get_value_range (BsHeatmap *self,
                            double    *lo,
                            double    *hi)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  _bs_heatmap_get_range (self, lo, hi);
}

const BsHeatmapView *
bs_heatmap_get_view (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), NULL);

  return &self->view;
}

void
bs_heatmap_get_plot_origin (BsHeatmap *self,
                            double    *x,
                            double    *y)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  *x = self->layout.plot.x;
  *y = self->layout.plot.y;
}

gboolean
bs_heatmap_get_uses_gl (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), FALSE);

  return self->gl_ok && self->gl_view != NULL && bs_heatmap_gl_is_ready (BS_HEATMAP_GL (self->gl_view));
}

void
bs_heatmap_get_upload_stats (BsHeatmap *self,
                             guint     *uploads,
                             guint64   *rows)
{
  g_return_if_fail (BS_IS_HEATMAP (self));

  *uploads = self->cell_updates;
  *rows = self->cell_rows;
  if (self->gl_view != NULL)
    {
      guint gl_uploads;
      guint64 gl_rows;

      bs_heatmap_gl_get_upload_stats (BS_HEATMAP_GL (self->gl_view), &gl_uploads, &gl_rows);
      *uploads += gl_uploads;
      *rows += gl_rows;
    }
}

BsHeatmapGl *
_bs_heatmap_get_gl (BsHeatmap *self)
{
  return self->gl_ok && self->gl_view != NULL ? BS_HEATMAP_GL (self->gl_view) : NULL;
}

GtkWidget *
_bs_heatmap_get_hover_label (BsHeatmap *self)
{
  return self->hover_label;
}

/* ---------------------------------------------------------------- GObject */

static void
bs_heatmap_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  BsHeatmap *self = BS_HEATMAP (object);

  switch (prop_id)
    {
    case PROP_COLORMAP_NAME:
      g_value_set_string (value, bs_colormap_to_string (self->colormap));
      break;

    case PROP_COLOR_RANGE:
      g_value_set_string (value, self->data_range ? "data" : "fixed");
      break;

    case PROP_SHOW_BOUNDARIES:
      g_value_set_boolean (value, self->show_boundaries);
      break;

    case PROP_HAS_SNAPSHOT:
      g_value_set_boolean (value, get_snapshot (self) != NULL);
      break;

    case PROP_MEASURE:
      g_value_set_string (value, bs_cka_measure_to_string (self->measure));
      break;

    case PROP_HAS_PC1:
      g_value_set_boolean (value, self->source != NULL && bs_cka_snapshot_has_pc1 (self->source));
      break;

    case PROP_SHOW_BLOCKS:
      g_value_set_boolean (value, self->show_blocks);
      break;

    case PROP_BLOCK_THRESHOLD:
      g_value_set_double (value, self->block_threshold);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_heatmap_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  BsHeatmap *self = BS_HEATMAP (object);
  const char *name;

  switch (prop_id)
    {
    case PROP_COLORMAP_NAME:
      {
        BsColormap map;

        /* A name from a newer settings schema or a typo: say so, and keep
         * what is shown rather than jump to another map. */
        name = g_value_get_string (value);
        if (bs_colormap_from_string (name, &map))
          bs_heatmap_set_colormap (self, map);
        else
          g_warning ("Unknown colour map “%s”: keeping %s", name ? name : "(null)",
                     bs_colormap_to_string (self->colormap));
      }
      break;

    case PROP_COLOR_RANGE:
      name = g_value_get_string (value);
      if (g_strcmp0 (name, "data") == 0 || g_strcmp0 (name, "fixed") == 0)
        bs_heatmap_set_data_range (self, g_strcmp0 (name, "data") == 0);
      else
        g_warning ("Unknown colour range “%s” (“fixed” or “data”): keeping %s",
                   name ? name : "(null)", self->data_range ? "data" : "fixed");
      break;

    case PROP_MEASURE:
      {
        BsCkaMeasure measure;

        name = g_value_get_string (value);
        if (bs_cka_measure_from_string (name, &measure))
          bs_heatmap_set_measure (self, measure);
        else
          g_warning ("Unknown measure “%s”: keeping %s", name ? name : "(null)",
                     bs_cka_measure_to_string (self->measure));
      }
      break;

    case PROP_SHOW_BOUNDARIES:
      if (self->show_boundaries != g_value_get_boolean (value))
        {
          self->show_boundaries = g_value_get_boolean (value);
          invalidate_figure (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_SHOW_BLOCKS:
      if (self->show_blocks != g_value_get_boolean (value))
        {
          self->show_blocks = g_value_get_boolean (value);
          gtk_widget_queue_draw (GTK_WIDGET (self));
          _bs_heatmap_a11y_update (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    case PROP_BLOCK_THRESHOLD:
      if (self->block_threshold != g_value_get_double (value))
        {
          self->block_threshold = g_value_get_double (value);
          update_blocks (self);
          g_object_notify_by_pspec (object, pspec);
        }
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_heatmap_dispose (GObject *object)
{
  BsHeatmap *self = BS_HEATMAP (object);

  g_clear_pointer (&self->gl_view, gtk_widget_unparent);
  g_clear_pointer (&self->hover_label, gtk_widget_unparent);
  g_clear_pointer (&self->zoom_box, gtk_widget_unparent);
  g_clear_pointer (&self->figure_node, gsk_render_node_unref);

  G_OBJECT_CLASS (bs_heatmap_parent_class)->dispose (object);
}

static void
bs_heatmap_finalize (GObject *object)
{
  BsHeatmap *self = BS_HEATMAP (object);

  g_clear_pointer (&self->matrix, bs_heatmap_matrix_free);
  g_clear_pointer (&self->source, bs_cka_snapshot_unref);
  g_clear_pointer (&self->cells, bs_heatmap_cells_free);
  g_clear_pointer (&self->figure_font, pango_font_description_free);
  g_clear_pointer (&self->figure_font_options, cairo_font_options_destroy);
  g_free (self->model_a_name);
  g_free (self->model_b_name);
  g_free (self->gl_problem);
  _bs_heatmap_blocks_free (self);
  _bs_heatmap_a11y_free (self);

  G_OBJECT_CLASS (bs_heatmap_parent_class)->finalize (object);
}

static void
bs_heatmap_class_init (BsHeatmapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_heatmap_dispose;
  object_class->finalize = bs_heatmap_finalize;
  object_class->get_property = bs_heatmap_get_property;
  object_class->set_property = bs_heatmap_set_property;

  widget_class->measure = bs_heatmap_measure;
  widget_class->size_allocate = bs_heatmap_size_allocate;
  widget_class->snapshot = bs_heatmap_snapshot;

  /* Unknown names are refused with a warning (see set_property). */
  properties[PROP_COLORMAP_NAME] =
    g_param_spec_string ("colormap", NULL, NULL, "magma",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_COLOR_RANGE] =
    g_param_spec_string ("color-range", NULL, NULL, "fixed",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_BOUNDARIES] =
    g_param_spec_boolean ("show-boundaries", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether there is a result to show (and to export). */
  properties[PROP_HAS_SNAPSHOT] =
    g_param_spec_boolean ("has-snapshot", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* "cka", "cka-without-pc1" or "pc1-alignment" (bs_cka_measure_to_string ()). */
  properties[PROP_MEASURE] =
    g_param_spec_string ("measure", NULL, NULL, "cka",
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Whether the snapshot carries the PC1 analysis (its other measures and the shares). */
  properties[PROP_HAS_PC1] =
    g_param_spec_boolean ("has-pc1", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Outline the detected blocks (a network against itself only). */
  properties[PROP_SHOW_BLOCKS] =
    g_param_spec_boolean ("show-blocks", NULL, NULL, TRUE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The detection's threshold t (bs-blocks.h). */
  properties[PROP_BLOCK_THRESHOLD] =
    g_param_spec_double ("block-threshold", NULL, NULL, 0.0, 1.0, BS_BLOCKS_DEFAULT_THRESHOLD,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SELECTION_CHANGED] =
    g_signal_new ("selection-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  /* The detected blocks (bs_heatmap_get_blocks ()) or their statistics changed. */
  signals[BLOCKS_CHANGED] =
    g_signal_new ("blocks-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);

  _bs_heatmap_input_class_init (widget_class);

  _bs_heatmap_a11y_class_init (widget_class);

  gtk_widget_class_set_css_name (widget_class, "heatmap");
}

static GtkWidget *
make_zoom_button (const char *icon,
                  const char *action,
                  const char *tooltip)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_widget_set_tooltip_text (button, tooltip);
  /* Tab reaches them; a click leaves the focus (and the keys) on the map. */
  gtk_widget_set_focus_on_click (button, FALSE);

  return button;
}

static void
bs_heatmap_init (BsHeatmap *self)
{
  self->matrix = bs_heatmap_matrix_new ();
  self->cells = bs_heatmap_cells_new ();
  self->colormap = BS_COLORMAP_MAGMA;
  self->show_boundaries = TRUE;
  self->show_blocks = TRUE;
  self->block_threshold = BS_BLOCKS_DEFAULT_THRESHOLD;
  self->gl_ok = TRUE;
  self->figure_stale = TRUE;
  bs_heatmap_view_init (&self->view, 0, 0, 1, 1);
  bs_figure_layout_init (&self->layout, 1, 1, 1.0, FALSE);

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  /* BLOCKSCOPE_NO_GL=1 forces the cairo drawing (for broken drivers, and tests). */
  if (g_strcmp0 (g_getenv ("BLOCKSCOPE_NO_GL"), "1") == 0)
    {
      self->gl_ok = FALSE;
      self->gl_problem = g_strdup (_("OpenGL switched off (BLOCKSCOPE_NO_GL=1): drawn without it."));
    }
  else
    {
      self->gl_view = bs_heatmap_gl_new (self->matrix, &self->view);
      g_signal_connect (self->gl_view, "failed", G_CALLBACK (on_gl_failed), self);
      gtk_widget_set_parent (self->gl_view, GTK_WIDGET (self));
    }

  self->zoom_box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  gtk_widget_add_css_class (self->zoom_box, "linked");
  gtk_widget_add_css_class (self->zoom_box, "heatmap-zoom");
  gtk_box_append (GTK_BOX (self->zoom_box), make_zoom_button ("zoom-out-symbolic", "heatmap.zoom-out", _("Zoom Out (−)")));
  gtk_box_append (GTK_BOX (self->zoom_box), make_zoom_button ("zoom-fit-best-symbolic", "heatmap.reset-view", _("Show Everything (0)")));
  gtk_box_append (GTK_BOX (self->zoom_box), make_zoom_button ("zoom-in-symbolic", "heatmap.zoom-in", _("Zoom In (+)")));
  gtk_widget_set_parent (self->zoom_box, GTK_WIDGET (self));

  self->hover_label = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->hover_label, "heatmap-hover");
  gtk_widget_set_can_target (self->hover_label, FALSE);
  gtk_widget_set_visible (self->hover_label, FALSE);
  gtk_label_set_xalign (GTK_LABEL (self->hover_label), 0);
  gtk_widget_set_parent (self->hover_label, GTK_WIDGET (self));

  _bs_heatmap_input_init (self);
  _bs_heatmap_a11y_init (self);

  /* Read in every snapshot; switching high contrast need not change this
   * widget's own style, so GTK would not redraw it. */
  bs_figure_palette_init_paper (&self->palette);
  bs_theme_palette_watch (GTK_WIDGET (self), gtk_widget_queue_draw);
}

GtkWidget *
bs_heatmap_new (void)
{
  return g_object_new (BS_TYPE_HEATMAP, NULL);
}
