/* bs-run.c: a run folder: settings, run.json, metrics, the files it holds, lists of runs. */
#include "bs-config.h"

#include "bs-run-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-atomic-file.h"
#include "bs-cka-export.h"
#include "bs-cka-import.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-json-file.h"
#include "bs-npy.h"
#include "bs-runs.h"

/* run.json is a few hundred bytes; anything far larger is not one. */
#define MAX_RUN_JSON_BYTES (1 << 20)
/* A metrics file is read whole: 256 MiB is about 1.7 million steps (a
 * hundred epochs of ImageNet-sized runs), far more than a run here makes. */
#define MAX_METRICS_BYTES ((gsize) 1 << 28)
#define MAX_LINE_BYTES 4096

/* Settings */

void
bs_snapshot_plan_init (BsSnapshotPlan *plan)
{
  plan->at_init = TRUE;
  plan->every_epochs = 1;
  plan->every_steps = 0;
  plan->probe_images = 1024;
  plan->probe_batch = 256;
  plan->probe_passes = 1;
}

gboolean
bs_snapshot_plan_check (const BsSnapshotPlan *plan,
                        GError              **error)
{
  const char *bad = NULL;

  if (plan->probe_batch < 4 || plan->probe_batch > 65536)
    bad = _("the probe minibatch size must be between 4 and 65536");
  else if (plan->probe_images < plan->probe_batch)
    bad = _("the probe images must be at least one minibatch");
  else if (plan->probe_passes < 1 || plan->probe_passes > 1000)
    bad = _("the probe passes must be between 1 and 1000");

  if (bad != NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Invalid snapshot settings: %s"), bad);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_snapshot_plan_check_dataset (const BsSnapshotPlan *plan,
                                const BsDataset      *dataset,
                                GError              **error)
{
  guint images = MIN (plan->probe_images, dataset->test.n_images);

  if ((plan->at_init || plan->every_epochs > 0 || plan->every_steps > 0) && images < plan->probe_batch)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a data set, its test images, then the probe minibatch size. */
                   _("Invalid snapshot settings: the test split of %s has %u images, fewer than a probe minibatch of %u"),
                   dataset->name, images, plan->probe_batch);
      return FALSE;
    }
  return TRUE;
}

void
bs_run_settings_init (BsRunSettings *settings)
{
  memset (settings, 0, sizeof *settings);
  settings->model = g_strdup ("resnet20");
  settings->init_seed = 0;
  settings->dataset = g_strdup ("fashion-mnist");
  bs_train_recipe_init (&settings->recipe);
  settings->recipe.augment = bs_train_default_augment (settings->dataset);
  bs_snapshot_plan_init (&settings->plan);
  settings->keep_all_checkpoints = FALSE;
}

void
bs_run_settings_clear (BsRunSettings *settings)
{
  g_clear_pointer (&settings->model, g_free);
  g_clear_pointer (&settings->dataset, g_free);
}

void
bs_run_settings_copy (const BsRunSettings *src,
                      BsRunSettings       *dest)
{
  *dest = *src;
  dest->model = g_strdup (src->model);
  dest->dataset = g_strdup (src->dataset);
}

gboolean
bs_run_is_snapshot_epoch (const BsRunSettings *settings,
                          guint                epoch)
{
  guint k = settings->plan.every_epochs;

  if (epoch == 0)
    return settings->plan.at_init;
  return k > 0 && (epoch % k == 0 || epoch == settings->recipe.epochs);
}

const char *
bs_run_state_to_string (BsRunState state)
{
  switch (state)
    {
    case BS_RUN_STATE_RUNNING: return "running";
    case BS_RUN_STATE_FINISHED: return "finished";
    case BS_RUN_STATE_STOPPED: return "stopped";
    case BS_RUN_STATE_FAILED: return "failed";
    default: return "failed";
    }
}

