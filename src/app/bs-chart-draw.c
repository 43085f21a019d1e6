/* bs-chart-draw.c: text, colours and the value grid of the cairo charts (see the header). */
#include "bs-config.h"

#include "bs-chart-draw.h"

#include <math.h>

PangoLayout *
bs_chart_small_layout (GtkWidget  *widget,
                       const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  PangoAttrList *attrs = pango_attr_list_new ();

  pango_attr_list_insert (attrs, pango_attr_scale_new (0.8));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  return layout;
}

void
bs_chart_set_source (cairo_t             *cr,
                     const BsFigureColor *color,
                     double               alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

void
bs_chart_show_text (cairo_t    *cr,
                    GtkWidget  *widget,
                    const char *text,
                    double      x,
                    double      y,
                    double      xalign,
                    double      yalign)
{
  PangoLayout *layout = bs_chart_small_layout (widget, text);
  int tw, th;

  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_move_to (cr, round (x - xalign * tw), round (y - yalign * th));
  pango_cairo_show_layout (cr, layout);
  g_object_unref (layout);
}

void
bs_chart_draw_y_grid (cairo_t               *cr,
                      GtkWidget             *widget,
                      const BsFigurePalette *palette,
                      double                 x0,
                      double                 y0,
                      double                 w,
                      double                 h,
                      const char *const      labels[3])
{
  for (guint i = 0; i <= 2; i++)
    {
      /* Lines on pixel centres, so that they are one crisp pixel wide. */
      double y = round (y0 + h - i * 0.5 * h) + 0.5;

      bs_chart_set_source (cr, i == 0 ? &palette->line : &palette->grid, 1);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, x0, y);
      cairo_line_to (cr, x0 + w, y);
      cairo_stroke (cr);
      bs_chart_set_source (cr, &palette->text_secondary, 1);
      bs_chart_show_text (cr, widget, labels[i], x0 - 4, y, 1, 0.5);
    }
}

void
bs_chart_draw_unit_grid (cairo_t               *cr,
                         GtkWidget             *widget,
                         const BsFigurePalette *palette,
                         double                 x0,
                         double                 y0,
                         double                 w,
                         double                 h)
{
  g_autofree char *low = g_strdup_printf ("%.1f", 0.0);
  g_autofree char *half = g_strdup_printf ("%.1f", 0.5);
  g_autofree char *high = g_strdup_printf ("%.1f", 1.0);
  const char *const labels[3] = { low, half, high };

  bs_chart_draw_y_grid (cr, widget, palette, x0, y0, w, h, labels);
}
