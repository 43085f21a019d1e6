/* test-run.c: run folders (bs-run.h): create, train with snapshots, open, resume, damage. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-checkpoint.h"
#include "bs-cka-export.h"
#include "bs-error.h"
#include "bs-model-spec.h"
#include "bs-run.h"
#include "bs-runs.h"
#include "bs-synthetic.h"
#include "bs-test-util.h"

static char *tmp_dir;

/* A small task: 4 classes of synthetic 3x16x16 images, 8 steps of 32 an epoch. */
static BsDataset *
make_dataset (void)
{
  return bs_dataset_new_synthetic (256, 96, 3, 16, 16, 4, 5);
}

static void
settings_for_test (BsRunSettings *settings)
{
  bs_run_settings_init (settings);
  g_free (settings->model);
  settings->model = g_strdup ("resnet8");
  g_free (settings->dataset);
  settings->dataset = g_strdup ("synthetic");
  settings->init_seed = 3;
  settings->recipe.epochs = 2;
  settings->recipe.batch_size = 32;
  settings->recipe.seed = 3;
  settings->recipe.threads = 1;
  settings->recipe.augment = FALSE;
  settings->plan.probe_images = 64;
  settings->plan.probe_batch = 16;
  settings->plan.every_steps = 3;
}

static char *
new_dir (const char *name)
{
  char *dir = g_build_filename (tmp_dir, name, NULL);

  bs_test_remove_tree (dir);
  return dir;
}

/* Every parameter and buffer of the checkpoint's model, flattened. */
static GBytes *
checkpoint_weights (const char *path)
{
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

static GBytes *
final_weights (BsRun *run)
{
  g_autofree char *path = bs_run_get_checkpoint_path (run, bs_run_get_settings (run)->recipe.epochs);

  return checkpoint_weights (path);
}

/* The same recipe through the plain trainer, as `blockscope-cli train` runs it. */
static GBytes *
plain_trainer_weights (const BsRunSettings *settings,
                       BsDataset           *dataset)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (tmp_dir, "plain.safetensors", NULL);
  g_autoptr(BsModel) model = bs_model_spec_build (settings->model, 3, 16, 16, 4, settings->recipe.seed, &error);
  g_autoptr(BsTrainer) trainer = NULL;

  g_assert_no_error (error);
  trainer = bs_trainer_new (model, dataset, &settings->recipe, NULL, &error);
  g_assert_no_error (error);
  bs_trainer_set_checkpoint_path (trainer, path);
  g_assert_true (bs_trainer_run (trainer, NULL, &error));
  g_assert_no_error (error);
  return checkpoint_weights (path);
}

static char *
read_text (const char *path)
{
  g_autoptr(GError) error = NULL;
  char *text = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return text;
}

static guint
count_lines_of_kind (const char *path,
                     const char *kind)
{
  g_autofree char *text = read_text (path);
  g_autofree char *needle = g_strdup_printf ("\"kind\":\"%s\"", kind);
  guint n = 0;

  for (const char *p = text; (p = strstr (p, needle)) != NULL; p++)
    n++;
  return n;
}

typedef struct {
  guint steps;
  guint epochs;
  guint started;
  guint partials;
  guint saved;
  guint cancel_at;        /* global step to cancel after (0: never) */
  GCancellable *cancellable;
} Counts;

static void
count_step (const BsTrainProgress *progress,
            gpointer               user_data)
{
  Counts *c = user_data;

  c->steps++;
  if (c->cancel_at > 0 && progress->global_step == c->cancel_at)
    g_cancellable_cancel (c->cancellable);
}

static void
count_epoch (const BsTrainEpochResult *result,
             gpointer                  user_data)
{
  ((Counts *) user_data)->epochs++;
}

static void
count_started (const BsRunSnapshotInfo *info,
               gpointer                 user_data)
{
  ((Counts *) user_data)->started++;
}

static void
count_partial (const BsRunSnapshotInfo *info,
               BsCkaSnapshot           *snapshot,
               gpointer                 user_data)
{
  ((Counts *) user_data)->partials++;
}

static void
count_saved (const BsRunSnapshotInfo *info,
             BsCkaSnapshot           *snapshot,
             gpointer                 user_data)
{
  g_assert_true (g_file_test (info->matrix_path, G_FILE_TEST_IS_REGULAR));
  ((Counts *) user_data)->saved++;
}

static const BsRunCallbacks counting = {
  count_step, count_epoch, count_started, count_partial, count_saved,
};

