/* bs-run-list.h: the Runs popover: every run under the runs folder.
 *
 * Each row says the run's model and data set, how far it got, its best
 * test accuracy and its state; activating it shows the run
 * (win.show-run). Read again each time the popover opens. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define BS_TYPE_RUN_LIST (bs_run_list_get_type ())

G_DECLARE_FINAL_TYPE (BsRunList, bs_run_list, BS, RUN_LIST, GtkPopover)

GtkWidget *bs_run_list_new     (void);
/* Reads the runs folder again. */
void       bs_run_list_refresh (BsRunList *self);
/* Rows listed (tests). */
guint      bs_run_list_get_n_runs (BsRunList *self);

G_END_DECLS
