/* bs-weights-job.c: pretrained weights fetched or imported as a job (see the header). */
#include "bs-config.h"

#include "bs-weights-job.h"

#include <errno.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-model-catalog.h"
#include "bs-weights-fetch.h"
#include "bs-weights-import.h"

typedef struct {
  char    *architecture;
  char    *file;          /* import: the state dict; fetch: NULL */
  char    *weights_dir;
  char    *display_name;
  char    *path;          /* the checkpoint, set by the worker on success */
  BsJob   *job;           /* the job running this (not a reference) */
} Weights;

static void
weights_free (gpointer data)
{
  Weights *w = data;

  g_free (w->architecture);
  g_free (w->file);
  g_free (w->weights_dir);
  g_free (w->display_name);
  g_free (w->path);
  g_free (w);
}

static void
on_progress (guint64   done,
             guint64   total,
             double    bytes_per_second,
             gpointer  user_data)
{
  Weights *w = user_data;
  g_autofree char *done_text = g_format_size (done);
  g_autofree char *status = NULL;

  if (total > 0 && bytes_per_second > 0)
    {
      g_autofree char *total_text = g_format_size (total);
      g_autofree char *speed = g_format_size ((guint64) bytes_per_second);
      guint left = (guint) ((total - MIN (done, total)) / bytes_per_second + 0.5);

      /* Translators: a model ("ResNet-50 (ImageNet weights)"), bytes done ("12.3 MB"), bytes in
       * all, bytes per second, and the seconds left. */
      status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Downloading %s: %s of %s, %s/s, %u second left",
                                             "Downloading %s: %s of %s, %s/s, %u seconds left", left),
                                w->display_name, done_text, total_text, speed, left);
    }
  else
    /* Translators: a model ("ResNet-50 (ImageNet weights)") and the bytes downloaded so far. */
    status = g_strdup_printf (_("Downloading %s: %s"), w->display_name, done_text);

  bs_job_report_status (w->job, status);
  if (total > 0)
    bs_job_report_progress (w->job, MIN (done, total), total);
  /* The import after the last byte takes a few seconds more. */
  if (total > 0 && done >= total)
    {
      g_autofree char *importing = NULL;

      /* Translators: a model ("ResNet-50 (ImageNet weights)"). */
      importing = g_strdup_printf (_("Checking and importing %s…"), w->display_name);
      bs_job_report_status (w->job, importing);
    }
}

static gboolean
run_fetch (BsJob         *job,
           gpointer       data,
           GCancellable  *cancellable,
           GError       **error)
{
  Weights *w = data;

  w->job = job;
  w->path = bs_weights_fetch (w->architecture, w->weights_dir, NULL, on_progress, w, NULL, cancellable, error);
  return w->path != NULL;
}

static gboolean
run_import (BsJob         *job,
            gpointer       data,
            GCancellable  *cancellable,
            GError       **error)
{
  Weights *w = data;
  g_autofree char *base = g_path_get_basename (w->file);
  g_autofree char *status = NULL;
  g_autofree char *file = NULL;
  g_autofree char *target = NULL;
  BsModel *model;
  gboolean ok;

  w->job = job;
  /* Translators: a file name, then a model ("ResNet-50 (ImageNet weights)"). */
  status = g_strdup_printf (_("Reading %s as %s…"), base, w->display_name);
  bs_job_report_status (job, status);
  /* Reading and checking are one call: there is no step to stop between. */
  model = bs_weights_import_model (w->file, w->architecture, 3, 32, 32, error);
  if (model == NULL)
    return FALSE;
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    {
      bs_model_free (model);
      return FALSE;
    }
  if (g_mkdir_with_parents (w->weights_dir, 0755) != 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   /* Translators: a folder, then the system's message. */
                   _("could not make the folder %s: %s"), w->weights_dir, g_strerror (errno));
      bs_model_free (model);
      return FALSE;
    }
  file = g_strconcat (w->architecture, ".safetensors", NULL);
  target = g_build_filename (w->weights_dir, file, NULL);
  g_clear_pointer (&status, g_free);
  /* Translators: the path of the checkpoint being written. */
  status = g_strdup_printf (_("Saving %s…"), target);
  bs_job_report_status (job, status);
  /* Atomic: the checkpoint there before stays whole until this one is. */
  ok = bs_checkpoint_save (model, NULL, target, error);
  bs_model_free (model);
  if (ok)
    w->path = g_steal_pointer (&target);
  return ok;
}

static BsJob *
new_job (const char *file,
         const char *architecture,
         const char *weights_dir)
{
  Weights *w = g_new0 (Weights, 1);
  g_autofree char *title = NULL;
  BsJob *job;

  w->architecture = g_strdup (architecture);
  w->file = g_strdup (file);
  w->weights_dir = weights_dir != NULL ? g_strdup (weights_dir) : bs_weights_fetch_default_dir ();
  w->display_name = bs_model_catalog_weights_display_name (architecture);
  if (file == NULL)
    /* Translators: the title of a job in the job list; %s is a model ("ResNet-50 (ImageNet weights)"). */
    title = g_strdup_printf (_("Download %s"), w->display_name);
  else
    /* Translators: the title of a job in the job list; %s is a model ("ResNet-50 (ImageNet weights)"). */
    title = g_strdup_printf (_("Import %s"), w->display_name);
  job = bs_job_new (title, file == NULL ? run_fetch : run_import, w, weights_free);
  g_object_set_data (G_OBJECT (job), "bs-weights", w);
  return job;
}

BsJob *
bs_weights_job_new_fetch (const char *architecture,
                          const char *weights_dir)
{
  g_return_val_if_fail (architecture != NULL, NULL);
  return new_job (NULL, architecture, weights_dir);
}

BsJob *
bs_weights_job_new_import (const char *file,
                           const char *architecture,
                           const char *weights_dir)
{
  g_return_val_if_fail (file != NULL && architecture != NULL, NULL);
  return new_job (file, architecture, weights_dir);
}

const char *
bs_weights_job_get_architecture (BsJob *job)
{
  Weights *w = g_object_get_data (G_OBJECT (job), "bs-weights");

  return w != NULL ? w->architecture : NULL;
}

const char *
bs_weights_job_get_path (BsJob *job)
{
  Weights *w = g_object_get_data (G_OBJECT (job), "bs-weights");

  /* Written by the worker before the job ends; read once it has. */
  return w != NULL && bs_job_get_state (job) == BS_JOB_SUCCEEDED ? w->path : NULL;
}
