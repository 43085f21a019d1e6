/* bs-figure-analyses.c: PC1 share strips and block outlines as marks (see
 * the header). */
#include "bs-figure-analyses.h"

#include <math.h>

static double
snap (double x,
      double scale)
{
  return round (x * scale) / scale;
}

/* A length of at least one whole pixel. */
static double
pixels (double length,
        double scale)
{
  return MAX (round (length * scale), 1.0) / scale;
}

static void
add_mark (GArray              *marks,
          const BsFigureRect  *rect,
          const BsFigureColor *color)
{
  BsFigureMark mark = { *rect, *color };

  if (rect->width > 0 && rect->height > 0)
    g_array_append_val (marks, mark);
}

static gboolean
intersect (const BsFigureRect *a,
           const BsFigureRect *b,
           BsFigureRect       *out)
{
  double x0 = MAX (a->x, b->x), y0 = MAX (a->y, b->y);
  double x1 = MIN (a->x + a->width, b->x + b->width), y1 = MIN (a->y + a->height, b->y + b->height);

  *out = (BsFigureRect) { x0, y0, x1 - x0, y1 - y0 };
  return x1 > x0 && y1 > y0;
}

/* ---------------------------------------------------------------- PC1 strips */

/* Layer i's part of the strip along axis, snapped to pixels and cut to the
 * plot's extent; FALSE when out of view. */
static gboolean
layer_span (const BsFigureLayout *layout,
            const BsHeatmapView  *view,
            BsFigureAxis          axis,
            guint                 i,
            double                scale,
            double               *start,
            double               *end)
{
  const BsFigureRect *p = &layout->plot;
  double x, y, w, h, lo, hi, origin, length;

  if (axis == BS_FIGURE_AXIS_COLS)
    {
      bs_heatmap_view_cell_to_rect (view, 0, i, &x, &y, &w, &h);
      lo = x;
      hi = x + w;
      origin = p->x;
      length = p->width;
    }
  else
    {
      bs_heatmap_view_cell_to_rect (view, i, 0, &x, &y, &w, &h);
      lo = y;
      hi = y + h;
      origin = p->y;
      length = p->height;
    }
  lo = MAX (lo, 0);
  hi = MIN (hi, length);
  if (hi <= lo)
    return FALSE;
  *start = snap (origin + lo, scale);
  *end = snap (origin + hi, scale);
  return *end > *start;
}

static const BsFigureRect *
strip_rect (const BsFigureLayout *layout,
            BsFigureAxis          axis)
{
  return axis == BS_FIGURE_AXIS_COLS ? &layout->col_pc1 : &layout->row_pc1;
}

void
bs_figure_add_pc1_strip_marks (GArray               *marks,
                               const BsFigureLayout *layout,
                               const BsHeatmapView  *view,
                               BsFigureAxis          axis,
                               const double         *shares,
                               guint                 n,
                               BsColormap            colormap,
                               double                scale)
{
  const BsFigureRect *strip = strip_rect (layout, axis);
  double a0, a1;

  g_return_if_fail (marks != NULL && layout != NULL && view != NULL && (shares != NULL || n == 0));

  if (!(scale > 0))
    scale = 1;
  /* Across the strip: its edges on pixels too. */
  a0 = snap (axis == BS_FIGURE_AXIS_COLS ? strip->y : strip->x, scale);
  a1 = snap (axis == BS_FIGURE_AXIS_COLS ? strip->y + strip->height : strip->x + strip->width, scale);

  for (guint i = 0; i < n; i++)
    {
      double start, end;
      guint8 rgb[3];
      BsFigureColor color;
      BsFigureRect r;

      if (!layer_span (layout, view, axis, i, scale, &start, &end))
        continue;
      bs_colormap_lookup (colormap, shares[i], 0, 1, rgb);
      color = (BsFigureColor) { rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0, 1 };
      if (axis == BS_FIGURE_AXIS_COLS)
        r = (BsFigureRect) { start, a0, end - start, a1 - a0 };
      else
        r = (BsFigureRect) { a0, start, a1 - a0, end - start };
      add_mark (marks, &r, &color);
    }
}

