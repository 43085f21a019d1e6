/* bs-heatmap-figure-node.c: the heatmap's figure as render nodes, kept
 * between frames.
 *
 * The figure renderer (bs-heatmap-figure.h) draws the axes, the colour
 * bar, the PC1 strips' name and, without OpenGL, the cells into one
 * texture per area (plot, each axis, colour bar, the name), so that none
 * is much larger than what it shows; over OpenGL cells the stage lines
 * and the frame become colour nodes from the renderer's own rectangles,
 * sparing a plot-sized texture that would be almost empty. The node is rebuilt only when something it shows changed
 * (view, size, colours, the theme's palette, values, font), not for a
 * hover or a selection.
 *
 * Textures rather than cairo nodes: GTK 4.8's GL renderer caches a cairo
 * node's pixels by the node's address, and a node kept across frames came
 * back with another node's pixels after an offscreen render; a texture's
 * upload lives as long as the texture. */
#include "bs-config.h"

#include "bs-heatmap-private.h"
#include "bs-heatmap-figure.h"

#include <math.h>
#include <pango/pangocairo.h>

#define MEASURE_REACH 80   /* logical pixels left of the colour bar's area */

static void
fill_figure (BsHeatmap             *self,
             BsHeatmapFigure       *figure,
             const BsFigurePalette *palette)
{
  PangoContext *pango = gtk_widget_get_pango_context (GTK_WIDGET (self));
  BsCkaSnapshot *snapshot = bs_heatmap_get_shown_snapshot (self);
  BsFigureRect strip;

  bs_heatmap_figure_init (figure, self->matrix, self->layout.width, self->layout.height);
  figure->layout = self->layout;
  figure->view = &self->view;
  figure->cells_image = self->gl_ok ? NULL : bs_heatmap_cells_get_surface (self->cells);
  figure->rows = bs_cka_snapshot_get_rows (snapshot);
  figure->cols = bs_cka_snapshot_get_cols (snapshot);
  figure->model_a = self->model_a_name;
  figure->model_b = self->model_b_name;
  figure->measure = bs_cka_snapshot_get_label (snapshot);
  figure->colormap = self->colormap;
  _bs_heatmap_get_range (self, &figure->lo, &figure->hi);
  figure->palette = *palette;
  figure->font = pango_context_get_font_description (pango);
  figure->font_options = pango_cairo_context_get_font_options (pango);
  /* Lines on device pixels, over the GL cells too, and cells summarised
   * at device resolution. */
  figure->device_scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));

  figure->parts = BS_HEATMAP_FIGURE_DECORATIONS;
  if (!self->show_boundaries)
    figure->parts &= ~BS_HEATMAP_FIGURE_STAGE_LINES;
  /* With OpenGL the GL view has drawn the cells already. */
  if (!self->gl_ok)
    figure->parts |= BS_HEATMAP_FIGURE_CELLS;
  /* The strips are colour nodes of their own (bs-heatmap-pc1-strips.c);
   * their name is text, as in figures. */
  if (_bs_heatmap_pc1_strips_get_rect (self, BS_FIGURE_AXIS_COLS, &strip))
    figure->parts |= BS_HEATMAP_FIGURE_PC1_LABEL;
}

/* Draws part into an image at the widget's scale and returns it as a
 * texture; bounds is where it goes, in whole logical pixels. */
static GdkTexture *
draw_part (BsHeatmapFigure      *figure,
           BsHeatmapFigureParts  part,
           int                   scale,
           graphene_rect_t      *bounds)
{
  cairo_surface_t *surface;
  GBytes *bytes;
  GdkTexture *texture;
  BsFigureRect b;
  double x0, y0, x1, y1;
  cairo_t *cr;

  bs_heatmap_figure_get_part_bounds (figure, part, &b);
  /* The measure's name is centred over the colour bar, and "CKA without
   * PC1" is wider than the bar and its gap: room for it to the left (the
   * renderer's bounds only reach the plot's edge). */
  if (part == BS_HEATMAP_FIGURE_COLORBAR)
    {
      double reach = MIN (MEASURE_REACH, b.x);

      b.x -= reach;
      b.width += reach;
    }
  x0 = floor (b.x);
  y0 = floor (b.y);
  x1 = ceil (b.x + b.width);
  y1 = ceil (b.y + b.height);
  if (x1 <= x0 || y1 <= y0)
    return NULL;

  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, (int) (x1 - x0) * scale, (int) (y1 - y0) * scale);
  cairo_surface_set_device_scale (surface, scale, scale);
  cr = cairo_create (surface);
  cairo_translate (cr, -x0, -y0);
  figure->parts = part;
  bs_heatmap_figure_draw (figure, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);

  /* The texture keeps the surface's pixels: no copy. */
  bytes = g_bytes_new_with_free_func (cairo_image_surface_get_data (surface),
                                      (gsize) cairo_image_surface_get_stride (surface) *
                                      cairo_image_surface_get_height (surface),
                                      (GDestroyNotify) cairo_surface_destroy, surface);
  texture = gdk_memory_texture_new (cairo_image_surface_get_width (surface), cairo_image_surface_get_height (surface),
                                    GDK_MEMORY_DEFAULT, bytes, cairo_image_surface_get_stride (surface));
  g_bytes_unref (bytes);
  graphene_rect_init (bounds, (float) x0, (float) y0, (float) (x1 - x0), (float) (y1 - y0));

  return texture;
}

