/* bs-run-json.c: run.json, written atomically and read as a hostile file. */
#include "bs-config.h"

#include "bs-run-private.h"

#include <glib/gi18n-lib.h>
#include <math.h>

#include "bs-atomic-file.h"
#include "bs-error.h"
#include "bs-json-file.h"

/* run.json is a few hundred bytes; anything far larger is not one. */
#define MAX_RUN_JSON_BYTES (1 << 20)

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

char *
bs_run_now_iso8601 (void)
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
  g_autofree char *updated = bs_run_now_iso8601 ();
  g_autofree char *text = NULL;
  const BsRunSettings *s = &run->settings;
  const BsTrainRecipe *r = &s->recipe;
  gsize length;

  json_builder_begin_object (b);
  add_string_or_null (b, "format", "blockscope-run");
  add_int (b, "format_version", BS_RUN_FORMAT_VERSION);
  add_string_or_null (b, "model", s->model);
  add_int (b, "init_seed", (gint64) s->init_seed);
  add_string_or_null (b, "init", s->init);
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

gboolean
bs_run_read_json (BsRun   *run,
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
  if (g_strcmp0 (bs_json_member_string (root, "format"), "blockscope-run") != 0)
    return run_json_error (error, path, _("it does not say \"format\": \"blockscope-run\""));
  if (!bs_json_member_uint (root, "format_version", G_MAXUINT, &u) || u < 1)
    return run_json_error (error, path, _("its format version is missing"));
  if (u > BS_RUN_FORMAT_VERSION)
    /* Translators: a version number. */
    return run_json_error (error, path, _("it has format version %u, made by a newer Blockscope"), (guint) u);

  if (bs_json_member_string (root, "model") == NULL || bs_json_member_string (root, "dataset") == NULL)
    return run_json_error (error, path, _("the model or the data set is missing"));
  g_free (s->model);
  s->model = g_strdup (bs_json_member_string (root, "model"));
  g_free (s->dataset);
  s->dataset = g_strdup (bs_json_member_string (root, "dataset"));
  if (!bs_json_member_uint (root, "init_seed", G_MAXINT64, &s->init_seed))
    return run_json_error (error, path, _("'%s' is missing or not a number"), "init_seed");
  /* Absent in runs from scratch (and in those of earlier versions). */
  g_free (s->init);
  s->init = g_strdup (bs_json_member_string (root, "init"));

  recipe = bs_json_member_object (root, "recipe");
  if (recipe == NULL)
    return run_json_error (error, path, _("the training recipe is incomplete"));
  {
    guint64 epochs, batch, seed, threads, limit, test_limit;

    if (!bs_json_member_uint (recipe, "epochs", G_MAXUINT, &epochs)
        || !bs_json_member_uint (recipe, "batch_size", G_MAXUINT, &batch)
        || !bs_json_member_double (recipe, "lr", &r->lr)
        || !bs_json_member_double (recipe, "momentum", &r->momentum)
        || !bs_json_member_double (recipe, "weight_decay", &r->weight_decay)
        || !bs_schedule_kind_from_string (bs_json_member_string (recipe, "schedule"), &r->schedule)
        || !bs_json_member_double (recipe, "warmup_epochs", &r->warmup_epochs)
        || !bs_json_member_uint (recipe, "seed", G_MAXINT64, &seed)
        || !bs_json_member_uint (recipe, "threads", G_MAXUINT, &threads)
        || !bs_json_member_bool (recipe, "augment", &r->augment)
        || !bs_json_member_uint (recipe, "limit", G_MAXUINT, &limit)
        || !bs_json_member_uint (recipe, "test_limit", G_MAXUINT, &test_limit))
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

  plan = bs_json_member_object (root, "snapshots");
  if (plan != NULL)
    {
      guint64 every_epochs, every_steps, images, batch, passes;

      if (!bs_json_member_bool (plan, "at_init", &s->plan.at_init)
          || !bs_json_member_uint (plan, "every_epochs", G_MAXUINT, &every_epochs)
          || !bs_json_member_uint (plan, "every_steps", G_MAXUINT, &every_steps)
          || !bs_json_member_uint (plan, "probe_images", G_MAXUINT, &images)
          || !bs_json_member_uint (plan, "probe_batch", G_MAXUINT, &batch)
          || !bs_json_member_uint (plan, "probe_passes", G_MAXUINT, &passes))
        return run_json_error (error, path, _("the snapshot plan is incomplete"));
      s->plan.every_epochs = (guint) every_epochs;
      s->plan.every_steps = (guint) every_steps;
      s->plan.probe_images = (guint) images;
      s->plan.probe_batch = (guint) batch;
      s->plan.probe_passes = (guint) passes;
      if (!bs_snapshot_plan_check (&s->plan, &check_error))
        return run_json_error (error, path, "%s", check_error->message);
    }
  bs_json_member_bool (root, "keep_all_checkpoints", &s->keep_all_checkpoints);

  if (!bs_run_state_from_string (bs_json_member_string (root, "state"), &run->state))
    return run_json_error (error, path, _("its state is missing or unknown"));
  text = bs_json_member_string (root, "error");
  run->error_message = g_strdup (text);
  if (bs_json_member_uint (root, "steps_per_epoch", G_MAXUINT, &u))
    run->steps_per_epoch = (guint) u;
  run->created = g_strdup (bs_json_member_string (root, "created"));
  versions = bs_json_member_object (root, "versions");
  if (versions != NULL)
    run->version = g_strdup (bs_json_member_string (versions, "blockscope"));
  return TRUE;
}
