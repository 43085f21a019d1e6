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
#include "bs-figure-analyses.h"

gboolean
_bs_heatmap_pc1_strips_get_rect (BsHeatmap    *self,
                                 BsFigureAxis  axis,
                                 BsFigureRect *rect)
{
  if (self->source == NULL || !bs_cka_snapshot_has_pc1 (self->source) || self->layout.plot.width < 1)
    return FALSE;

  *rect = axis == BS_FIGURE_AXIS_COLS ? self->layout.col_pc1 : self->layout.row_pc1;
  return TRUE;
}

static guint
n_layers (BsHeatmap    *self,
          BsFigureAxis  axis)
{
  return axis == BS_FIGURE_AXIS_COLS ? bs_cka_snapshot_get_n_cols (self->source)
                                     : bs_cka_snapshot_get_n_rows (self->source);
}

void
_bs_heatmap_pc1_strips_snapshot (BsHeatmap   *self,
                                 GtkSnapshot *snapshot)
{
  static const BsFigureAxis axes[] = { BS_FIGURE_AXIS_COLS, BS_FIGURE_AXIS_ROWS };
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (BsFigureMark));
  double scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  BsFigureRect strip;

  if (!_bs_heatmap_pc1_strips_get_rect (self, BS_FIGURE_AXIS_COLS, &strip))
    return;

  for (guint a = 0; a < G_N_ELEMENTS (axes); a++)
    {
      guint n = n_layers (self, axes[a]);
      g_autofree double *shares = g_new (double, MAX (n, 1));

      for (guint i = 0; i < n; i++)
        shares[i] = axes[a] == BS_FIGURE_AXIS_COLS ? bs_cka_snapshot_get_col_pc1_share (self->source, i, NULL)
                                                   : bs_cka_snapshot_get_row_pc1_share (self->source, i, NULL);
      bs_figure_add_pc1_strip_marks (marks, &self->layout, &self->view, axes[a], shares, n, self->colormap, scale);
    }

  for (guint i = 0; i < marks->len; i++)
    {
      const BsFigureMark *m = &g_array_index (marks, BsFigureMark, i);
      GdkRGBA color = { m->color.red, m->color.green, m->color.blue, m->color.alpha };

      gtk_snapshot_append_color (snapshot, &color,
                                 &GRAPHENE_RECT_INIT ((float) m->rect.x, (float) m->rect.y,
                                                      (float) m->rect.width, (float) m->rect.height));
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
  double scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  BsFigureRect strip;

  if (!_bs_heatmap_pc1_strips_get_rect (self, BS_FIGURE_AXIS_COLS, &strip))
    return FALSE;

  for (guint a = 0; a < G_N_ELEMENTS (axes); a++)
    if (bs_figure_pick_pc1_strip (&self->layout, &self->view, axes[a], n_layers (self, axes[a]), scale, x, y, layer))
      {
        *axis = axes[a];
        return TRUE;
      }
  return FALSE;
}
