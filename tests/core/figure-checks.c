/* figure-checks.c: figures read back for the figure tests (see the header). */
#include "figure-checks.h"

#include <math.h>

char *
figure_run_tool (const char * const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *program = g_find_program_in_path (argv[0]);
  g_autofree char *err = NULL;
  char *out = NULL;
  int status;

  if (program == NULL)
    g_error ("%s is missing: install poppler-utils and librsvg2-bin", argv[0]);
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
  return out;
}

void
figure_pixel_rgb (cairo_surface_t *image,
                  double           x,
                  double           y,
                  guint8           rgb[3])
{
  const guint8 *data = cairo_image_surface_get_data (image);
  int stride = cairo_image_surface_get_stride (image);
  int px = (int) floor (x), py = (int) floor (y);
  guint32 value;

  g_assert_cmpint (px, >=, 0);
  g_assert_cmpint (py, >=, 0);
  g_assert_cmpint (px, <, cairo_image_surface_get_width (image));
  g_assert_cmpint (py, <, cairo_image_surface_get_height (image));
  value = *(const guint32 *) (data + (gsize) py * stride + (gsize) px * 4);
  rgb[0] = (value >> 16) & 0xff;
  rgb[1] = (value >> 8) & 0xff;
  rgb[2] = value & 0xff;
}
