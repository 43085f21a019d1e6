/* bs-dataset-row.h: a row of the data set chooser: a data set, where it is, or how to get it.
 *
 * An installed data set's row says how many test images of what size it
 * has and where; it is a GtkActionable that sets win.dataset to the data
 * set's name. A missing one is shown dimmed, not activatable, with the
 * words (selectable) that say how to get it. */
#pragma once

#include <gtk/gtk.h>

#include "bs-dataset-locate.h"

G_BEGIN_DECLS

/* A GtkListBoxRow; current marks the data set in use with a check mark. */
GtkWidget *bs_dataset_row_new (const BsDatasetInfo *info,
                               gboolean             current);

G_END_DECLS
