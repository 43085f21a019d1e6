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
 * axes: a ring in the palette's block_outline colour (orange) between a
 * dark ring outside and a light one inside, so that one of them stands out
 * on every colour map, in dark and high-contrast themes alike. The rings
 * come from src/core/figure/bs-figure-analyses.h, which draws them in
 * figures for papers too; here they are colour nodes on device pixels,
 * drawn over the cells after the figure, so the OpenGL and the cairo paths
 * show the same pixels. */
#include "bs-config.h"

#include "bs-heatmap-private.h"
#include "bs-figure-analyses.h"

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
  BsFigureRect r;

  bs_figure_get_block_rect (&self->layout, &self->view, block, gtk_widget_get_scale_factor (GTK_WIDGET (self)), &r);
  *x = r.x;
  *y = r.y;
  *w = r.width;
  *h = r.height;
}

void
_bs_heatmap_blocks_snapshot (BsHeatmap   *self,
                             GtkSnapshot *snapshot)
{
  g_autoptr(GArray) marks = NULL;
  double scale;

  if (!self->show_blocks || self->blocks == NULL || self->blocks->len == 0)
    return;

  marks = g_array_new (FALSE, FALSE, sizeof (BsFigureMark));
  scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  /* A ring of two logical pixels between rings of one device pixel. */
  bs_figure_add_block_marks (marks, &self->layout, &self->view, (const BsBlock *) self->blocks->data,
                             self->blocks->len, &self->palette, BLOCK_LINE_WIDTH, 1 / scale, scale);
  for (guint i = 0; i < marks->len; i++)
    {
      const BsFigureMark *m = &g_array_index (marks, BsFigureMark, i);
      GdkRGBA color = { m->color.red, m->color.green, m->color.blue, m->color.alpha };

      gtk_snapshot_append_color (snapshot, &color,
                                 &GRAPHENE_RECT_INIT ((float) m->rect.x, (float) m->rect.y,
                                                      (float) m->rect.width, (float) m->rect.height));
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
