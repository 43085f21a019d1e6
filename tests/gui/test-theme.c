/* test-theme.c: the heatmap and its neighbours draw in the colours of the
 * desktop's look, read back as pixels. Run once per look (see
 * meson.build): light, dark, high contrast and high contrast dark, told to
 * libadwaita with ADW_DEBUG_COLOR_SCHEME and ADW_DEBUG_HIGH_CONTRAST, as
 * the settings portal would tell it. In every look the background behind
 * the heatmap and its axis text are the theme's (dark on light, light on
 * dark) at WCAG's contrast, the selection is outlined in the theme's
 * accent between a dark and a light ring, the hover label has a popover's
 * colours; with high contrast the stage lines over the cells are opaque.
 * Switching the colour scheme while the window is open recolours it. */
#include "bs-config.h"

#include <adwaita.h>
#include <math.h>
#include <string.h>

#include "bs-figure-palette.h"
#include "bs-heatmap-figure.h"
#include "bs-heatmap-private.h"
#include "bs-profile-chart.h"
#include "bs-test-utils.h"

#define N_ROWS 23
#define N_COLS 31

/* ---------------------------------------------------------------- the look */

static gboolean
expect_dark (void)
{
  const char *scheme = g_getenv ("BS_TEST_EXPECT_SCHEME");

  /* Started by hand: what libadwaita is told. */
  if (scheme == NULL)
    return g_strcmp0 (g_getenv ("ADW_DEBUG_COLOR_SCHEME"), "prefer-dark") == 0;
  g_assert_true (strcmp (scheme, "light") == 0 || strcmp (scheme, "dark") == 0);

  return strcmp (scheme, "dark") == 0;
}

static gboolean
expect_high_contrast (void)
{
  const char *hc = g_getenv ("BS_TEST_EXPECT_HIGH_CONTRAST");

  if (hc == NULL)
    return g_strcmp0 (g_getenv ("ADW_DEBUG_HIGH_CONTRAST"), "1") == 0;

  return strcmp (hc, "1") == 0;
}

/* ---------------------------------------------------------------- fixture */

/* Started once: its style.css and style-hc.css are on the display for
 * every window of the process. */
static BsApplication *app;

typedef struct {
  GtkWidget      *window;
  BsHeatmap      *heatmap;
  BsProfileChart *chart;
} Fixture;

static double
test_value (guint row,
            guint col)
{
  /* The whole colour map, from dark to light, with some NaN cells. */
  if (row == 5 && col == 7)
    return NAN;
  return fmod (0.37 * row + 0.11 * col, 1.0);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  GtkWidget *box;

  bs_test_pointer_park ();

  f->window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1060, 700);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 0);
  f->heatmap = BS_HEATMAP (bs_heatmap_new ());
  gtk_widget_set_hexpand (GTK_WIDGET (f->heatmap), TRUE);
  f->chart = BS_PROFILE_CHART (bs_profile_chart_new ());
  gtk_widget_set_size_request (GTK_WIDGET (f->chart), 300, -1);
  /* As in the inspector, which is a view. */
  gtk_widget_add_css_class (GTK_WIDGET (f->chart), "view");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->heatmap));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (f->chart));
  gtk_window_set_child (GTK_WINDOW (f->window), box);

  snapshot = bs_test_make_snapshot (N_ROWS, N_COLS, test_value, "resnet20", "resnet56");
  bs_heatmap_set_snapshot (f->heatmap, snapshot);
  bs_profile_chart_set (f->chart, snapshot, 12, 20);
  gtk_window_present (GTK_WINDOW (f->window));
  gtk_test_widget_wait_for_draw (f->window);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_DEFAULT);
  g_object_ref (f->window);
  gtk_window_destroy (GTK_WINDOW (f->window));
  bs_test_wait_for_finalize (f->window, TRUE, 10000);
}

/* ---------------------------------------------------------------- pixels */

