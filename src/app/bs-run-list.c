/* bs-run-list.c: the runs under the runs folder, in a popover. */
#include "bs-config.h"

#include "bs-run-list.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>

#include "bs-model-catalog.h"
#include "bs-a11y.h"
#include "bs-number-format.h"
#include "bs-run.h"
#include "bs-runs.h"

struct _BsRunList
{
  GtkPopover  parent_instance;

  GtkWidget  *list;
  GtkWidget  *placeholder;
  guint       n_runs;
};

G_DEFINE_FINAL_TYPE (BsRunList, bs_run_list, GTK_TYPE_POPOVER)

static const char *
state_text (BsRun *run)
{
  switch (bs_run_get_state (run))
    {
    case BS_RUN_STATE_RUNNING:
      /* Nobody trains a "running" run that was killed. */
      return bs_run_is_training (run) ? C_("run state", "Training") : C_("run state", "Interrupted");
    case BS_RUN_STATE_FINISHED:
      return C_("run state", "Finished");
    case BS_RUN_STATE_STOPPED:
      return C_("run state", "Stopped");
    case BS_RUN_STATE_FAILED:
    default:
      return C_("run state", "Failed");
    }
}

static GtkWidget *
run_row (BsRun *run)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *title = bs_model_catalog_describe_run (run);
  g_autofree char *subtitle = NULL;
  g_autofree char *done = NULL;
  g_autofree char *all = NULL;
  GArray *epochs = bs_run_get_epochs (run);
  double best = NAN;

  for (guint i = 0; i < epochs->len; i++)
    {
      double a = g_array_index (epochs, BsRunEpoch, i).test_accuracy;

      if (isfinite (a) && (isnan (best) || a > best))
        best = a;
    }
  done = bs_format_count (epochs->len);
  all = bs_format_count (bs_run_get_settings (run)->recipe.epochs);
  if (isfinite (best))
    /* Translators: a run in the Runs list: state, epochs done, epochs in all, best test accuracy in %. */
    subtitle = g_strdup_printf (_("%s · epoch %s of %s · best test accuracy %.1f %%"),
                                state_text (run), done, all, best * 100);
  else
    /* Translators: a run in the Runs list: state, epochs done, epochs in all. */
    subtitle = g_strdup_printf (_("%s · epoch %s of %s"), state_text (run), done, all);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_tooltip_text (row, bs_run_get_dir (run));
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
  gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.show-run");
  gtk_actionable_set_action_target (GTK_ACTIONABLE (row), "s", bs_run_get_dir (run));
  return row;
}

void
bs_run_list_refresh (BsRunList *self)
{
  g_autofree char *dir = bs_runs_get_dir ();
  g_autoptr(GPtrArray) runs = bs_runs_list (dir);
  GtkWidget *child;

  g_return_if_fail (BS_IS_RUN_LIST (self));

  while ((child = gtk_widget_get_first_child (self->list)) != NULL)
    gtk_list_box_remove (GTK_LIST_BOX (self->list), child);
  for (guint i = 0; runs != NULL && i < runs->len; i++)
    gtk_list_box_append (GTK_LIST_BOX (self->list), run_row (g_ptr_array_index (runs, i)));
  self->n_runs = runs != NULL ? runs->len : 0;
}

static void
on_row_activated (GtkListBox    *list,
                  GtkListBoxRow *row,
                  BsRunList     *self)
{
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
bs_run_list_class_init (BsRunListClass *klass)
{
}

static void
bs_run_list_init (BsRunList *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *heading = gtk_label_new (_("Training Runs"));
  GtkWidget *scrolled = gtk_scrolled_window_new ();
  GtkWidget *open = gtk_button_new_with_mnemonic (_("_Open Run…"));

  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_widget_set_size_request (box, 380, -1);
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (box), heading);

  self->list = gtk_list_box_new ();
  gtk_list_box_set_selection_mode (GTK_LIST_BOX (self->list), GTK_SELECTION_NONE);
  gtk_widget_add_css_class (self->list, "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Training runs"), -1);
  self->placeholder = gtk_label_new (_("No runs yet. Start one with New Training Run (Ctrl+T)."));
  gtk_label_set_wrap (GTK_LABEL (self->placeholder), TRUE);
  gtk_widget_add_css_class (self->placeholder, "dim-label");
  gtk_widget_set_margin_top (self->placeholder, 12);
  gtk_widget_set_margin_bottom (self->placeholder, 12);
  gtk_list_box_set_placeholder (GTK_LIST_BOX (self->list), self->placeholder);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->list);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 420);
  gtk_box_append (GTK_BOX (box), scrolled);

  gtk_actionable_set_action_name (GTK_ACTIONABLE (open), "win.open-run");
  gtk_widget_set_halign (open, GTK_ALIGN_END);
  g_signal_connect_swapped (open, "clicked", G_CALLBACK (gtk_popover_popdown), self);
  gtk_box_append (GTK_BOX (box), open);

  gtk_popover_set_child (GTK_POPOVER (self), box);
  g_signal_connect (self, "show", G_CALLBACK (bs_run_list_refresh), NULL);
  bs_a11y_fix_mnemonic_buttons (box);
}

GtkWidget *
bs_run_list_new (void)
{
  return g_object_new (BS_TYPE_RUN_LIST, NULL);
}

guint
bs_run_list_get_n_runs (BsRunList *self)
{
  g_return_val_if_fail (BS_IS_RUN_LIST (self), 0);
  return self->n_runs;
}
