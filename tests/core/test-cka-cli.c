/* test-cka-cli.c: `blockscope-cli cka` and `bench cka` as a user runs them. */
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "bs-checkpoint.h"
#include "bs-cka-import.h"
#include "bs-dtype.h"
#include "bs-npy.h"
#include "bs-rng.h"
#include "bs-test-util.h"

static char *tmp_dir;

static JsonNode *
load_json (const char *path)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  json_parser_load_from_file (parser, path, &error);
  g_assert_no_error (error);
  return json_node_copy (json_parser_get_root (parser));
}

static void
test_cli_models (void)
{
  g_autofree char *out = g_build_filename (tmp_dir, "m.npy", NULL);
  g_autofree char *json = g_build_filename (tmp_dir, "m.json", NULL);
  /* Another base name than m.npy's: m.csv would also describe itself in m.json. */
  g_autofree char *csv = g_build_filename (tmp_dir, "r.csv", NULL);
  g_autofree char *csv_json = g_build_filename (tmp_dir, "r.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsNpyArray) m = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *csv_text = NULL;
  g_auto(GStrv) lines = NULL;
  JsonObject *o, *a, *protocol;
  JsonArray *layers, *se;
  guint L;
  BsTestRun r;

  r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "40", "--batch", "16",
               "--passes", "2", "--seed", "3", "--out", out, NULL);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "minibatch 4/4"));   /* progress on stderr */
  bs_test_run_clear (&r);

  m = bs_npy_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->dtype, ==, BS_DTYPE_F64);
  g_assert_cmpuint (m->ndim, ==, 2);
  L = (guint) m->shape[0];
  g_assert_cmpint (m->shape[1], ==, L);
  g_assert_cmpuint (L, >, 10);
  for (guint i = 0; i < L; i++)
    {
      double d = ((double *) m->data)[i * L + i];

      g_assert_true (isnan (d) || d == 1.0);
    }

  root = load_json (json);
  o = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (o, "format"), ==, "blockscope-cka");
  g_assert_cmpstr (json_object_get_string_member (o, "matrix_file"), ==, "m.npy");
  a = json_object_get_object_member (o, "model_a");
  g_assert_cmpstr (json_object_get_string_member (a, "spec"), ==, "resnet8");
  layers = json_object_get_array_member (a, "layers");
  g_assert_cmpuint (json_array_get_length (layers), ==, L);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (layers, 0), "kind"), ==, "input");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_array_get_object_element (layers, 1), "shape")), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      json_object_get_object_member (o, "model_b"), "layers")), ==, L);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "data"), "dataset"),
                   ==, "synthetic");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "data"), "examples_per_pass"),
                   ==, 40);
  protocol = json_object_get_object_member (o, "protocol");
  g_assert_cmpint (json_object_get_int_member (protocol, "batch_size"), ==, 16);
  g_assert_cmpint (json_object_get_int_member (protocol, "passes"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (protocol, "seed"), ==, 3);
  g_assert_cmpint (json_object_get_int_member (protocol, "minibatches_per_pass"), ==, 2);
  g_assert_nonnull (strstr (json_object_get_string_member (protocol, "last_minibatch"), "dropped"));
  g_assert_nonnull (strstr (json_object_get_string_member (protocol, "estimator"), "unbiased"));
  g_assert_cmpint (json_object_get_int_member (o, "minibatches_used"), ==, 4);
  g_assert_cmpfloat (json_object_get_double_member (o, "elapsed_seconds"), >, 0);
  se = json_object_get_array_member (o, "std_error");
  g_assert_cmpuint (json_array_get_length (se), ==, L);
  g_assert_cmpuint (json_array_get_length (json_array_get_array_element (se, 0)), ==, L);
  /* The CKA in the JSON is the matrix in the .npy. */
  {
    JsonArray *cka = json_object_get_array_member (o, "cka");

    for (guint r0 = 0; r0 < L; r0++)
      for (guint c = 0; c < L; c++)
        {
          JsonNode *cell = json_array_get_element (json_array_get_array_element (cka, r0), c);
          double v = ((double *) m->data)[r0 * L + c];

          if (isnan (v))
            g_assert_true (JSON_NODE_HOLDS_NULL (cell));
          else
            g_assert_cmpfloat (json_node_get_double (cell), ==, v);
        }
  }

  /* CSV: layer names as header row and first column. */
  g_assert_false (g_file_test (csv_json, G_FILE_TEST_EXISTS));
  r = bs_test_run ("cka", "--a", "resnet8", "--b", "resnet14", "--dataset", "synthetic", "--limit", "32",
               "--batch", "16", "--passes", "1", "--layers", "residual", "--quiet", "--out", csv, NULL);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpstr (r.err, ==, "");
  bs_test_run_clear (&r);
  g_assert_true (g_file_get_contents (csv, &csv_text, NULL, NULL));
  lines = g_strsplit (csv_text, "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 1 + 3 + 1);   /* header, 3 block outputs, "" */
  g_assert_cmpstr (lines[4], ==, "");
  g_assert_true (g_str_has_prefix (lines[0], "layer,"));
  g_assert_true (g_str_has_prefix (lines[1], "layer1.0."));

  /* The JSON the CSV run wrote beside it (r.json) describes that run and holds its values. */
  {
    g_autoptr(JsonNode) csv_root = load_json (csv_json);
    JsonObject *co = json_node_get_object (csv_root);
    JsonObject *ca = json_object_get_object_member (co, "model_a");
    JsonObject *cb = json_object_get_object_member (co, "model_b");
    JsonArray *rows = json_object_get_array_member (ca, "layers");
    JsonArray *cols = json_object_get_array_member (cb, "layers");
    JsonArray *cka = json_object_get_array_member (co, "cka");
    g_auto(GStrv) header = g_strsplit (lines[0], ",", -1);

    g_assert_cmpstr (json_object_get_string_member (co, "format"), ==, "blockscope-cka");
    g_assert_cmpstr (json_object_get_string_member (co, "matrix_file"), ==, "r.csv");
    g_assert_cmpstr (json_object_get_string_member (ca, "spec"), ==, "resnet8");
    g_assert_cmpstr (json_object_get_string_member (cb, "spec"), ==, "resnet14");
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (co, "data"),
                                                 "examples_per_pass"), ==, 32);
    protocol = json_object_get_object_member (co, "protocol");
    g_assert_cmpint (json_object_get_int_member (protocol, "passes"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (protocol, "minibatches_per_pass"), ==, 2);
    g_assert_cmpint (json_object_get_int_member (co, "minibatches_used"), ==, 2);

    /* Block outputs only: resnet8 has 3 blocks, resnet14 has 6. */
    g_assert_cmpuint (json_array_get_length (rows), ==, 3);
    g_assert_cmpuint (json_array_get_length (cols), ==, 6);
    g_assert_cmpuint (g_strv_length (header), ==, 1 + 6);
    for (guint c = 0; c < 6; c++)
      g_assert_cmpstr (header[1 + c], ==,
                       json_object_get_string_member (json_array_get_object_element (cols, c), "name"));
    g_assert_cmpuint (json_array_get_length (cka), ==, 3);
    for (guint r0 = 0; r0 < 3; r0++)
      {
        g_auto(GStrv) cells = g_strsplit (lines[1 + r0], ",", -1);
        JsonArray *row = json_array_get_array_element (cka, r0);

        g_assert_cmpuint (g_strv_length (cells), ==, 1 + 6);
        g_assert_cmpstr (cells[0], ==,
                         json_object_get_string_member (json_array_get_object_element (rows, r0), "name"));
        g_assert_cmpuint (json_array_get_length (row), ==, 6);
        for (guint c = 0; c < 6; c++)
          {
            JsonNode *cell = json_array_get_element (row, c);

            /* Random networks on the synthetic set: every pair has variance. */
            g_assert_false (JSON_NODE_HOLDS_NULL (cell));
            g_assert_cmpfloat (g_ascii_strtod (cells[1 + c], NULL), ==, json_node_get_double (cell));
          }
      }
  }

  g_remove (out);
  g_remove (json);
  g_remove (csv);
  g_remove (csv_json);
}