typedef struct {
  GdkTexture *texture;
  guint8     *pixels;
  gsize       stride;
  GtkWidget  *window;
} Shot;

/* The whole window, so that what shows through the heatmap (the window's
 * background) is in the picture too. */
static void
shot_take (Shot       *shot,
           Fixture    *f,
           const char *name)
{
  g_autofree char *full_name = g_strdup_printf ("theme-%s-%s%s", name, expect_dark () ? "dark" : "light",
                                                expect_high_contrast () ? "-hc" : "");

  shot->window = f->window;
  shot->texture = bs_test_screenshot (f->window, full_name);
  shot->pixels = bs_test_texture_pixels (shot->texture, &shot->stride);
}

static void
shot_clear (Shot *shot)
{
  g_clear_object (&shot->texture);
  g_clear_pointer (&shot->pixels, g_free);
}

/* The pixel at point (x, y) of widget, as an opaque colour. */
static BsFigureColor
shot_color (const Shot *shot,
            GtkWidget  *widget,
            double      x,
            double      y)
{
  graphene_point_t p;
  guint8 rgb[3];

  g_assert_true (gtk_widget_compute_point (widget, shot->window, &GRAPHENE_POINT_INIT ((float) x, (float) y), &p));
  g_assert_cmpfloat (p.x, >=, 0);
  g_assert_cmpfloat (p.y, >=, 0);
  g_assert_cmpfloat (p.x, <, gdk_texture_get_width (shot->texture));
  g_assert_cmpfloat (p.y, <, gdk_texture_get_height (shot->texture));
  bs_test_pixel_rgb (shot->pixels, shot->stride, (int) floor (p.x), (int) floor (p.y), rgb);

  return (BsFigureColor) { rgb[0] / 255.0, rgb[1] / 255.0, rgb[2] / 255.0, 1 };
}

/* The pixel of the rectangle (widget coordinates) that contrasts most
 * with backdrop: the core of a glyph or a line. */
static BsFigureColor
shot_strongest (const Shot            *shot,
                GtkWidget             *widget,
                const graphene_rect_t *rect,
                const BsFigureColor   *backdrop)
{
  BsFigureColor best = *backdrop;
  double best_ratio = 1;

  for (double y = rect->origin.y + 0.5; y < rect->origin.y + rect->size.height; y++)
    for (double x = rect->origin.x + 0.5; x < rect->origin.x + rect->size.width; x++)
      {
        BsFigureColor c = shot_color (shot, widget, x, y);
        double ratio = bs_figure_contrast_ratio (&c, backdrop);

        if (ratio > best_ratio)
          {
            best = c;
            best_ratio = ratio;
          }
      }

  return best;
}

static BsFigureColor
named_color (GtkWidget  *widget,
             const char *name)
{
  GdkRGBA rgba;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  g_assert_true (gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, &rgba));
  G_GNUC_END_IGNORE_DEPRECATIONS

  return (BsFigureColor) { rgba.red, rgba.green, rgba.blue, rgba.alpha };
}

/* Within one step of a byte per channel. */
static void
assert_color (const BsFigureColor *got,
              const BsFigureColor *want,
              const char          *what)
{
  if (fabs (got->red - want->red) > 1.5 / 255 || fabs (got->green - want->green) > 1.5 / 255 ||
      fabs (got->blue - want->blue) > 1.5 / 255)
    {
      g_test_message ("%s: got %.3f %.3f %.3f, want %.3f %.3f %.3f", what, got->red, got->green, got->blue,
                      want->red, want->green, want->blue);
      g_assert_not_reached ();
    }
}

static double
luminance (const BsFigureColor *color)
{
  return bs_figure_color_luminance (color);
}

/* ---------------------------------------------------------------- tests */

