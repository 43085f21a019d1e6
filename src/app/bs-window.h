/* bs-window.h: the main window: model pickers, the heatmap and the inspector. */
#pragma once

#include <gtk/gtk.h>

#include "bs-application.h"

G_BEGIN_DECLS

#define BS_TYPE_WINDOW (bs_window_get_type ())

G_DECLARE_FINAL_TYPE (BsWindow, bs_window, BS, WINDOW, GtkApplicationWindow)

BsWindow *bs_window_new (BsApplication *application);

G_END_DECLS
