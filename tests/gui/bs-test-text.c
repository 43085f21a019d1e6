/* bs-test-text.c: text in screenshots (see the header). */
#include "bs-config.h"

#include "bs-test-text.h"

#include "bs-test-utils.h"

#include <stdlib.h>
#include <string.h>

#define INK_DIFFERENCE 90

/* Pixel (x, y) as cairo keeps it: premultiplied ARGB in a native word.
 * A widget's screenshot is transparent where it draws nothing, and text
 * in a theme's colour may differ from it in alpha alone. */
static guint32
pixel_at (const guint8 *pixels,
          gsize         stride,
          int           x,
          int           y)
{
  guint32 argb;

  memcpy (&argb, pixels + (gsize) y * stride + (gsize) x * 4, 4);
  return argb;
}

static int
difference (guint32 a,
            guint32 b)
{
  int d = 0;

  for (int shift = 0; shift < 32; shift += 8)
    d += abs ((int) ((a >> shift) & 0xff) - (int) ((b >> shift) & 0xff));
  return d;
}

gboolean
bs_test_find_ink (GdkTexture            *shot,
                  int                    scale,
                  const graphene_rect_t *region,
                  graphene_rect_t       *ink)
{
  g_autoptr(GHashTable) counts = g_hash_table_new (NULL, NULL);
  g_autofree guint8 *pixels = NULL;
  guint32 background = 0;
  guint best = 0;
  gsize stride;
  int x0 = MAX ((int) floorf (region->origin.x * scale), 0);
  int y0 = MAX ((int) floorf (region->origin.y * scale), 0);
  int x1 = MIN ((int) ceilf ((region->origin.x + region->size.width) * scale), gdk_texture_get_width (shot));
  int y1 = MIN ((int) ceilf ((region->origin.y + region->size.height) * scale), gdk_texture_get_height (shot));
  int left = G_MAXINT, top = G_MAXINT, right = -1, bottom = -1;

  g_assert_cmpint (x0, <, x1);
  g_assert_cmpint (y0, <, y1);
  pixels = bs_test_texture_pixels (shot, &stride);

  /* The background: the commonest colour. */
  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      {
        gpointer key = GUINT_TO_POINTER (pixel_at (pixels, stride, x, y));
        guint n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, key)) + 1;

        g_hash_table_insert (counts, key, GUINT_TO_POINTER (n));
        if (n > best)
          {
            best = n;
            background = GPOINTER_TO_UINT (key);
          }
      }

  for (int y = y0; y < y1; y++)
    for (int x = x0; x < x1; x++)
      if (difference (pixel_at (pixels, stride, x, y), background) > INK_DIFFERENCE)
        {
          left = MIN (left, x);
          right = MAX (right, x);
          top = MIN (top, y);
          bottom = MAX (bottom, y);
        }
  if (right < 0)
    return FALSE;
  graphene_rect_init (ink, (float) left / scale, (float) top / scale, (float) (right + 1 - left) / scale,
                      (float) (bottom + 1 - top) / scale);
  return TRUE;
}

double
bs_test_text_ink_width (GtkWidget  *widget,
                        const char *text,
                        double      size,
                        gboolean    bold)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);
  PangoAttrList *attrs = pango_attr_list_new ();
  PangoRectangle ink;

  pango_attr_list_insert (attrs, pango_attr_scale_new (size));
  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  pango_attr_list_insert (attrs, pango_attr_font_features_new ("tnum"));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_layout_get_pixel_extents (layout, &ink, NULL);
  return ink.width;
}