static void
test_style_manager (Fixture       *f,
                    gconstpointer  data)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();

  /* The look this run was started for is the one libadwaita has. */
  g_test_message ("dark %d, high contrast %d", adw_style_manager_get_dark (manager),
                  adw_style_manager_get_high_contrast (manager));
  g_assert_cmpint (adw_style_manager_get_dark (manager), ==, expect_dark ());
  g_assert_cmpint (adw_style_manager_get_high_contrast (manager), ==, expect_high_contrast ());
  g_assert_cmpint (f->heatmap->palette.high_contrast, ==, expect_high_contrast ());
}

static void
test_background_and_text (Fixture       *f,
                          gconstpointer  data)
{
  GtkWidget *widget = GTK_WIDGET (f->heatmap);
  const BsFigureLayout *l = &f->heatmap->layout;
  const BsFigureRect *p = &l->plot;
  const BsFigureRect *bar = &l->colorbar;
  BsFigureColor bg, want_bg, title, label;
  BsFigurePalette palette;
  Shot shot = { 0 };

  shot_take (&shot, f, "heatmap");

  /* The top-left corner of the heatmap shows the window's background. */
  bg = shot_color (&shot, widget, 3, 3);
  want_bg = named_color (widget, "window_bg_color");
  assert_color (&bg, &want_bg, "background");
  g_test_message ("background luminance %.3f", luminance (&bg));
  if (expect_dark ())
    g_assert_cmpfloat (luminance (&bg), <, 0.05);
  else
    g_assert_cmpfloat (luminance (&bg), >, 0.85);

  /* The palette the heatmap drew with is the one the figure renderer makes
   * of libadwaita's colours for this look. */
  bs_figure_palette_init_from_theme (&palette, &(BsFigureColor) { 0, 0, 0, 0 }, &want_bg,
                                     &(BsFigureColor) { 0, 0, 0, 0 }, expect_high_contrast ());
  assert_color (&f->heatmap->palette.background, &palette.background, "palette background");

  /* Model B's title, centred under the plot: light on dark, dark on light. */
  title = shot_strongest (&shot, widget,
                          &GRAPHENE_RECT_INIT ((float) (p->x + p->width / 2 - 60), (float) (l->height - 20), 120, 16),
                          &bg);
  g_test_message ("title luminance %.3f, contrast %.2f", luminance (&title), bs_figure_contrast_ratio (&title, &bg));
  if (expect_dark ())
    g_assert_cmpfloat (luminance (&title), >, 0.7);
  else
    g_assert_cmpfloat (luminance (&title), <, 0.05);
  g_assert_cmpfloat (bs_figure_contrast_ratio (&title, &bg), >=, BS_FIGURE_TEXT_CONTRAST);

  /* The colour bar's labels (secondary text) too. */
  label = shot_strongest (&shot, widget,
                          &GRAPHENE_RECT_INIT ((float) (bar->x + bar->width + 6), (float) (p->y + 10), 34,
                                               (float) (p->height - 20)),
                          &bg);
  g_test_message ("label luminance %.3f, contrast %.2f", luminance (&label), bs_figure_contrast_ratio (&label, &bg));
  g_assert_cmpfloat (bs_figure_contrast_ratio (&label, &bg), >=, BS_FIGURE_TEXT_CONTRAST);
  g_assert_cmpint (luminance (&label) > luminance (&bg), ==, expect_dark ());

  shot_clear (&shot);
}

/* The stage line marks the renderer gives for the heatmap as it is. */
static GArray *
get_stage_line_marks (BsHeatmap *heatmap)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (heatmap);
  BsHeatmapFigure figure;

  bs_heatmap_figure_init (&figure, heatmap->matrix, heatmap->layout.width, heatmap->layout.height);
  figure.layout = heatmap->layout;
  figure.view = &heatmap->view;
  figure.rows = bs_cka_snapshot_get_rows (snapshot);
  figure.cols = bs_cka_snapshot_get_cols (snapshot);
  figure.palette = heatmap->palette;

  return bs_heatmap_figure_get_marks (&figure, BS_HEATMAP_FIGURE_STAGE_LINES);
}

