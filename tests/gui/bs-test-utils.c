/* bs-test-utils.c: application set-up, waiting and in-process screenshots
 * for the gui tests. Screenshots go through the window's own renderer
 * (gtk_widget_paintable_new -> snapshot -> gsk_renderer_render_texture), so
 * they contain the OpenGL heatmap exactly as drawn. */
#include "bs-config.h"

#include "bs-test-utils.h"

#include <string.h>

void
bs_test_init (int    *argc,
              char ***argv)
{
  gtk_test_init (argc, argv, NULL);
  g_test_set_nonfatal_assertions ();
}

BsApplication *
bs_test_app_new (void)
{
  g_autoptr(GError) error = NULL;
  BsApplication *app;

  app = bs_application_new ();
  g_assert_nonnull (app);
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  gtk_test_widget_wait_for_draw (GTK_WIDGET (bs_test_app_get_window (app)));

  return app;
}

BsWindow *
bs_test_app_get_window (BsApplication *app)
{
  GList *windows = gtk_application_get_windows (GTK_APPLICATION (app));

  for (GList *l = windows; l != NULL; l = l->next)
    if (BS_IS_WINDOW (l->data))
      return l->data;

  return NULL;
}

gboolean
bs_test_wait_until (gboolean (*func) (gpointer data),
                    gpointer   data,
                    guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!func (data))
    {
      if (g_get_monotonic_time () > deadline)
        return func (data);
      /* Non-blocking, with a short sleep: a blocking iteration could wait
       * forever when nothing else is scheduled. */
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }

  return TRUE;
}

void
bs_test_spin (guint ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < deadline)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

GdkTexture *
bs_test_screenshot (GtkWidget  *widget,
                    const char *name)
{
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  GtkSnapshot *snapshot;
  GskRenderer *renderer;
  GdkTexture *texture;
  graphene_rect_t bounds;
  const char *dir;
  int width, height;

  gtk_test_widget_wait_for_draw (widget);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_assert_nonnull (renderer);

  graphene_rect_init (&bounds, 0, 0, width, height);
  texture = gsk_renderer_render_texture (renderer, node, &bounds);

  dir = g_getenv ("BS_TEST_SCREENSHOT_DIR");
  if (dir != NULL && name != NULL)
    {
      g_autofree char *file = g_strdup_printf ("%s.png", name);
      g_autofree char *path = g_build_filename (dir, file, NULL);

      g_mkdir_with_parents (dir, 0755);
      gdk_texture_save_to_png (texture, path);
      g_test_message ("screenshot saved to %s", path);
    }

  return texture;
}

guint8 *
bs_test_texture_pixels (GdkTexture *texture,
                        gsize      *stride)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  guint8 *pixels;

  *stride = (gsize) width * 4;
  pixels = g_malloc ((gsize) height * *stride);
  gdk_texture_download (texture, pixels, *stride);

  return pixels;
}

void
bs_test_pixel_rgb (const guint8 *pixels,
                   gsize         stride,
                   int           x,
                   int           y,
                   guint8        rgb[3])
{
  const guint8 *p = pixels + (gsize) y * stride + (gsize) x * 4;
  guint32 argb;

  /* CAIRO_FORMAT_ARGB32: native-endian 32-bit words. */
  memcpy (&argb, p, 4);
  rgb[0] = (argb >> 16) & 0xff;
  rgb[1] = (argb >> 8) & 0xff;
  rgb[2] = argb & 0xff;
}

static gboolean
no_windows (gpointer data)
{
  return gtk_application_get_windows (GTK_APPLICATION (data)) == NULL;
}

void
bs_test_app_quit (BsApplication *app)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (GTK_WINDOW (l->data));
  g_list_free (windows);

  g_assert_true (bs_test_wait_until (no_windows, app, 10000));
  bs_test_spin (50);
}

static void
make_layers (BsLayerInfo *layers,
             guint        n)
{
  for (guint i = 0; i < n; i++)
    {
      BsLayerInfo *info = &layers[i];

      if (i == 0)
        {
          info->stage = BS_LAYER_STAGE_STEM;
          info->block = -1;
        }
      else if (i == n - 1)
        {
          info->stage = BS_LAYER_STAGE_HEAD;
          info->block = -1;
        }
      else
        {
          guint inner = n - 2;
          guint k = i - 1;

          info->stage = 1 + (gint) (3 * k / MAX (inner, 1));
          info->block = (gint) ((k % MAX (inner / 3, 1)) / 4);
        }
      info->name = info->stage == BS_LAYER_STAGE_STEM ? g_strdup ("conv1")
                 : info->stage == BS_LAYER_STAGE_HEAD ? g_strdup ("fc")
                 : g_strdup_printf ("layer%d.%d.tap%u", info->stage, info->block, i);
      info->kind = BS_LAYER_CONV;
      info->channels = 16u << MAX (info->stage - 1, 0);
      info->height = info->width = 32u >> MAX (info->stage - 1, 0);
      info->block_output = FALSE;
    }
}

BsCkaSnapshot *
bs_test_make_snapshot (guint        n_rows,
                       guint        n_cols,
                       double     (*value) (guint row, guint col),
                       const char  *model_a,
                       const char  *model_b)
{
  BsLayerInfo *rows = g_new0 (BsLayerInfo, n_rows);
  BsLayerInfo *cols = g_new0 (BsLayerInfo, n_cols);
  BsCkaSnapshotHeader header = {
    .rows = rows, .n_rows = n_rows, .cols = cols, .n_cols = n_cols,
    .model_a = model_a, .model_b = model_b,
    .batch_size = 32, .minibatches_total = 10,
  };
  double *cka = g_new (double, (gsize) n_rows * n_cols);
  double *std_error = g_new (double, (gsize) n_rows * n_cols);
  BsCkaSnapshot *snapshot;

  make_layers (rows, n_rows);
  make_layers (cols, n_cols);
  for (guint r = 0; r < n_rows; r++)
    for (guint c = 0; c < n_cols; c++)
      {
        cka[(gsize) r * n_cols + c] = value (r, c);
        std_error[(gsize) r * n_cols + c] = 0.01;
      }
  snapshot = bs_cka_snapshot_new (&header, 3, cka, std_error,
                                  g_new0 (guint8, n_rows), g_new0 (guint8, n_cols));
  for (guint i = 0; i < n_rows; i++)
    bs_layer_info_clear (&rows[i]);
  for (guint i = 0; i < n_cols; i++)
    bs_layer_info_clear (&cols[i]);
  g_free (rows);
  g_free (cols);

  return snapshot;
}
