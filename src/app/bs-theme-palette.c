/* bs-theme-palette.c: the figure palette of the current theme (see the
 * header). */
#include "bs-config.h"

#include "bs-theme-palette.h"

#include <adwaita.h>

static BsFigureColor
from_rgba (const GdkRGBA *rgba)
{
  return (BsFigureColor) { rgba->red, rgba->green, rgba->blue, rgba->alpha };
}

GdkRGBA
bs_theme_palette_rgba (const BsFigureColor *color)
{
  return (GdkRGBA) { (float) color->red, (float) color->green, (float) color->blue, (float) color->alpha };
}

/* The first of names the theme defines. */
static gboolean
lookup_color (GtkStyleContext    *context,
              const char * const *names,
              GdkRGBA            *color)
{
  for (guint i = 0; names[i] != NULL; i++)
    if (gtk_style_context_lookup_color (context, names[i], color))
      return TRUE;

  return FALSE;
}

gboolean
bs_theme_is_high_contrast (GtkWidget *widget)
{
  /* Without libadwaita (a widget shown by plain GTK code), no preference. */
  if (!adw_is_initialized ())
    return FALSE;

  return adw_style_manager_get_high_contrast (adw_style_manager_get_for_display (gtk_widget_get_display (widget)));
}

void
bs_theme_palette_read (GtkWidget       *widget,
                       const char      *background_name,
                       BsFigurePalette *palette)
{
  const char * const background_names[] = { background_name, "theme_bg_color", NULL };
  const char * const accent_names[] = { "accent_color", "theme_selected_bg_color", NULL };
  GtkStyleContext *context;
  GdkRGBA fg, bg, accent;
  BsFigureColor foreground, background, accent_color;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  context = gtk_widget_get_style_context (widget);
  gtk_style_context_get_color (context, &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  foreground = from_rgba (&fg);
  if (lookup_color (context, background_names, &bg))
    background = from_rgba (&bg);
  else
    {
      BsFigureColor opaque_fg = foreground;

      /* Some theme without either name: whichever of white and black the
       * text is not. */
      opaque_fg.alpha = 1.0;
      background = bs_figure_color_luminance (&opaque_fg) > 0.5 ? (BsFigureColor) { 0, 0, 0, 1 }
                                                                 : (BsFigureColor) { 1, 1, 1, 1 };
    }
  if (lookup_color (context, accent_names, &accent))
    accent_color = from_rgba (&accent);
  else
    accent_color = (BsFigureColor) { 0x1c / 255.0, 0x71 / 255.0, 0xd8 / 255.0, 1 };

  bs_figure_palette_init_from_theme (palette, &foreground, &background, &accent_color,
                                     bs_theme_is_high_contrast (widget));
}

static GQuark
changed_quark (void)
{
  return g_quark_from_static_string ("bs-theme-palette-changed");
}

static void
on_style_manager_notify (AdwStyleManager *manager,
                         GParamSpec      *pspec,
                         GtkWidget       *widget)
{
  BsThemeChangedFunc changed = (BsThemeChangedFunc) g_object_get_qdata (G_OBJECT (widget), changed_quark ());

  if (changed != NULL)
    changed (widget);
}

void
bs_theme_palette_watch (GtkWidget          *widget,
                        BsThemeChangedFunc  changed)
{
  AdwStyleManager *manager;

  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (!adw_is_initialized ())
    return;

  manager = adw_style_manager_get_for_display (gtk_widget_get_display (widget));
  g_object_set_qdata (G_OBJECT (widget), changed_quark (), (gpointer) changed);
  g_signal_connect_object (manager, "notify::dark", G_CALLBACK (on_style_manager_notify), widget, 0);
  g_signal_connect_object (manager, "notify::high-contrast", G_CALLBACK (on_style_manager_notify), widget, 0);
}