static void
test_stage_lines (Fixture       *f,
                  gconstpointer  data)
{
  GtkWidget *widget = GTK_WIDGET (f->heatmap);
  const BsFigurePalette *palette = &f->heatmap->palette;
  g_autoptr(GArray) marks = NULL;
  Shot shot = { 0 };
  guint lines = 0;

  shot_take (&shot, f, "stage-lines");
  marks = get_stage_line_marks (f->heatmap);

  for (guint i = 0; i < marks->len; i++)
    {
      const BsFigureMark *m = &g_array_index (marks, BsFigureMark, i);
      gboolean vertical = m->rect.height > m->rect.width;
      BsFigureColor on_line[2], beside[2];

      if (memcmp (&m->color, &palette->stage_line, sizeof m->color) != 0)
        continue;

      /* At a third and two thirds of its length, over cells of other
       * colours; beside it, the halo. */
      for (guint k = 0; k < 2; k++)
        {
          double t = (k + 1) / 3.0;
          double x = vertical ? m->rect.x + 0.5 : m->rect.x + t * m->rect.width;
          double y = vertical ? m->rect.y + t * m->rect.height : m->rect.y + 0.5;

          on_line[k] = shot_color (&shot, widget, x, y);
          beside[k] = shot_color (&shot, widget, vertical ? x - 1 : x, vertical ? y : y - 1);
        }

      if (palette->high_contrast)
        {
          /* Opaque: the same pixels whatever the cells beneath. */
          assert_color (&on_line[0], &palette->stage_line, "stage line");
          assert_color (&on_line[1], &palette->stage_line, "stage line");
          assert_color (&beside[0], &palette->stage_line_halo, "halo");
          assert_color (&beside[1], &palette->stage_line_halo, "halo");
        }
      else
        {
          /* Translucent: the cells show through, lighter on the line than
           * beside it. */
          g_assert_cmpfloat (palette->stage_line.alpha, <, 1.0);
          g_assert_false (on_line[0].red == on_line[1].red && on_line[0].green == on_line[1].green &&
                          on_line[0].blue == on_line[1].blue);
          for (guint k = 0; k < 2; k++)
            g_assert_cmpfloat (luminance (&on_line[k]), >, luminance (&beside[k]));
        }
      lines++;
    }

  /* Stem | 1 | 2 | 3 | head, both ways. */
  g_assert_cmpuint (lines, ==, 8);
  shot_clear (&shot);
}

static void
test_selection_outline (Fixture       *f,
                        gconstpointer  data)
{
  GtkWidget *widget = GTK_WIDGET (f->heatmap);
  BsFigureColor accent = named_color (widget, "accent_color");
  BsFigureColor ring, ring2, outside, inside;
  double ox, oy, x, y, w, h;
  Shot shot = { 0 };

  bs_heatmap_select (f->heatmap, 12, 20);
  shot_take (&shot, f, "selection");

  bs_heatmap_get_plot_origin (f->heatmap, &ox, &oy);
  bs_heatmap_view_cell_to_rect (bs_heatmap_get_view (f->heatmap), 12, 20, &x, &y, &w, &h);
  g_assert_cmpfloat (w, >, 8);

  /* Halfway down the left edge, which lies on a whole pixel: one pixel
   * of the dark ring, two of the accent, one of the light ring, then the
   * cell. */
  x = round (ox + x);
  outside = shot_color (&shot, widget, x - 0.5, oy + y + h / 2);
  ring = shot_color (&shot, widget, x + 0.5, oy + y + h / 2);
  ring2 = shot_color (&shot, widget, x + 1.5, oy + y + h / 2);
  inside = shot_color (&shot, widget, x + 2.5, oy + y + h / 2);
  assert_color (&ring, &accent, "selection ring");
  assert_color (&ring2, &accent, "selection ring, second pixel");
  assert_color (&outside, &f->heatmap->palette.outline_dark, "outside the ring");
  assert_color (&inside, &f->heatmap->palette.outline_light, "inside the ring");
  g_assert_cmpfloat (bs_figure_contrast_ratio (&ring, &outside), >=, BS_FIGURE_GRAPHIC_CONTRAST);

  shot_clear (&shot);
}

