/* bs-test-heatmap-cells.c: a matrix's colours in the heatmap (see the header). */
#include "bs-config.h"

#include "bs-test-heatmap-cells.h"

#include <math.h>
#include <string.h>

#include "bs-heatmap-private.h"
#include "bs-test-utils.h"

gboolean
bs_test_colormap_matches (const guint8 got[3],
                          BsColormap   map,
                          double       value,
                          double       lo,
                          double       hi)
{
  guint8 want[3];
  double t;

  bs_colormap_lookup (map, value, lo, hi, want);
  if (memcmp (got, want, 3) == 0)
    return TRUE;
  t = (value - lo) / (hi - lo) * 256;
  if (isnan (value) || fabs (t - round (t)) > 1e-3)
    return FALSE;
  bs_colormap_lookup (map, lo + (round (t) - 0.5) / 256 * (hi - lo), lo, hi, want);
  if (memcmp (got, want, 3) == 0)
    return TRUE;
  bs_colormap_lookup (map, lo + (round (t) + 0.5) / 256 * (hi - lo), lo, hi, want);
  return memcmp (got, want, 3) == 0;
}

guint
bs_test_check_heatmap_cells (BsHeatmap     *heatmap,
                             BsCkaSnapshot *matrix,
                             const char    *name)
{
  g_autoptr(GdkTexture) shot = NULL;
  g_autofree guint8 *pixels = NULL;
  const BsHeatmapView *view = bs_heatmap_get_view (heatmap);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (heatmap));
  graphene_rect_t buttons;
  gsize stride;
  double ox, oy, lo, hi;
  guint checked = 0;

  gtk_test_widget_wait_for_draw (GTK_WIDGET (heatmap));
  shot = bs_test_screenshot (GTK_WIDGET (heatmap), name);
  pixels = bs_test_texture_pixels (shot, &stride);
  bs_heatmap_get_plot_origin (heatmap, &ox, &oy);
  bs_heatmap_get_value_range (heatmap, &lo, &hi);
  g_assert_true (gtk_widget_compute_bounds (heatmap->zoom_box, GTK_WIDGET (heatmap), &buttons));
  graphene_rect_inset (&buttons, -2, -2);
  for (guint r = 0; r < bs_cka_snapshot_get_n_rows (matrix); r++)
    for (guint c = 0; c < bs_cka_snapshot_get_n_cols (matrix); c++)
      {
        double x, y, w, h, cx, cy, value = bs_cka_snapshot_get_value (matrix, r, c);
        guint8 got[3];

        bs_heatmap_view_cell_to_rect (view, r, c, &x, &y, &w, &h);
        cx = ox + x + w / 2;
        cy = oy + y + h / 2;
        if (w < 3 || h < 3 || graphene_rect_contains_point (&buttons, &GRAPHENE_POINT_INIT ((float) cx, (float) cy)))
          continue;
        bs_test_pixel_rgb (pixels, stride, (int) floor (cx * scale), (int) floor (cy * scale), got);
        if (!bs_test_colormap_matches (got, bs_heatmap_get_colormap (heatmap), (double) (float) value, lo, hi))
          g_error ("%s: cell (%u, %u) = %g has %02x%02x%02x", name, r, c, value, got[0], got[1], got[2]);
        checked++;
      }
  return checked;
}
