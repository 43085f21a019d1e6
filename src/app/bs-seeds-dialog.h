/* bs-seeds-dialog.h: Compare Seeds…: the networks whose CKA is compared across seeds.
 *
 * Lists the training runs under the runs folder (each by its last
 * checkpoint), each with a check box, and Add Checkpoint… for a
 * .safetensors file from anywhere (added checked). Compare is sensitive
 * once two or more are checked and emits "compare"; the window then reads
 * the checked specs and the data set of the first checked run. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define BS_TYPE_SEEDS_DIALOG (bs_seeds_dialog_get_type ())

G_DECLARE_FINAL_TYPE (BsSeedsDialog, bs_seeds_dialog, BS, SEEDS_DIALOG, AdwWindow)

BsSeedsDialog *bs_seeds_dialog_new          (GtkWindow     *parent);
/* A network listed (checked), as Add Checkpoint… adds one: a model spec. */
void           bs_seeds_dialog_add_spec     (BsSeedsDialog *self,
                                             const char    *spec);
/* The checked networks' specs, in list order (free with g_strfreev). */
char         **bs_seeds_dialog_get_specs    (BsSeedsDialog *self);
/* The data set of the first checked run, NULL when only checkpoints are checked. */
const char    *bs_seeds_dialog_get_dataset  (BsSeedsDialog *self);

/* For tests: the rows' check boxes in list order, and the Compare button. */
GtkCheckButton *bs_seeds_dialog_get_check   (BsSeedsDialog *self,
                                             guint          i);
guint          bs_seeds_dialog_get_n_rows   (BsSeedsDialog *self);
GtkWidget     *bs_seeds_dialog_get_compare_button (BsSeedsDialog *self);

G_END_DECLS