static gboolean
hover_label_shown (gpointer data)
{
  return gtk_widget_get_visible (_bs_heatmap_get_hover_label (data));
}

static void
test_hover_label (Fixture       *f,
                  gconstpointer  data)
{
  GtkWidget *label = _bs_heatmap_get_hover_label (f->heatmap);
  BsFigureColor popover_bg = named_color (label, "popover_bg_color");
  BsFigureColor popover_fg = named_color (label, "popover_fg_color");
  BsFigureColor bg, text, edge;
  double ox, oy, x, y, w, h;
  graphene_rect_t bounds;
  int lw, lh;
  Shot shot = { 0 };

  bs_heatmap_get_plot_origin (f->heatmap, &ox, &oy);
  bs_heatmap_view_cell_to_rect (bs_heatmap_get_view (f->heatmap), 8, 6, &x, &y, &w, &h);
  bs_test_pointer_move (GTK_WIDGET (f->heatmap), floor (ox + x + w / 2), floor (oy + y + h / 2));
  g_assert_true (bs_test_wait_until (hover_label_shown, f->heatmap, 5000));
  shot_take (&shot, f, "hover");

  /* The text's box; the padding and the rounded corners are around it. */
  lw = gtk_widget_get_width (label);
  lh = gtk_widget_get_height (label);
  g_assert_true (gtk_widget_compute_bounds (label, label, &bounds));
  g_test_message ("hover label: text %d x %d, box %g, %g, %g x %g", lw, lh, bounds.origin.x, bounds.origin.y,
                  bounds.size.width, bounds.size.height);
  g_assert_cmpint (lw, >, 40);
  g_assert_cmpint (lh, >, 30);
  g_assert_cmpfloat (bounds.origin.x, <=, -4);

  /* In the left padding, clear of the rounded corners: a popover's
   * background, dark in the dark look. */
  bg = shot_color (&shot, label, bounds.origin.x / 2, lh / 2.0);
  assert_color (&bg, &popover_bg, "hover label background");
  g_assert_cmpint (luminance (&bg) < 0.1, ==, expect_dark ());

  /* The text: the popover's foreground, readable. */
  text = shot_strongest (&shot, label, &GRAPHENE_RECT_INIT (0, 0, (float) lw, (float) lh), &bg);
  g_test_message ("hover text luminance %.3f on %.3f: %.2f", luminance (&text), luminance (&bg),
                  bs_figure_contrast_ratio (&text, &bg));
  g_assert_cmpfloat (bs_figure_contrast_ratio (&text, &bg), >=, BS_FIGURE_TEXT_CONTRAST);
  {
    BsFigureColor want = bs_figure_color_over (&popover_fg, &bg);

    g_assert_cmpfloat (fabs (luminance (&text) - luminance (&want)), <, 0.05);
  }

  /* With high contrast, an edge in the text's colour just outside it. */
  if (expect_high_contrast ())
    {
      edge = shot_color (&shot, label, lw / 2.0, bounds.origin.y - 0.5);
      g_test_message ("edge luminance %.3f", luminance (&edge));
      g_assert_cmpfloat (bs_figure_contrast_ratio (&edge, &bg), >=, BS_FIGURE_GRAPHIC_CONTRAST);
    }

  shot_clear (&shot);
}