/* A checkpoint as a spec: the same weights as the model name with the same
 * initialisation seed, so the diagonal is 1 (computed as two models). */
static void
test_cli_checkpoint (void)
{
  g_autofree char *ckpt = g_build_filename (tmp_dir, "r8.safetensors", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "ck.npy", NULL);
  g_autofree char *json = g_build_filename (tmp_dir, "ck.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsNpyArray) m = NULL;
  g_autoptr(JsonNode) root = NULL;
  BsModel *model = bs_model_new ("resnet8", 3, 32, 32, 10, &error);
  guint L;
  BsTestRun r;

  g_assert_no_error (error);
  bs_model_init_params (model, 9);
  g_assert_true (bs_checkpoint_save (model, NULL, ckpt, &error));
  g_assert_no_error (error);
  bs_model_free (model);

  r = bs_test_run ("cka", "--a", ckpt, "--b", "resnet8", "--seed", "9", "--dataset", "synthetic",
               "--limit", "32", "--batch", "16", "--passes", "1", "--quiet", "--out", out, NULL);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  bs_test_run_clear (&r);

  m = bs_npy_load (out, &error);
  g_assert_no_error (error);
  L = (guint) m->shape[0];
  for (guint i = 0; i < L; i++)
    g_assert_cmpfloat (fabs (((double *) m->data)[i * L + i] - 1.0), <, 1e-9);
  root = load_json (json);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (
                     json_node_get_object (root), "model_a"), "spec"), ==, ckpt);

  /* Another initialisation seed for B: no longer the same network. */
  r = bs_test_run ("cka", "--a", ckpt, "--b", "resnet8", "--seed", "9", "--seed-b", "10",
               "--dataset", "synthetic", "--limit", "32", "--batch", "16", "--passes", "1",
               "--quiet", "--out", out, NULL);
  g_assert_cmpint (r.status, ==, 0);
  bs_test_run_clear (&r);
  g_clear_pointer (&m, bs_npy_array_free);
  m = bs_npy_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (fabs (((double *) m->data)[(L - 1) * L + L - 1] - 1.0), >, 1e-6);

  g_remove (ckpt);
  g_remove (out);
  g_remove (json);
}

