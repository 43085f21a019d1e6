/* bs-test-utils.c: application set-up, waiting, in-process screenshots and
 * real pointer input for the gui tests. Screenshots go through the window's
 * own renderer (gtk_widget_paintable_new -> snapshot ->
 * gsk_renderer_render_texture), so they contain the OpenGL heatmap exactly
 * as drawn. Pointer input goes through the X server (XTEST), so it meets
 * the same event controllers a user's does. */
#include "bs-config.h"

#include "bs-test-utils.h"

#include "bs-job.h"

#include <adwaita.h>
#include <gdk/x11/gdkx.h>
#include <X11/extensions/XTest.h>
#include <math.h>
#include <string.h>

#define EVENT_TIMEOUT_MS 10000

void
bs_test_init (int    *argc,
              char ***argv)
{
  /* Assertions stay fatal: a failed check must not run on into a NULL. */
  gtk_test_init (argc, argv, NULL);
  /* libadwaita's stylesheet and style manager, as the application has
   * them, for widgets the tests show in windows of their own. */
  adw_init ();
}

BsApplication *
bs_test_app_new (void)
{
  g_autoptr(GError) error = NULL;
  BsApplication *app;

  app = bs_application_new ();
  g_assert_nonnull (app);
  g_application_set_flags (G_APPLICATION (app),
                           g_application_get_flags (G_APPLICATION (app)) | G_APPLICATION_NON_UNIQUE);
  g_application_register (G_APPLICATION (app), NULL, &error);
  g_assert_no_error (error);
  g_application_activate (G_APPLICATION (app));

  gtk_test_widget_wait_for_draw (GTK_WIDGET (bs_test_app_get_window (app)));

  return app;
}

BsApplication *
bs_test_screenshot_app_new (int width,
                            int height)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = bs_application_create_settings (&error);

  g_assert_no_error (error);
  g_settings_set_int (settings, "window-width", width);
  g_settings_set_int (settings, "window-height", height);
  g_settings_set_string (settings, "colormap", "magma");
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  bs_test_pointer_park ();
  return bs_test_app_new ();
}

static gboolean
job_ended (gpointer data)
{
  return bs_job_get_state (data) >= BS_JOB_SUCCEEDED;
}

gboolean
bs_test_run_job (gpointer    job,
                 const char *what,
                 guint       timeout_ms)
{
  g_autoptr(BsJob) ref = g_object_ref (job);
  gint64 start = g_get_monotonic_time ();

  if (!bs_test_wait_until (job_ended, ref, timeout_ms) || bs_job_get_state (ref) != BS_JOB_SUCCEEDED)
    {
      g_printerr ("%s did not succeed: %s\n", what,
                  bs_job_get_error (ref) != NULL ? bs_job_get_error (ref)->message : "timed out");
      return FALSE;
    }
  g_print ("%s: %.1f s\n", what, (g_get_monotonic_time () - start) / 1e6);
  return TRUE;
}

