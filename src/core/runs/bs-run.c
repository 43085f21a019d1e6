/* bs-run.c: a run folder: the object, the files it holds (checkpoints, snapshots), opening, lists. */
#include "bs-run-private.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-cka-export.h"
#include "bs-cka-import.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-model-spec.h"
#include "bs-npy.h"
#include "bs-runs.h"

/* Paths and names */

char *
bs_run_path (BsRun      *run,
             const char *first,
             ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, run->dir);
  va_start (args, first);
  for (const char *p = first; p != NULL; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (gpointer) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

char *
bs_run_snapshot_file_name (guint    index,
                           gboolean at_epoch,
                           guint64  value)
{
  return g_strdup_printf ("%03u-%s-%" G_GUINT64_FORMAT ".npy", index, at_epoch ? "epoch" : "step", value);
}

void
bs_run_snapshot_info_clear (BsRunSnapshotInfo *info)
{
  g_clear_pointer (&info->matrix_path, g_free);
}

/* The object */

static BsRun *
run_new (const char *dir)
{
  BsRun *run = g_new0 (BsRun, 1);

  run->ref_count = 1;
  run->dir = g_canonicalize_filename (dir, NULL);
  run->steps = g_array_new (FALSE, FALSE, sizeof (BsRunStep));
  run->epochs = g_array_new (FALSE, FALSE, sizeof (BsRunEpoch));
  run->snapshots = g_array_new (FALSE, FALSE, sizeof (BsRunSnapshotInfo));
  g_array_set_clear_func (run->snapshots, (GDestroyNotify) bs_run_snapshot_info_clear);
  run->checkpoint_epochs = g_array_new (FALSE, FALSE, sizeof (guint));
  run->problems = g_ptr_array_new_with_free_func (g_free);
  run->metrics_fd = -1;
  bs_run_settings_init (&run->settings);
  return run;
}

BsRun *
bs_run_ref (BsRun *run)
{
  g_return_val_if_fail (run != NULL, NULL);

  g_atomic_int_inc (&run->ref_count);
  return run;
}

void
bs_run_unref (BsRun *run)
{
  if (run == NULL || !g_atomic_int_dec_and_test (&run->ref_count))
    return;
  bs_run_close_metrics (run);
  bs_run_settings_clear (&run->settings);
  g_free (run->dir);
  g_free (run->error_message);
  g_free (run->created);
  g_free (run->version);
  g_array_unref (run->steps);
  g_array_unref (run->epochs);
  g_array_unref (run->snapshots);
  g_array_unref (run->checkpoint_epochs);
  g_ptr_array_unref (run->problems);
  g_free (run);
}

const char *
bs_run_get_dir (BsRun *run)
{
  return run->dir;
}

const BsRunSettings *
bs_run_get_settings (BsRun *run)
{
  return &run->settings;
}

BsRunState
bs_run_get_state (BsRun *run)
{
  return run->state;
}

const char *
bs_run_get_error_message (BsRun *run)
{
  return run->error_message;
}

const char *
bs_run_get_created (BsRun *run)
{
  return run->created;
}

guint
bs_run_get_steps_per_epoch (BsRun *run)
{
  return run->steps_per_epoch;
}

GArray *
bs_run_get_steps (BsRun *run)
{
  return run->steps;
}

GArray *
bs_run_get_epochs (BsRun *run)
{
  return run->epochs;
}

GArray *
bs_run_get_snapshots (BsRun *run)
{
  return run->snapshots;
}

GArray *
bs_run_get_checkpoint_epochs (BsRun *run)
{
  return run->checkpoint_epochs;
}

GPtrArray *
bs_run_get_problems (BsRun *run)
{
  return run->problems;
}

char *
bs_run_get_checkpoint_path (BsRun *run,
                            guint  epoch)
{
  g_autofree char *name = bs_trainer_checkpoint_name (epoch);

  return bs_run_path (run, BS_RUN_CHECKPOINTS, name, NULL);
}

gboolean
bs_run_is_training (BsRun *run)
{
  g_autofree char *path = bs_run_path (run, BS_RUN_LOCK, NULL);
  gboolean locked = FALSE;
  int fd = g_open (path, O_RDONLY | O_CLOEXEC | O_NONBLOCK, 0);

  if (fd < 0)
    return FALSE;
  /* A shared lock is refused only while the trainer holds its exclusive one. */
  if (flock (fd, LOCK_SH | LOCK_NB) != 0)
    locked = errno == EWOULDBLOCK;
  close (fd);
  return locked;
}

gboolean
bs_run_can_resume (BsRun *run)
{
  return run->state == BS_RUN_STATE_RUNNING || run->state == BS_RUN_STATE_STOPPED;
}

char *
bs_run_describe (BsRun *run)
{
  const BsDatasetInfo *info = bs_dataset_info_lookup (run->settings.dataset, NULL);
  const char *dataset = info != NULL ? bs_dataset_info_get_display_name (info) : run->settings.dataset;
  g_autofree char *model = g_path_get_basename (run->settings.model);

  if (run->settings.recipe.limit > 0)
    {
      /* Grouped as the locale groups digits, as bs_format_count () does. */
      g_autofree char *count = g_strdup_printf ("%'u", run->settings.recipe.limit);

      /* Translators: a model (resnet56), a data set (Fashion-MNIST) and the
       * number of training images used (3,000). */
      return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s on %s, %s image", "%s on %s, %s images",
                                           run->settings.recipe.limit),
                              model, dataset, count);
    }
  /* Translators: a model (resnet56) and a data set (Fashion-MNIST). */
  return g_strdup_printf (_("%s on %s"), model, dataset);
}

