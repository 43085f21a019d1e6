/* bs-window-downloads.c: data sets downloaded from the window (see the header). */
#include "bs-config.h"

#include "bs-window-downloads.h"

#include <glib/gi18n.h>

#include "bs-download-job.h"
#include "bs-window-private.h"

struct _BsWindowDownloads
{
  BsWindow  *window;   /* owns this */
  GPtrArray *jobs;     /* every download started here (BsJob), the newest last */
};

static void
on_finished (BsJob             *job,
             BsWindowDownloads *self)
{
  const char *name = g_object_get_data (G_OBJECT (job), "bs-dataset");

  switch (bs_job_get_state (job))
    {
    case BS_JOB_SUCCEEDED:
      g_action_group_activate_action (G_ACTION_GROUP (self->window), "dataset", g_variant_new_string (name));
      bs_window_hide_error (self->window);
      break;
    case BS_JOB_FAILED:
      bs_window_show_error (self->window, _("The download failed"), bs_job_get_error (job)->message);
      break;
    case BS_JOB_CANCELLED:
    default:
      break;
    }
}

static void
download_dataset_action (GSimpleAction *action,
                         GVariant      *parameter,
                         gpointer       user_data)
{
  BsWindowDownloads *self = user_data;
  const char *name = g_variant_get_string (parameter, NULL);
  g_autoptr(GError) error = NULL;
  BsJob *job = bs_download_job_new (name, &error);

  if (job == NULL)
    {
      bs_window_show_error (self->window, _("This data set cannot be downloaded"), error->message);
      return;
    }
  /* The job list shows the progress from here on. */
  gtk_menu_button_popdown (bs_window_get_dataset_button (self->window));
  g_object_set_data_full (G_OBJECT (job), "bs-dataset", g_strdup (name), g_free);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), self);
  g_ptr_array_add (self->jobs, job);
  bs_job_queue_push (bs_window_get_jobs (self->window), job);
}

static const GActionEntry actions[] = {
  { "download-dataset", download_dataset_action, "s" },
};

BsWindowDownloads *
bs_window_downloads_new (BsWindow *window)
{
  BsWindowDownloads *self = g_new0 (BsWindowDownloads, 1);

  self->window = window;
  self->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);
  return self;
}

void
bs_window_downloads_free (BsWindowDownloads *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->jobs->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->jobs, i), self);
  g_ptr_array_unref (self->jobs);
  g_free (self);
}

BsJob *
bs_window_downloads_get_job (BsWindowDownloads *self)
{
  return self->jobs->len > 0 ? g_ptr_array_index (self->jobs, self->jobs->len - 1) : NULL;
}