static void
test_profile_colors (Fixture       *f,
                     gconstpointer  data)
{
  BsFigureColor accent = named_color (GTK_WIDGET (f->chart), "accent_color");
  BsFigureColor view_bg = named_color (GTK_WIDGET (f->chart), "view_bg_color");
  GdkRGBA row, col;
  BsFigureColor row_color, col_color;

  /* The row profile in the accent colour, the column's orange, both
   * standing out from the view they are drawn on. */
  bs_profile_chart_get_colors (f->chart, &row, &col);
  row_color = (BsFigureColor) { row.red, row.green, row.blue, row.alpha };
  col_color = (BsFigureColor) { col.red, col.green, col.blue, col.alpha };
  assert_color (&row_color, &accent, "row profile");
  g_assert_cmpfloat (bs_figure_contrast_ratio (&row_color, &view_bg), >=, BS_FIGURE_GRAPHIC_CONTRAST);
  g_assert_cmpfloat (bs_figure_contrast_ratio (&col_color, &view_bg), >=, BS_FIGURE_GRAPHIC_CONTRAST);
  g_assert_cmpfloat (col_color.red, >, col_color.blue);
}

static gboolean
heatmap_background_is (gpointer data)
{
  BsHeatmap *heatmap = data;
  gboolean want_dark = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (heatmap), "want-dark"));

  return (luminance (&heatmap->palette.background) < 0.5) == want_dark;
}

static void
test_switch_scheme (Fixture       *f,
                    gconstpointer  data)
{
  AdwStyleManager *manager = adw_style_manager_get_default ();
  gboolean dark = !expect_dark ();
  const BsFigureLayout *l = &f->heatmap->layout;
  const BsFigureRect *p = &l->plot;
  BsFigureColor bg, title;
  Shot shot = { 0 };

  /* The other scheme, as a preference switch while the window is open
   * would give it: the heatmap draws again in its colours. */
  adw_style_manager_set_color_scheme (manager, dark ? ADW_COLOR_SCHEME_FORCE_DARK : ADW_COLOR_SCHEME_FORCE_LIGHT);
  g_assert_cmpint (adw_style_manager_get_dark (manager), ==, dark);
  g_object_set_data (G_OBJECT (f->heatmap), "want-dark", GINT_TO_POINTER (dark));
  g_assert_true (bs_test_wait_until (heatmap_background_is, f->heatmap, 5000));

  shot_take (&shot, f, "switched");
  bg = shot_color (&shot, GTK_WIDGET (f->heatmap), 3, 3);
  title = shot_strongest (&shot, GTK_WIDGET (f->heatmap),
                          &GRAPHENE_RECT_INIT ((float) (p->x + p->width / 2 - 60), (float) (l->height - 20), 120, 16),
                          &bg);
  g_test_message ("after the switch: background %.3f, title %.3f", luminance (&bg), luminance (&title));
  g_assert_cmpint (luminance (&bg) < 0.5, ==, dark);
  g_assert_cmpint (luminance (&title) > luminance (&bg), ==, dark);
  g_assert_cmpfloat (bs_figure_contrast_ratio (&title, &bg), >=, BS_FIGURE_TEXT_CONTRAST);
  shot_clear (&shot);
}

int
main (int    argc,
      char **argv)
{
  int status;

  bs_test_init (&argc, &argv);

  g_test_add ("/theme/style-manager", Fixture, NULL, fixture_setup, test_style_manager, fixture_teardown);
  g_test_add ("/theme/background-and-text", Fixture, NULL, fixture_setup, test_background_and_text, fixture_teardown);
  g_test_add ("/theme/stage-lines", Fixture, NULL, fixture_setup, test_stage_lines, fixture_teardown);
  g_test_add ("/theme/selection-outline", Fixture, NULL, fixture_setup, test_selection_outline, fixture_teardown);
  g_test_add ("/theme/hover-label", Fixture, NULL, fixture_setup, test_hover_label, fixture_teardown);
  g_test_add ("/theme/profile-colors", Fixture, NULL, fixture_setup, test_profile_colors, fixture_teardown);
  g_test_add ("/theme/switch-scheme", Fixture, NULL, fixture_setup, test_switch_scheme, fixture_teardown);

  app = bs_test_app_new ();
  status = g_test_run ();
  bs_test_app_quit (app);
  g_clear_object (&app);

  return status;
}