gboolean
bs_figure_pick_pc1_strip (const BsFigureLayout *layout,
                          const BsHeatmapView  *view,
                          BsFigureAxis          axis,
                          guint                 n,
                          double                scale,
                          double                x,
                          double                y,
                          guint                *layer)
{
  const BsFigureRect *strip = strip_rect (layout, axis);
  double along = axis == BS_FIGURE_AXIS_COLS ? x : y;

  if (!(scale > 0))
    scale = 1;
  if (x < strip->x || x >= strip->x + strip->width || y < strip->y || y >= strip->y + strip->height)
    return FALSE;

  /* The deepest first: it is drawn last. */
  for (guint i = n; i-- > 0;)
    {
      double start, end;

      if (layer_span (layout, view, axis, i, scale, &start, &end) && along >= start && along < end)
        {
          *layer = i;
          return TRUE;
        }
    }
  return FALSE;
}

/* ---------------------------------------------------------------- blocks */

void
bs_figure_get_block_rect (const BsFigureLayout *layout,
                          const BsHeatmapView  *view,
                          const BsBlock        *block,
                          double                scale,
                          BsFigureRect         *rect)
{
  double fx, fy, fw, fh, lx, ly, lw, lh, x0, y0, x1, y1;

  if (!(scale > 0))
    scale = 1;
  /* Layer 0 is at the bottom: the first layer's cell is bottom-left. */
  bs_heatmap_view_cell_to_rect (view, block->first, block->first, &fx, &fy, &fw, &fh);
  bs_heatmap_view_cell_to_rect (view, block->last, block->last, &lx, &ly, &lw, &lh);
  x0 = snap (MIN (fx, lx) + layout->plot.x, scale);
  y0 = snap (MIN (fy, ly) + layout->plot.y, scale);
  x1 = snap (MAX (fx + fw, lx + lw) + layout->plot.x, scale);
  y1 = snap (MAX (fy + fh, ly + lh) + layout->plot.y, scale);
  *rect = (BsFigureRect) { x0, y0, x1 - x0, y1 - y0 };
}

/* A border of width line inside r, as four strips that meet without
 * overlap, cut to clip. */
static void
add_ring (GArray              *marks,
          const BsFigureRect  *r,
          double               line,
          const BsFigureColor *color,
          const BsFigureRect  *clip)
{
  const BsFigureRect sides[] = {
    { r->x, r->y, r->width, line },
    { r->x, r->y + r->height - line, r->width, line },
    { r->x, r->y + line, line, r->height - 2 * line },
    { r->x + r->width - line, r->y + line, line, r->height - 2 * line },
  };

  if (r->width <= 0 || r->height <= 0)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (sides); i++)
    {
      BsFigureRect cut;

      if (intersect (&sides[i], clip, &cut))
        add_mark (marks, &cut, color);
    }
}

void
bs_figure_add_block_marks (GArray                *marks,
                           const BsFigureLayout  *layout,
                           const BsHeatmapView   *view,
                           const BsBlock         *blocks,
                           guint                  n_blocks,
                           const BsFigurePalette *palette,
                           double                 ring,
                           double                 halo,
                           double                 scale)
{
  const BsFigureRect *plot = &layout->plot;
  BsFigureRect clip;

  g_return_if_fail (marks != NULL && layout != NULL && view != NULL && palette != NULL);

  if (!(scale > 0))
    scale = 1;
  ring = pixels (ring, scale);
  halo = pixels (halo, scale);
  clip = (BsFigureRect) { snap (plot->x, scale), snap (plot->y, scale), 0, 0 };
  clip.width = snap (plot->x + plot->width, scale) - clip.x;
  clip.height = snap (plot->y + plot->height, scale) - clip.y;

  for (guint i = 0; i < n_blocks; i++)
    {
      BsFigureRect r, outer, inner;

      bs_figure_get_block_rect (layout, view, &blocks[i], scale, &r);
      outer = (BsFigureRect) { r.x - halo, r.y - halo, r.width + 2 * halo, r.height + 2 * halo };
      inner = (BsFigureRect) { r.x + ring, r.y + ring, r.width - 2 * ring, r.height - 2 * ring };
      add_ring (marks, &outer, halo, &palette->outline_dark, &clip);
      add_ring (marks, &r, ring, &palette->block_outline, &clip);
      add_ring (marks, &inner, halo, &palette->outline_light, &clip);
    }
}
