/* bs-window-probes.c: linear probes in the window (see the header). */
#include "bs-config.h"

#include "bs-window-probes.h"

#include <glib/gi18n.h>

#include "bs-application.h"
#include "bs-number-format.h"
#include "bs-probe-job.h"
#include "bs-window-private.h"

struct _BsWindowProbes
{
  BsWindow     *window;       /* owns this */
  GtkWidget    *box;          /* in the inspector */
  GtkLabel     *status;
  BsProbeChart *chart;
  BsJob        *job;          /* running, or run last */
  guint         train_images;
  guint         test_images;
  guint         epochs;
  gulong        blocks_handler;
  gulong        cka_handler;
};

static BsHeatmap *
heatmap (BsWindowProbes *self)
{
  return bs_window_get_heatmap (self->window);
}

static void
update (BsWindowProbes *self)
{
  GAction *action = g_action_map_lookup_action (G_ACTION_MAP (self->window), "linear-probes");
  gboolean running = self->job != NULL && !bs_job_is_finished (self->job);

  g_simple_action_set_enabled (G_SIMPLE_ACTION (action), !running && bs_window_get_cka_request (self->window) != NULL);
}

static void
on_blocks_changed (BsWindowProbes *self)
{
  bs_probe_chart_set_blocks (self->chart, bs_heatmap_get_blocks (heatmap (self)),
                             bs_heatmap_get_shown_snapshot (heatmap (self)));
}

static void
on_job_status (BsJob          *job,
               GParamSpec     *pspec,
               BsWindowProbes *self)
{
  g_autofree char *status = NULL;

  g_object_get (job, "status", &status, NULL);
  gtk_label_set_label (self->status, status != NULL ? status : "");
}

static void
on_job_finished (BsJob          *job,
                 BsWindowProbes *self)
{
  GArray *results = bs_probe_job_get_results (job);
  const GError *error = bs_job_get_error (job);

  if (results != NULL)
    {
      const BsProbeCounts *counts = bs_probe_job_get_counts (job);
      g_autofree char *fit = bs_format_count (counts->fit);
      g_autofree char *validation = bs_format_count (counts->validation);
      g_autofree char *test = bs_format_count (counts->test);
      g_autofree char *status = NULL;

      bs_probe_chart_set_results (self->chart, results);
      on_blocks_changed (self);
      /* Translators: the images the linear probes used (numbers already
       * formatted): fitted on, validated on (to choose the epoch), tested on. */
      status = g_strdup_printf (_("Fitted on %s training images, chosen on %s held-out ones, tested on %s test images."),
                                fit, validation, test);
      gtk_label_set_label (self->status, status);
    }
  else if (bs_job_get_state (job) == BS_JOB_CANCELLED)
    gtk_label_set_label (self->status, _("Stopped."));
  else
    gtk_label_set_label (self->status, error != NULL ? error->message : _("Failed."));
  update (self);
}

static void
drop_job (BsWindowProbes *self)
{
  if (self->job == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
}

static void
linear_probes_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  BsWindowProbes *self = user_data;
  const BsCkaRequest *cka = bs_window_get_cka_request (self->window);
  BsApplication *app = BS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self->window)));
  BsProbeRequest request = { 0 };

  if (cka == NULL || (self->job != NULL && !bs_job_is_finished (self->job)))
    return;

  request.spec = cka->spec_a;
  request.init_seed = cka->init_seed;
  request.dataset = cka->dataset;
  request.data_dir = cka->data_dir;
  request.train_images = self->train_images;
  request.test_images = self->test_images;
  request.epochs = self->epochs;
  request.engine = app != NULL ? bs_application_get_engine_config (app) : NULL;

  drop_job (self);
  self->job = bs_probe_job_new (&request);
  g_signal_connect (self->job, "notify::status", G_CALLBACK (on_job_status), self);
  g_signal_connect (self->job, "finished", G_CALLBACK (on_job_finished), self);
  bs_job_queue_push (bs_window_get_jobs (self->window), self->job);
  gtk_label_set_label (self->status, _("Waiting for the jobs before it…"));
  gtk_widget_set_visible (self->box, TRUE);
  update (self);
}

static const GActionEntry actions[] = {
  { "linear-probes", linear_probes_action },
};

BsWindowProbes *
bs_window_probes_new (BsWindow *window)
{
  BsWindowProbes *self = g_new0 (BsWindowProbes, 1);
  GtkWidget *heading;

  self->window = window;
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  heading = gtk_label_new (_("Linear Probes"));
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (self->box), heading);
  self->chart = BS_PROBE_CHART (bs_probe_chart_new ());
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->chart));
  self->status = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->status, TRUE);
  gtk_label_set_xalign (self->status, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "caption");
  gtk_widget_add_css_class (GTK_WIDGET (self->status), "dim-label");
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->status));
  /* Shown once probes were asked for. */
  gtk_widget_set_visible (self->box, FALSE);
  bs_inspector_add_extra (bs_window_get_inspector (window), self->box);

  self->blocks_handler = g_signal_connect_swapped (heatmap (self), "blocks-changed",
                                                   G_CALLBACK (on_blocks_changed), self);
  self->cka_handler = g_signal_connect_swapped (heatmap (self), "notify::has-snapshot",
                                                G_CALLBACK (update), self);
  update (self);
  return self;
}

void
bs_window_probes_free (BsWindowProbes *self)
{
  if (self == NULL)
    return;
  drop_job (self);
  g_clear_signal_handler (&self->blocks_handler, heatmap (self));
  g_clear_signal_handler (&self->cka_handler, heatmap (self));
  g_free (self);
}

BsProbeChart *
bs_window_probes_get_chart (BsWindowProbes *self)
{
  return self->chart;
}

BsJob *
bs_window_probes_get_job (BsWindowProbes *self)
{
  return self->job;
}

void
bs_window_probes_set_size (BsWindowProbes *self,
                           guint           train_images,
                           guint           test_images,
                           guint           epochs)
{
  self->train_images = train_images;
  self->test_images = test_images;
  self->epochs = epochs;
}
