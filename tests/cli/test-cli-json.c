/* test-cli-json.c: the machine-readable output of blockscope-cli, as a script reads it.
 *
 * `train --json` (JSON Lines: an object per epoch, then a summary, also when
 * the run is stopped), `cka --json` (a summary of the files it wrote, checked
 * against those files) and `datasets --names`, run as programs on the
 * synthetic data set and on activation files made here. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <signal.h>
#include <string.h>

#include "bs-test-util.h"

static char *tmp_dir;

typedef struct {
  int   status;
  char *out;
  char *err;
} Run;

static void
run_clear (Run *r)
{
  g_free (r->out);
  g_free (r->err);
}

static GPtrArray *
make_argv (const char *first,
           va_list     ap)
{
  GPtrArray *argv = g_ptr_array_new ();

  g_ptr_array_add (argv, (char *) BS_CLI_PATH);
  for (const char *a = first; a != NULL; a = va_arg (ap, const char *))
    g_ptr_array_add (argv, (char *) a);
  g_ptr_array_add (argv, NULL);
  return argv;
}

/* Runs the CLI with a NULL-terminated argument list to the end. */
static Run
run_cli (const char *first,
         ...)
{
  g_autoptr(GPtrArray) argv = NULL;
  Run r = { 0 };
  va_list ap;

  va_start (ap, first);
  argv = make_argv (first, ap);
  va_end (ap);

  r.status = bs_test_spawn_sync ((const char *const *) argv->pdata, NULL, NULL, NULL, &r.out, &r.err);
  g_assert_cmpint (r.status, >=, 0);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  return r;
}

/* Parses text that must be one JSON object. */
static JsonObject *
parse_object (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  json_parser_load_from_data (parser, text, -1, &error);
  g_assert_no_error (error);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (root));
  return json_object_ref (json_node_get_object (root));
}

static JsonObject *
load_object (const char *path)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;

  g_file_get_contents (path, &text, NULL, &error);
  g_assert_no_error (error);
  return parse_object (text);
}

/* Each line of JSON Lines text, parsed; every line must be an object. */
static GPtrArray *
parse_lines (const char *text)
{
  GPtrArray *objects = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint i = 0; lines[i] != NULL; i++)
    {
      if (lines[i][0] == '\0')
        {
          g_assert_null (lines[i + 1]);   /* only the end of the last line */
          break;
        }
      g_ptr_array_add (objects, parse_object (lines[i]));
    }
  return objects;
}

static gboolean
member_is_null (JsonObject *o,
                const char *name)
{
  g_assert_true (json_object_has_member (o, name));
  return json_object_get_null_member (o, name);
}

/* The members every epoch object and the summary share, equal. */
static void
assert_same_epoch_results (JsonObject *a,
                           JsonObject *b)
{
  const char *names[] = { "train_loss", "train_accuracy", "test_loss", "test_accuracy" };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    g_assert_cmpfloat (json_object_get_double_member (a, names[i]), ==,
                       json_object_get_double_member (b, names[i]));
  g_assert_cmpint (json_object_get_int_member (a, "test_images"), ==,
                   json_object_get_int_member (b, "test_images"));
}

static void
assert_epoch_object (JsonObject *o,
                     guint       epoch,
                     guint       epochs,
                     guint       test_images,
                     const char *checkpoint)
{
  double accuracy;

  g_assert_cmpstr (json_object_get_string_member (o, "type"), ==, "epoch");
  g_assert_cmpint (json_object_get_int_member (o, "epoch"), ==, epoch);
  g_assert_cmpint (json_object_get_int_member (o, "epochs"), ==, epochs);
  g_assert_cmpint (json_object_get_int_member (o, "test_images"), ==, test_images);
  g_assert_cmpstr (json_object_get_string_member (o, "checkpoint"), ==, checkpoint);
  g_assert_cmpfloat (json_object_get_double_member (o, "train_loss"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "test_loss"), >, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "train_accuracy"), >=, 0);
  g_assert_cmpfloat (json_object_get_double_member (o, "train_accuracy"), <=, 1);
  /* A fraction of the test images: a whole number of them. */
  accuracy = json_object_get_double_member (o, "test_accuracy");
  g_assert_cmpfloat (accuracy, >=, 0);
  g_assert_cmpfloat (accuracy, <=, 1);
  g_assert_cmpfloat (fabs (accuracy * test_images - round (accuracy * test_images)), <, 1e-9);
  g_assert_cmpfloat (json_object_get_double_member (o, "seconds"), >, 0);
}