static void
test_round_trip (void)
{
  g_autofree char *dir = new_dir ("round-trip");
  g_autofree char *metrics = g_build_filename (dir, "metrics.jsonl", NULL);
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(BsRun) opened = NULL;
  g_autoptr(BsCkaSnapshot) snapshot = NULL;
  BsRunSettings settings;
  Counts counts = { 0 };
  GArray *snapshots, *checkpoints;
  const char *expected[] = {
    "000-epoch-0.npy", "001-step-3.npy", "002-step-6.npy", "003-epoch-1.npy",
    "004-step-9.npy", "005-step-12.npy", "006-step-15.npy", "007-epoch-2.npy",
  };

  settings_for_test (&settings);
  run = bs_run_create (dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_RUNNING);
  g_assert_true (bs_run_can_resume (run));
  /* A folder holds one run. */
  g_assert_null (bs_run_create (dir, &settings, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  g_assert_true (bs_run_train (run, dataset, NULL, &counting, &counts, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (run), ==, BS_RUN_STATE_FINISHED);
  g_assert_false (bs_run_can_resume (run));
  g_assert_cmpuint (counts.steps, ==, 16);
  g_assert_cmpuint (counts.epochs, ==, 2);
  /* Init, both epochs, steps 3, 6, 9, 12, 15 (not 8 and 16: epoch ends). */
  g_assert_cmpuint (counts.started, ==, G_N_ELEMENTS (expected));
  g_assert_cmpuint (counts.saved, ==, G_N_ELEMENTS (expected));
  /* 64 probe images in minibatches of 16, one pass: 4 partial results each. */
  g_assert_cmpuint (counts.partials, ==, 4 * G_N_ELEMENTS (expected));
  g_assert_cmpuint (count_lines_of_kind (metrics, "step"), ==, 16);
  g_assert_cmpuint (count_lines_of_kind (metrics, "epoch"), ==, 2);

  opened = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bs_run_get_problems (opened)->len, ==, 0);
  g_assert_cmpint (bs_run_get_state (opened), ==, BS_RUN_STATE_FINISHED);
  g_assert_cmpstr (bs_run_get_settings (opened)->model, ==, "resnet8");
  g_assert_cmpuint (bs_run_get_settings (opened)->recipe.threads, ==, 1);
  g_assert_cmpuint (bs_run_get_steps (opened)->len, ==, 16);
  g_assert_cmpuint (bs_run_get_epochs (opened)->len, ==, 2);
  g_assert_cmpuint (g_array_index (bs_run_get_steps (opened), BsRunStep, 15).global_step, ==, 16);
  g_assert_cmpuint (g_array_index (bs_run_get_steps (opened), BsRunStep, 15).step, ==, 8);
  snapshots = bs_run_get_snapshots (opened);
  g_assert_cmpuint (snapshots->len, ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < snapshots->len; i++)
    {
      const BsRunSnapshotInfo *info = &g_array_index (snapshots, BsRunSnapshotInfo, i);
      g_autofree char *base = g_path_get_basename (info->matrix_path);

      g_assert_cmpstr (base, ==, expected[i]);
      g_assert_cmpuint (info->index, ==, i);
    }
  g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 3).epoch, ==, 1);
  g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 3).global_step, ==, 8);
  g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 4).epoch, ==, 1);
  g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 4).global_step, ==, 9);
  /* Every epoch has a snapshot, so every checkpoint stays. */
  checkpoints = bs_run_get_checkpoint_epochs (opened);
  g_assert_cmpuint (checkpoints->len, ==, 2);

  /* A snapshot reads back as it was: the matrix is the network against itself. */
  snapshot = bs_run_load_snapshot (opened, 7, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (snapshot), ==, bs_cka_snapshot_get_n_cols (snapshot));
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (snapshot), ==, 4);
  for (guint i = 0; i < bs_cka_snapshot_get_n_rows (snapshot); i++)
    if (bs_cka_snapshot_get_row_status (snapshot, i) == BS_CKA_LAYER_OK)
      g_assert_cmpfloat_with_epsilon (bs_cka_snapshot_get_value (snapshot, i, i), 1.0, 1e-9);
  g_assert_null (bs_run_load_snapshot (opened, 99, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_clear_error (&error);

  bs_run_settings_clear (&settings);
}

static void
test_snapshots_do_not_change_training (void)
{
  g_autofree char *with_dir = new_dir ("with-snapshots");
  g_autofree char *without_dir = new_dir ("without-snapshots");
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) with = NULL;
  g_autoptr(BsRun) without = NULL;
  g_autoptr(GBytes) a = NULL, b = NULL, plain = NULL;
  BsRunSettings settings;

  settings_for_test (&settings);
  with = bs_run_create (with_dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (with, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  settings.plan.at_init = FALSE;
  settings.plan.every_epochs = 0;
  settings.plan.every_steps = 0;
  without = bs_run_create (without_dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (without, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bs_run_get_snapshots (without)->len, ==, 0);
  /* Without snapshots only the last checkpoint is kept. */
  g_assert_cmpuint (bs_run_get_checkpoint_epochs (without)->len, ==, 1);

  a = final_weights (with);
  b = final_weights (without);
  plain = plain_trainer_weights (&settings, dataset);
  g_assert_true (g_bytes_equal (a, b));
  g_assert_true (g_bytes_equal (a, plain));
  bs_run_settings_clear (&settings);
}

static void
test_resume_after_cancel (void)
{
  g_autofree char *whole_dir = new_dir ("whole");
  g_autofree char *cut_dir = new_dir ("cut");
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) whole = NULL;
  g_autoptr(BsRun) cut = NULL;
  g_autoptr(BsRun) reopened = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) a = NULL, b = NULL;
  BsRunSettings settings;
  Counts counts = { 0 };

  settings_for_test (&settings);
  settings.recipe.epochs = 3;
  whole = bs_run_create (whole_dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (whole, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  /* Cancelled in the middle of epoch 2, after a step snapshot (step 12). */
  cut = bs_run_create (cut_dir, &settings, &error);
  g_assert_no_error (error);
  counts.cancel_at = 13;
  counts.cancellable = cancellable;
  g_assert_false (bs_run_train (cut, dataset, NULL, &counting, &counts, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_cmpint (bs_run_get_state (cut), ==, BS_RUN_STATE_STOPPED);

  reopened = bs_run_open (cut_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (reopened), ==, BS_RUN_STATE_STOPPED);
  g_assert_true (bs_run_can_resume (reopened));
  g_assert_cmpuint (bs_run_get_steps (reopened)->len, ==, 13);
  g_assert_cmpuint (bs_run_get_epochs (reopened)->len, ==, 1);
  g_assert_true (bs_run_train (reopened, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (reopened), ==, BS_RUN_STATE_FINISHED);
  /* The steps after the checkpoint were done again, not twice. */
  g_assert_cmpuint (bs_run_get_steps (reopened)->len, ==, 24);
  g_assert_cmpuint (bs_run_get_epochs (reopened)->len, ==, 3);
  g_assert_cmpuint (bs_run_get_snapshots (reopened)->len, ==, bs_run_get_snapshots (whole)->len);

  a = final_weights (whole);
  b = final_weights (reopened);
  g_assert_true (g_bytes_equal (a, b));

  {
    g_autoptr(BsRun) again = bs_run_open (cut_dir, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (bs_run_get_problems (again)->len, ==, 0);
    g_assert_cmpuint (bs_run_get_steps (again)->len, ==, 24);
    for (guint i = 0; i < 24; i++)
      g_assert_cmpuint (g_array_index (bs_run_get_steps (again), BsRunStep, i).global_step, ==, i + 1);
  }
  bs_run_settings_clear (&settings);
}


/* A run that fine-tunes: run.json names the weights (as an absolute path),
 * training starts from them with a new head for the data set's classes,
 * exactly as the plain trainer from bs_checkpoint_init_model (), and a
 * resume before the first checkpoint starts from them again. */
static void
test_fine_tune (void)
{
  g_autofree char *dir = new_dir ("fine-tune");
  g_autofree char *cut_dir = new_dir ("fine-tune-cut");
  g_autofree char *bad_dir = new_dir ("fine-tune-bad");
  g_autofree char *weights = g_build_filename (tmp_dir, "pretrained.safetensors", NULL);
  g_autofree char *plain_path = g_build_filename (tmp_dir, "fine-tuned-plain.safetensors", NULL);
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(BsRun) reopened = NULL;
  g_autoptr(BsRun) cut = NULL;
  g_autoptr(BsModel) pretrained = NULL;
  g_autoptr(BsModel) plain = NULL;
  g_autoptr(BsModel) final = NULL;
  g_autoptr(BsTrainer) trainer = NULL;
  g_autoptr(GBytes) expected = NULL, got = NULL, resumed = NULL, scratch = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const float mean[3] = { 0.25f, 0.5f, 0.75f }, std[3] = { 0.5f, 0.25f, 2.0f };
  gboolean new_head = FALSE;
  BsRunSettings settings;
  Counts counts = { 0 };

  /* "Pretrained" weights for 6 classes of 3x24x24 images; the data set has 4 of 3x16x16. */
  pretrained = bs_model_new ("resnet8", 3, 24, 24, 6, &error);
  g_assert_no_error (error);
  bs_model_init_params (pretrained, 77);
  bs_model_set_input_normalization (pretrained, mean, std);
  g_assert_true (bs_checkpoint_save (pretrained, NULL, weights, &error));
  g_assert_no_error (error);

  settings_for_test (&settings);
  settings.recipe.epochs = 1;
  settings.plan.every_steps = 0;
  settings.init = g_strdup (weights);
  run = bs_run_create (dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (run, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  reopened = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bs_run_get_settings (reopened)->init, ==, weights);

  /* The plain trainer from the same start. */
  plain = bs_model_spec_build ("resnet8", 3, 16, 16, 4, settings.init_seed, &error);
  g_assert_no_error (error);
  g_assert_true (bs_checkpoint_init_model (plain, weights, &new_head, &error));
  g_assert_no_error (error);
  g_assert_true (new_head);
  trainer = bs_trainer_new (plain, dataset, &settings.recipe, NULL, &error);
  g_assert_no_error (error);
  bs_trainer_set_checkpoint_path (trainer, plain_path);
  g_assert_true (bs_trainer_run (trainer, NULL, &error));
  g_assert_no_error (error);
  expected = checkpoint_weights (plain_path);
  got = final_weights (reopened);
  g_assert_true (g_bytes_equal (expected, got));

  /* The weights made a difference, and their normalisation travels on. */
  g_free (settings.init);
  settings.init = NULL;
  scratch = plain_trainer_weights (&settings, dataset);
  g_assert_false (g_bytes_equal (scratch, got));
  {
    g_autofree char *path = bs_run_get_checkpoint_path (reopened, 1);
    float m[3], sd[3];

    final = bs_checkpoint_load (path, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (bs_model_get_input_normalization (final, m, sd));
    g_assert_cmpmem (m, sizeof m, mean, sizeof mean);
    g_assert_cmpmem (sd, sizeof sd, std, sizeof std);
  }

  /* Stopped before the first checkpoint, resumed: from the weights again. */
  settings.init = g_strdup (weights);
  cut = bs_run_create (cut_dir, &settings, &error);
  g_assert_no_error (error);
  counts.cancel_at = 3;
  counts.cancellable = cancellable;
  g_assert_false (bs_run_train (cut, dataset, NULL, &counting, &counts, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_assert_true (bs_run_train (cut, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  resumed = final_weights (cut);
  g_assert_true (g_bytes_equal (expected, resumed));

  /* Weights start an architecture, not a checkpoint. */
  g_free (settings.model);
  settings.model = g_strdup (weights);
  g_assert_null (bs_run_create (bad_dir, &settings, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  bs_run_settings_clear (&settings);
}

/* A finished two-epoch run with snapshots in a new folder, for damaging. */
static BsRun *
make_finished_run (const char *dir,
                   BsDataset  *dataset)
{
  g_autoptr(GError) error = NULL;
  BsRunSettings settings;
  BsRun *run;

  settings_for_test (&settings);
  settings.plan.every_steps = 0;
  settings.keep_all_checkpoints = TRUE;
  run = bs_run_create (dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (run, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  bs_run_settings_clear (&settings);
  return run;
}

/* Whether one of the run's problems names file and says problem. */
static gboolean
has_problem (BsRun      *run,
             const char *file,
             const char *problem)
{
  GPtrArray *problems = bs_run_get_problems (run);

  for (guint i = 0; i < problems->len; i++)
    {
      const char *text = g_ptr_array_index (problems, i);

      g_test_message ("problem: %s", text);
      if (strstr (text, file) != NULL && strstr (text, problem) != NULL)
        return TRUE;
    }
  return FALSE;
}

static void
write_file (const char *path,
            const char *text,
            gssize      length)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, length, &error);
  g_assert_no_error (error);
}

static void
test_damaged_folder (void)
{
  g_autofree char *dir = new_dir ("damaged");
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(BsRun) run = make_finished_run (dir, dataset);
  g_autoptr(BsRun) damaged = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *checkpoint = bs_run_get_checkpoint_path (run, 1);
  g_autofree char *metrics = g_build_filename (dir, "metrics.jsonl", NULL);
  g_autofree char *npy = g_build_filename (dir, "snapshots", "001-epoch-1.npy", NULL);
  g_autofree char *json = g_build_filename (dir, "snapshots", "002-epoch-2.json", NULL);
  g_autofree char *text = read_text (metrics);
  g_autoptr(GString) bad = g_string_new (text);
  gsize npy_length;
  g_autofree char *npy_bytes = NULL;

  /* A missing checkpoint, a malformed line in the middle, a truncated last
   * line, a .npy cut short, a .json that is not JSON. */
  g_assert_cmpint (g_remove (checkpoint), ==, 0);
  {
    /* After the first line. */
    gsize first_end = strchr (bad->str, '\n') - bad->str + 1;

    g_string_insert (bad, first_end, "{\"kind\":\"step\",\"global_step\":\"two\"}\n");
  }
  g_string_append (bad, "{\"kind\":\"step\",\"glo");
  write_file (metrics, bad->str, bad->len);
  g_file_get_contents (npy, &npy_bytes, &npy_length, &error);
  g_assert_no_error (error);
  write_file (npy, npy_bytes, npy_length - 8);
  write_file (json, "{\"format\": \"blockscope-cka\", \"model_a\": [[[", -1);

  damaged = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_true (has_problem (damaged, checkpoint, "is missing"));
  g_assert_true (has_problem (damaged, "metrics.jsonl, line 2", "is not a step or epoch record"));
  g_assert_true (has_problem (damaged, "metrics.jsonl, line 23", "incomplete"));
  g_assert_true (has_problem (damaged, "001-epoch-1.npy", "snapshot was ignored"));
  g_assert_cmpuint (bs_run_get_problems (damaged)->len, ==, 4);
  /* What is intact is there. */
  g_assert_cmpuint (bs_run_get_steps (damaged)->len, ==, 16);
  g_assert_cmpuint (bs_run_get_epochs (damaged)->len, ==, 2);
  g_assert_cmpuint (bs_run_get_checkpoint_epochs (damaged)->len, ==, 1);
  g_assert_cmpuint (bs_run_get_snapshots (damaged)->len, ==, 2);
  /* The damaged .json shows when the snapshot is read, naming the file. */
  g_assert_null (bs_run_load_snapshot (damaged, 2, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "002-epoch-2.json"));
  g_clear_error (&error);
  {
    g_autoptr(BsCkaSnapshot) intact = bs_run_load_snapshot (damaged, 0, &error);

    g_assert_no_error (error);
    g_assert_nonnull (intact);
  }

  /* Without run.json it is not a run: an error naming the file. */
  {
    g_autofree char *run_json = g_build_filename (dir, "run.json", NULL);

    g_assert_cmpint (g_remove (run_json), ==, 0);
    g_assert_null (bs_run_open (dir, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
    g_assert_nonnull (strstr (error->message, run_json));
    g_clear_error (&error);
  }
}

static void
test_damaged_run_json (void)
{
  g_autofree char *dir = new_dir ("bad-run-json");
  g_autofree char *path = g_build_filename (dir, "run.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) deep = g_string_new ("");
  const char *bad[] = {
    "",
    "[]",
    "{\"format\": \"blockscope-run\"}",
    "{\"format\": \"blockscope-run\", \"format_version\": 99}",
    "{\"format\": \"something-else\", \"format_version\": 1}",
    "\xff\xfe not text",
  };

  g_assert_cmpint (g_mkdir_with_parents (dir, 0755), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      write_file (path, bad[i], -1);
      g_assert_null (bs_run_open (dir, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, path));
      g_clear_error (&error);
    }
  /* Nesting that would exhaust json-glib's stack is refused before parsing. */
  for (guint i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  write_file (path, deep->str, deep->len);
  g_assert_null (bs_run_open (dir, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
  g_assert_nonnull (strstr (error->message, "nested deeper"));
  g_clear_error (&error);
  /* A FIFO is not opened (that would block). */
  g_assert_cmpint (g_remove (path), ==, 0);
  g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  g_assert_null (bs_run_open (dir, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
}

static void
test_unwritable_folder (void)
{
  g_autofree char *parent = new_dir ("read-only");
  g_autofree char *dir = g_build_filename (parent, "run", NULL);
  g_autoptr(GError) error = NULL;
  BsRunSettings settings;

  if (geteuid () == 0)
    {
      /* root writes anywhere; a file in the way stands in for the permission. */
      g_assert_cmpint (g_mkdir_with_parents (tmp_dir, 0755), ==, 0);
      write_file (parent, "not a folder", -1);
    }
  else
    {
      g_assert_cmpint (g_mkdir_with_parents (parent, 0755), ==, 0);
      g_assert_cmpint (g_chmod (parent, 0555), ==, 0);
    }
  settings_for_test (&settings);
  g_assert_null (bs_run_create (dir, &settings, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_IO);
  g_assert_nonnull (strstr (error->message, dir));
  g_clear_error (&error);
  g_assert_null (bs_runs_new_run_dir (dir, "resnet8", "synthetic", &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, dir));
  g_clear_error (&error);
  g_chmod (parent, 0755);
  g_remove (parent);
  bs_run_settings_clear (&settings);
}

/* Stopped after epoch 1, then made to diverge (a learning rate of 1e9 in
 * its run.json): the run fails with the step in the message and keeps the
 * checkpoint of epoch 1. */
static void
cancel_after_epoch (const BsTrainEpochResult *result,
                    gpointer                  user_data)
{
  g_cancellable_cancel (user_data);
}

static void
test_diverged (void)
{
  g_autofree char *dir = new_dir ("diverged");
  g_autofree char *run_json = g_build_filename (dir, "run.json", NULL);
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(BsRun) again = NULL;
  g_autoptr(BsRun) reopened = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *text = NULL;
  g_autoptr(GRegex) lr = g_regex_new ("\"lr\" : [0-9.e-]+", 0, 0, NULL);
  g_autofree char *edited = NULL;
  const BsRunCallbacks callbacks = { .epoch = cancel_after_epoch };
  BsRunSettings settings;

  settings_for_test (&settings);
  settings.plan.every_steps = 0;
  settings.recipe.schedule = BS_SCHEDULE_CONSTANT;
  settings.recipe.warmup_epochs = 0;
  run = bs_run_create (dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_false (bs_run_train (run, dataset, NULL, &callbacks, cancellable, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  text = read_text (run_json);
  edited = g_regex_replace_literal (lr, text, -1, 0, "\"lr\" : 1e9", 0, NULL);
  g_assert_cmpstr (edited, !=, text);
  write_file (run_json, edited, -1);

  again = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_false (bs_run_train (again, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_DIVERGED);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "Training diverged in epoch 2 at step "));
  g_assert_nonnull (strstr (error->message, "epoch-0001.safetensors"));
  g_clear_error (&error);

  reopened = bs_run_open (dir, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bs_run_get_state (reopened), ==, BS_RUN_STATE_FAILED);
  g_assert_false (bs_run_can_resume (reopened));
  g_assert_nonnull (strstr (bs_run_get_error_message (reopened), "Training diverged in epoch 2 at step "));
  g_assert_cmpuint (bs_run_get_checkpoint_epochs (reopened)->len, ==, 1);
  g_assert_cmpuint (g_array_index (bs_run_get_checkpoint_epochs (reopened), guint, 0), ==, 1);
  {
    /* The checkpoint kept is good: finite and loadable. */
    g_autoptr(GBytes) weights = NULL;
    g_autofree char *path = bs_run_get_checkpoint_path (reopened, 1);
    const float *w;
    gsize n;

    weights = checkpoint_weights (path);
    w = g_bytes_get_data (weights, &n);
    for (gsize i = 0; i < n / sizeof (float); i++)
      g_assert_true (isfinite (w[i]));
  }
  /* A failed run is not trained again. */
  g_assert_false (bs_run_train (reopened, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  bs_run_settings_clear (&settings);
}

static void
test_list_and_names (void)
{
  g_autofree char *dir = new_dir ("list");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autofree char *a = NULL, *b = NULL;
  BsRunSettings settings;

  settings_for_test (&settings);
  a = bs_runs_new_run_dir (dir, "resnet8", "synthetic", &error);
  g_assert_no_error (error);
  b = bs_runs_new_run_dir (dir, "resnet8", "synthetic", &error);
  g_assert_no_error (error);
  /* Two in the same second still differ. */
  g_assert_cmpstr (a, !=, b);
  g_assert_true (g_str_has_prefix (a, dir));
  {
    g_autofree char *base = g_path_get_basename (a);

    g_assert_true (g_str_has_prefix (base, "resnet8-synthetic-"));
  }
  g_clear_pointer (&runs, g_ptr_array_unref);
  {
    g_autoptr(BsRun) ra = bs_run_create (a, &settings, &error);

    g_assert_no_error (error);
  }
  {
    g_autoptr(BsRun) rb = bs_run_create (b, &settings, &error);

    g_assert_no_error (error);
  }
  /* Not a run: left out. */
  {
    g_autofree char *other = g_build_filename (dir, "not-a-run", NULL);
    g_autofree char *broken = g_build_filename (dir, "broken", NULL);
    g_autofree char *broken_json = g_build_filename (broken, "run.json", NULL);

    g_mkdir_with_parents (other, 0755);
    g_mkdir_with_parents (broken, 0755);
    write_file (broken_json, "{", -1);
  }
  runs = bs_runs_list (dir);
  g_assert_cmpuint (runs->len, ==, 2);
  {
    g_autofree char *title = bs_run_describe (g_ptr_array_index (runs, 0));

    g_assert_nonnull (strstr (title, "resnet8"));
  }
  bs_run_settings_clear (&settings);
}


/* The last checkpoint is damaged: the resume starts from the one before
 * and still ends bit-identical. */
static void
test_resume_from_earlier_checkpoint (void)
{
  g_autofree char *whole_dir = new_dir ("whole-3");
  g_autofree char *cut_dir = new_dir ("cut-damaged");
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) whole = NULL;
  g_autoptr(BsRun) cut = NULL;
  g_autoptr(BsRun) reopened = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GBytes) a = NULL, b = NULL;
  g_autofree char *second = NULL;
  BsRunSettings settings;
  Counts counts = { 0 };

  settings_for_test (&settings);
  settings.recipe.epochs = 3;
  settings.plan.every_epochs = 0;
  settings.plan.every_steps = 0;
  settings.plan.at_init = FALSE;
  settings.keep_all_checkpoints = TRUE;
  whole = bs_run_create (whole_dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (whole, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);

  cut = bs_run_create (cut_dir, &settings, &error);
  g_assert_no_error (error);
  counts.cancel_at = 20;
  counts.cancellable = cancellable;
  g_assert_false (bs_run_train (cut, dataset, NULL, &counting, &counts, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);

  second = bs_run_get_checkpoint_path (cut, 2);
  write_file (second, "not a checkpoint", -1);
  reopened = bs_run_open (cut_dir, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_train (reopened, dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  /* What was skipped is said, naming the file. */
  g_assert_true (has_problem (reopened, "epoch-0002.safetensors", "an earlier checkpoint is used"));
  g_assert_cmpuint (bs_run_get_steps (reopened)->len, ==, 24);
  a = final_weights (whole);
  b = final_weights (reopened);
  g_assert_true (g_bytes_equal (a, b));

  /* When no checkpoint can be used, nothing is replaced: an error that
   * names the file, and the folder as it was. */
  {
    g_autofree char *first = bs_run_get_checkpoint_path (reopened, 1);
    g_autofree char *third = bs_run_get_checkpoint_path (reopened, 3);
    g_autofree char *run_json = g_build_filename (cut_dir, "run.json", NULL);
    g_autofree char *text = NULL;
    g_autoptr(BsRun) hopeless = NULL;
    g_autoptr(GRegex) state = g_regex_new ("\"state\" : \"finished\"", 0, 0, NULL);
    g_autofree char *edited = NULL;

    g_assert_cmpint (g_remove (third), ==, 0);
    write_file (second, "not a checkpoint", -1);
    write_file (first, "not one either", -1);
    text = read_text (run_json);
    edited = g_regex_replace_literal (state, text, -1, 0, "\"state\" : \"stopped\"", 0, NULL);
    g_assert_cmpstr (edited, !=, text);
    write_file (run_json, edited, -1);
    hopeless = bs_run_open (cut_dir, &error);
    g_assert_no_error (error);
    g_assert_false (bs_run_train (hopeless, dataset, NULL, NULL, NULL, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
    g_assert_nonnull (strstr (error->message, "epoch-0001.safetensors"));
    g_assert_nonnull (strstr (error->message, "from the start"));
    g_clear_error (&error);
    g_clear_pointer (&hopeless, bs_run_unref);
    hopeless = bs_run_open (cut_dir, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bs_run_get_state (hopeless), ==, BS_RUN_STATE_STOPPED);
    g_assert_cmpuint (bs_run_get_steps (hopeless)->len, ==, 24);
    g_assert_cmpuint (bs_run_get_epochs (hopeless)->len, ==, 3);
  }
  bs_run_settings_clear (&settings);
}


/* Snapshots after every 2nd epoch and the last: checkpoints 2 and 3 stay,
 * 1 goes; with keep_all_checkpoints all three stay. */
static void
test_checkpoint_policy (void)
{
  g_autoptr(BsDataset) dataset = make_dataset ();
  BsRunSettings settings;

  settings_for_test (&settings);
  settings.recipe.epochs = 3;
  settings.plan.at_init = FALSE;
  settings.plan.every_epochs = 2;
  settings.plan.every_steps = 0;
  for (guint keep_all = 0; keep_all < 2; keep_all++)
    {
      g_autofree char *dir = new_dir (keep_all ? "policy-all" : "policy");
      g_autoptr(GError) error = NULL;
      g_autoptr(BsRun) run = NULL;
      g_autoptr(BsRun) opened = NULL;
      GArray *epochs, *snapshots;

      settings.keep_all_checkpoints = keep_all;
      run = bs_run_create (dir, &settings, &error);
      g_assert_no_error (error);
      g_assert_true (bs_run_train (run, dataset, NULL, NULL, NULL, NULL, &error));
      g_assert_no_error (error);
      opened = bs_run_open (dir, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (bs_run_get_problems (opened)->len, ==, 0);
      snapshots = bs_run_get_snapshots (opened);
      g_assert_cmpuint (snapshots->len, ==, 2);
      g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 0).epoch, ==, 2);
      g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 0).index, ==, 0);
      g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 1).epoch, ==, 3);
      g_assert_cmpuint (g_array_index (snapshots, BsRunSnapshotInfo, 1).global_step, ==, 24);
      epochs = bs_run_get_checkpoint_epochs (opened);
      g_assert_cmpuint (epochs->len, ==, keep_all ? 3 : 2);
      g_assert_cmpuint (g_array_index (epochs, guint, epochs->len - 2), ==, 2);
      g_assert_cmpuint (g_array_index (epochs, guint, epochs->len - 1), ==, 3);
      /* The checkpoints in the run's own list (as it trained) are those on disk. */
      g_assert_cmpuint (bs_run_get_checkpoint_epochs (run)->len, ==, epochs->len);
    }
  bs_run_settings_clear (&settings);
}


/* While a run trains, another BsRun of its folder sees it and cannot train it. */
typedef struct {
  const char *dir;
  BsDataset  *dataset;
  gboolean    checked;
} LockCheck;

static void
check_lock (const BsTrainProgress *progress,
            gpointer               user_data)
{
  LockCheck *check = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) other = NULL;

  if (check->checked)
    return;
  other = bs_run_open (check->dir, &error);
  g_assert_no_error (error);
  g_assert_true (bs_run_is_training (other));
  g_assert_false (bs_run_train (other, check->dataset, NULL, NULL, NULL, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "another process"));
  check->checked = TRUE;
}

static void
test_lock (void)
{
  g_autofree char *dir = new_dir ("locked");
  g_autoptr(BsDataset) dataset = make_dataset ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  BsRunSettings settings;
  LockCheck check = { dir, dataset, FALSE };
  const BsRunCallbacks callbacks = { .step = check_lock };

  settings_for_test (&settings);
  settings.recipe.epochs = 1;
  settings.plan.every_steps = 0;
  run = bs_run_create (dir, &settings, &error);
  g_assert_no_error (error);
  g_assert_false (bs_run_is_training (run));
  g_assert_true (bs_run_train (run, dataset, NULL, &callbacks, &check, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (check.checked);
  g_assert_false (bs_run_is_training (run));
  bs_run_settings_clear (&settings);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("blockscope-test-run-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/run/round-trip", test_round_trip);
  g_test_add_func ("/run/snapshots-do-not-change-training", test_snapshots_do_not_change_training);
  g_test_add_func ("/run/resume-after-cancel", test_resume_after_cancel);
  g_test_add_func ("/run/fine-tune", test_fine_tune);
  g_test_add_func ("/run/damaged-folder", test_damaged_folder);
  g_test_add_func ("/run/damaged-run-json", test_damaged_run_json);
  g_test_add_func ("/run/unwritable-folder", test_unwritable_folder);
  g_test_add_func ("/run/checkpoint-policy", test_checkpoint_policy);
  g_test_add_func ("/run/diverged", test_diverged);
  g_test_add_func ("/run/resume-from-earlier-checkpoint", test_resume_from_earlier_checkpoint);
  g_test_add_func ("/run/list-and-names", test_list_and_names);
  g_test_add_func ("/run/lock", test_lock);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
