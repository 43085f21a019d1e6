/* bs-heatmap-blocks.c: the detected blocks, outlined on the diagonal.
 *
 * For a network against itself (model A is model B, a square matrix), the
 * block structure detection of src/core/analysis/bs-blocks.h runs on the
 * shown matrix whenever it changes (every snapshot of a running job, a new
 * measure, a new threshold): it is O(L^2), a fraction of a millisecond for
 * a ResNet's few hundred layers, much less than drawing a snapshot, so it
 * needs no throttle (the time is kept for the tests and the report). Cells
 * not computed yet are NaN, and bs_blocks_find leaves them out.
 *
 * Each block is drawn as a square from its first to its last layer on both
 * axes: a ring in the palette's second series colour (orange) between a
 * dark ring outside and a light one inside, so that one of them stands out
 * on every colour map, in dark and high-contrast themes alike. The rings
 * are GtkSnapshot borders on device pixels, drawn over the cells after the
 * figure, so the OpenGL and the cairo paths show the same pixels. */
#include "bs-config.h"

#include "bs-heatmap-private.h"
#include "bs-theme-palette.h"

#include <math.h>

#define BLOCK_LINE_WIDTH 2

static gboolean
is_self_comparison (BsCkaSnapshot *shown)
{
  return shown != NULL &&
         bs_cka_snapshot_get_n_rows (shown) == bs_cka_snapshot_get_n_cols (shown) &&
         g_strcmp0 (bs_cka_snapshot_get_model_a (shown), bs_cka_snapshot_get_model_b (shown)) == 0;
}

static gboolean
same_blocks (GArray *a,
             GArray *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  if (a->len != b->len)
    return FALSE;
  for (guint i = 0; i < a->len; i++)
    {
      const BsBlock *x = &g_array_index (a, BsBlock, i);
      const BsBlock *y = &g_array_index (b, BsBlock, i);

      /* The statistics change with every minibatch; what is drawn and
       * listed changes with them, so compare all. */
      if (x->first != y->first || x->last != y->last ||
          x->mean_inside != y->mean_inside || x->mean_rest != y->mean_rest)
        return FALSE;
    }
  return TRUE;
}

gboolean
_bs_heatmap_blocks_update (BsHeatmap *self)
{
  BsCkaSnapshot *shown = bs_heatmap_matrix_get_snapshot (self->matrix);
  g_autoptr(GArray) found = NULL;
  gboolean changed;

  if (is_self_comparison (shown))
    {
      BsBlocksOptions options;
      g_autoptr(GError) error = NULL;
      gint64 start = g_get_monotonic_time ();

      bs_blocks_options_init (&options);
      options.threshold = self->block_threshold;
      found = bs_blocks_find (bs_cka_snapshot_get_values (shown),
                              bs_cka_snapshot_get_n_rows (shown),
                              bs_cka_snapshot_get_n_cols (shown),
                              &options, &error);
      self->blocks_time_us = g_get_monotonic_time () - start;
      if (found == NULL)
        g_warning ("Block detection failed: %s", error->message);
    }

  changed = !same_blocks (self->blocks, found);
  g_clear_pointer (&self->blocks, g_array_unref);
  self->blocks = g_steal_pointer (&found);
  if (changed)
    gtk_widget_queue_draw (GTK_WIDGET (self));
  return changed;
}

/* Block b's square in widget coordinates, snapped to device pixels. */
static void
block_rect (BsHeatmap     *self,
            const BsBlock *block,
            double        *x,
            double        *y,
            double        *w,
            double        *h)
{
  double scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  double fx, fy, fw, fh, lx, ly, lw, lh, x0, y0, x1, y1;

  /* Layer 0 is at the bottom: the first layer's cell is bottom-left. */
  bs_heatmap_view_cell_to_rect (&self->view, block->first, block->first, &fx, &fy, &fw, &fh);
  bs_heatmap_view_cell_to_rect (&self->view, block->last, block->last, &lx, &ly, &lw, &lh);
  x0 = MIN (fx, lx) + self->layout.plot.x;
  y0 = MIN (fy, ly) + self->layout.plot.y;
  x1 = MAX (fx + fw, lx + lw) + self->layout.plot.x;
  y1 = MAX (fy + fh, ly + lh) + self->layout.plot.y;
  *x = round (x0 * scale) / scale;
  *y = round (y0 * scale) / scale;
  *w = round (x1 * scale) / scale - *x;
  *h = round (y1 * scale) / scale - *y;
}

static void
stroke (GtkSnapshot   *snapshot,
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

  if (w <= 0 || h <= 0)
    return;
  gsk_rounded_rect_init_from_rect (&outline, &GRAPHENE_RECT_INIT ((float) x, (float) y, (float) w, (float) h), 0);
  gtk_snapshot_append_border (snapshot, &outline, widths, colors);
}

void
_bs_heatmap_blocks_snapshot (BsHeatmap   *self,
                             GtkSnapshot *snapshot)
{
  GdkRGBA ring, dark, light;
  double scale, line;

  if (!self->show_blocks || self->blocks == NULL || self->blocks->len == 0)
    return;

  ring = bs_theme_palette_rgba (&self->palette.series[1]);
  ring.alpha = 1.f;
  dark = bs_theme_palette_rgba (&self->palette.outline_dark);
  light = bs_theme_palette_rgba (&self->palette.outline_light);
  scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  line = MAX (round (BLOCK_LINE_WIDTH * scale), 1.0) / scale;

  for (guint i = 0; i < self->blocks->len; i++)
    {
      double x, y, w, h;

      block_rect (self, &g_array_index (self->blocks, BsBlock, i), &x, &y, &w, &h);
      stroke (snapshot, &dark, x - 1 / scale, y - 1 / scale, w + 2 / scale, h + 2 / scale, (float) (1 / scale));
      stroke (snapshot, &ring, x, y, w, h, (float) line);
      stroke (snapshot, &light, x + line, y + line, w - 2 * line, h - 2 * line, (float) (1 / scale));
    }
}

void
_bs_heatmap_blocks_free (BsHeatmap *self)
{
  g_clear_pointer (&self->blocks, g_array_unref);
}

GArray *
bs_heatmap_get_blocks (BsHeatmap *self)
{
  g_return_val_if_fail (BS_IS_HEATMAP (self), NULL);

  return self->blocks;
}

void
bs_heatmap_show_block (BsHeatmap *self,
                       guint      index)
{
  const BsBlock *block;
  const BsFigureRect *p;
  double x, y, w, h, zoom;
  guint n;

  g_return_if_fail (BS_IS_HEATMAP (self));

  if (self->blocks == NULL || index >= self->blocks->len)
    return;

  block = &g_array_index (self->blocks, BsBlock, index);
  p = &self->layout.plot;
  n = _bs_heatmap_get_n_rows (self);

  /* The block fills about 80 % of the plot, in its middle. */
  bs_heatmap_view_reset (&self->view);
  zoom = MIN (0.8 * n / block->size, bs_heatmap_view_get_max_zoom (&self->view));
  zoom = MAX (zoom, 1.0);
  block_rect (self, block, &x, &y, &w, &h);
  bs_heatmap_view_set_zoom_at (&self->view, zoom, x + w / 2 - p->x, y + h / 2 - p->y);
  block_rect (self, block, &x, &y, &w, &h);
  bs_heatmap_view_pan (&self->view, p->x + p->width / 2 - (x + w / 2), p->y + p->height / 2 - (y + h / 2));
  _bs_heatmap_view_changed (self);

  /* The cell of its first and last layer: how alike the block's ends are. */
  bs_heatmap_select (self, block->last, block->first);
}
