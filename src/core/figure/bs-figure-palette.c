/* bs-figure-palette.c: figure palettes from a theme, and WCAG 2 contrast
 * (see the header). */
#include "bs-figure-palette.h"

#include <math.h>
#include <string.h>

/* Alphas of the foreground (or of white and black over the cells):
 * [0] normal, [1] high contrast. Text and lines start from theirs and
 * grow until they reach their ratio. */
static const double band_alpha[2][2]   = { { 0.07, 0.16 }, { 0.10, 0.24 } };
static const double strip_alpha[2][2]  = { { 0.45, 0.16 }, { 0.90, 0.30 } };
static const double secondary_alpha[2] = { 0.70, 1.0 };
static const double line_alpha[2]      = { 0.45, 1.0 };
static const double grid_alpha[2]      = { 0.12, 0.30 };
static const double stage_alpha[2]     = { 0.80, 1.0 };
static const double halo_alpha[2]      = { 0.60, 1.0 };

#define ALPHA_STEPS 20   /* alphas tried: multiples of 1/20 */

/* GNOME's palette: blue 4 (libadwaita's accent on light backgrounds),
 * orange 5 on light backgrounds and orange 2 on dark ones. */
static const BsFigureColor gnome_blue_4   = { 0x1c / 255.0, 0x71 / 255.0, 0xd8 / 255.0, 1 };
static const BsFigureColor gnome_orange_5 = { 0xc6 / 255.0, 0x46 / 255.0, 0x00 / 255.0, 1 };
static const BsFigureColor gnome_orange_2 = { 0xff / 255.0, 0xa3 / 255.0, 0x48 / 255.0, 1 };
static const BsFigureColor white          = { 1, 1, 1, 1 };
static const BsFigureColor black          = { 0, 0, 0, 1 };

BsFigureColor
bs_figure_color_over (const BsFigureColor *top,
                      const BsFigureColor *bottom)
{
  double a = CLAMP (top->alpha, 0.0, 1.0);

  return (BsFigureColor) {
    a * top->red + (1 - a) * bottom->red,
    a * top->green + (1 - a) * bottom->green,
    a * top->blue + (1 - a) * bottom->blue,
    1.0,
  };
}

static double
linear (double channel)
{
  channel = CLAMP (channel, 0.0, 1.0);

  return channel <= 0.04045 ? channel / 12.92 : pow ((channel + 0.055) / 1.055, 2.4);
}

double
bs_figure_color_luminance (const BsFigureColor *color)
{
  return 0.2126 * linear (color->red) + 0.7152 * linear (color->green) + 0.0722 * linear (color->blue);
}

double
bs_figure_contrast_ratio (const BsFigureColor *color,
                          const BsFigureColor *backdrop)
{
  BsFigureColor seen = bs_figure_color_over (color, backdrop);
  double a = bs_figure_color_luminance (&seen);
  double b = bs_figure_color_luminance (backdrop);

  return (MAX (a, b) + 0.05) / (MIN (a, b) + 0.05);
}

static BsFigureColor
faded (const BsFigureColor *color,
       double               alpha)
{
  BsFigureColor faded = *color;

  faded.alpha *= alpha;

  return faded;
}

/* color at the least alpha, from `from` up, whose contrast against each
 * of the opaque surfaces reaches ratio; color itself when none does. */
static BsFigureColor
faded_until (const BsFigureColor *color,
             double               from,
             double               ratio,
             const BsFigureColor *surfaces,
             guint                n_surfaces)
{
  for (int step = (int) ceil (from * ALPHA_STEPS - 1e-9); step <= ALPHA_STEPS; step++)
    {
      BsFigureColor candidate = faded (color, (double) step / ALPHA_STEPS);
      gboolean enough = TRUE;

      for (guint i = 0; i < n_surfaces && enough; i++)
        enough = bs_figure_contrast_ratio (&candidate, &surfaces[i]) >= ratio;
      if (enough)
        return candidate;
    }

  return *color;
}

void
bs_figure_palette_init_from_theme (BsFigurePalette     *palette,
                                   const BsFigureColor *foreground,
                                   const BsFigureColor *background,
                                   const BsFigureColor *accent,
                                   gboolean             high_contrast)
{
  int hc = high_contrast ? 1 : 0;
  BsFigureColor bg = *background;
  BsFigureColor under_text[3];
  BsFigureColor fg_seen;
  gboolean dark;

  g_return_if_fail (palette != NULL && foreground != NULL && background != NULL && accent != NULL);

  memset (palette, 0, sizeof *palette);
  bg.alpha = 1.0;
  palette->high_contrast = hc;
  palette->background = bg;
  palette->text = *foreground;

  for (guint i = 0; i < 2; i++)
    {
      palette->band[i] = faded (foreground, band_alpha[hc][i]);
      palette->strip[i] = faded (foreground, strip_alpha[hc][i]);
    }

  /* Stage names sit on the bands, layer numbers and colour-bar labels on
   * the background. */
  under_text[0] = bg;
  under_text[1] = bs_figure_color_over (&palette->band[0], &bg);
  under_text[2] = bs_figure_color_over (&palette->band[1], &bg);
  palette->text_secondary = faded_until (foreground, secondary_alpha[hc], BS_FIGURE_TEXT_CONTRAST,
                                         under_text, G_N_ELEMENTS (under_text));
  palette->line = faded_until (foreground, line_alpha[hc], BS_FIGURE_GRAPHIC_CONTRAST, &bg, 1);
  palette->grid = faded (foreground, grid_alpha[hc]);

  /* Over the cells the same in every theme: the cells do not change. */
  palette->stage_line = faded (&white, stage_alpha[hc]);
  palette->stage_line_halo = faded (&black, halo_alpha[hc]);
  palette->accent = *accent;
  palette->outline_dark = black;
  palette->outline_light = white;
  /* A mid-dark orange, not the series' orange: its ring lies between the
   * black and the white one, and must stand apart from both (4.3:1 and
   * 4.9:1), whatever the cells under it; the light orange of dark themes
   * would merge with the white ring. */
  palette->block_outline = gnome_orange_5;

  /* The accent, unless the theme's is too faint here; orange beside it,
   * lighter on dark backgrounds. */
  fg_seen = bs_figure_color_over (foreground, &bg);
  dark = bs_figure_color_luminance (&bg) < bs_figure_color_luminance (&fg_seen);
  palette->series[0] = bs_figure_contrast_ratio (accent, &bg) >= BS_FIGURE_GRAPHIC_CONTRAST ? *accent : *foreground;
  palette->series[1] = dark ? gnome_orange_2 : gnome_orange_5;
}

void
bs_figure_palette_init_paper (BsFigurePalette *palette)
{
  bs_figure_palette_init_from_theme (palette, &black, &white, &gnome_blue_4, FALSE);
}

gboolean
bs_figure_palette_equal (const BsFigurePalette *a,
                         const BsFigurePalette *b)
{
  /* The colours are doubles with nothing between them. */
  return memcmp (a, b, G_STRUCT_OFFSET (BsFigurePalette, high_contrast)) == 0 &&
         a->high_contrast == b->high_contrast;
}