static void
test_train (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "run.safetensors", NULL);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(JsonObject) eval = NULL;
  JsonObject *summary, *last;
  Run r;

  r = run_cli ("train", "--model", "resnet8", "--dataset", "synthetic", "--epochs", "2",
               "--limit", "256", "--test-limit", "64", "--batch", "64", "--threads", "1",
               "--seed", "3", "--out", path, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  /* Progress stays on stderr, as without --json. */
  g_assert_nonnull (strstr (r.err, "epoch 2/2: train loss"));
  g_assert_nonnull (strstr (r.err, "Done: checkpoint in"));

  lines = parse_lines (r.out);
  g_assert_cmpuint (lines->len, ==, 3);
  assert_epoch_object (g_ptr_array_index (lines, 0), 1, 2, 64, path);
  assert_epoch_object (g_ptr_array_index (lines, 1), 2, 2, 64, path);
  last = g_ptr_array_index (lines, 1);

  summary = g_ptr_array_index (lines, 2);
  g_assert_cmpstr (json_object_get_string_member (summary, "type"), ==, "summary");
  g_assert_cmpstr (json_object_get_string_member (summary, "status"), ==, "completed");
  g_assert_true (member_is_null (summary, "error"));
  g_assert_cmpstr (json_object_get_string_member (summary, "checkpoint"), ==, path);
  g_assert_cmpstr (json_object_get_string_member (summary, "model"), ==, "resnet8");
  g_assert_cmpstr (json_object_get_string_member (summary, "dataset"), ==, "synthetic");
  g_assert_cmpint (json_object_get_int_member (summary, "epochs"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (summary, "epochs_done"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (summary, "seed"), ==, 3);
  assert_same_epoch_results (summary, last);
  g_assert_cmpfloat (json_object_get_double_member (summary, "seconds"), >=,
                     json_object_get_double_member (last, "seconds"));
  run_clear (&r);

  /* The checkpoint named holds what the summary says: eval on the same
   * images (and batches) measures the same accuracy and loss. */
  r = run_cli ("eval", path, "--json", "--limit", "64", "--batch", "64", "--threads", "1", NULL);
  g_assert_cmpint (r.status, ==, 0);
  eval = parse_object (r.out);
  g_assert_cmpstr (json_object_get_string_member (eval, "architecture"), ==, "resnet8");
  g_assert_cmpint (json_object_get_int_member (eval, "images"), ==, 64);
  g_assert_cmpfloat (json_object_get_double_member (eval, "accuracy"), ==,
                     json_object_get_double_member (summary, "test_accuracy"));
  g_assert_cmpfloat (fabs (json_object_get_double_member (eval, "loss") -
                           json_object_get_double_member (summary, "test_loss")), <, 1e-4);
  run_clear (&r);
}

/* Ctrl-C after the first epoch: the summary says "stopped", with the
 * checkpoint of the epochs that finished. */
static void
test_train_stopped (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "stopped.safetensors", NULL);
  const char *argv[] = {
    BS_CLI_PATH, "train", "--model", "resnet8", "--dataset", "synthetic", "--epochs", "1000",
    "--limit", "64", "--test-limit", "32", "--batch", "32", "--threads", "1", "--out", path,
    "--json", NULL
  };
  BsTestChild child;
  g_autoptr(JsonObject) last = NULL;
  g_autoptr(JsonObject) summary = NULL;
  guint epochs_seen = 0;
  int status;

  bs_test_child_start (&child, argv, FALSE, FALSE);

  for (;;)
    {
      g_autofree char *line = bs_test_child_read_line (&child);
      g_autoptr(JsonObject) o = NULL;

      g_assert_nonnull (line);   /* the summary comes before the end */
      o = parse_object (line);
      if (g_strcmp0 (json_object_get_string_member (o, "type"), "summary") == 0)
        {
          summary = g_steal_pointer (&o);
          break;
        }
      assert_epoch_object (o, epochs_seen + 1, 1000, 32, path);
      if (epochs_seen++ == 0)
        g_assert_cmpint (kill (child.pid, SIGINT), ==, 0);
      g_clear_pointer (&last, json_object_unref);
      last = g_steal_pointer (&o);
    }

  status = bs_test_child_wait (&child);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);

  g_assert_cmpstr (json_object_get_string_member (summary, "status"), ==, "stopped");
  g_assert_true (member_is_null (summary, "error"));
  g_assert_cmpstr (json_object_get_string_member (summary, "checkpoint"), ==, path);
  g_assert_cmpint (json_object_get_int_member (summary, "epochs"), ==, 1000);
  g_assert_cmpint (json_object_get_int_member (summary, "epochs_done"), ==, epochs_seen);
  g_assert_cmpuint (epochs_seen, <, 1000);
  assert_same_epoch_results (summary, last);
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
}