gboolean
bs_test_save_png (GtkWidget  *widget,
                  const char *prefix,
                  const char *name)
{
  g_autoptr(GdkTexture) shot = NULL;
  g_autofree char *path = g_strdup_printf ("%s-%s.png", prefix, name);

  gtk_test_widget_wait_for_draw (widget);
  shot = bs_test_screenshot (widget, NULL);
  if (!gdk_texture_save_to_png (shot, path))
    {
      g_printerr ("could not write %s\n", path);
      return FALSE;
    }
  g_print ("%s\n", path);
  return TRUE;
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

static gboolean
set_flag (gpointer data)
{
  *(gboolean *) data = TRUE;

  return G_SOURCE_REMOVE;
}

static gboolean
keep_source (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
bs_test_wait_until (gboolean (*func) (gpointer data),
                    gpointer   data,
                    guint      timeout_ms)
{
  gboolean timed_out = FALSE;
  guint timeout_id, recheck_id;

  if (func (data))
    return TRUE;

  timeout_id = g_timeout_add (timeout_ms, set_flag, &timed_out);
  /* Every condition here changes in a main-loop callback, which wakes the
   * blocking iteration; this slow timer only makes sure a condition that
   * changed elsewhere is seen before the timeout. */
  recheck_id = g_timeout_add (100, keep_source, NULL);

  while (!func (data) && !timed_out)
    g_main_context_iteration (NULL, TRUE);

  if (!timed_out)
    g_source_remove (timeout_id);
  g_source_remove (recheck_id);

  return func (data);
}

void
bs_test_spin (guint ms)
{
  gboolean done = FALSE;

  g_timeout_add (ms, set_flag, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

void
bs_test_drain (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
pointer_is_null (gpointer data)
{
  return *(gpointer *) data == NULL;
}

void
bs_test_wait_for_finalize (gpointer object,
                           gboolean unref,
                           guint    timeout_ms)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  if (unref)
    g_object_unref (object);
  if (!bs_test_wait_until (pointer_is_null, &weak, timeout_ms))
    {
      g_test_message ("%s %p was not finalized within %u ms", G_OBJECT_TYPE_NAME (weak), weak, timeout_ms);
      g_object_remove_weak_pointer (weak, &weak);
      g_test_fail ();
    }
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
  int width, height, scale;

  gtk_test_widget_wait_for_draw (widget);

  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  scale = gtk_widget_get_scale_factor (widget);
  g_assert_cmpint (width, >, 0);
  g_assert_cmpint (height, >, 0);

  /* At device resolution: the renderer draws one texture pixel per unit,
   * so the scale goes into the nodes. */
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gtk_snapshot_scale (snapshot, scale, scale);
  gdk_paintable_snapshot (paintable, snapshot, width, height);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  g_assert_nonnull (renderer);

  graphene_rect_init (&bounds, 0, 0, width * scale, height * scale);
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
  /* What closing queued (unrealize, idle clean-ups) runs before the
   * application goes. */
  bs_test_drain ();
}

/* ---------------------------------------------------------------- pointer */

/* What the toplevel received, counted in the capture phase: the widget's
 * own controllers have run when the main loop returns after an event. */
typedef struct {
  guint  motions;
  guint  presses;
  guint  releases;
  guint  scrolls;
  double x;          /* the last motion, surface coordinates */
  double y;
} PointerLog;

typedef struct {
  PointerLog *log;
  guint       count;
  guint      *counter;
  gboolean    check_position;
  double      x;
  double      y;
} PointerWait;

static gboolean
on_window_event (GtkEventControllerLegacy *controller,
                 GdkEvent                 *event,
                 PointerLog               *log)
{
  switch ((int) gdk_event_get_event_type (event))
    {
    case GDK_MOTION_NOTIFY:
      log->motions++;
      gdk_event_get_position (event, &log->x, &log->y);
      break;

    case GDK_BUTTON_PRESS:
      log->presses++;
      break;

    case GDK_BUTTON_RELEASE:
      log->releases++;
      break;

    case GDK_SCROLL:
      log->scrolls++;
      break;

    default:
      break;
    }

  return GDK_EVENT_PROPAGATE;
}

static PointerLog *
get_pointer_log (GtkWidget *widget)
{
  GtkWidget *native = GTK_WIDGET (gtk_widget_get_native (widget));
  PointerLog *log = g_object_get_data (G_OBJECT (native), "bs-test-pointer-log");
  GtkEventController *controller;

  if (log != NULL)
    return log;

  log = g_new0 (PointerLog, 1);
  g_object_set_data_full (G_OBJECT (native), "bs-test-pointer-log", log, g_free);
  controller = gtk_event_controller_legacy_new ();
  gtk_event_controller_set_propagation_phase (controller, GTK_PHASE_CAPTURE);
  g_signal_connect (controller, "event", G_CALLBACK (on_window_event), log);
  gtk_widget_add_controller (native, controller);

  return log;
}

static gboolean
pointer_event_arrived (gpointer data)
{
  PointerWait *wait = data;

  if (*wait->counter <= wait->count)
    return FALSE;

  return !wait->check_position ||
         (fabs (wait->log->x - wait->x) < 0.01 && fabs (wait->log->y - wait->y) < 0.01);
}

static void
wait_for_pointer_event (PointerLog *log,
                        guint      *counter,
                        guint       count,
                        const char *what)
{
  PointerWait wait = { log, count, counter, FALSE, 0, 0 };

  if (!bs_test_wait_until (pointer_event_arrived, &wait, EVENT_TIMEOUT_MS))
    {
      g_test_message ("no %s arrived from the X server within %d ms", what, EVENT_TIMEOUT_MS);
      g_assert_not_reached ();
    }
}

static Display *
get_xdisplay (GtkWidget *widget)
{
  GdkDisplay *display = gtk_widget_get_display (widget);
  int event_base, error_base, major, minor;
  Display *xdisplay;

  if (!GDK_IS_X11_DISPLAY (display))
    {
      g_test_message ("pointer input needs the X11 backend (GDK_BACKEND=x11 under Xvfb), not %s",
                      G_OBJECT_TYPE_NAME (display));
      g_assert_not_reached ();
    }

  xdisplay = gdk_x11_display_get_xdisplay (display);
  if (!XTestQueryExtension (xdisplay, &event_base, &error_base, &major, &minor))
    {
      g_test_message ("the X server has no XTEST extension");
      g_assert_not_reached ();
    }

  return xdisplay;
}

/* Widget point -> the screen pixel under it, and where the toplevel's
 * events will report it (surface coordinates). */
static void
widget_to_screen (GtkWidget *widget,
                  double     x,
                  double     y,
                  int       *root_x,
                  int       *root_y,
                  double    *surface_x,
                  double    *surface_y)
{
  GtkNative *native = gtk_widget_get_native (widget);
  GdkSurface *surface = gtk_native_get_surface (native);
  Display *xdisplay = get_xdisplay (widget);
  int scale = gdk_surface_get_scale_factor (surface);
  graphene_point_t point;
  double nx, ny, sx, sy;
  Window child;

  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_compute_point (widget, GTK_WIDGET (native), &GRAPHENE_POINT_INIT ((float) x, (float) y),
                                           &point));
  gtk_native_get_surface_transform (native, &nx, &ny);
  sx = round ((point.x + nx) * scale);
  sy = round ((point.y + ny) * scale);
  XTranslateCoordinates (xdisplay, gdk_x11_surface_get_xid (surface), DefaultRootWindow (xdisplay),
                         (int) sx, (int) sy, root_x, root_y, &child);
  *surface_x = sx / scale;
  *surface_y = sy / scale;
}

static void
fake_motion (GtkWidget *widget,
             int        root_x,
             int        root_y,
             double     surface_x,
             double     surface_y)
{
  Display *xdisplay = get_xdisplay (widget);
  PointerLog *log = get_pointer_log (widget);
  PointerWait wait = { log, log->motions, &log->motions, TRUE, surface_x, surface_y };

  XTestFakeMotionEvent (xdisplay, -1, root_x, root_y, CurrentTime);
  XFlush (xdisplay);
  if (!bs_test_wait_until (pointer_event_arrived, &wait, EVENT_TIMEOUT_MS))
    {
      g_test_message ("no motion to (%g, %g) arrived from the X server within %d ms (last: %g, %g)",
                      surface_x, surface_y, EVENT_TIMEOUT_MS, log->x, log->y);
      g_assert_not_reached ();
    }
}

void
bs_test_pointer_park (void)
{
  GdkDisplay *display = gdk_display_get_default ();
  Display *xdisplay;
  Screen *screen;

  g_assert_true (GDK_IS_X11_DISPLAY (display));
  xdisplay = gdk_x11_display_get_xdisplay (display);
  screen = DefaultScreenOfDisplay (xdisplay);
  XTestFakeMotionEvent (xdisplay, -1, WidthOfScreen (screen) - 1, HeightOfScreen (screen) - 1, CurrentTime);
  XFlush (xdisplay);
}

void
bs_test_pointer_move (GtkWidget *widget,
                      double     x,
                      double     y)
{
  Display *xdisplay = get_xdisplay (widget);
  int root_x, root_y, px, py, wx, wy;
  double sx, sy;
  Window root, child;
  unsigned int mask;

  widget_to_screen (widget, x, y, &root_x, &root_y, &sx, &sy);

  /* The server sends no motion to where the pointer already is: step
   * aside first, so the widget hears of the position in any case. */
  XQueryPointer (xdisplay, DefaultRootWindow (xdisplay), &root, &child, &px, &py, &wx, &wy, &mask);
  if (px == root_x && py == root_y)
    {
      int step = sx >= 1 ? -1 : 1;

      fake_motion (widget, root_x + step, root_y, sx + step / (double) gdk_surface_get_scale_factor (
                     gtk_native_get_surface (gtk_widget_get_native (widget))), sy);
    }

  fake_motion (widget, root_x, root_y, sx, sy);
}

static void
fake_button (GtkWidget *widget,
             guint      button,
             gboolean   press)
{
  Display *xdisplay = get_xdisplay (widget);
  PointerLog *log = get_pointer_log (widget);
  guint *counter;
  guint before;

  /* Wheel buttons arrive as one scroll event per press, releases as none. */
  if (button >= 4 && button <= 7)
    counter = press ? &log->scrolls : NULL;
  else
    counter = press ? &log->presses : &log->releases;
  before = counter != NULL ? *counter : 0;

  XTestFakeButtonEvent (xdisplay, button, press, CurrentTime);
  XFlush (xdisplay);
  if (counter != NULL)
    wait_for_pointer_event (log, counter, before,
                            button >= 4 ? "scroll" : press ? "button press" : "button release");
}

void
bs_test_pointer_click (GtkWidget *widget,
                       double     x,
                       double     y)
{
  bs_test_pointer_move (widget, x, y);
  fake_button (widget, 1, TRUE);
  fake_button (widget, 1, FALSE);
}

void
bs_test_pointer_drag (GtkWidget *widget,
                      double     x0,
                      double     y0,
                      double     x1,
                      double     y1,
                      guint      steps)
{
  bs_test_pointer_move (widget, x0, y0);
  fake_button (widget, 1, TRUE);
  for (guint i = 1; i <= MAX (steps, 1); i++)
    {
      double t = (double) i / MAX (steps, 1);
      int root_x, root_y;
      double sx, sy;

      widget_to_screen (widget, x0 + t * (x1 - x0), y0 + t * (y1 - y0), &root_x, &root_y, &sx, &sy);
      fake_motion (widget, root_x, root_y, sx, sy);
    }
  fake_button (widget, 1, FALSE);
}

void
bs_test_pointer_scroll (GtkWidget *widget,
                        double     x,
                        double     y,
                        int        steps)
{
  guint button = steps < 0 ? 4 : 5;

  bs_test_pointer_move (widget, x, y);
  for (int i = 0; i < ABS (steps); i++)
    {
      fake_button (widget, button, TRUE);
      fake_button (widget, button, FALSE);
    }
}

/* ---------------------------------------------------------------- snapshots */

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
  return bs_test_make_snapshot_at (n_rows, n_cols, value, model_a, model_b, 3, 10);
}

BsCkaSnapshot *
bs_test_make_snapshot_at (guint        n_rows,
                          guint        n_cols,
                          double     (*value) (guint row, guint col),
                          const char  *model_a,
                          const char  *model_b,
                          guint        done,
                          guint        total)
{
  BsLayerInfo *rows = g_new0 (BsLayerInfo, n_rows);
  BsLayerInfo *cols = g_new0 (BsLayerInfo, n_cols);
  BsCkaSnapshotHeader header = {
    .rows = rows, .n_rows = n_rows, .cols = cols, .n_cols = n_cols,
    .model_a = model_a, .model_b = model_b,
    .batch_size = 32, .minibatches_total = total,
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
  snapshot = bs_cka_snapshot_new (&header, done, cka, std_error,
                                  g_new0 (guint8, n_rows), g_new0 (guint8, n_cols));
  for (guint i = 0; i < n_rows; i++)
    bs_layer_info_clear (&rows[i]);
  for (guint i = 0; i < n_cols; i++)
    bs_layer_info_clear (&cols[i]);
  g_free (rows);
  g_free (cols);

  return snapshot;
}

/* The presses of one key (by its keycode: Shift changes the keyval). */
typedef struct {
  guint keycode;
  guint presses;
} KeyWait;

static gboolean
key_code_arrived (GtkEventControllerKey *controller,
                  guint                  keyval,
                  guint                  keycode,
                  GdkModifierType        state,
                  KeyWait               *wait)
{
  if (keycode == wait->keycode)
    wait->presses++;
  return GDK_EVENT_PROPAGATE;
}

static gboolean
key_pressed_once (gpointer data)
{
  return ((KeyWait *) data)->presses > 0;
}

void
bs_test_key_press (GtkWidget       *widget,
                   guint            keyval,
                   GdkModifierType  modifiers)
{
  static const struct { GdkModifierType mask; KeySym keysym; } modifier_keys[] = {
    { GDK_CONTROL_MASK, XK_Control_L }, { GDK_SHIFT_MASK, XK_Shift_L }, { GDK_ALT_MASK, XK_Alt_L },
  };
  Display *xdisplay = get_xdisplay (widget);
  GtkWidget *native = GTK_WIDGET (gtk_widget_get_native (widget));
  GtkEventController *listener = gtk_event_controller_key_new ();
  KeyCode code = XKeysymToKeycode (xdisplay, keyval);
  KeyWait wait = { code, 0 };

  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_cmpuint (code, !=, 0);
  g_assert_cmpuint (modifiers & ~(GDK_CONTROL_MASK | GDK_SHIFT_MASK | GDK_ALT_MASK), ==, 0);
  /* Seen first, by the window that has the keyboard, before any widget
   * acts; the widgets have handled the press when the main loop returns. */
  gtk_event_controller_set_propagation_phase (listener, GTK_PHASE_CAPTURE);
  g_signal_connect (listener, "key-pressed", G_CALLBACK (key_code_arrived), &wait);
  gtk_widget_add_controller (native, listener);

  for (guint i = 0; i < G_N_ELEMENTS (modifier_keys); i++)
    if (modifiers & modifier_keys[i].mask)
      XTestFakeKeyEvent (xdisplay, XKeysymToKeycode (xdisplay, modifier_keys[i].keysym), True, CurrentTime);
  XTestFakeKeyEvent (xdisplay, code, True, CurrentTime);
  XTestFakeKeyEvent (xdisplay, code, False, CurrentTime);
  for (guint i = G_N_ELEMENTS (modifier_keys); i-- > 0;)
    if (modifiers & modifier_keys[i].mask)
      XTestFakeKeyEvent (xdisplay, XKeysymToKeycode (xdisplay, modifier_keys[i].keysym), False, CurrentTime);
  XFlush (xdisplay);
  if (!bs_test_wait_until (key_pressed_once, &wait, EVENT_TIMEOUT_MS))
    {
      g_test_message ("no press of %s arrived from the X server within %d ms",
                      gdk_keyval_name (keyval), EVENT_TIMEOUT_MS);
      g_assert_not_reached ();
    }
  gtk_widget_remove_controller (native, listener);
}

void
bs_test_key_activate (GtkWidget *widget)
{
  g_assert_true (gtk_widget_get_mapped (widget));
  g_assert_true (gtk_widget_grab_focus (widget));
  bs_test_key_press (widget, GDK_KEY_Return, 0);
}

BsWindow *
bs_test_newest_window (BsApplication *app,
                       GList         *before)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (g_list_find (before, l->data) == NULL)
      return BS_WINDOW (l->data);
  g_assert_not_reached ();
}
