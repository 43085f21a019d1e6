/* bs-window-pc1.c: View › Measure and the dominant images in the window (see the header). */
#include "bs-config.h"

#include "bs-window-pc1.h"

#include <glib/gi18n.h>

#include "bs-application.h"
#include "bs-dominant-images-job.h"
#include "bs-window-private.h"

struct _BsWindowPc1
{
  BsWindow             *window;       /* owns this */
  GSimpleAction        *measure;
  BsDominantImagesView *view;         /* in the inspector */
  BsJob                *job;          /* finding dominant images, or done last */
  GArray               *found;        /* guint: the test indices shown */
  char                 *found_layer;
  char                 *found_spec;
  gulong                snapshot_handler;
  gulong                selection_handler;
  gulong                settings_handler;
};

static BsHeatmap *
heatmap (BsWindowPc1 *self)
{
  return bs_window_get_heatmap (self->window);
}

/* The layer of the selected row, when the window's computation can look
 * at it (its model A on its data set). */
static const char *
selected_layer (BsWindowPc1 *self)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (heatmap (self));
  const BsCkaRequest *request = bs_window_get_cka_request (self->window);
  guint row;

  if (snapshot == NULL || request == NULL || !bs_heatmap_get_selection (heatmap (self), &row, NULL) ||
      g_strcmp0 (bs_cka_snapshot_get_model_a (snapshot), request->spec_a) != 0)
    return NULL;
  return bs_cka_snapshot_get_row (snapshot, row)->name;
}

static void
update (BsWindowPc1 *self)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_snapshot (heatmap (self));
  gboolean running = self->job != NULL && !bs_job_is_finished (self->job);
  const char *layer = selected_layer (self);
  GAction *find, *without;

  g_simple_action_set_enabled (self->measure, snapshot != NULL && bs_cka_snapshot_has_pc1 (snapshot));
  find = g_action_map_lookup_action (G_ACTION_MAP (self->window), "find-dominant-images");
  without = g_action_map_lookup_action (G_ACTION_MAP (self->window), "cka-without-dominant-images");
  g_simple_action_set_enabled (G_SIMPLE_ACTION (find), layer != NULL && !running);
  g_simple_action_set_enabled (G_SIMPLE_ACTION (without), self->found->len > 0 &&
                               bs_window_get_cka_request (self->window) != NULL);
  bs_dominant_images_view_set_layer (self->view, layer);
}

/* The measure of the setting: on the action, the heatmap and the
 * inspector. The setting is the one place it is kept, so a change from
 * the menu, from another window or from dconf shows alike. */
static void
apply_measure (BsWindowPc1 *self)
{
  g_autofree char *name = g_settings_get_string (bs_window_get_settings (self->window), "measure");
  BsCkaMeasure measure;

  if (!bs_cka_measure_from_string (name, &measure))
    measure = BS_CKA_MEASURE_CKA;
  g_simple_action_set_state (self->measure, g_variant_new_string (bs_cka_measure_to_string (measure)));
  bs_heatmap_set_measure (heatmap (self), measure);
  bs_inspector_set_measure (bs_window_get_inspector (self->window), measure);
}

static void
measure_change_state (GSimpleAction *action,
                      GVariant      *state,
                      gpointer       user_data)
{
  BsWindowPc1 *self = user_data;
  BsCkaMeasure measure;

  if (!bs_cka_measure_from_string (g_variant_get_string (state, NULL), &measure))
    return;
  /* "changed" applies it (apply_measure). */
  g_settings_set_string (bs_window_get_settings (self->window), "measure", bs_cka_measure_to_string (measure));
}

static void
on_job_status (BsJob       *job,
               GParamSpec  *pspec,
               BsWindowPc1 *self)
{
  double fraction = bs_job_get_fraction (job);
  g_autofree char *text = NULL;

  if (bs_job_get_status (job) == NULL)
    return;
  if (fraction > 0)
    /* Translators: what the dominant images job does, and how far it is, in per cent. */
    text = g_strdup_printf (_("%s %.0f %%"), bs_job_get_status (job), 100 * fraction);
  else
    text = g_strdup (bs_job_get_status (job));
  bs_dominant_images_view_set_status (self->view, text);
}

static void
on_job_finished (BsJob       *job,
                 BsWindowPc1 *self)
{
  const BsDominantImagesResult *result = bs_dominant_images_job_get_result (job);
  const GError *error = bs_job_get_error (job);

  if (result != NULL)
    {
      g_autofree char *status = NULL;

      g_array_set_size (self->found, 0);
      for (guint i = 0; i < result->images->len; i++)
        g_array_append_val (self->found, g_array_index (result->images, BsDominantImage, i).index);
      g_free (self->found_layer);
      g_free (self->found_spec);
      self->found_layer = g_strdup (bs_dominant_images_job_get_layer (job));
      self->found_spec = g_strdup (bs_dominant_images_job_get_spec (job));
      bs_dominant_images_view_set_images (self->view, self->found_layer, result,
                                          bs_dominant_images_job_get_dataset (job));
      /* Translators: the layer, the images looked at, and its PC1 share over them in per cent. */
      status = g_strdup_printf (_("%s over %u test images: PC1 holds %.1f %% of the variance."),
                                self->found_layer, result->n_images, 100 * result->share);
      bs_dominant_images_view_set_status (self->view, status);
    }
  else if (bs_job_get_state (job) == BS_JOB_CANCELLED)
    bs_dominant_images_view_set_status (self->view, _("Stopped."));
  else
    bs_dominant_images_view_set_status (self->view, error != NULL ? error->message : _("Failed."));
  update (self);
}