/* Before training starts there is no JSON: the exit status says it all. */
static void
test_train_no_start (void)
{
  g_autofree char *blocked = g_build_filename (tmp_dir, "no-such-folder", "x.safetensors", NULL);
  Run r;

  r = run_cli ("train", "--dataset", "no-such-set", "--json", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);

  r = run_cli ("train", "--model", "resnet8", "--dataset", "synthetic", "--json", "--out", blocked, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);
}

/* How many cells of a row-major matrix of JSON numbers (or null) are null. */
static guint
count_nulls (JsonArray *matrix)
{
  guint nulls = 0;

  for (guint i = 0; i < json_array_get_length (matrix); i++)
    {
      JsonArray *row = json_array_get_array_element (matrix, i);

      for (guint j = 0; j < json_array_get_length (row); j++)
        nulls += JSON_NODE_HOLDS_NULL (json_array_get_element (row, j)) ? 1 : 0;
    }
  return nulls;
}

/* The summary against the JSON file it names. */
static void
assert_summary_matches_file (JsonObject *summary,
                             const char *json_path)
{
  g_autoptr(JsonObject) file = load_object (json_path);
  JsonObject *protocol = json_object_get_object_member (file, "protocol");
  JsonObject *model_a = json_object_get_object_member (file, "model_a");
  JsonObject *model_b = json_object_get_object_member (file, "model_b");
  JsonArray *cka = json_object_get_array_member (file, "cka");

  g_assert_cmpstr (json_object_get_string_member (summary, "json_file"), ==, json_path);
  g_assert_cmpstr (json_object_get_string_member (summary, "model_a"), ==,
                   json_object_get_string_member (model_a, "spec"));
  g_assert_cmpstr (json_object_get_string_member (summary, "model_b"), ==,
                   json_object_get_string_member (model_b, "spec"));
  g_assert_cmpint (json_object_get_int_member (summary, "n_layers_a"), ==,
                   json_object_get_int_member (model_a, "n_layers"));
  g_assert_cmpint (json_object_get_int_member (summary, "n_layers_b"), ==,
                   json_object_get_int_member (model_b, "n_layers"));
  g_assert_cmpuint (json_array_get_length (cka), ==, json_object_get_int_member (summary, "n_layers_a"));
  g_assert_cmpint (json_object_get_int_member (summary, "minibatches"), ==,
                   json_object_get_int_member (file, "minibatches_used"));
  g_assert_cmpint (json_object_get_int_member (summary, "minibatches_total"), ==,
                   json_object_get_int_member (file, "minibatches_total"));
  g_assert_cmpint (json_object_get_int_member (summary, "batch_size"), ==,
                   json_object_get_int_member (protocol, "batch_size"));
  g_assert_cmpint (json_object_get_int_member (summary, "passes"), ==,
                   json_object_get_int_member (protocol, "passes"));
  g_assert_cmpstr (json_object_get_string_member (summary, "layers"), ==,
                   json_object_get_string_member (protocol, "layers"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (protocol, "estimator"),
                                   json_object_get_string_member (summary, "estimator")));
  g_assert_cmpfloat (json_object_get_double_member (summary, "seconds"), ==,
                     json_object_get_double_member (file, "elapsed_seconds"));
  g_assert_cmpfloat (json_object_get_double_member (summary, "seconds"), >, 0);
  g_assert_cmpint (json_object_get_int_member (summary, "undefined_cells"), ==, count_nulls (cka));
}