static GskRenderNode *
build_figure_node (BsHeatmap             *self,
                   const BsFigurePalette *palette)
{
  static const BsHeatmapFigureParts areas[] = {
    BS_HEATMAP_FIGURE_CELLS | BS_HEATMAP_FIGURE_STAGE_LINES | BS_HEATMAP_FIGURE_FRAME,
    BS_HEATMAP_FIGURE_ROW_AXIS,
    BS_HEATMAP_FIGURE_COL_AXIS,
    BS_HEATMAP_FIGURE_COLORBAR,
    BS_HEATMAP_FIGURE_TITLE,
    BS_HEATMAP_FIGURE_PC1_LABEL,
  };
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  BsHeatmapFigure figure;
  BsHeatmapFigureParts wanted;

  fill_figure (self, &figure, palette);
  wanted = figure.parts;

  if ((wanted & BS_HEATMAP_FIGURE_CELLS) == 0)
    {
      g_autoptr(GArray) marks = bs_heatmap_figure_get_marks (&figure, wanted);

      for (guint i = 0; i < marks->len; i++)
        {
          const BsFigureMark *m = &g_array_index (marks, BsFigureMark, i);
          GdkRGBA color = { m->color.red, m->color.green, m->color.blue, m->color.alpha };

          gtk_snapshot_append_color (snapshot, &color,
                                     &GRAPHENE_RECT_INIT ((float) m->rect.x, (float) m->rect.y,
                                                          (float) m->rect.width, (float) m->rect.height));
        }
      wanted &= ~(BS_HEATMAP_FIGURE_STAGE_LINES | BS_HEATMAP_FIGURE_FRAME);
    }

  for (guint i = 0; i < G_N_ELEMENTS (areas); i++)
    {
      g_autoptr(GdkTexture) texture = NULL;
      graphene_rect_t bounds;

      if ((wanted & areas[i]) == 0)
        continue;
      texture = draw_part (&figure, wanted & areas[i], scale, &bounds);
      if (texture != NULL)
        gtk_snapshot_append_texture (snapshot, texture, &bounds);
    }

  return gtk_snapshot_free_to_node (snapshot);
}

static gboolean
same_view (const BsHeatmapView *a,
           const BsHeatmapView *b)
{
  return a->n_rows == b->n_rows && a->n_cols == b->n_cols && a->width == b->width &&
         a->height == b->height && a->zoom == b->zoom && a->center_u == b->center_u &&
         a->center_v == b->center_v;
}

GskRenderNode *
_bs_heatmap_get_figure_node (BsHeatmap             *self,
                             const BsFigurePalette *palette)
{
  PangoContext *pango = gtk_widget_get_pango_context (GTK_WIDGET (self));
  const PangoFontDescription *font = pango_context_get_font_description (pango);
  const cairo_font_options_t *options = pango_cairo_context_get_font_options (pango);
  double lo, hi;

  _bs_heatmap_get_range (self, &lo, &hi);
  if (self->figure_node != NULL && !self->figure_stale &&
      same_view (&self->figure_view, &self->view) &&
      self->figure_layout.width == self->layout.width && self->figure_layout.height == self->layout.height &&
      bs_figure_palette_equal (&self->figure_palette, palette) && self->figure_lo == lo && self->figure_hi == hi &&
      self->figure_scale == gtk_widget_get_scale_factor (GTK_WIDGET (self)) &&
      self->figure_font != NULL && pango_font_description_equal (self->figure_font, font) &&
      (options == NULL) == (self->figure_font_options == NULL) &&
      (options == NULL || cairo_font_options_equal (options, self->figure_font_options)))
    return self->figure_node;

  g_clear_pointer (&self->figure_node, gsk_render_node_unref);
  self->figure_node = build_figure_node (self, palette);
  self->figure_stale = FALSE;
  self->figure_view = self->view;
  self->figure_layout = self->layout;
  self->figure_palette = *palette;
  self->figure_lo = lo;
  self->figure_hi = hi;
  self->figure_scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  g_clear_pointer (&self->figure_font, pango_font_description_free);
  self->figure_font = pango_font_description_copy (font);
  g_clear_pointer (&self->figure_font_options, cairo_font_options_destroy);
  self->figure_font_options = options != NULL ? cairo_font_options_copy (options) : NULL;

  return self->figure_node;
}
