/* bs-test-utils.h: helpers shared by the gui tests (run under Xvfb). */
#pragma once

#include <gtk/gtk.h>

#include "bs-application.h"
#include "bs-window.h"

G_BEGIN_DECLS

/* gtk_test_init and adw_init, plus the checks every gui test wants. */
void          bs_test_init              (int          *argc,
                                         char       ***argv);

/* A registered, activated BsApplication (not unique, so tests never meet
 * another instance) and its window, drawn once. */
BsApplication *bs_test_app_new          (void);
BsWindow      *bs_test_app_get_window   (BsApplication *app);
/* For the README's screenshot makers: the same with a width x height
 * window in magma, animations off and the pointer out of the way (the
 * caller sets the environment's locale and text domains first). */
BsApplication *bs_test_screenshot_app_new (int         width,
                                           int         height);
/* For the screenshot makers too: waits (timeout_ms at most) until job (a
 * BsJob) ends, printing how long it took, named what; FALSE, with what
 * went wrong on stderr, unless it succeeded. */
gboolean      bs_test_run_job           (gpointer      job,
                                         const char   *what,
                                         guint         timeout_ms);
/* Draws widget and saves it as PREFIX-NAME.png, printing the path; FALSE,
 * said on stderr, when it cannot be written. */
gboolean      bs_test_save_png          (GtkWidget    *widget,
                                         const char   *prefix,
                                         const char   *name);

/* Runs the default main context, sleeping until something happens, until
 * func returns TRUE or timeout_ms pass; returns what func returned last. */
gboolean      bs_test_wait_until        (gboolean    (*func) (gpointer data),
                                         gpointer      data,
                                         guint         timeout_ms);
/* Runs the main context for ms milliseconds. A fixed wait: prefer
 * bs_test_wait_until with the condition the test needs. */
void          bs_test_spin              (guint         ms);
/* Runs what is pending in the main context now, without waiting. */
void          bs_test_drain             (void);
/* Waits (at most timeout_ms, failing the test after) until object is
 * finalized; drops the caller's reference first when unref is TRUE. */
void          bs_test_wait_for_finalize (gpointer      object,
                                         gboolean      unref,
                                         guint         timeout_ms);

/* Renders widget (GL areas included) into a texture, as the window shows it,
 * at device resolution: widget point (x, y) is texture pixel (x, y) times
 * the widget's scale factor. Saved as PNG under the build tree when
 * BS_TEST_SCREENSHOT_DIR is set. */
GdkTexture   *bs_test_screenshot        (GtkWidget    *widget,
                                         const char   *name);

/* Cairo-format pixels (B, G, R, A bytes in memory on little-endian) of a
 * texture; free with g_free. */
guint8       *bs_test_texture_pixels    (GdkTexture   *texture,
                                         gsize        *stride);

/* R, G, B of pixel (x, y) of pixels downloaded with bs_test_texture_pixels. */
void          bs_test_pixel_rgb         (const guint8 *pixels,
                                         gsize         stride,
                                         int           x,
                                         int           y,
                                         guint8        rgb[3]);

/* Closes every window of app, runs the loop until they are gone, then
 * shuts the application down. */
void          bs_test_app_quit          (BsApplication *app);
/* The window of app that is not in before (the one an open just made). */
BsWindow     *bs_test_newest_window     (BsApplication *app,
                                         GList         *before);

/* Real pointer input: the X server's XTEST extension moves the pointer
 * and presses buttons, so events reach GTK as a user's would (through
 * Xvfb, the event controllers, gesture thresholds). Points are in widget
 * coordinates, rounded to whole pixels of the screen. Each call returns
 * once GTK has received and dispatched its events, and fails the test if
 * they do not arrive within a few seconds. Needs the X11 backend. */
void          bs_test_pointer_move      (GtkWidget    *widget,
                                         double        x,
                                         double        y);
/* Puts the pointer in the screen's bottom-right corner, away from new
 * windows (Xvfb starts it in the middle, where it would hover them). */
void          bs_test_pointer_park      (void);
/* Moves to (x, y), then presses and releases the primary button. */
void          bs_test_pointer_click     (GtkWidget    *widget,
                                         double        x,
                                         double        y);
/* Presses the primary button at (x0, y0), moves to (x1, y1) in steps
 * motions, and releases it there. */
void          bs_test_pointer_drag      (GtkWidget    *widget,
                                         double        x0,
                                         double        y0,
                                         double        x1,
                                         double        y1,
                                         guint         steps);
/* Moves to (x, y) and turns the wheel: steps < 0 up (away from the user),
 * steps > 0 down, one click each. */
void          bs_test_pointer_scroll    (GtkWidget    *widget,
                                         double        x,
                                         double        y,
                                         int           steps);

/* Focuses widget and presses and releases Return on the keyboard, through
 * the X server; returns once GTK has received the press. */
void          bs_test_key_activate      (GtkWidget    *widget);

/* Presses and releases keyval with the modifiers held (Control, Shift,
 * Alt) on the keyboard, through the X server, to the window of widget
 * (whichever widget has the focus there); returns once GTK has received
 * and handled the press. A button acts on the release: wait for what it
 * does. */
void          bs_test_key_press         (GtkWidget      *widget,
                                         guint           keyval,
                                         GdkModifierType modifiers);

G_END_DECLS

G_BEGIN_DECLS

#include "bs-cka-snapshot.h"

/* A snapshot shaped like a small ResNet: layer 0 is the stem (stage 0),
 * then three stages of blocks, and a head (stage 5); every value from
 * value (row, col), which may return NaN. */
BsCkaSnapshot *bs_test_make_snapshot    (guint          n_rows,
                                         guint          n_cols,
                                         double       (*value) (guint row, guint col),
                                         const char    *model_a,
                                         const char    *model_b);
/* The same after done of total minibatches (bs_test_make_snapshot: 3 of 10). */
BsCkaSnapshot *bs_test_make_snapshot_at (guint          n_rows,
                                         guint          n_cols,
                                         double       (*value) (guint row, guint col),
                                         const char    *model_a,
                                         const char    *model_b,
                                         guint          done,
                                         guint          total);

G_END_DECLS
