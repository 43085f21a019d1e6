/* test-train-cli.c: `blockscope-cli train` and `eval` end to end, on the synthetic data set. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "bs-checkpoint.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-safetensors.h"
#include "bs-test-util.h"

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static void
test_train_then_eval (void)
{
  g_autofree char *path = tmp_path ("run.safetensors");
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(BsSafetensors) st = NULL;
  JsonObject *object;
  double saved_accuracy;

  g_assert_cmpint (bs_test_run_cli (NULL, &err, "train", "--model", "resnet8", "--dataset", "synthetic",
                            "--epochs", "3", "--limit", "512", "--test-limit", "128", "--batch", "64",
                            "--threads", "1", "--seed", "5", "--out", path, NULL), ==, 0);
  /* Not a terminal: plain lines, an epoch summary each. */
  g_assert_null (strchr (err, '\r'));
  g_assert_nonnull (strstr (err, "epoch 1/3: "));
  g_assert_nonnull (strstr (err, "epoch 3/3: "));
  g_assert_nonnull (strstr (err, "test accuracy"));
  g_assert_nonnull (strstr (err, "images/s"));
  g_assert_nonnull (strstr (err, "left"));

  st = bs_safetensors_load (path, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "epoch"), ==, "3");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "dataset"), ==, "synthetic");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "seed"), ==, "5");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "architecture"), ==, "resnet8");
  saved_accuracy = g_ascii_strtod (bs_safetensors_get_metadata (st, "accuracy"), NULL);
  /* No augmentation by default on the synthetic gratings (orientation is their class). */
  g_assert_nonnull (strstr (bs_safetensors_get_metadata (st, "recipe"), "\"augment\":false"));
  g_assert_nonnull (strstr (bs_safetensors_get_metadata (st, "recipe"), "\"threads\":1,"));
  g_assert_nonnull (strstr (err, "augmentation off"));

  /* eval finds the data set in the metadata and, on the same images,
   * reproduces the accuracy measured at the end of training. */
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (&out, &err, "eval", path, "--json", "--limit", "128", "--batch", "64", NULL), ==, 0);
  g_assert_true (json_parser_load_from_data (parser, out, -1, &error));
  g_assert_no_error (error);
  object = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (object, "images"), ==, 128);
  g_assert_cmpfloat (json_object_get_double_member (object, "accuracy"), >=, 0);
  g_assert_cmpfloat (json_object_get_double_member (object, "accuracy"), <=, 1);
  g_assert_cmpfloat (json_object_get_double_member (object, "accuracy"), ==, saved_accuracy);
  g_assert_cmpfloat (json_object_get_double_member (object, "accuracy") * 128, ==,
                     json_object_get_int_member (object, "correct"));
  g_assert_cmpstr (json_object_get_string_member (object, "dataset"), ==, "synthetic");
  /* Better than chance (0.1) on 10 classes after 24 steps. */
  g_test_message ("accuracy %.3f", saved_accuracy);
  g_assert_cmpfloat (saved_accuracy, >, 0.2);

  g_clear_pointer (&out, g_free);
  g_assert_cmpint (bs_test_run_cli (&out, NULL, "eval", path, "--dataset", "synthetic", "--limit", "32", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "test accuracy"));
  g_assert_nonnull (strstr (out, "of 32 images"));
}

/* Without --out, each run gets its own checkpoint in the runs folder (made
 * if missing), which is where the app looks; a runs folder that cannot be
 * made is an error before any training. */
static void
test_default_out (void)
{
  g_autofree char *runs = g_build_filename (tmp_dir, "runs", "nested", NULL);
  g_autofree char *blocker = tmp_path ("not-a-folder");
  g_autofree char *err = NULL;
  g_autoptr(GDir) dir = NULL;
  const char *name;
  guint found = 0;

  g_setenv ("BLOCKSCOPE_RUNS_DIR", runs, TRUE);
  for (guint k = 0; k < 2; k++)
    {
      g_clear_pointer (&err, g_free);
      g_assert_cmpint (bs_test_run_cli (NULL, &err, "train", "--model", "resnet8", "--dataset", "synthetic",
                                "--epochs", "1", "--limit", "64", "--test-limit", "32", "--batch", "32",
                                "--threads", "1", NULL), ==, 0);
      g_assert_nonnull (strstr (err, runs));
    }
  dir = g_dir_open (runs, 0, NULL);
  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (runs, name, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(BsSafetensors) st = NULL;

      g_assert_true (g_str_has_prefix (name, "resnet8-synthetic-"));
      g_assert_true (g_str_has_suffix (name, ".safetensors"));
      st = bs_safetensors_load (path, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (bs_safetensors_get_metadata (st, "epoch"), ==, "1");
      found++;
    }
  g_assert_cmpuint (found, ==, 2);   /* two runs, two files, even within one second */

  g_assert_true (g_file_set_contents (blocker, "", 0, NULL));
  g_clear_pointer (&runs, g_free);
  runs = g_build_filename (blocker, "runs", NULL);
  g_setenv ("BLOCKSCOPE_RUNS_DIR", runs, TRUE);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "train", "--model", "resnet8", "--dataset", "synthetic",
                            "--epochs", "1", "--limit", "64", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "Cannot make the runs folder"));
  g_assert_nonnull (strstr (err, blocker));
  g_unsetenv ("BLOCKSCOPE_RUNS_DIR");
}

