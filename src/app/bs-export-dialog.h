/* bs-export-dialog.h: File › Export Figure…: a figure for a paper, with its options and a live preview.
 *
 * The dialog shows the figure bs-figure-export.h draws, page size and all,
 * as the options change: width (one column, two columns, custom), font
 * size, resolution (PNG), title, colour map and range, a masked upper
 * triangle, marks on uncertain cells, lines over the cells, the analyses
 * (PC1 share strips when every panel has the shares, the detected blocks
 * outlined at a threshold on panels of a network against itself), and the panels
 * (each with a title; several stand in a grid of `columns` with one colour
 * bar). Export… asks for a file with the native file chooser; the
 * extension says the format (.pdf, .svg, .png). Copy puts a PNG on the
 * clipboard. The file is written on a worker thread; errors are shown in
 * the dialog and lose nothing. */
#pragma once

#include <adwaita.h>

#include "bs-cka-snapshot.h"
#include "bs-figure-export.h"

G_BEGIN_DECLS

#define BS_TYPE_EXPORT_DIALOG (bs_export_dialog_get_type ())
G_DECLARE_FINAL_TYPE (BsExportDialog, bs_export_dialog, BS, EXPORT_DIALOG, AdwWindow)

BsExportDialog *bs_export_dialog_new              (GtkWindow             *parent);

/* Appends a panel (a reference is taken); title may be NULL. */
void            bs_export_dialog_add_panel        (BsExportDialog        *self,
                                                   BsCkaSnapshot         *snapshot,
                                                   const char            *title);
guint           bs_export_dialog_get_n_panels     (BsExportDialog        *self);

/* The analyses the figure starts with: the heatmap's. */
void            bs_export_dialog_set_analyses     (BsExportDialog        *self,
                                                   gboolean               pc1_strips,
                                                   gboolean               blocks,
                                                   double                 block_threshold);

/* The colour map and range the figure starts with: the heatmap's. */
void            bs_export_dialog_set_look         (BsExportDialog        *self,
                                                   BsColormap             colormap,
                                                   gboolean               data_range);

/* The options as the rows set them; strings are the dialog's, valid
 * until the rows change. */
void            bs_export_dialog_get_options      (BsExportDialog        *self,
                                                   BsFigureExportOptions *options);

/* Writes the figure to file on a worker thread (the Export button after
 * its file chooser does this; so can a test). */
void            bs_export_dialog_export_to_file   (BsExportDialog        *self,
                                                   GFile                 *file,
                                                   GCancellable          *cancellable,
                                                   GAsyncReadyCallback    callback,
                                                   gpointer               user_data);
gboolean        bs_export_dialog_export_to_file_finish (BsExportDialog   *self,
                                                   GAsyncResult          *result,
                                                   GError               **error);

/* The figure as a PNG on the clipboard. FALSE with error when it cannot
 * be drawn. */
gboolean        bs_export_dialog_copy             (BsExportDialog        *self,
                                                   GError               **error);

G_END_DECLS
