/* test-run-cli.c: `blockscope-cli train --run-dir`, `--resume` and `runs`, killed and stopped.
 *
 * The moments of the kills come from the CLI's --json step lines (events,
 * not sleeps): the process is killed with SIGKILL as soon as the line of a
 * randomly chosen step arrives, which lands anywhere in the following work
 * (a step, a metrics line, a checkpoint, a snapshot). */
#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-run.h"
#include "bs-test-util.h"

#define EPOCHS "2"
#define N_EPOCHS 2
#define STEPS_PER_EPOCH 8
#define TOTAL_STEPS (N_EPOCHS * STEPS_PER_EPOCH)

static char *tmp_dir;

/* The training options of every run here: 2 epochs of 8 steps, a snapshot
 * at initialisation, after every epoch and every 5 steps. */
static void
add_recipe_with (GPtrArray *argv,
                 gboolean   snapshots)
{
  const char *recipe[] = {
    "--model", "resnet8", "--dataset", "synthetic", "--epochs", EPOCHS, "--limit", "256",
    "--test-limit", "64", "--batch", "32", "--threads", "1", "--seed", "4",
  };
  const char *plan[] = { "--snapshot-steps", "5", "--probe-images", "64", "--probe-batch", "16" };

  for (guint i = 0; i < G_N_ELEMENTS (recipe); i++)
    g_ptr_array_add (argv, (char *) recipe[i]);
  if (snapshots)
    for (guint i = 0; i < G_N_ELEMENTS (plan); i++)
      g_ptr_array_add (argv, (char *) plan[i]);
  else
    g_ptr_array_add (argv, "--no-snapshots");
}

static void
add_recipe (GPtrArray *argv)
{
  add_recipe_with (argv, TRUE);
}

static GPtrArray *
new_argv (void)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) BS_CLI_PATH);
  return argv;
}

/* Runs argv (NULL-terminated here) to the end; returns the exit status. */
static int
run_to_end (GPtrArray  *argv,
            char      **out)
{
  g_autofree char *err = NULL;
  int status;

  g_ptr_array_add (argv, NULL);
  status = bs_test_spawn_sync ((const char *const *) argv->pdata, NULL, NULL, NULL, out, &err);
  g_test_message ("stderr: %s", err);
  g_assert_cmpint (status, >=, 0);
  return status;
}

static int
train_new (const char *dir)
{
  g_autoptr(GPtrArray) argv = new_argv ();

  g_ptr_array_add (argv, "train");
  add_recipe (argv);
  g_ptr_array_add (argv, "--run-dir");
  g_ptr_array_add (argv, (char *) dir);
  return run_to_end (argv, NULL);
}

static int
resume (const char *dir,
        char      **out)
{
  g_autoptr(GPtrArray) argv = new_argv ();

  g_ptr_array_add (argv, "train");
  g_ptr_array_add (argv, "--resume");
  g_ptr_array_add (argv, (char *) dir);
  g_ptr_array_add (argv, "--json");
  return run_to_end (argv, out);
}

static GBytes *
final_weights (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "checkpoints", "epoch-0002.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsModel) model = bs_checkpoint_load (path, NULL, &error);
  GByteArray *bytes = g_byte_array_new ();

  g_assert_no_error (error);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);

      g_byte_array_append (bytes, (const guint8 *) param->data, param->n_elements * sizeof (float));
    }
  return g_byte_array_free_to_bytes (bytes);
}

static GBytes *reference;
static guint reference_snapshots;

/* The uninterrupted run that the others must match bit for bit. */
static void
make_reference (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "reference", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;

  if (reference != NULL)
    return;
  g_assert_cmpint (train_new (dir), ==, 0);
  reference = final_weights (dir);
  run = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_FINISHED);
  g_assert_cmpuint (bs_run_get_steps (run)->len, ==, TOTAL_STEPS);
  reference_snapshots = bs_run_get_snapshots (run)->len;
  /* Init, 2 epochs, steps 5, 10, 15 (none falls on an epoch's end). */
  g_assert_cmpuint (reference_snapshots, ==, 6);
}