static void
test_usage_errors (void)
{
  g_autofree char *path = tmp_path ("never.safetensors");
  const char *cases[][12] = {
    { "train", "--model", "resnet7", "--dataset", "synthetic", "--out", path, NULL },
    { "train", "--model", "vgg16", "--dataset", "synthetic", "--out", path, NULL },
    { "train", "--dataset", "no-such-set", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--epochs", "0", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--epochs", "two", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--lr", "-0.1", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--lr", "fast", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--batch", "-5", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--schedule", "step", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--momentum", "1.5", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--limit", "0", "--out", path, NULL },
    { "train", "--dataset", "synthetic", "--out", path, "extra", NULL },
    { "train", "--bogus", NULL },
    { "train", "--dataset", "synthetic", "--augment", "--no-augment", "--out", path, NULL },
    { "eval", NULL },
    { "eval", path, "--dataset", "no-such-set", NULL },
    { "eval", path, "--limit", "-3", NULL },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *joined = g_strjoinv (" ", (char **) cases[i]);
      g_autofree char *err = NULL;
      const char *const *c = cases[i];

      g_test_message ("blockscope-cli %s", joined);
      g_assert_cmpint (bs_test_run_cli (NULL, &err, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9],
                                c[10], c[11], NULL), ==, 2);
      g_assert_nonnull (strstr (err, "blockscope-cli"));
    }
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
}

static void
test_failures (void)
{
  g_autofree char *missing = tmp_path ("missing.safetensors");
  g_autofree char *in_missing_dir = g_build_filename (tmp_dir, "no-dir", "run.safetensors", NULL);
  g_autofree char *garbage = tmp_path ("garbage.safetensors");
  g_autofree char *err = NULL;

  g_assert_cmpint (bs_test_run_cli (NULL, &err, "eval", missing, "--dataset", "synthetic", NULL), ==, 1);
  g_assert_nonnull (strstr (err, missing));
  g_clear_pointer (&err, g_free);

  g_assert_true (g_file_set_contents (garbage, "not a checkpoint at all", -1, NULL));
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "eval", garbage, "--dataset", "synthetic", NULL), ==, 1);
  g_assert_nonnull (strstr (err, garbage));
  g_clear_pointer (&err, g_free);

  /* An unwritable --out is found before any training. */
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "train", "--model", "resnet8", "--dataset", "synthetic",
                            "--out", in_missing_dir, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "does not exist"));
  g_assert_null (strstr (err, "epoch"));
  g_clear_pointer (&err, g_free);

  /* A real data set that is not installed (tests run with an empty data folder). */
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "train", "--dataset", "cifar10", "--out", missing, NULL), ==, 1);
}

/* --init: fine-tuning from a checkpoint's weights, with a new head for the
 * data set's classes, the architecture taken from the weights, their input
 * normalisation carried on; and the ways it is refused before any training. */