static void
test_cli_usage (void)
{
  BsTestRun r;

  r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", NULL);
  g_assert_cmpint (r.status, ==, 2);
  g_assert_nonnull (strstr (r.err, "--out"));
  bs_test_run_clear (&r);

  r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--out", "m.txt", NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);

  r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--batch", "3", "--limit", "32",
               "--out", "/nonexistent-dir/m.npy", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "at least 4"));
  bs_test_run_clear (&r);

  r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--layers", "no-such-layer",
               "--limit", "32", "--batch", "16", "--out", "/nonexistent-dir/m.npy", NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "no-such-layer"));
  bs_test_run_clear (&r);
}

/* --measure: every measure from one pass, each in its own file with a JSON
 * that names it; the CKA matrix is the one a plain run writes. */
static void
test_cli_measures (void)
{
  g_autofree char *plain = g_build_filename (tmp_dir, "plain.npy", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "meas.npy", NULL);
  g_autofree char *align = g_build_filename (tmp_dir, "meas-pc1-alignment.npy", NULL);
  g_autofree char *without = g_build_filename (tmp_dir, "meas-cka-without-pc1.npy", NULL);
  g_autofree char *without_json = g_build_filename (tmp_dir, "meas-cka-without-pc1.json", NULL);
  g_autofree char *plain_json = g_build_filename (tmp_dir, "plain.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsNpyArray) a = NULL, b = NULL, c = NULL;
  g_autoptr(JsonNode) root = NULL, plain_root = NULL;
  JsonObject *o, *share;
  guint L;
  BsTestRun r;

  r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "64", "--batch", "32",
               "--passes", "1", "--out", plain, "--quiet", NULL);
  g_assert_cmpint (r.status, ==, 0);
  bs_test_run_clear (&r);
  r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--limit", "64", "--batch", "32",
               "--passes", "1", "--measure", "cka,pc1-alignment, cka-without-pc1", "--out", out, "--json", NULL);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  g_assert_nonnull (strstr (r.err, "CKA without PC1: wrote"));
  {
    /* The summary names every output. */
    g_autoptr(JsonParser) parser = json_parser_new ();
    JsonObject *outputs;

    g_assert_true (json_parser_load_from_data (parser, r.out, -1, &error));
    g_assert_no_error (error);
    outputs = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)), "outputs");
    g_assert_cmpstr (json_object_get_string_member (outputs, "pc1-alignment"), ==, align);
    g_assert_cmpstr (json_object_get_string_member (outputs, "cka-without-pc1"), ==, without);
    g_assert_cmpstr (json_object_get_string_member (outputs, "cka"), ==, out);
  }
  bs_test_run_clear (&r);

  a = bs_npy_load (plain, &error);
  g_assert_no_error (error);
  b = bs_npy_load (out, &error);
  g_assert_no_error (error);
  L = (guint) a->shape[0];
  g_assert_cmpmem (a->data, L * L * sizeof (double), b->data, L * L * sizeof (double));
  c = bs_npy_load (align, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < L; i++)
    {
      double d = ((double *) c->data)[i * L + i];

      /* A layer's PC1 is aligned with itself (NaN only without variance). */
      g_assert_true (isnan (d) || fabs (d - 1.0) < 1e-12);
    }
  g_assert_true (g_file_test (without, G_FILE_TEST_IS_REGULAR));

  root = load_json (without_json);
  o = json_node_get_object (root);
  g_assert_cmpstr (json_object_get_string_member (o, "measure"), ==, "cka-without-pc1");
  g_assert_cmpstr (json_object_get_string_member (o, "matrix_file"), ==, "meas-cka-without-pc1.npy");
  share = json_object_get_object_member (o, "pc1_share");
  g_assert_nonnull (share);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (share, "rows")), ==, L);
  plain_root = load_json (plain_json);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (plain_root), "measure"), ==, "cka");
  g_assert_false (json_object_has_member (json_node_get_object (plain_root), "pc1_share"));
  {
    /* Read back, the file says what it measures (the figure's colour bar uses it). */
    g_autoptr(BsCkaSnapshot) back = bs_cka_import (without, &error);

    g_assert_no_error (error);
    g_assert_cmpint (bs_cka_snapshot_get_measure_type (back), ==, BS_CKA_MEASURE_CKA_WITHOUT_PC1);
    g_clear_pointer (&back, bs_cka_snapshot_unref);
    back = bs_cka_import (plain, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bs_cka_snapshot_get_measure_type (back), ==, BS_CKA_MEASURE_CKA);
  }

  {
    const char *bad[] = { "svcca", "cka,cka", "" };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        r = bs_test_run ("cka", "--a", "resnet8", "--dataset", "synthetic", "--measure", bad[i], "--out", out, NULL);
        g_assert_cmpint (r.status, ==, 2);
        g_assert_nonnull (strstr (r.err, "--measure"));
        bs_test_run_clear (&r);
      }
  }
}

