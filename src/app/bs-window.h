/* bs-window.h: the main window: model pickers, the heatmap and the inspector. */
#pragma once

#include <gtk/gtk.h>

#include "bs-application.h"

G_BEGIN_DECLS

#define BS_TYPE_WINDOW (bs_window_get_type ())

G_DECLARE_FINAL_TYPE (BsWindow, bs_window, BS, WINDOW, GtkApplicationWindow)

BsWindow *bs_window_new       (BsApplication *application);
/* Shows what file holds: a folder is watched for CKA shards (Open Shards
 * Folder…), anything else opened as a result (Open Result…); a message in
 * the window says why when it cannot. For `blockscope FILE` and drops. */
void      bs_window_open_file (BsWindow      *self,
                               GFile         *file);

G_END_DECLS