static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

/* Starts a new run with --json, and delivers `sig` as soon as the line of
 * step `target` is out. Returns how the process ended. */
static void
start_and_signal (const char *dir,
                  guint       target,
                  int         sig)
{
  g_autoptr(GPtrArray) argv = new_argv ();
  BsTestChild child;
  int status;

  g_ptr_array_add (argv, "train");
  add_recipe (argv);
  g_ptr_array_add (argv, "--run-dir");
  g_ptr_array_add (argv, (char *) dir);
  g_ptr_array_add (argv, "--json");
  g_ptr_array_add (argv, NULL);
  bs_test_child_start (&child, (const char *const *) argv->pdata, FALSE, TRUE);
  for (;;)
    {
      g_autofree char *line = bs_test_child_read_line (&child);
      g_autoptr(JsonObject) o = NULL;

      g_assert_nonnull (line);   /* the target step comes before the end */
      o = parse_object (line);
      if (g_strcmp0 (json_object_get_string_member (o, "type"), "step") == 0
          && json_object_get_int_member (o, "global_step") == target)
        break;
    }
  g_assert_cmpint (kill (child.pid, sig), ==, 0);
  status = bs_test_child_wait (&child);
  if (sig == SIGKILL)
    {
      g_assert_true (WIFSIGNALED (status));
      g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);
    }
  else
    {
      g_assert_true (WIFEXITED (status));
      g_assert_cmpint (WEXITSTATUS (status), ==, 1);
    }
}

/* The folder opens, resumes through the CLI to the reference's weights. */
static void
check_resumes (const char *dir,
               guint       killed_after)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) opened = bs_run_open (dir, &error);
  g_autoptr(BsRun) finished = NULL;
  g_autoptr(GBytes) weights = NULL;
  g_autofree char *out = NULL;
  GPtrArray *problems;

  g_assert_no_error (error);
  g_assert_true (bs_run_can_resume (opened));
  /* The lock died with the process. */
  g_assert_false (bs_run_is_training (opened));
  /* Everything up to the last complete step; at most a cut last line. */
  g_assert_cmpuint (bs_run_get_steps (opened)->len, >=, killed_after);
  problems = bs_run_get_problems (opened);
  for (guint i = 0; i < problems->len; i++)
    {
      g_test_message ("problem: %s", (const char *) g_ptr_array_index (problems, i));
      g_assert_nonnull (strstr (g_ptr_array_index (problems, i), "the last line is incomplete"));
    }

  g_assert_cmpint (resume (dir, &out), ==, 0);
  g_assert_nonnull (strstr (out, "\"status\":\"completed\""));
  weights = final_weights (dir);
  g_assert_true (g_bytes_equal (weights, reference));

  finished = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (finished), ==, BS_RUN_STATE_FINISHED);
  g_assert_cmpuint (bs_run_get_problems (finished)->len, ==, 0);
  g_assert_cmpuint (bs_run_get_steps (finished)->len, ==, TOTAL_STEPS);
  g_assert_cmpuint (bs_run_get_epochs (finished)->len, ==, N_EPOCHS);
  g_assert_cmpuint (bs_run_get_snapshots (finished)->len, ==, reference_snapshots);
  for (guint i = 0; i < TOTAL_STEPS; i++)
    g_assert_cmpuint (g_array_index (bs_run_get_steps (finished), BsRunStep, i).global_step, ==, i + 1);
}

static void
test_kill_and_resume (void)
{
  make_reference ();
  /* Steps just before a snapshot, an epoch's end, and random ones. */
  guint targets[] = { 5, STEPS_PER_EPOCH, 0, 0 };

  for (guint k = 0; k < G_N_ELEMENTS (targets); k++)
    {
      g_autofree char *name = g_strdup_printf ("killed-%u", k);
      g_autofree char *dir = g_build_filename (tmp_dir, name, NULL);
      guint target = targets[k] > 0 ? targets[k] : (guint) g_test_rand_int_range (1, TOTAL_STEPS);

      g_test_message ("kill -9 after the line of step %u", target);
      start_and_signal (dir, target, SIGKILL);
      check_resumes (dir, target);
    }
}