static void
write_npy (const char *dir,
           const char *name,
           guint       m,
           guint       p,
           guint       seed)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree float *x = g_new (float, m * p);
  gint64 shape[2] = { m, p };
  BsRng rng;

  bs_rng_init (&rng, seed);
  for (guint i = 0; i < m; i++)
    for (guint f = 0; f < p; f++)
      x[i * p + f] = (float) (sin (i * 0.37 + f * seed) + 0.3 * bs_rng_normal (&rng));
  g_assert_true (bs_npy_save (path, BS_DTYPE_F32, 2, shape, x, &error));
  g_assert_no_error (error);
}

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
/* In the child: at most 1.5 GB of address space. */
static void
limit_memory (gpointer data)
{
  struct rlimit limit = { 1536u << 20, 1536u << 20 };

  setrlimit (RLIMIT_AS, &limit);
}
#endif

static void
test_cli_acts (void)
{
  g_autofree char *da = g_build_filename (tmp_dir, "acts-a", NULL);
  g_autofree char *db = g_build_filename (tmp_dir, "acts-b", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "acts.npy", NULL);
  g_autofree char *json = g_build_filename (tmp_dir, "acts.json", NULL);
  g_autofree char *bad = NULL;
  g_autoptr(BsNpyArray) m = NULL;
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) error = NULL;
  BsTestRun r;

  g_mkdir (da, 0700);
  g_mkdir (db, 0700);
  write_npy (da, "0.npy", 30, 5, 1);
  write_npy (da, "1.npy", 30, 8, 2);
  write_npy (db, "0.npy", 30, 3, 3);

  r = bs_test_run ("cka", "--acts-a", da, "--acts-b", db, "--batch", "8", "--out", out, NULL);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  bs_test_run_clear (&r);
  m = bs_npy_load (out, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->shape[0], ==, 2);
  g_assert_cmpint (m->shape[1], ==, 1);
  for (guint i = 0; i < 2; i++)
    g_assert_true (isfinite (((double *) m->data)[i]));
  root = load_json (json);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (root), "minibatches_used"), ==, 3);

  /* Mismatched example counts: exit 1, the file named. */
  write_npy (db, "1.npy", 29, 3, 4);
  r = bs_test_run ("cka", "--acts-a", da, "--acts-b", db, "--batch", "8", "--out", out, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "1.npy"));
  g_assert_nonnull (strstr (r.err, "29"));
  bs_test_run_clear (&r);

  /* A broken .npy: exit 1, the file named. */
  bad = g_build_filename (db, "1.npy", NULL);
  g_assert_true (g_file_set_contents (bad, "not an npy file", -1, NULL));
  r = bs_test_run ("cka", "--acts-a", da, "--acts-b", db, "--batch", "8", "--out", out, NULL);
  g_assert_cmpint (r.status, ==, 1);
  g_assert_nonnull (strstr (r.err, "1.npy"));
  bs_test_run_clear (&r);

  /* A minibatch whose Grams do not fit in memory: a clear error, no crash.
   * 12,000 examples need ~2.9 GB; the process gets 1.5 GB of address space
   * (not under AddressSanitizer or ThreadSanitizer, which reserve terabytes of it). */
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
  {
    g_autofree char *dc = g_build_filename (tmp_dir, "acts-c", NULL);
    g_autofree char *big = g_build_filename (dc, "0.npy", NULL);
    const char *argv[] = { BS_CLI_PATH, "cka", "--acts-a", dc, "--batch", "12000", "--out", out, NULL };
    g_autofree char *err = NULL;
    int wait_status;

    g_mkdir (dc, 0700);
    write_npy (dc, "0.npy", 12000, 1, 5);
    g_remove (out);
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, limit_memory,
                                 NULL, NULL, &err, &wait_status, &error));
    g_assert_no_error (error);
    g_test_message ("stderr: %s", err);
    g_assert_true (WIFEXITED (wait_status));
    g_assert_cmpint (WEXITSTATUS (wait_status), ==, 1);
    g_assert_nonnull (strstr (err, "Not enough memory for Grams of 12000 examples"));
    g_assert_nonnull (strstr (err, "smaller minibatch"));
    g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
    g_remove (big);
    g_rmdir (dc);
  }