/* Problems */

void
bs_run_add_problem (BsRun      *run,
                    const char *format,
                    ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (run->problems, g_strdup_vprintf (format, args));
  va_end (args);
}

/* Checkpoints and snapshots */

static int
compare_uint (gconstpointer a,
              gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

static int
compare_snapshot (gconstpointer a,
                  gconstpointer b)
{
  const BsRunSnapshotInfo *x = a, *y = b;

  return x->index < y->index ? -1 : x->index > y->index;
}

/* "003-epoch-2.npy": index, whether at an epoch, the epoch or step. */
static gboolean
parse_snapshot_name (const char *name,
                     guint      *index,
                     gboolean   *at_epoch,
                     guint64    *value)
{
  g_auto(GStrv) parts = NULL;
  guint64 i;

  if (!g_str_has_suffix (name, ".npy"))
    return FALSE;
  parts = g_strsplit (name, "-", 3);
  if (g_strv_length (parts) != 3 || strlen (parts[0]) < 3
      || !g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT, &i, NULL))
    return FALSE;
  *index = (guint) i;
  if (strcmp (parts[1], "epoch") == 0)
    *at_epoch = TRUE;
  else if (strcmp (parts[1], "step") == 0)
    *at_epoch = FALSE;
  else
    return FALSE;
  parts[2][strlen (parts[2]) - strlen (".npy")] = '\0';
  return g_ascii_string_to_unsigned (parts[2], 10, 0, G_MAXINT64, value, NULL);
}

static void
scan_checkpoints (BsRun *run)
{
  g_autofree char *folder = bs_run_path (run, BS_RUN_CHECKPOINTS, NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_array_set_size (run->checkpoint_epochs, 0);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      guint64 epoch;
      GStatBuf st;

      if (!g_str_has_prefix (name, "epoch-") || !g_str_has_suffix (name, ".safetensors"))
        continue;
      {
        g_autofree char *digits = g_strndup (name + strlen ("epoch-"),
                                             strlen (name) - strlen ("epoch-") - strlen (".safetensors"));

        if (!g_ascii_string_to_unsigned (digits, 10, 1, G_MAXUINT, &epoch, NULL))
          continue;
      }
      if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size < 8)
        {
          /* Translators: a checkpoint file. */
          bs_run_add_problem (run, _("'%s' is not a usable checkpoint (not a regular file, or empty); it was ignored"), path);
          continue;
        }
      {
        guint e = (guint) epoch;

        g_array_append_val (run->checkpoint_epochs, e);
      }
    }
  g_array_sort (run->checkpoint_epochs, compare_uint);
}

static gboolean
has_checkpoint (BsRun *run,
                guint  epoch)
{
  for (guint i = 0; i < run->checkpoint_epochs->len; i++)
    if (g_array_index (run->checkpoint_epochs, guint, i) == epoch)
      return TRUE;
  return FALSE;
}