static void
test_stop_and_resume (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "stopped", NULL);
  g_autofree char *out = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(GError) error = NULL;

  make_reference ();
  start_and_signal (dir, 11, SIGINT);
  run = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_STOPPED);
  check_resumes (dir, 11);

  /* A finished run is left as it is; a resume with other settings is a usage error. */
  g_assert_cmpint (resume (dir, &out), ==, 0);
  g_assert_cmpstr (out, ==, "");
  {
    g_autoptr(GPtrArray) argv = new_argv ();

    g_ptr_array_add (argv, "train");
    g_ptr_array_add (argv, "--resume");
    g_ptr_array_add (argv, dir);
    g_ptr_array_add (argv, "--epochs");
    g_ptr_array_add (argv, "5");
    g_assert_cmpint (run_to_end (argv, NULL), ==, 2);
  }
  /* A folder holds one run. */
  g_assert_cmpint (train_new (dir), ==, 1);
}

/* A full disk, as a file size limit: writes past it fail (EFBIG) as they
 * would with ENOSPC. */
static void
limit_file_size (gpointer user_data)
{
  rlim_t bytes = GPOINTER_TO_UINT (user_data);
  struct rlimit limit = { bytes, bytes };

  signal (SIGXFSZ, SIG_IGN);
  setrlimit (RLIMIT_FSIZE, &limit);
}

static void
test_full_disk (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "full", NULL);
  g_autoptr(GPtrArray) argv = new_argv ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(BsRun) run = NULL;

  /* Without snapshots the first file past the limit is a checkpoint. */
  g_ptr_array_add (argv, "train");
  add_recipe_with (argv, FALSE);
  g_ptr_array_add (argv, "--run-dir");
  g_ptr_array_add (argv, dir);
  g_ptr_array_add (argv, NULL);
  g_assert_cmpint (bs_test_spawn_sync ((const char *const *) argv->pdata, NULL, limit_file_size,
                                       GUINT_TO_POINTER (16384), &out, &err), ==, 1);
  g_test_message ("stderr: %s", err);
  /* The message names the file that could not be written (a checkpoint: the
   * first file larger than the limit) and why. */
  g_assert_nonnull (strstr (err, "epoch-0001.safetensors"));
  g_assert_nonnull (strstr (err, g_strerror (EFBIG)));

  /* What was written opens; the run is marked failed with the message. */
  run = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_FAILED);
  g_assert_nonnull (strstr (bs_run_get_error_message (run), "epoch-0001.safetensors"));
  g_assert_cmpuint (bs_run_get_steps (run)->len, ==, STEPS_PER_EPOCH);
  g_assert_cmpuint (bs_run_get_checkpoint_epochs (run)->len, ==, 0);
}


/* The disk fills while metrics lines are appended (1,200 bytes: run.json
 * fits, about a dozen lines do): the run stops at the step whose line
 * could not be written, naming the file; the lines before it are intact. */
static void
test_full_disk_metrics (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "full-metrics", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(BsRun) run = NULL;
  const char *argv[] = {
    BS_CLI_PATH, "train", "--model", "resnet8", "--dataset", "synthetic", "--epochs", "1", "--limit", "256",
    "--test-limit", "64", "--batch", "16", "--threads", "1", "--no-snapshots", "--run-dir", dir, NULL,
  };
  guint steps;

  g_assert_cmpint (bs_test_spawn_sync (argv, NULL, limit_file_size, GUINT_TO_POINTER (1200), &out, &err), ==, 1);
  g_test_message ("stderr: %s", err);
  g_assert_nonnull (strstr (err, "metrics.jsonl"));
  /* The line did not fit whole (ENOSPC: a short write, taken back) or at all (EFBIG). */
  g_assert_true (strstr (err, g_strerror (ENOSPC)) != NULL || strstr (err, g_strerror (EFBIG)) != NULL);

  run = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_FAILED);
  g_assert_nonnull (strstr (bs_run_get_error_message (run), "metrics.jsonl"));
  /* It stopped in the first epoch (16 steps), right after the line that failed. */
  steps = bs_run_get_steps (run)->len;
  g_assert_cmpuint (bs_run_get_problems (run)->len, ==, 0);
  g_assert_cmpuint (steps, >, 3);
  g_assert_cmpuint (steps, <, 16);
  for (guint i = 0; i < steps; i++)
    g_assert_cmpuint (g_array_index (bs_run_get_steps (run), BsRunStep, i).global_step, ==, i + 1);
}