#endif

  /* --acts-a with --a is a usage error. */
  r = bs_test_run ("cka", "--acts-a", da, "--a", "resnet8", "--out", out, NULL);
  g_assert_cmpint (r.status, ==, 2);
  bs_test_run_clear (&r);

  g_remove (bad);
  g_remove (out);
  g_remove (json);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u.npy", i);
      g_autofree char *pa = g_build_filename (da, name, NULL);
      g_autofree char *pb = g_build_filename (db, name, NULL);

      g_remove (pa);
      g_remove (pb);
    }
  g_rmdir (da);
  g_rmdir (db);
}

static void
test_cli_bench (void)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  BsTestRun r;

  r = bs_test_run ("bench", "cka", "--a", "resnet8", "--b", "resnet14", "--batch", "16",
               "--minibatches", "2", "--json", NULL);
  if (r.status != 0)
    g_test_message ("stderr: %s", r.err);
  g_assert_cmpint (r.status, ==, 0);
  json_parser_load_from_data (parser, r.out, -1, &error);
  g_assert_no_error (error);
  o = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpfloat (json_object_get_double_member (o, "seconds_per_minibatch"), >, 0);
  g_assert_cmpint (json_object_get_int_member (o, "layers_a"), >, 10);
  g_assert_cmpint (json_object_get_int_member (o, "layers_b"), >,
                   json_object_get_int_member (o, "layers_a"));
  g_assert_cmpint (json_object_get_int_member (o, "peak_rss_bytes"), >, 0);
  /* Which kernels ran, so that figures can be compared. */
  g_assert_nonnull (json_object_get_string_member (o, "gram_kernel"));
  g_assert_nonnull (json_object_get_string_member (o, "conv_kernels"));
  g_assert_true (json_object_has_member (o, "winograd"));
  bs_test_run_clear (&r);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-cka-cli-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cka-cli/models", test_cli_models);
  g_test_add_func ("/cka-cli/checkpoint", test_cli_checkpoint);
  g_test_add_func ("/cka-cli/usage", test_cli_usage);
  g_test_add_func ("/cka-cli/measures", test_cli_measures);
  g_test_add_func ("/cka-cli/acts", test_cli_acts);
  g_test_add_func ("/cka-cli/bench", test_cli_bench);

  status = g_test_run ();
  g_rmdir (tmp_dir);
  g_free (tmp_dir);
  return status;
}