static void
test_cka (void)
{
  g_autofree char *csv = g_build_filename (tmp_dir, "m.csv", NULL);
  g_autofree char *json = g_build_filename (tmp_dir, "m.json", NULL);
  g_autofree char *npy = g_build_filename (tmp_dir, "r.npy", NULL);
  g_autofree char *npy_json = g_build_filename (tmp_dir, "r.json", NULL);
  g_autofree char *csv_text = NULL;
  g_auto(GStrv) csv_lines = NULL;
  g_autoptr(JsonObject) summary = NULL;
  Run r;

  r = run_cli ("cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "40", "--batch", "16",
               "--passes", "2", "--seed", "3", "--out", csv, "--json", "--quiet", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");   /* --quiet */
  summary = parse_object (r.out);
  run_clear (&r);

  g_assert_cmpstr (json_object_get_string_member (summary, "matrix_file"), ==, csv);
  g_assert_cmpstr (json_object_get_string_member (summary, "dataset"), ==, "synthetic");
  g_assert_true (member_is_null (summary, "acts_a"));
  g_assert_true (member_is_null (summary, "acts_b"));
  g_assert_cmpstr (json_object_get_string_member (summary, "model_a"), ==, "resnet8");
  g_assert_cmpstr (json_object_get_string_member (summary, "model_b"), ==, "resnet8");
  g_assert_cmpstr (json_object_get_string_member (summary, "layers"), ==, "all");
  g_assert_cmpstr (json_object_get_string_member (summary, "estimator"), ==, "unbiased");
  g_assert_cmpint (json_object_get_int_member (summary, "n_layers_a"), ==, 29);
  g_assert_cmpint (json_object_get_int_member (summary, "n_layers_b"), ==, 29);
  g_assert_cmpint (json_object_get_int_member (summary, "batch_size"), ==, 16);
  g_assert_cmpint (json_object_get_int_member (summary, "passes"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (summary, "examples_per_pass"), ==, 40);
  /* 40 images make 2 minibatches of 16 a pass (the last 8 are dropped). */
  g_assert_cmpint (json_object_get_int_member (summary, "minibatches"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (summary, "minibatches_total"), ==, 4);
  assert_summary_matches_file (summary, json);

  /* The matrix file: a header row and a row per layer of A. */
  g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
  csv_lines = g_strsplit (g_strchomp (csv_text), "\n", -1);
  g_assert_cmpuint (g_strv_length (csv_lines), ==, 1 + 29);
  g_clear_pointer (&summary, json_object_unref);

  /* Two models, block outputs only, the biased estimator, a .npy. */
  r = run_cli ("cka", "--a", "resnet8", "--b", "resnet14", "--seed-b", "1", "--dataset", "synthetic",
               "--limit", "24", "--batch", "8", "--passes", "1", "--layers", "residual", "--biased",
               "--out", npy, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "minibatch 3/3"));   /* progress, without --quiet */
  summary = parse_object (r.out);
  run_clear (&r);

  g_assert_cmpstr (json_object_get_string_member (summary, "matrix_file"), ==, npy);
  g_assert_cmpstr (json_object_get_string_member (summary, "model_b"), ==, "resnet14");
  g_assert_cmpstr (json_object_get_string_member (summary, "layers"), ==, "residual");
  g_assert_cmpstr (json_object_get_string_member (summary, "estimator"), ==, "biased");
  g_assert_cmpint (json_object_get_int_member (summary, "n_layers_a"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (summary, "n_layers_b"), ==, 6);
  g_assert_cmpint (json_object_get_int_member (summary, "minibatches"), ==, 3);
  assert_summary_matches_file (summary, npy_json);
  g_assert_true (g_file_test (npy, G_FILE_TEST_IS_REGULAR));
}

/* A float32 .npy file of n examples x p features. */
static void
write_npy (const char  *path,
           guint        n,
           guint        p,
           const float *values)
{
  g_autoptr(GString) file = g_string_new (NULL);
  g_autoptr(GString) header = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  guint16 header_len;

  g_string_printf (header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", n, p);
  while ((10 + header->len + 1) % 64 != 0)
    g_string_append_c (header, ' ');
  g_string_append_c (header, '\n');
  header_len = GUINT16_TO_LE ((guint16) header->len);

  g_string_append_len (file, "\x93NUMPY\x01\x00", 8);
  g_string_append_len (file, (const char *) &header_len, 2);
  g_string_append_len (file, header->str, header->len);
  for (guint i = 0; i < n * p; i++)
    {
      guint32 bits;

      memcpy (&bits, &values[i], 4);
      bits = GUINT32_TO_LE (bits);
      g_string_append_len (file, (const char *) &bits, 4);
    }
  g_file_set_contents (path, file->str, file->len, &error);
  g_assert_no_error (error);
}

/* Activation folders: no data set, one pass; a constant layer makes NaN cells. */
static void
test_cka_acts (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "acts", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "acts.npy", NULL);
  g_autofree char *json = g_build_filename (tmp_dir, "acts.json", NULL);
  g_autoptr(JsonObject) summary = NULL;
  const guint n = 20, p = 5;
  float values[20 * 5];
  Run r;

  g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
  for (guint layer = 0; layer < 3; layer++)
    {
      g_autofree char *name = g_strdup_printf ("%02u.npy", layer);
      g_autofree char *path = g_build_filename (dir, name, NULL);

      for (guint i = 0; i < n * p; i++)
        values[i] = layer == 1 ? 0.5f : (float) sin (1.0 + i * (layer + 1.3));
      write_npy (path, n, p, values);
    }

  r = run_cli ("cka", "--acts-a", dir, "--batch", "8", "--out", out, "--json", "--quiet", NULL);
  g_assert_cmpint (r.status, ==, 0);
  summary = parse_object (r.out);
  run_clear (&r);

  g_assert_true (member_is_null (summary, "dataset"));
  g_assert_true (member_is_null (summary, "examples_per_pass"));
  g_assert_cmpstr (json_object_get_string_member (summary, "acts_a"), ==, dir);
  g_assert_cmpstr (json_object_get_string_member (summary, "acts_b"), ==, dir);
  g_assert_cmpint (json_object_get_int_member (summary, "passes"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (summary, "n_layers_a"), ==, 3);
  /* 20 examples: 2 minibatches of 8, the last 4 dropped. */
  g_assert_cmpint (json_object_get_int_member (summary, "minibatches"), ==, 2);
  /* The constant layer's row and column. */
  g_assert_cmpint (json_object_get_int_member (summary, "undefined_cells"), ==, 3 + 3 - 1);
  assert_summary_matches_file (summary, json);
}

static void
test_cka_failure (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "never.npy", NULL);
  Run r;

  r = run_cli ("cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "32", "--batch", "16",
               "--layers", "no-such-layer", "--out", out, "--json", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
}

/* --names: every known data set, one a line, in the order of the full list. */
static void
test_dataset_names (void)
{
  g_autoptr(JsonObject) list = NULL;
  g_auto(GStrv) names = NULL;
  JsonArray *datasets;
  Run r;

  r = run_cli ("datasets", "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  list = parse_object (r.out);
  run_clear (&r);
  datasets = json_object_get_array_member (list, "datasets");

  r = run_cli ("datasets", "--names", "--data-dir", "/no/such/folder", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_true (g_str_has_suffix (r.out, "\n"));
  names = g_strsplit (g_strchomp (r.out), "\n", -1);
  run_clear (&r);

  g_assert_cmpuint (g_strv_length (names), ==, json_array_get_length (datasets));
  g_assert_cmpuint (g_strv_length (names), >=, 5);
  for (guint i = 0; names[i] != NULL; i++)
    g_assert_cmpstr (names[i], ==,
                     json_object_get_string_member (json_array_get_object_element (datasets, i), "name"));
  g_assert_true (g_strv_contains ((const char *const *) names, "synthetic"));
  g_assert_true (g_strv_contains ((const char *const *) names, "fashion-mnist"));

  r = run_cli ("datasets", "--names", "--json", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_cmpstr (r.out, ==, "");
  run_clear (&r);
}


/* A run folder: the same epoch objects and summary (with "run_dir"), and
 * an object per step and per snapshot; then `runs --json` describes it. */
static void
test_train_run_folder (void)
{
  g_autofree char *runs_dir = g_build_filename (tmp_dir, "runs", NULL);
  g_autofree char *run_dir = g_build_filename (runs_dir, "a-run", NULL);
  g_autofree char *last_checkpoint = g_build_filename (run_dir, "checkpoints", "epoch-0002.safetensors", NULL);
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  guint steps = 0, snapshots = 0, epochs = 0;
  JsonObject *summary, *o;
  JsonArray *runs;
  Run r;

  r = run_cli ("train", "--model", "resnet8", "--dataset", "synthetic", "--epochs", "2",
               "--limit", "128", "--test-limit", "64", "--batch", "64", "--threads", "1",
               "--run-dir", run_dir, "--probe-images", "64", "--probe-batch", "32", "--snapshot-steps", "1",
               "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  lines = parse_lines (r.out);
  for (guint i = 0; i + 1 < lines->len; i++)
    {
      const char *type;

      o = g_ptr_array_index (lines, i);
      type = json_object_get_string_member (o, "type");
      if (g_strcmp0 (type, "step") == 0)
        {
          steps++;
          g_assert_cmpint (json_object_get_int_member (o, "global_step"), ==, steps);
          g_assert_cmpint (json_object_get_int_member (o, "epoch"), ==, (steps + 1) / 2);
          g_assert_cmpint (json_object_get_int_member (o, "step"), ==, (steps - 1) % 2 + 1);
          g_assert_cmpfloat (json_object_get_double_member (o, "loss"), >, 0);
          g_assert_cmpfloat (json_object_get_double_member (o, "lr"), >=, 0);
        }
      else if (g_strcmp0 (type, "snapshot") == 0)
        {
          const char *file = json_object_get_string_member (o, "file");

          g_assert_cmpint (json_object_get_int_member (o, "index"), ==, snapshots);
          /* Before any step, then after every step (those at an epoch's end are the epoch's). */
          g_assert_cmpint (json_object_get_int_member (o, "global_step"), ==, steps);
          g_assert_cmpint (json_object_get_int_member (o, "epoch"), ==, steps / 2);
          g_assert_true (g_str_has_prefix (file, run_dir));
          g_assert_true (g_file_test (file, G_FILE_TEST_IS_REGULAR));
          g_assert_cmpfloat (json_object_get_double_member (o, "seconds"), >, 0);
          snapshots++;
        }
      else
        {
          g_autofree char *name = g_strdup_printf ("epoch-%04u.safetensors", epochs + 1);
          g_autofree char *path = g_build_filename (run_dir, "checkpoints", name, NULL);

          assert_epoch_object (o, ++epochs, 2, 64, path);
        }
    }
  g_assert_cmpuint (steps, ==, 4);
  g_assert_cmpuint (epochs, ==, 2);
  g_assert_cmpuint (snapshots, ==, 5);
  summary = g_ptr_array_index (lines, lines->len - 1);
  g_assert_cmpstr (json_object_get_string_member (summary, "type"), ==, "summary");
  g_assert_cmpstr (json_object_get_string_member (summary, "status"), ==, "completed");
  g_assert_cmpstr (json_object_get_string_member (summary, "checkpoint"), ==, last_checkpoint);
  g_assert_cmpstr (json_object_get_string_member (summary, "run_dir"), ==, run_dir);
  g_assert_cmpint (json_object_get_int_member (summary, "epochs_done"), ==, 2);
  run_clear (&r);

  r = run_cli ("runs", "--runs-dir", runs_dir, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)));
  runs = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (runs), ==, 1);
  o = json_array_get_object_element (runs, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "dir"), ==, run_dir);
  g_assert_cmpstr (json_object_get_string_member (o, "name"), ==, "a-run");
  g_assert_nonnull (strstr (json_object_get_string_member (o, "title"), "resnet8"));
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "resnet8");
  g_assert_cmpstr (json_object_get_string_member (o, "dataset"), ==, "synthetic");
  g_assert_cmpint (json_object_get_int_member (o, "seed"), ==, 0);
  g_assert_cmpstr (json_object_get_string_member (o, "state"), ==, "finished");
  g_assert_true (member_is_null (o, "error"));
  g_assert_false (json_object_get_boolean_member (o, "resumable"));
  g_assert_false (json_object_get_boolean_member (o, "training"));
  g_assert_cmpint (json_object_get_int_member (o, "epochs"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "epochs_done"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (o, "steps_done"), ==, 4);
  /* The best epoch is at least as good as the last. */
  g_assert_cmpfloat (json_object_get_double_member (o, "best_test_accuracy"), >=,
                     json_object_get_double_member (summary, "test_accuracy"));
  g_assert_cmpfloat (json_object_get_double_member (o, "best_test_accuracy"), <=, 1);
  g_assert_cmpint (json_object_get_int_member (o, "snapshots"), ==, 5);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "checkpoints")), ==, 2);
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (o, "checkpoints"), 1), ==,
                   last_checkpoint);
  g_assert_true (g_str_has_suffix (json_object_get_string_member (o, "created"), "Z"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "problems")), ==, 0);
  run_clear (&r);

  /* An empty runs folder is an empty array. */
  r = run_cli ("runs", "--runs-dir", run_dir, "--json", NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (g_strstrip (r.out), ==, "[]");
  run_clear (&r);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-cli-json-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cli-json/train", test_train);
  g_test_add_func ("/cli-json/train-stopped", test_train_stopped);
  g_test_add_func ("/cli-json/train-no-start", test_train_no_start);
  g_test_add_func ("/cli-json/train-run-folder", test_train_run_folder);
  g_test_add_func ("/cli-json/cka", test_cka);
  g_test_add_func ("/cli-json/cka-acts", test_cka_acts);
  g_test_add_func ("/cli-json/cka-failure", test_cka_failure);
  g_test_add_func ("/cli-json/dataset-names", test_dataset_names);
  status = g_test_run ();

  if (status == 0)
    bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