static void
drop_job (BsWindowPc1 *self)
{
  if (self->job == NULL)
    return;
  g_signal_handlers_disconnect_by_data (self->job, self);
  g_clear_object (&self->job);
}

static void
find_dominant_images_action (GSimpleAction *action,
                             GVariant      *parameter,
                             gpointer       user_data)
{
  BsWindowPc1 *self = user_data;
  const BsCkaRequest *cka = bs_window_get_cka_request (self->window);
  BsApplication *app = BS_APPLICATION (gtk_window_get_application (GTK_WINDOW (self->window)));
  const char *layer = selected_layer (self);
  BsDominantImagesRequest request = { 0 };

  if (layer == NULL || cka == NULL || (self->job != NULL && !bs_job_is_finished (self->job)))
    return;

  request.spec = cka->spec_a;
  request.init_seed = cka->init_seed;
  request.dataset = cka->dataset;
  request.layer = layer;
  request.n_images = cka->limit > 0 ? cka->limit : BS_WINDOW_PC1_IMAGES;
  request.top = BS_WINDOW_PC1_TOP;
  request.engine = app != NULL ? bs_application_get_engine_config (app) : NULL;

  drop_job (self);
  self->job = bs_dominant_images_job_new (&request, bs_window_get_datasets (self->window));
  g_signal_connect (self->job, "notify::status", G_CALLBACK (on_job_status), self);
  g_signal_connect (self->job, "notify::fraction", G_CALLBACK (on_job_status), self);
  g_signal_connect (self->job, "finished", G_CALLBACK (on_job_finished), self);
  bs_job_queue_push (bs_window_get_jobs (self->window), self->job);
  bs_dominant_images_view_set_status (self->view, _("Waiting for the jobs before it…"));
  update (self);
}

static void
cka_without_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  BsWindowPc1 *self = user_data;
  const BsCkaRequest *last = bs_window_get_cka_request (self->window);
  BsCkaRequest request;

  if (last == NULL || self->found->len == 0)
    return;
  request = *last;
  request.exclude = (const guint *) self->found->data;
  request.n_exclude = self->found->len;
  if (bs_window_start_cka (self->window, &request) == NULL)
    bs_window_show_error (self->window, _("A computation is running"),
                          _("Stop it, or wait until it ends, to compute CKA without these images."));
}

static const GActionEntry actions[] = {
  { "find-dominant-images", find_dominant_images_action },
  { "cka-without-dominant-images", cka_without_action },
};

BsWindowPc1 *
bs_window_pc1_new (BsWindow *window)
{
  BsWindowPc1 *self = g_new0 (BsWindowPc1, 1);

  self->window = window;
  self->found = g_array_new (FALSE, FALSE, sizeof (guint));
  self->measure = g_simple_action_new_stateful ("measure", G_VARIANT_TYPE_STRING, g_variant_new_string ("cka"));
  g_signal_connect (self->measure, "change-state", G_CALLBACK (measure_change_state), self);
  g_action_map_add_action (G_ACTION_MAP (window), G_ACTION (self->measure));
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);

  self->view = BS_DOMINANT_IMAGES_VIEW (bs_dominant_images_view_new ());
  bs_inspector_add_extra (bs_window_get_inspector (window), GTK_WIDGET (self->view));

  self->settings_handler = g_signal_connect_swapped (bs_window_get_settings (window), "changed::measure",
                                                     G_CALLBACK (apply_measure), self);
  apply_measure (self);
  self->snapshot_handler = g_signal_connect_swapped (heatmap (self), "notify::has-pc1", G_CALLBACK (update), self);
  self->selection_handler = g_signal_connect_swapped (heatmap (self), "selection-changed", G_CALLBACK (update), self);
  update (self);
  return self;
}

void
bs_window_pc1_free (BsWindowPc1 *self)
{
  if (self == NULL)
    return;
  drop_job (self);
  g_clear_signal_handler (&self->snapshot_handler, heatmap (self));
  g_clear_signal_handler (&self->selection_handler, heatmap (self));
  g_clear_signal_handler (&self->settings_handler, bs_window_get_settings (self->window));
  g_action_map_remove_action (G_ACTION_MAP (self->window), "measure");
  g_clear_object (&self->measure);
  g_array_unref (self->found);
  g_free (self->found_layer);
  g_free (self->found_spec);
  g_free (self);
}

BsDominantImagesView *
bs_window_pc1_get_view (BsWindowPc1 *self)
{
  return self->view;
}

BsJob *
bs_window_pc1_get_job (BsWindowPc1 *self)
{
  return self->job;
}