static void
check_expected_checkpoints (BsRun *run)
{
  guint last = 0;

  for (guint i = 0; i < run->epochs->len; i++)
    last = MAX (last, g_array_index (run->epochs, BsRunEpoch, i).epoch);
  for (guint e = 1; e <= last; e++)
    {
      gboolean expected = e == last || run->settings.keep_all_checkpoints || bs_run_is_snapshot_epoch (&run->settings, e);

      if (expected && !has_checkpoint (run, e))
        {
          g_autofree char *path = bs_run_get_checkpoint_path (run, e);

          /* Translators: a checkpoint file and the epoch it was written after. */
          bs_run_add_problem (run, _("'%s' is missing: the checkpoint of epoch %u cannot be used"), path, e);
        }
    }
}

static void
scan_snapshots (BsRun *run)
{
  g_autofree char *folder = bs_run_path (run, BS_RUN_SNAPSHOTS, NULL);
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  g_array_set_size (run->snapshots, 0);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      g_autofree char *json_path = NULL;
      g_autoptr(GError) error = NULL;
      BsRunSnapshotInfo info = { 0 };
      gboolean at_epoch;
      guint64 value;
      GStatBuf st;

      if (!parse_snapshot_name (name, &info.index, &at_epoch, &value))
        continue;
      /* A cheap check of both files; bs_run_load_snapshot reads them whole. */
      if (g_stat (path, &st) != 0 || !S_ISREG (st.st_mode))
        {
          bs_run_add_problem (run, _("Cannot read '%s': not a regular file"), path);
          continue;
        }
      {
        g_autoptr(BsNpyFile) npy = bs_npy_file_open (path, &error);

        if (npy == NULL)
          {
            /* Translators: why a snapshot was skipped. */
            bs_run_add_problem (run, _("%s; the snapshot was ignored"), error->message);
            continue;
          }
        if (bs_npy_file_get_ndim (npy) != 2 || bs_npy_file_get_dtype (npy) != BS_DTYPE_F64)
          {
            /* Translators: a snapshot file. */
            bs_run_add_problem (run, _("'%s' is not a matrix of CKA values; the snapshot was ignored"), path);
            continue;
          }
      }
      json_path = bs_cka_export_json_path (path);
      if (g_stat (json_path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size == 0)
        {
          /* Translators: a snapshot's JSON file. */
          bs_run_add_problem (run, _("'%s' is missing or empty; the snapshot was ignored"), json_path);
          continue;
        }
      if (at_epoch)
        {
          info.epoch = (guint) MIN (value, G_MAXUINT);
          info.global_step = (guint64) info.epoch * run->steps_per_epoch;
        }
      else
        {
          info.global_step = value;
          info.epoch = run->steps_per_epoch > 0 ? (guint) (value / run->steps_per_epoch) : 0;
        }
      info.matrix_path = g_steal_pointer (&path);
      g_array_append_val (run->snapshots, info);
    }
  g_array_sort (run->snapshots, compare_snapshot);
}

void
bs_run_scan_files (BsRun *run)
{
  scan_checkpoints (run);
  scan_snapshots (run);
}

/* Creating and opening */

BsRun *
bs_run_create (const char           *dir,
               const BsRunSettings  *settings,
               GError              **error)
{
  g_autoptr(BsRun) run = NULL;
  g_autofree char *json_path = NULL;
  const char *folders[] = { BS_RUN_CHECKPOINTS, BS_RUN_SNAPSHOTS };

  g_return_val_if_fail (dir != NULL && settings != NULL, NULL);

  if (settings->model == NULL || settings->dataset == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("A run needs a model and a data set"));
      return NULL;
    }
  if (settings->init != NULL && bs_model_spec_is_path (settings->model))
    {
      /* Translators: a checkpoint file. */
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Weights to fine-tune start an architecture (resnet56, imagenet-resnet50), not the checkpoint %s"),
                   settings->model);
      return NULL;
    }
  if (!bs_train_recipe_check (&settings->recipe, error) || !bs_snapshot_plan_check (&settings->plan, error))
    return NULL;

  run = run_new (dir);
  bs_run_settings_clear (&run->settings);
  bs_run_settings_copy (settings, &run->settings);
  if (settings->init != NULL)
    {
      /* The run opens from anywhere: keep where the weights are, not how they were named. */
      g_free (run->settings.init);
      run->settings.init = g_canonicalize_filename (settings->init, NULL);
    }
  run->state = BS_RUN_STATE_RUNNING;
  run->created = bs_run_now_iso8601 ();

  json_path = bs_run_path (run, BS_RUN_JSON, NULL);
  if (g_file_test (json_path, G_FILE_TEST_EXISTS))
    {
      /* Translators: a folder. */
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("'%s' holds a run already"), run->dir);
      return NULL;
    }
  if (g_mkdir_with_parents (run->dir, 0755) != 0)
    {
      int errsv = errno;

      /* Translators: a folder, then why it cannot be made. */
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot make the run folder '%s': %s"), run->dir,
                   g_strerror (errsv));
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (folders); i++)
    {
      g_autofree char *path = bs_run_path (run, folders[i], NULL);

      if (g_mkdir_with_parents (path, 0755) != 0)
        {
          int errsv = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot make the run folder '%s': %s"), path,
                       g_strerror (errsv));
          return NULL;
        }
    }
  if (!bs_run_save_json (run, error))
    return NULL;
  return g_steal_pointer (&run);
}