static void
test_fine_tune (void)
{
  g_autofree char *weights = tmp_path ("pretrained.safetensors");
  g_autofree char *tuned = tmp_path ("tuned.safetensors");
  g_autofree char *never = tmp_path ("never-tuned.safetensors");
  g_autofree char *missing = tmp_path ("no-weights.safetensors");
  g_autofree char *run_dir = tmp_path ("tuned-run");
  g_autofree char *run_json = g_build_filename (run_dir, "run.json", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BsModel) pretrained = NULL;
  g_autoptr(BsSafetensors) st = NULL;
  const BsDatasetInfo *info = bs_dataset_info_lookup ("synthetic", &error);
  const float mean[3] = { 0.5f, 0.25f, 0.125f }, std[3] = { 0.25f, 0.5f, 1.0f };

  g_assert_no_error (error);
  g_assert_cmpuint (info->channels, ==, 3);
  pretrained = bs_model_new ("resnet8", info->channels, 24, 24, 1000, &error);
  g_assert_no_error (error);
  bs_model_init_params (pretrained, 9);
  bs_model_set_input_normalization (pretrained, mean, std);
  g_assert_true (bs_checkpoint_save (pretrained, NULL, weights, &error));
  g_assert_no_error (error);

  {
    g_autofree char *err = NULL;

    g_assert_cmpint (bs_test_run_cli (NULL, &err, "train", "--init", weights, "--dataset", "synthetic", "--epochs", "1",
                              "--limit", "128", "--test-limit", "64", "--batch", "64", "--threads", "1",
                              "--out", tuned, NULL), ==, 0);
    g_assert_nonnull (strstr (err, "Fine-tuning from the weights in"));
    g_assert_nonnull (strstr (err, "a new one for the 10 classes of"));
    g_assert_nonnull (strstr (err, "Training resnet8 on"));
  }
  st = bs_safetensors_load (tuned, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "architecture"), ==, "resnet8");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "classes"), ==, "10");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "input_mean"), ==, "[0.5, 0.25, 0.125]");
  g_assert_cmpstr (bs_safetensors_get_metadata (st, "input_std"), ==, "[0.25, 0.5, 1]");

  /* A run folder records the weights it started from. */
  g_assert_cmpint (bs_test_run_cli (NULL, NULL, "train", "--init", weights, "--model", "resnet8", "--dataset", "synthetic",
                            "--epochs", "1", "--limit", "64", "--test-limit", "32", "--batch", "32",
                            "--threads", "1", "--no-snapshots", "--run-dir", run_dir, NULL), ==, 0);
  g_assert_true (g_file_get_contents (run_json, &text, NULL, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, weights));

  {
    struct { int status; const char *args[6]; const char *says; } cases[] = {
      { 2, { "--init", weights, "--model", tuned }, "--init starts an architecture" },
      { 2, { "--init", weights, "--resume", run_dir }, "--resume" },
      { 1, { "--init", weights, "--model", "resnet14" }, "resnet14" },
      { 1, { "--init", missing }, missing },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autofree char *err = NULL;
        const char *const *a = cases[i].args;

        g_assert_cmpint (bs_test_run_cli (NULL, &err, "train", "--dataset", "synthetic", "--epochs", "1",
                                  "--out", never, a[0], a[1], a[2], a[3], NULL), ==, cases[i].status);
        g_assert_nonnull (strstr (err, cases[i].says));
        g_assert_null (strstr (err, "epoch 1/1"));
      }
  }
  g_assert_false (g_file_test (never, G_FILE_TEST_EXISTS));
}

/* Ctrl-C stops after the current step and keeps the last epoch's checkpoint.
 * The test reads the program's stderr and interrupts it right after it
 * said it saved the first epoch's checkpoint. */
static void
test_interrupt (void)
{
  g_autofree char *path = tmp_path ("interrupted.safetensors");
  const char *argv[] = {
    BS_CLI_PATH, "train", "--model", "resnet8", "--dataset", "synthetic", "--epochs", "1000",
    "--limit", "128", "--test-limit", "64", "--batch", "64", "--threads", "1", "--out", path, NULL,
  };
  BsTestChild child;
  g_autoptr(GString) log = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gboolean interrupted = FALSE;
  BsCheckpointInfo info;
  BsModel *model;
  char *line;
  int status;

  bs_test_child_start (&child, argv, TRUE, FALSE);
  while ((line = bs_test_child_read_line (&child)) != NULL)
    {
      g_string_append_printf (log, "%s\n", line);
      if (!interrupted && g_str_has_prefix (line, "epoch 1/1000:") && strstr (line, "saved") != NULL)
        {
          g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
          g_assert_cmpint (kill (child.pid, SIGINT), ==, 0);
          interrupted = TRUE;
        }
      g_free (line);
    }
  g_assert_true (interrupted);

  status = bs_test_child_wait (&child);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_test_message ("%s", log->str);
  g_assert_nonnull (strstr (log->str, "Stopped. The checkpoint of epoch"));

  model = bs_checkpoint_load (path, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (info.epoch, >=, 1);
  g_assert_cmpuint (info.epoch, <, 1000);
  bs_checkpoint_info_clear (&info);
  bs_model_free (model);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-train-cli-XXXXXX", NULL);

  g_test_add_func ("/train-cli/train-then-eval", test_train_then_eval);
  g_test_add_func ("/train-cli/default-out", test_default_out);
  g_test_add_func ("/train-cli/usage-errors", test_usage_errors);
  g_test_add_func ("/train-cli/failures", test_failures);
  g_test_add_func ("/train-cli/interrupt", test_interrupt);
  g_test_add_func ("/train-cli/fine-tune", test_fine_tune);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
