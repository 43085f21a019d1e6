/* bs-window-export.h: the window's figures and files: what leaves the window, and results that come in.
 *
 * Actions (win.*): export-figure (Ctrl+E: the Export Figure dialog with
 * the result on screen), add-to-figure (the result on screen as one more
 * panel of that dialog), copy-figure (Ctrl+Shift+C: the figure as a PNG
 * on the clipboard), export-data (Ctrl+Shift+E: the matrix as .npy with
 * its JSON, or .csv, as `blockscope-cli cka` writes them) and open-result
 * (a matrix computed elsewhere, explored here). A result file dropped on
 * the window opens as Open Result does. The actions that need a result
 * are disabled until the heatmap has one. */
#pragma once

#include "bs-export-dialog.h"
#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowExport BsWindowExport;

/* Adds the actions and the drop target to window. */
BsWindowExport *bs_window_export_new          (BsWindow       *window);
void            bs_window_export_free         (BsWindowExport *self);

/* Shows the result in file in the window, as Open Result… and a drop do;
 * FALSE after showing why it cannot (a banner in the window). */
gboolean        bs_window_export_open_result  (BsWindowExport *self,
                                               GFile          *file);
/* Writes the result on screen to file (.npy with its JSON, or .csv), as
 * Export Data… does after its file chooser. */
gboolean        bs_window_export_save_data    (BsWindowExport *self,
                                               GFile          *file,
                                               GError        **error);

/* For tests: the Export Figure dialog while it is open, else NULL. */
BsExportDialog *bs_window_export_get_dialog   (BsWindowExport *self);

G_END_DECLS