gboolean
bs_run_state_from_string (const char *text,
                          BsRunState *state)
{
  for (int s = BS_RUN_STATE_RUNNING; s <= BS_RUN_STATE_FAILED; s++)
    if (g_strcmp0 (text, bs_run_state_to_string (s)) == 0)
      {
        *state = s;
        return TRUE;
      }
  return FALSE;
}

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

/* run.json */

static void
add_string_or_null (JsonBuilder *b,
                    const char  *name,
                    const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value != NULL)
    json_builder_add_string_value (b, value);
  else
    json_builder_add_null_value (b);
}

static void
add_int (JsonBuilder *b,
         const char  *name,
         gint64       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_int_value (b, value);
}

static void
add_double (JsonBuilder *b,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_double_value (b, value);
}

static void
add_bool (JsonBuilder *b,
          const char  *name,
          gboolean     value)
{
  json_builder_set_member_name (b, name);
  json_builder_add_boolean_value (b, value);
}

static char *
now_iso8601 (void)
{
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

  return g_date_time_format (now, "%Y-%m-%dT%H:%M:%SZ");
}

gboolean
bs_run_save_json (BsRun   *run,
                  GError **error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonGenerator) gen = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *path = bs_run_path (run, BS_RUN_JSON, NULL);
  g_autofree char *updated = now_iso8601 ();
  g_autofree char *text = NULL;
  const BsRunSettings *s = &run->settings;
  const BsTrainRecipe *r = &s->recipe;
  gsize length;

  json_builder_begin_object (b);
  add_string_or_null (b, "format", "blockscope-run");
  add_int (b, "format_version", BS_RUN_FORMAT_VERSION);
  add_string_or_null (b, "model", s->model);
  add_int (b, "init_seed", (gint64) s->init_seed);
  add_string_or_null (b, "dataset", s->dataset);

  json_builder_set_member_name (b, "recipe");
  json_builder_begin_object (b);
  add_int (b, "epochs", r->epochs);
  add_int (b, "batch_size", r->batch_size);
  add_double (b, "lr", r->lr);
  add_double (b, "momentum", r->momentum);
  add_double (b, "weight_decay", r->weight_decay);
  add_string_or_null (b, "schedule", bs_schedule_kind_to_string (r->schedule));
  add_double (b, "warmup_epochs", r->warmup_epochs);
  add_int (b, "seed", (gint64) r->seed);
  add_int (b, "threads", r->threads);
  add_bool (b, "augment", r->augment);
  add_int (b, "limit", r->limit);
  add_int (b, "test_limit", r->test_limit);
  json_builder_end_object (b);

  json_builder_set_member_name (b, "snapshots");
  json_builder_begin_object (b);
  add_bool (b, "at_init", s->plan.at_init);
  add_int (b, "every_epochs", s->plan.every_epochs);
  add_int (b, "every_steps", s->plan.every_steps);
  add_int (b, "probe_images", s->plan.probe_images);
  add_int (b, "probe_batch", s->plan.probe_batch);
  add_int (b, "probe_passes", s->plan.probe_passes);
  json_builder_end_object (b);

  add_bool (b, "keep_all_checkpoints", s->keep_all_checkpoints);
  add_string_or_null (b, "state", bs_run_state_to_string (run->state));
  add_string_or_null (b, "error", run->error_message);
  /* Results depend on it: a resume uses the same. */
  add_int (b, "threads", r->threads);
  add_int (b, "steps_per_epoch", run->steps_per_epoch);
  json_builder_set_member_name (b, "versions");
  json_builder_begin_object (b);
  add_string_or_null (b, "blockscope", BS_VERSION);
  json_builder_end_object (b);
  add_string_or_null (b, "created", run->created);
  add_string_or_null (b, "updated", updated);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  json_generator_set_root (gen, root);
  json_generator_set_pretty (gen, TRUE);
  text = json_generator_to_data (gen, &length);
  return bs_atomic_file_write_contents (path, text, length, error);
}