/* `train --out` as before, and `train --run-dir` with the same settings:
 * the same weights, bit for bit (with snapshots too: they do not change
 * the training). */
static void
test_same_as_out (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "plain.safetensors", NULL);
  g_autoptr(GPtrArray) argv = new_argv ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsModel) plain = NULL;
  g_autoptr(GBytes) plain_weights = NULL;
  GByteArray *bytes = g_byte_array_new ();

  make_reference ();
  g_ptr_array_add (argv, "train");
  add_recipe_with (argv, FALSE);
  /* --no-snapshots is a run folder's option: not for --out. */
  g_ptr_array_remove_index (argv, argv->len - 1);
  g_ptr_array_add (argv, "--out");
  g_ptr_array_add (argv, out);
  g_assert_cmpint (run_to_end (argv, NULL), ==, 0);
  plain = bs_checkpoint_load (out, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < bs_model_get_n_params (plain); i++)
    {
      BsParam *param = bs_model_get_param (plain, i);

      g_byte_array_append (bytes, (const guint8 *) param->data, param->n_elements * sizeof (float));
    }
  plain_weights = g_byte_array_free_to_bytes (bytes);
  g_assert_true (g_bytes_equal (plain_weights, reference));
}

static void
test_runs_command (void)
{
  g_autoptr(GPtrArray) argv = new_argv ();
  g_autofree char *out = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *runs;
  gboolean found_reference = FALSE;

  make_reference ();
  g_ptr_array_add (argv, "runs");
  g_ptr_array_add (argv, "--runs-dir");
  g_ptr_array_add (argv, tmp_dir);
  g_ptr_array_add (argv, "--json");
  g_assert_cmpint (run_to_end (argv, &out), ==, 0);
  json_parser_load_from_data (parser, out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  runs = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (runs), >=, 1);
  for (guint i = 0; i < json_array_get_length (runs); i++)
    {
      JsonObject *o = json_array_get_object_element (runs, i);

      if (g_strcmp0 (json_object_get_string_member (o, "name"), "reference") != 0)
        continue;
      found_reference = TRUE;
      g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "finished");
      g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "resnet8");
      g_assert_cmpstr (json_object_get_string_member (o, "dataset"), ==, "synthetic");
      g_assert_cmpint (json_object_get_int_member (o, "epochs_done"), ==, N_EPOCHS);
      g_assert_cmpint (json_object_get_int_member (o, "steps_done"), ==, TOTAL_STEPS);
      g_assert_cmpint (json_object_get_int_member (o, "snapshots"), ==, reference_snapshots);
      g_assert_false (json_object_get_boolean_member (o, "resumable"));
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "checkpoints")), ==, N_EPOCHS);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "problems")), ==, 0);
      g_assert_true (json_object_get_double_member (o, "best_test_accuracy") >= 0);
    }
  g_assert_true (found_reference);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("blockscope-test-run-cli-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/run-cli/kill-and-resume", test_kill_and_resume);
  g_test_add_func ("/run-cli/stop-and-resume", test_stop_and_resume);
  g_test_add_func ("/run-cli/full-disk", test_full_disk);
  g_test_add_func ("/run-cli/full-disk-metrics", test_full_disk_metrics);
  g_test_add_func ("/run-cli/same-as-out", test_same_as_out);
  g_test_add_func ("/run-cli/runs", test_runs_command);

  status = g_test_run ();
  g_clear_pointer (&reference, g_bytes_unref);
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
