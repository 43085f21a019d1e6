/* bs-download-job.c: a data set downloaded as a job (see the header). */
#include "bs-config.h"

#include "bs-download-job.h"

#include <glib/gi18n.h>

#include "bs-dataset-fetch.h"
#include "bs-dataset-locate.h"

typedef struct {
  BsDatasetSource *source;
  char            *display_name;
  BsJob           *job;          /* the job running this (not a reference) */
} Download;

static void
download_free (gpointer data)
{
  Download *d = data;

  bs_dataset_source_free (d->source);
  g_free (d->display_name);
  g_free (d);
}

static void
on_progress (BsDatasetFetchStage  stage,
             const char          *file,
             guint                index,
             guint                n_files,
             guint64              done,
             guint64              total,
             double               bytes_per_second,
             gpointer             user_data)
{
  Download *d = user_data;
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *status = NULL;

  if (stage == BS_DATASET_FETCH_UNPACK)
    /* Translators: a data set's name. */
    status = g_strdup_printf (_("Unpacking %s…"), d->display_name);
  else if (total > 0 && bytes_per_second > 0)
    {
      g_autofree char *total_text = g_format_size (total);
      g_autofree char *speed = g_format_size ((guint64) bytes_per_second);
      guint left = (guint) ((total - MIN (done, total)) / bytes_per_second + 0.5);

      /* Translators: a data set's name, bytes done ("12.3 MB"), bytes in all, bytes per second, and
       * the seconds left. */
      status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Downloading %s: %s of %s, %s/s, %u second left",
                                             "Downloading %s: %s of %s, %s/s, %u seconds left", left),
                                d->display_name, done_text, total_text, speed, left);
    }
  else
    /* Translators: a data set's name and the bytes downloaded so far. */
    status = g_strdup_printf (_("Downloading %s: %s"), d->display_name, done_text);

  bs_job_report_status (d->job, status);
  /* Files one after another: each file's share of the whole. */
  if (total > 0 && n_files > 0)
    bs_job_report_progress (d->job, (guint64) index * 1000 + 1000 * MIN (done, total) / total,
                            (guint64) n_files * 1000);
}

static gboolean
run_download (BsJob         *job,
              gpointer       data,
              GCancellable  *cancellable,
              GError       **error)
{
  Download *d = data;
  g_autofree char *folder = NULL;

  d->job = job;
  folder = bs_dataset_fetch (d->source, NULL, on_progress, d, NULL, cancellable, error);
  return folder != NULL;
}

BsJob *
bs_download_job_new (const char  *dataset_name,
                     GError     **error)
{
  const BsDatasetInfo *info = bs_dataset_info_lookup (dataset_name, NULL);
  BsDatasetSource *source = bs_dataset_source_new (dataset_name, error);
  Download *d;
  g_autofree char *title = NULL;

  if (source == NULL)
    return NULL;
  d = g_new0 (Download, 1);
  d->source = source;
  d->display_name = g_strdup (info != NULL ? bs_dataset_info_get_display_name (info) : dataset_name);
  /* Translators: the title of a job in the job list; %s is a data set's name. */
  title = g_strdup_printf (_("Download %s"), d->display_name);
  return bs_job_new (title, run_download, d, download_free);
}
