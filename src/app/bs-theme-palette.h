/* bs-theme-palette.h: the figure palette (bs-figure-palette.h) of the
 * current GTK theme, for the widgets that draw by hand.
 *
 * Read from libadwaita's named colours (accent_color and the background
 * the caller names, with GTK's older names as fallbacks), the widget's own
 * foreground, and the style manager's high-contrast setting. Cheap enough
 * to read in every snapshot, so a widget never holds a stale palette; it
 * only needs a redraw when the theme changes (bs_theme_palette_watch ()). */
#pragma once

#include <gtk/gtk.h>

#include "bs-figure-palette.h"

G_BEGIN_DECLS

/* background_name: the named colour the widget is drawn on,
 * "window_bg_color" or "view_bg_color". */
void     bs_theme_palette_read    (GtkWidget       *widget,
                                   const char      *background_name,
                                   BsFigurePalette *palette);

/* Whether libadwaita's style manager says high contrast is on. */
gboolean bs_theme_is_high_contrast (GtkWidget      *widget);

typedef void (*BsThemeChangedFunc) (GtkWidget *widget);

/* Calls changed (widget) whenever the style manager's dark or
 * high-contrast state changes (a theme change that need not change the
 * widget's own style, so GTK would not redraw it), for as long as the
 * widget lives. One function per widget. */
void     bs_theme_palette_watch   (GtkWidget          *widget,
                                   BsThemeChangedFunc  changed);

/* color as GDK has it. */
GdkRGBA  bs_theme_palette_rgba    (const BsFigureColor *color);

G_END_DECLS