BsRun *
bs_run_open (const char  *dir,
             GError     **error)
{
  g_autoptr(BsRun) run = NULL;

  g_return_val_if_fail (dir != NULL, NULL);

  run = run_new (dir);
  if (!bs_run_read_json (run, error))
    return NULL;
  bs_run_read_metrics (run);
  if (run->steps_per_epoch == 0)
    for (guint i = 0; i < run->steps->len; i++)
      {
        const BsRunStep *step = &g_array_index (run->steps, BsRunStep, i);

        if (step->epoch == 1)
          run->steps_per_epoch = MAX (run->steps_per_epoch, step->step);
      }
  bs_run_scan_files (run);
  check_expected_checkpoints (run);
  return g_steal_pointer (&run);
}

BsCkaSnapshot *
bs_run_load_snapshot (BsRun   *run,
                      guint    index,
                      GError **error)
{
  for (guint i = 0; i < run->snapshots->len; i++)
    {
      const BsRunSnapshotInfo *info = &g_array_index (run->snapshots, BsRunSnapshotInfo, i);

      if (info->index == index)
        return bs_cka_import (info->matrix_path, error);
    }
  /* Translators: a snapshot's number and a run folder. */
  g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND, _("There is no snapshot %u in '%s'"), index, run->dir);
  return NULL;
}

/* Lists */

static int
compare_created (gconstpointer a,
                 gconstpointer b)
{
  BsRun *x = *(BsRun **) a, *y = *(BsRun **) b;
  int c = g_strcmp0 (y->created, x->created);

  return c != 0 ? c : g_strcmp0 (y->dir, x->dir);
}

GPtrArray *
bs_runs_list (const char *dir)
{
  GPtrArray *runs = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_run_unref);
  g_autoptr(GDir) folder = g_dir_open (dir, 0, NULL);
  const char *name;

  while (folder != NULL && (name = g_dir_read_name (folder)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *json = g_build_filename (path, BS_RUN_JSON, NULL);
      BsRun *run;

      if (name[0] == '.' || !g_file_test (json, G_FILE_TEST_IS_REGULAR))
        continue;
      run = bs_run_open (path, NULL);
      if (run != NULL)
        g_ptr_array_add (runs, run);
    }
  g_ptr_array_sort (runs, compare_created);
  return runs;
}

char *
bs_runs_new_run_dir (const char  *dir,
                     const char  *model,
                     const char  *dataset,
                     GError     **error)
{
  g_autofree char *file = bs_runs_new_checkpoint_path (dir, model, dataset, error);
  g_autofree char *stem = NULL;

  if (file == NULL)
    return NULL;
  stem = g_strndup (file, strlen (file) - strlen (".safetensors"));
  for (guint k = 1;; k++)
    {
      char *path = k == 1 ? g_strdup (stem) : g_strdup_printf ("%s-%u", stem, k);

      /* Made here, so that two runs started in the same second differ. */
      if (g_mkdir (path, 0755) == 0)
        return path;
      if (errno != EEXIST)
        {
          int errsv = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot make the run folder '%s': %s"), path,
                       g_strerror (errsv));
          g_free (path);
          return NULL;
        }
      g_free (path);
    }
}
