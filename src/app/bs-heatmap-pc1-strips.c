/* bs-heatmap-pc1-strips.c: each layer's PC1 share beside the heatmap.
 *
 * When the snapshot carries the PC1 analysis (bs-cka-pc1.h), every layer's
 * PC1 share (lambda_1 / trace of its centred Gram, in [0, 1]) is a cell of
 * a thin strip in the heatmap's colour map over [0, 1], whatever range the
 * cells use: above the plot for model B's columns, right of it for model
 * A's rows, aligned with the cells through the view's zoom and pan. The
 * other sides hold the axes with their stage bands and block strips, drawn
 * by the figure renderer of src/core/figure, whose layout has no room for
 * more; above and right of the plot the margins are free (the colour bar
 * keeps its gap). The strips are colour nodes drawn after the cells, so
 * the OpenGL and the cairo paths show the same pixels; edges snap to
 * device pixels like the cells'. Where several layers share a device
 * pixel, the last drawn (the deepest) shows. Hovering a strip names the
 * layer and its share with the standard error (bs-heatmap-input.c). */
#include "bs-config.h"

#include "bs-heatmap-private.h"
#include "bs-theme-palette.h"

#include <math.h>

#define PC1_STRIP_GAP    4   /* between the plot and a strip */
#define PC1_STRIP_WIDTH  6

gboolean
_bs_heatmap_pc1_strips_get_rect (BsHeatmap    *self,
                                 BsFigureAxis  axis,
                                 BsFigureRect *rect)
{
  const BsFigureRect *p = &self->layout.plot;

  if (self->source == NULL || !bs_cka_snapshot_has_pc1 (self->source) || p->width < 1)
    return FALSE;

  if (axis == BS_FIGURE_AXIS_COLS)
    *rect = (BsFigureRect) { p->x, p->y - PC1_STRIP_GAP - PC1_STRIP_WIDTH, p->width, PC1_STRIP_WIDTH };
  else
    *rect = (BsFigureRect) { p->x + p->width + PC1_STRIP_GAP, p->y, PC1_STRIP_WIDTH, p->height };
  return TRUE;
}

/* Layer i's part of the strip along axis, in widget coordinates snapped to
 * device pixels and cut to the plot's extent; FALSE when out of view. */
static gboolean
layer_span (BsHeatmap    *self,
            BsFigureAxis  axis,
            guint         i,
            double       *start,
            double       *end)
{
  const BsFigureRect *p = &self->layout.plot;
  double scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  double x, y, w, h, lo, hi, origin, length;

  if (axis == BS_FIGURE_AXIS_COLS)
    {
      bs_heatmap_view_cell_to_rect (&self->view, 0, i, &x, &y, &w, &h);
      lo = x;
      hi = x + w;
      origin = p->x;
      length = p->width;
    }
  else
    {
      bs_heatmap_view_cell_to_rect (&self->view, i, 0, &x, &y, &w, &h);
      lo = y;
      hi = y + h;
      origin = p->y;
      length = p->height;
    }
  lo = MAX (lo, 0);
  hi = MIN (hi, length);
  if (hi <= lo)
    return FALSE;
  *start = round ((origin + lo) * scale) / scale;
  *end = round ((origin + hi) * scale) / scale;
  return *end > *start;
}

static double
layer_share (BsCkaSnapshot *snapshot,
             BsFigureAxis   axis,
             guint          i,
             double        *std_error)
{
  return axis == BS_FIGURE_AXIS_COLS ? bs_cka_snapshot_get_col_pc1_share (snapshot, i, std_error)
                                     : bs_cka_snapshot_get_row_pc1_share (snapshot, i, std_error);
}

void
_bs_heatmap_pc1_strips_snapshot (BsHeatmap   *self,
                                 GtkSnapshot *snapshot)
{
  static const BsFigureAxis axes[] = { BS_FIGURE_AXIS_COLS, BS_FIGURE_AXIS_ROWS };

  for (guint a = 0; a < G_N_ELEMENTS (axes); a++)
    {
      BsFigureAxis axis = axes[a];
      guint n = axis == BS_FIGURE_AXIS_COLS ? bs_cka_snapshot_get_n_cols (self->source)
                                            : bs_cka_snapshot_get_n_rows (self->source);
      BsFigureRect strip;

      if (!_bs_heatmap_pc1_strips_get_rect (self, axis, &strip))
        return;

      for (guint i = 0; i < n; i++)
        {
          double start, end;
          guint8 rgb[3];
          GdkRGBA color;
          graphene_rect_t r;

          if (!layer_span (self, axis, i, &start, &end))
            continue;
          bs_colormap_lookup (self->colormap, layer_share (self->source, axis, i, NULL), 0, 1, rgb);
          color = (GdkRGBA) { rgb[0] / 255.f, rgb[1] / 255.f, rgb[2] / 255.f, 1.f };
          if (axis == BS_FIGURE_AXIS_COLS)
            r = GRAPHENE_RECT_INIT ((float) start, (float) strip.y, (float) (end - start), (float) strip.height);
          else
            r = GRAPHENE_RECT_INIT ((float) strip.x, (float) start, (float) strip.width, (float) (end - start));
          gtk_snapshot_append_color (snapshot, &color, &r);
        }
    }
}

gboolean
_bs_heatmap_pc1_strips_pick (BsHeatmap    *self,
                             double        x,
                             double        y,
                             BsFigureAxis *axis,
                             guint        *layer)
{
  static const BsFigureAxis axes[] = { BS_FIGURE_AXIS_COLS, BS_FIGURE_AXIS_ROWS };

  for (guint a = 0; a < G_N_ELEMENTS (axes); a++)
    {
      BsFigureRect strip;
      guint n;
      double along;

      if (!_bs_heatmap_pc1_strips_get_rect (self, axes[a], &strip))
        return FALSE;
      if (x < strip.x || x >= strip.x + strip.width || y < strip.y || y >= strip.y + strip.height)
        continue;

      n = axes[a] == BS_FIGURE_AXIS_COLS ? bs_cka_snapshot_get_n_cols (self->source)
                                         : bs_cka_snapshot_get_n_rows (self->source);
      along = axes[a] == BS_FIGURE_AXIS_COLS ? x : y;
      for (guint i = n; i-- > 0;)
        {
          double start, end;

          if (layer_span (self, axes[a], i, &start, &end) && along >= start && along < end)
            {
              *axis = axes[a];
              *layer = i;
              return TRUE;
            }
        }
    }
  return FALSE;
}
