/* bs-job-row.c */
#include "bs-config.h"

#include "bs-job-row.h"

#include <glib/gi18n.h>

struct _BsJobRow
{
  GtkWidget       parent_instance;

  BsJob          *job;

  GtkLabel       *title_label;
  GtkLabel       *status_label;
  GtkProgressBar *progress_bar;
  GtkButton      *cancel_button;
};

G_DEFINE_FINAL_TYPE (BsJobRow, bs_job_row, GTK_TYPE_WIDGET)

static void
update (BsJobRow *self)
{
  const char *status = bs_job_get_status (self->job);
  gboolean finished = bs_job_is_finished (self->job);
  guint64 done, total;

  bs_job_get_progress (self->job, &done, &total);
  if (bs_job_get_state (self->job) == BS_JOB_WAITING)
    status = _("Waiting for the jobs before it");
  if (status == NULL)
    status = _("Starting…");

  /* Only what changed: a label set to its own text is laid out again. */
  if (g_strcmp0 (gtk_label_get_label (self->status_label), status) != 0)
    gtk_label_set_label (self->status_label, status);
  gtk_progress_bar_set_fraction (self->progress_bar, bs_job_get_fraction (self->job));
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), total > 0);
  gtk_widget_set_sensitive (GTK_WIDGET (self->cancel_button), !finished);
}

static void
on_job_notify (GObject    *object,
               GParamSpec *pspec,
               BsJobRow   *self)
{
  update (self);
}

GtkWidget *
bs_job_row_new (BsJob *job)
{
  BsJobRow *self;
  g_autofree char *description = NULL;

  g_return_val_if_fail (BS_IS_JOB (job), NULL);

  self = g_object_new (BS_TYPE_JOB_ROW, NULL);
  self->job = g_object_ref (job);
  gtk_label_set_label (self->title_label, bs_job_get_title (job));
  gtk_actionable_set_action_target (GTK_ACTIONABLE (self->cancel_button), "u", bs_job_get_id (job));
  /* The stop button says what it stops, for screen readers. */
  /* Translators: the accessible description of a job's stop button; %s is the job's title. */
  description = g_strdup_printf (_("Stop %s"), bs_job_get_title (job));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->cancel_button),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
  g_signal_connect_object (job, "notify", G_CALLBACK (on_job_notify), self, 0);
  update (self);

  return GTK_WIDGET (self);
}

BsJob *
bs_job_row_get_job (BsJobRow *self)
{
  g_return_val_if_fail (BS_IS_JOB_ROW (self), NULL);

  return self->job;
}

static void
bs_job_row_dispose (GObject *object)
{
  BsJobRow *self = BS_JOB_ROW (object);
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->job);

  G_OBJECT_CLASS (bs_job_row_parent_class)->dispose (object);
}

static void
bs_job_row_class_init (BsJobRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_job_row_dispose;

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/blockscope/Blockscope/bs-job-row.ui");
  gtk_widget_class_bind_template_child (widget_class, BsJobRow, title_label);
  gtk_widget_class_bind_template_child (widget_class, BsJobRow, status_label);
  gtk_widget_class_bind_template_child (widget_class, BsJobRow, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, BsJobRow, cancel_button);
}

static void
bs_job_row_init (BsJobRow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
