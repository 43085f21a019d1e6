/* test-figure-palette.c: every palette the app can draw with meets WCAG
 * 2's contrast ratios: text 4.5:1 against whatever it sits on, lines and
 * the colour-map grey of cells without a value 3:1 against the
 * background. Over the cells, whose colour maps run from black to near
 * white, no single colour can reach 3:1 against all of them, so lines
 * there come with a halo and outlines with a dark and a light ring: for
 * every entry of every colour map one of the pair must reach 3:1 (and the
 * pair itself, so that the line reads as one). The palettes are those of
 * libadwaita 1.2's light and dark styles, with and without high contrast,
 * and the paper palette of exported figures. The WCAG formulas themselves
 * are checked against published ratios. */
#include "bs-config.h"

#include <math.h>

#include "bs-colormap.h"
#include "bs-figure-palette.h"

static BsFigureColor
rgb (guint  hex,
     double alpha)
{
  return (BsFigureColor) { ((hex >> 16) & 0xff) / 255.0, ((hex >> 8) & 0xff) / 255.0, (hex & 0xff) / 255.0, alpha };
}

/* ---------------------------------------------------------------- WCAG */

static void
test_wcag_reference (void)
{
  BsFigureColor white = rgb (0xffffff, 1), black = rgb (0x000000, 1);
  BsFigureColor half_black = rgb (0x000000, 0.5);
  BsFigureColor grey;

  /* Relative luminance: 0 and 1 at the ends; sRGB 0x80 is 0.2158605. */
  g_assert_cmpfloat_with_epsilon (bs_figure_color_luminance (&black), 0.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (bs_figure_color_luminance (&white), 1.0, 1e-12);
  grey = rgb (0x808080, 1);
  g_assert_cmpfloat_with_epsilon (bs_figure_color_luminance (&grey), 0.2158605, 1e-6);

  /* Contrast ratios as WebAIM's checker gives them: 21, 4.54 for #767676
   * on white (the lightest grey that passes AA), 4.48 for #777777, 7.00
   * for #595959. */
  g_assert_cmpfloat_with_epsilon (bs_figure_contrast_ratio (&black, &white), 21.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (bs_figure_contrast_ratio (&white, &black), 21.0, 1e-9);
  g_assert_cmpfloat_with_epsilon (bs_figure_contrast_ratio (&(BsFigureColor) { 0x76 / 255.0, 0x76 / 255.0, 0x76 / 255.0, 1 }, &white),
                                  4.54, 0.005);
  g_assert_cmpfloat_with_epsilon (bs_figure_contrast_ratio (&(BsFigureColor) { 0x77 / 255.0, 0x77 / 255.0, 0x77 / 255.0, 1 }, &white),
                                  4.48, 0.005);
  g_assert_cmpfloat_with_epsilon (bs_figure_contrast_ratio (&(BsFigureColor) { 0x59 / 255.0, 0x59 / 255.0, 0x59 / 255.0, 1 }, &white),
                                  7.00, 0.005);

  /* Translucent colours are seen over their backdrop: half black on white
   * is 0x80 grey, as cairo blends it. */
  grey = bs_figure_color_over (&half_black, &white);
  g_assert_cmpfloat_with_epsilon (grey.red, 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (grey.alpha, 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (bs_figure_contrast_ratio (&half_black, &white),
                                  bs_figure_contrast_ratio (&(BsFigureColor) { 0.5, 0.5, 0.5, 1 }, &white), 1e-12);
}

/* ---------------------------------------------------------------- palettes */

typedef struct {
  const char      *name;
  BsFigurePalette  palette;
} Named;

/* libadwaita 1.2's defaults-light.css and defaults-dark.css: the window's
 * and the view's colours (the heatmap sits on the window, the inspector's
 * chart on a view) and the accent; high contrast keeps them. */
static guint
make_palettes (Named *out)
{
  struct {
    const char *name;
    guint       fg;
    double      fg_alpha;
    guint       bg;
    guint       accent;
    gboolean    hc;
  } themes[] = {
    { "light window", 0x000000, 0.8, 0xfafafa, 0x1c71d8, FALSE },
    { "light view", 0x000000, 0.8, 0xffffff, 0x1c71d8, FALSE },
    { "dark window", 0xffffff, 1.0, 0x242424, 0x78aeed, FALSE },
    { "dark view", 0xffffff, 1.0, 0x1e1e1e, 0x78aeed, FALSE },
    { "high contrast light window", 0x000000, 0.8, 0xfafafa, 0x1c71d8, TRUE },
    { "high contrast light view", 0x000000, 0.8, 0xffffff, 0x1c71d8, TRUE },
    { "high contrast dark window", 0xffffff, 1.0, 0x242424, 0x78aeed, TRUE },
    { "high contrast dark view", 0xffffff, 1.0, 0x1e1e1e, 0x78aeed, TRUE },
  };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (themes); i++, n++)
    {
      BsFigureColor fg = rgb (themes[i].fg, themes[i].fg_alpha), bg = rgb (themes[i].bg, 1);
      BsFigureColor accent = rgb (themes[i].accent, 1);

      out[n].name = themes[i].name;
      bs_figure_palette_init_from_theme (&out[n].palette, &fg, &bg, &accent, themes[i].hc);
    }
  out[n].name = "paper";
  bs_figure_palette_init_paper (&out[n].palette);

  return n + 1;
}

#define MAX_PALETTES 9

static void
assert_ratio (const char          *palette,
              const char          *what,
              const BsFigureColor *color,
              const BsFigureColor *backdrop,
              double               least)
{
  double ratio = bs_figure_contrast_ratio (color, backdrop);

  g_test_message ("%-28s %-40s %5.2f", palette, what, ratio);
  if (ratio < least)
    {
      g_test_message ("%s: %s has %.2f:1, wants %.1f:1", palette, what, ratio, least);
      g_test_fail ();
    }
}

static void
test_text_and_lines (void)
{
  Named palettes[MAX_PALETTES];
  guint n = make_palettes (palettes);

  for (guint i = 0; i < n; i++)
    {
      const char *name = palettes[i].name;
      const BsFigurePalette *p = &palettes[i].palette;
      const BsFigureColor *bg = &p->background;
      BsFigureColor band0 = bs_figure_color_over (&p->band[0], bg);
      BsFigureColor band1 = bs_figure_color_over (&p->band[1], bg);
      BsFigureColor missing = { BS_COLORMAP_NAN_R / 255.0, BS_COLORMAP_NAN_G / 255.0, BS_COLORMAP_NAN_B / 255.0, 1 };

      g_assert_cmpfloat (bg->alpha, ==, 1.0);

      /* Titles on the background; layer numbers and colour-bar labels on
       * it too, stage names on either shade of the band. */
      assert_ratio (name, "text on background", &p->text, bg, BS_FIGURE_TEXT_CONTRAST);
      assert_ratio (name, "secondary text on background", &p->text_secondary, bg, BS_FIGURE_TEXT_CONTRAST);
      assert_ratio (name, "secondary text on even stage band", &p->text_secondary, &band0, BS_FIGURE_TEXT_CONTRAST);
      assert_ratio (name, "secondary text on odd stage band", &p->text_secondary, &band1, BS_FIGURE_TEXT_CONTRAST);

      /* Ticks, the frame and the colour bar's outline; the charts' lines. */
      assert_ratio (name, "line on background", &p->line, bg, BS_FIGURE_GRAPHIC_CONTRAST);
      assert_ratio (name, "row profile on background", &p->series[0], bg, BS_FIGURE_GRAPHIC_CONTRAST);
      assert_ratio (name, "column profile on background", &p->series[1], bg, BS_FIGURE_GRAPHIC_CONTRAST);

      /* Cells not computed yet still stand apart from the background. */
      assert_ratio (name, "not-computed grey against background", &missing, bg, BS_FIGURE_GRAPHIC_CONTRAST);

      /* The selection ring stands apart from its dark outer ring, and the
       * two rings from each other (the hover outline). */
      assert_ratio (name, "accent against outer ring", &p->accent, &p->outline_dark, BS_FIGURE_GRAPHIC_CONTRAST);
      assert_ratio (name, "light ring against dark ring", &p->outline_light, &p->outline_dark, BS_FIGURE_GRAPHIC_CONTRAST);

      /* A detected block's ring lies between a dark ring outside and a
       * light one inside: it stands apart from both, so it reads as one
       * line over any cell, where one of the rings contrasts with the
       * cell (test_over_cells). */
      g_assert_cmpfloat (p->block_outline.alpha, ==, 1.0);
      assert_ratio (name, "block outline against outer ring", &p->block_outline, &p->outline_dark,
                    BS_FIGURE_GRAPHIC_CONTRAST);
      assert_ratio (name, "block outline against inner ring", &p->block_outline, &p->outline_light,
                    BS_FIGURE_GRAPHIC_CONTRAST);
    }
}

/* The larger of the two ratios a pair of colours drawn over cell reaches
 * against it. */
static double
pair_ratio (const BsFigureColor *a,
            const BsFigureColor *b,
            const BsFigureColor *cell)
{
  return MAX (bs_figure_contrast_ratio (a, cell), bs_figure_contrast_ratio (b, cell));
}

static void
test_over_cells (void)
{
  Named palettes[MAX_PALETTES];
  guint n = make_palettes (palettes);

  for (guint i = 0; i < n; i++)
    {
      const BsFigurePalette *p = &palettes[i].palette;
      double worst_line = 21, worst_outline = 21, worst_pair = 21;

      for (BsColormap map = 0; map < BS_N_COLORMAPS; map++)
        {
          const guint8 *table = bs_colormap_get_table (map);

          /* Every entry, and the grey of cells without a value. */
          for (guint e = 0; e <= BS_COLORMAP_SIZE; e++)
            {
              BsFigureColor cell = e < BS_COLORMAP_SIZE
                ? (BsFigureColor) { table[3 * e] / 255.0, table[3 * e + 1] / 255.0, table[3 * e + 2] / 255.0, 1 }
                : (BsFigureColor) { BS_COLORMAP_NAN_R / 255.0, BS_COLORMAP_NAN_G / 255.0, BS_COLORMAP_NAN_B / 255.0, 1 };
              BsFigureColor line = bs_figure_color_over (&p->stage_line, &cell);
              BsFigureColor halo = bs_figure_color_over (&p->stage_line_halo, &cell);

              worst_line = MIN (worst_line, pair_ratio (&line, &halo, &cell));
              /* The line itself reads as a line between its halos. */
              worst_pair = MIN (worst_pair, bs_figure_contrast_ratio (&line, &halo));
              worst_outline = MIN (worst_outline, pair_ratio (&p->outline_dark, &p->outline_light, &cell));
            }
        }

      g_test_message ("%-28s stage line or halo over the worst cell %5.2f, outline rings %5.2f",
                      palettes[i].name, worst_line, worst_outline);
      g_assert_cmpfloat (worst_line, >=, BS_FIGURE_GRAPHIC_CONTRAST);
      g_assert_cmpfloat (worst_outline, >=, BS_FIGURE_GRAPHIC_CONTRAST);
      g_test_message ("%-28s stage line against its halo over the worst cell %5.2f",
                      palettes[i].name, worst_pair);
      g_assert_cmpfloat (worst_pair, >=, BS_FIGURE_GRAPHIC_CONTRAST);
    }
}

static void
test_high_contrast (void)
{
  BsFigureColor fg = rgb (0x000000, 0.8), bg = rgb (0xfafafa, 1), accent = rgb (0x1c71d8, 1);
  BsFigurePalette normal, high;

  bs_figure_palette_init_from_theme (&normal, &fg, &bg, &accent, FALSE);
  bs_figure_palette_init_from_theme (&high, &fg, &bg, &accent, TRUE);

  g_assert_false (normal.high_contrast);
  g_assert_true (high.high_contrast);
  g_assert_false (bs_figure_palette_equal (&normal, &high));

  /* Opaque lines over the cells, the theme's full foreground for lines
   * and secondary text, more shading. */
  g_assert_cmpfloat (normal.stage_line.alpha, <, 1.0);
  g_assert_cmpfloat (high.stage_line.alpha, ==, 1.0);
  g_assert_cmpfloat (high.stage_line_halo.alpha, ==, 1.0);
  g_assert_cmpfloat (high.line.alpha, ==, fg.alpha);
  g_assert_cmpmem (&high.text_secondary, sizeof (BsFigureColor), &high.text, sizeof (BsFigureColor));
  g_assert_cmpfloat (normal.text_secondary.alpha, <, normal.text.alpha);
  for (guint i = 0; i < 2; i++)
    {
      g_assert_cmpfloat (high.band[i].alpha, >, normal.band[i].alpha);
      g_assert_cmpfloat (high.strip[i].alpha, >, normal.strip[i].alpha);
    }
  g_assert_cmpfloat (high.grid.alpha, >, normal.grid.alpha);
}

/* A theme whose foreground would be too faint at the usual alphas gets
 * stronger secondary text and lines, as far as its foreground goes. */
static void
test_faint_theme (void)
{
  BsFigureColor fg = rgb (0x303030, 1), bg = rgb (0xd0d0d0, 1), accent = rgb (0x1c71d8, 1);
  BsFigurePalette p;

  bs_figure_palette_init_from_theme (&p, &fg, &bg, &accent, FALSE);
  g_test_message ("secondary text alpha %.2f, line alpha %.2f", p.text_secondary.alpha, p.line.alpha);
  g_assert_cmpfloat (p.text_secondary.alpha, >, 0.7);
  g_assert_cmpfloat (p.line.alpha, >, 0.45);
  g_assert_cmpfloat (bs_figure_contrast_ratio (&p.text_secondary, &bg), >=, BS_FIGURE_TEXT_CONTRAST);
  g_assert_cmpfloat (bs_figure_contrast_ratio (&p.line, &bg), >=, BS_FIGURE_GRAPHIC_CONTRAST);
  /* The least that does: a step less would not. */
  {
    BsFigureColor less = p.text_secondary;
    BsFigureColor band1 = bs_figure_color_over (&p.band[1], &bg);

    less.alpha -= 0.05;
    g_assert_true (bs_figure_contrast_ratio (&less, &bg) < BS_FIGURE_TEXT_CONTRAST ||
                   bs_figure_contrast_ratio (&less, &band1) < BS_FIGURE_TEXT_CONTRAST);
  }

  /* An accent too close to the background is not used for a chart line. */
  accent = rgb (0xc8d0e0, 1);
  bs_figure_palette_init_from_theme (&p, &fg, &bg, &accent, FALSE);
  g_assert_cmpmem (&p.series[0], sizeof (BsFigureColor), &fg, sizeof (BsFigureColor));
}

static void
test_paper (void)
{
  BsFigurePalette paper, again;

  bs_figure_palette_init_paper (&paper);
  bs_figure_palette_init_paper (&again);
  g_assert_true (bs_figure_palette_equal (&paper, &again));

  /* Black on white, whatever the screen shows. */
  g_assert_cmpfloat (paper.text.red + paper.text.green + paper.text.blue, ==, 0.0);
  g_assert_cmpfloat (paper.text.alpha, ==, 1.0);
  g_assert_cmpfloat (paper.background.red * paper.background.green * paper.background.blue, ==, 1.0);
  g_assert_false (paper.high_contrast);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/figure-palette/wcag-reference", test_wcag_reference);
  g_test_add_func ("/figure-palette/text-and-lines", test_text_and_lines);
  g_test_add_func ("/figure-palette/over-cells", test_over_cells);
  g_test_add_func ("/figure-palette/high-contrast", test_high_contrast);
  g_test_add_func ("/figure-palette/faint-theme", test_faint_theme);
  g_test_add_func ("/figure-palette/paper", test_paper);

  return g_test_run ();
}