static gboolean
member_uint (JsonObject *o,
             const char *name,
             guint64     max,
             guint64    *value)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64
      || json_node_get_int (node) < 0 || (guint64) json_node_get_int (node) > max)
    return FALSE;
  *value = (guint64) json_node_get_int (node);
  return TRUE;
}

static gboolean
member_double (JsonObject *o,
               const char *name,
               double     *value)
{
  JsonNode *node = json_object_get_member (o, name);
  GType type = node != NULL && JSON_NODE_HOLDS_VALUE (node) ? json_node_get_value_type (node) : G_TYPE_INVALID;

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    {
      *value = NAN;
      return TRUE;
    }
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    return FALSE;
  *value = json_node_get_double (node);
  return TRUE;
}

static gboolean
member_bool (JsonObject *o,
             const char *name,
             gboolean   *value)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return FALSE;
  *value = json_node_get_boolean (node);
  return TRUE;
}

static const char *
member_string (JsonObject *o,
               const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static JsonObject *
member_object (JsonObject *o,
               const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

/* FORMAT (translated) says what is wrong with run.json. */
static gboolean run_json_error (GError    **error,
                                const char *path,
                                const char *format,
                                ...) G_GNUC_PRINTF (3, 4);

static gboolean
run_json_error (GError    **error,
                const char *path,
                const char *format,
                ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  /* Translators: the path of a run.json file, then what is wrong with it. */
  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' does not describe a training run: %s"), path, detail);
  return FALSE;
}

static gboolean
read_run_json (BsRun   *run,
               GError **error)
{
  g_autofree char *path = bs_run_path (run, BS_RUN_JSON, NULL);
  g_autoptr(JsonNode) node = bs_json_file_load (path, MAX_RUN_JSON_BYTES, error);
  JsonObject *root, *recipe, *plan, *versions;
  BsRunSettings *s = &run->settings;
  BsTrainRecipe *r = &s->recipe;
  const char *text;
  guint64 u;
  g_autoptr(GError) check_error = NULL;

  if (node == NULL)
    return FALSE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    /* Translators: follows "'FILE' does not describe a training run: ", as do the next. */
    return run_json_error (error, path, _("it is not a JSON object"));
  root = json_node_get_object (node);
  if (g_strcmp0 (member_string (root, "format"), "blockscope-run") != 0)
    return run_json_error (error, path, _("it does not say \"format\": \"blockscope-run\""));
  if (!member_uint (root, "format_version", G_MAXUINT, &u) || u < 1)
    return run_json_error (error, path, _("its format version is missing"));
  if (u > BS_RUN_FORMAT_VERSION)
    /* Translators: a version number. */
    return run_json_error (error, path, _("it has format version %u, made by a newer Blockscope"), (guint) u);

  if (member_string (root, "model") == NULL || member_string (root, "dataset") == NULL)
    return run_json_error (error, path, _("the model or the data set is missing"));
  g_free (s->model);
  s->model = g_strdup (member_string (root, "model"));
  g_free (s->dataset);
  s->dataset = g_strdup (member_string (root, "dataset"));
  if (!member_uint (root, "init_seed", G_MAXINT64, &s->init_seed))
    return run_json_error (error, path, _("'%s' is missing or not a number"), "init_seed");

  recipe = member_object (root, "recipe");
  if (recipe == NULL)
    return run_json_error (error, path, _("the training recipe is incomplete"));
  {
    guint64 epochs, batch, seed, threads, limit, test_limit;

    if (!member_uint (recipe, "epochs", G_MAXUINT, &epochs)
        || !member_uint (recipe, "batch_size", G_MAXUINT, &batch)
        || !member_double (recipe, "lr", &r->lr)
        || !member_double (recipe, "momentum", &r->momentum)
        || !member_double (recipe, "weight_decay", &r->weight_decay)
        || !bs_schedule_kind_from_string (member_string (recipe, "schedule"), &r->schedule)
        || !member_double (recipe, "warmup_epochs", &r->warmup_epochs)
        || !member_uint (recipe, "seed", G_MAXINT64, &seed)
        || !member_uint (recipe, "threads", G_MAXUINT, &threads)
        || !member_bool (recipe, "augment", &r->augment)
        || !member_uint (recipe, "limit", G_MAXUINT, &limit)
        || !member_uint (recipe, "test_limit", G_MAXUINT, &test_limit))
      return run_json_error (error, path, _("the training recipe is incomplete"));
    r->epochs = (guint) epochs;
    r->batch_size = (guint) batch;
    r->seed = seed;
    r->threads = (guint) threads;
    r->limit = (guint) limit;
    r->test_limit = (guint) test_limit;
    if (!bs_train_recipe_check (r, &check_error))
      return run_json_error (error, path, "%s", check_error->message);
  }

  plan = member_object (root, "snapshots");
  if (plan != NULL)
    {
      guint64 every_epochs, every_steps, images, batch, passes;

      if (!member_bool (plan, "at_init", &s->plan.at_init)
          || !member_uint (plan, "every_epochs", G_MAXUINT, &every_epochs)
          || !member_uint (plan, "every_steps", G_MAXUINT, &every_steps)
          || !member_uint (plan, "probe_images", G_MAXUINT, &images)
          || !member_uint (plan, "probe_batch", G_MAXUINT, &batch)
          || !member_uint (plan, "probe_passes", G_MAXUINT, &passes))
        return run_json_error (error, path, _("the snapshot plan is incomplete"));
      s->plan.every_epochs = (guint) every_epochs;
      s->plan.every_steps = (guint) every_steps;
      s->plan.probe_images = (guint) images;
      s->plan.probe_batch = (guint) batch;
      s->plan.probe_passes = (guint) passes;
      if (!bs_snapshot_plan_check (&s->plan, &check_error))
        return run_json_error (error, path, "%s", check_error->message);
    }
  member_bool (root, "keep_all_checkpoints", &s->keep_all_checkpoints);

  if (!bs_run_state_from_string (member_string (root, "state"), &run->state))
    return run_json_error (error, path, _("its state is missing or unknown"));
  text = member_string (root, "error");
  run->error_message = g_strdup (text);
  if (member_uint (root, "steps_per_epoch", G_MAXUINT, &u))
    run->steps_per_epoch = (guint) u;
  run->created = g_strdup (member_string (root, "created"));
  versions = member_object (root, "versions");
  if (versions != NULL)
    run->version = g_strdup (member_string (versions, "blockscope"));
  return TRUE;
}

/* metrics.jsonl */

static void
append_number (GString    *s,
               const char *name,
               double      value,
               const char *format)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (s, ",\"%s\":", name);
  if (!isfinite (value))
    {
      g_string_append (s, "null");
      return;
    }
  if (format == NULL)
    {
      /* Shortest text that reads back as the same double. */
      g_ascii_formatd (buf, sizeof buf, "%.15g", value);
      if (g_ascii_strtod (buf, NULL) != value)
        g_ascii_formatd (buf, sizeof buf, "%.17g", value);
    }
  else
    g_ascii_formatd (buf, sizeof buf, format, value);
  g_string_append (s, buf);
}

char *
bs_run_step_to_json (const BsRunStep *step)
{
  GString *s = g_string_new ("");

  g_string_append_printf (s, "{\"kind\":\"step\",\"global_step\":%" G_GUINT64_FORMAT ",\"epoch\":%u,\"step\":%u",
                          step->global_step, step->epoch, step->step);
  /* %.9g: every float reads back exactly. */
  append_number (s, "loss", step->loss, "%.9g");
  append_number (s, "lr", step->lr, NULL);
  append_number (s, "seconds", step->seconds, "%.3f");
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

char *
bs_run_epoch_to_json (const BsRunEpoch *epoch)
{
  GString *s = g_string_new ("");

  g_string_append_printf (s, "{\"kind\":\"epoch\",\"epoch\":%u", epoch->epoch);
  append_number (s, "train_loss", epoch->train_loss, NULL);
  append_number (s, "train_accuracy", epoch->train_accuracy, NULL);
  append_number (s, "test_loss", epoch->test_loss, NULL);
  append_number (s, "test_accuracy", epoch->test_accuracy, NULL);
  append_number (s, "seconds", epoch->seconds, "%.3f");
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

gboolean
bs_run_append_metrics (BsRun       *run,
                       const char  *json_object,
                       GError     **error)
{
  g_autofree char *line = g_strconcat (json_object, "\n", NULL);
  gsize length = strlen (line);
  gssize n;

  if (run->metrics_fd < 0)
    {
      g_autofree char *path = bs_run_path (run, BS_RUN_METRICS, NULL);

      run->metrics_fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (run->metrics_fd < 0)
        {
          int errsv = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot write '%s': %s"), path, g_strerror (errsv));
          return FALSE;
        }
    }
  /* One write: with O_APPEND the line lands whole or (disk full, a crash
   * inside the kernel) as one truncated last line, which readers skip. */
  do
    n = write (run->metrics_fd, line, length);
  while (n < 0 && errno == EINTR);
  if (n != (gssize) length)
    {
      int errsv = n < 0 ? errno : ENOSPC;
      g_autofree char *path = bs_run_path (run, BS_RUN_METRICS, NULL);

      /* A short write (the disk filled up): take the piece back, so that
       * the file ends with a whole line. */
      if (n > 0)
        {
          off_t end = lseek (run->metrics_fd, 0, SEEK_END);

          if (end >= n && ftruncate (run->metrics_fd, end - n) != 0)
            g_debug ("cannot cut the short line off %s: %s", path, g_strerror (errno));
        }

      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot write '%s': %s"), path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

void
bs_run_close_metrics (BsRun *run)
{
  if (run->metrics_fd >= 0)
    close (run->metrics_fd);
  run->metrics_fd = -1;
}

static void add_problem (BsRun      *run,
                         const char *format,
                         ...) G_GNUC_PRINTF (2, 3);

static void
add_problem (BsRun      *run,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_ptr_array_add (run->problems, g_strdup_vprintf (format, args));
  va_end (args);
}

/* One line; FALSE with a translated reason when it is not a metrics line. */
static gboolean
parse_metrics_line (BsRun       *run,
                    const char  *line,
                    gsize        length,
                    const char  *what,
                    GError     **error)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  const char *kind;

  if (length > MAX_LINE_BYTES)
    {
      /* Translators: where ("metrics.jsonl, line 3"). */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is too long for a metrics line"), what);
      return FALSE;
    }
  node = bs_json_parse_text (line, length, what, error);
  if (node == NULL)
    return FALSE;
  o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  kind = o ? member_string (o, "kind") : NULL;
  if (g_strcmp0 (kind, "step") == 0)
    {
      BsRunStep step = { 0 };
      guint64 epoch, in_epoch;
      double loss;

      if (!member_uint (o, "global_step", G_MAXINT64, &step.global_step)
          || !member_uint (o, "epoch", G_MAXUINT, &epoch) || !member_uint (o, "step", G_MAXUINT, &in_epoch)
          || !member_double (o, "loss", &loss) || !member_double (o, "lr", &step.lr)
          || !member_double (o, "seconds", &step.seconds))
        goto malformed;
      step.epoch = (guint) epoch;
      step.step = (guint) in_epoch;
      step.loss = (float) loss;
      g_array_append_val (run->steps, step);
      return TRUE;
    }
  if (g_strcmp0 (kind, "epoch") == 0)
    {
      BsRunEpoch epoch = { 0 };
      guint64 number;

      if (!member_uint (o, "epoch", G_MAXUINT, &number) || !member_double (o, "train_loss", &epoch.train_loss)
          || !member_double (o, "train_accuracy", &epoch.train_accuracy)
          || !member_double (o, "test_loss", &epoch.test_loss)
          || !member_double (o, "test_accuracy", &epoch.test_accuracy)
          || !member_double (o, "seconds", &epoch.seconds))
        goto malformed;
      epoch.epoch = (guint) number;
      g_array_append_val (run->epochs, epoch);
      return TRUE;
    }
  /* Other kinds ("snapshot": how long one took) are for people and tools. */
  if (kind != NULL)
    return TRUE;

malformed:
  /* Translators: where ("metrics.jsonl, line 3"). */
  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a step or epoch record"), what);
  return FALSE;
}

void
bs_run_read_metrics (BsRun *run)
{
  g_autofree char *path = bs_run_path (run, BS_RUN_METRICS, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length, start = 0;
  guint line_number = 0;

  g_array_set_size (run->steps, 0);
  g_array_set_size (run->epochs, 0);
  if (!bs_json_file_read_bytes (path, MAX_METRICS_BYTES, &text, &length, &error))
    {
      /* Nothing trained yet is not a problem. */
      if (!g_error_matches (error, BS_ERROR, BS_ERROR_NOT_FOUND))
        add_problem (run, "%s", error->message);
      return;
    }
  while (start < length)
    {
      const char *newline = memchr (text + start, '\n', length - start);
      gsize end = newline ? (gsize) (newline - text) : length;
      g_autofree char *what = NULL;
      g_autoptr(GError) line_error = NULL;

      line_number++;
      /* Translators: a file and a line number in it. */
      what = g_strdup_printf (_("%s, line %u"), path, line_number);
      if (newline == NULL)
        /* Every line is written whole with its newline: this one was cut off. */
        /* Translators: a file and a line number in it ("metrics.jsonl, line 3"). */
        add_problem (run, _("%s: the last line is incomplete (the run was interrupted while writing it); it was ignored"),
                     what);
      else if (end > start && !parse_metrics_line (run, text + start, end - start, what, &line_error))
        /* Translators: why a line of metrics.jsonl was skipped. */
        add_problem (run, _("%s; the line was ignored"), line_error->message);
      start = end + 1;
    }
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
          add_problem (run, _("'%s' is not a usable checkpoint (not a regular file, or empty); it was ignored"), path);
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
          add_problem (run, _("'%s' is missing: the checkpoint of epoch %u cannot be used"), path, e);
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
          add_problem (run, _("Cannot read '%s': not a regular file"), path);
          continue;
        }
      {
        g_autoptr(BsNpyFile) npy = bs_npy_file_open (path, &error);

        if (npy == NULL)
          {
            /* Translators: why a snapshot was skipped. */
            add_problem (run, _("%s; the snapshot was ignored"), error->message);
            continue;
          }
        if (bs_npy_file_get_ndim (npy) != 2 || bs_npy_file_get_dtype (npy) != BS_DTYPE_F64)
          {
            /* Translators: a snapshot file. */
            add_problem (run, _("'%s' is not a matrix of CKA values; the snapshot was ignored"), path);
            continue;
          }
      }
      json_path = bs_cka_export_json_path (path);
      if (g_stat (json_path, &st) != 0 || !S_ISREG (st.st_mode) || st.st_size == 0)
        {
          /* Translators: a snapshot's JSON file. */
          add_problem (run, _("'%s' is missing or empty; the snapshot was ignored"), json_path);
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
  if (!bs_train_recipe_check (&settings->recipe, error) || !bs_snapshot_plan_check (&settings->plan, error))
    return NULL;

  run = run_new (dir);
  bs_run_settings_clear (&run->settings);
  bs_run_settings_copy (settings, &run->settings);
  run->state = BS_RUN_STATE_RUNNING;
  run->created = now_iso8601 ();

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
  if (!read_run_json (run, error))
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
