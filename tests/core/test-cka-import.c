/* test-cka-import.c: snapshots read back from the files bs-cka-export writes, and hostile files. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "bs-cka-export.h"
#include "bs-cka-import.h"
#include "bs-error.h"
#include "bs-npy.h"
#include "bs-test-util.h"

static char *tmp_dir;

/* 3 rows x 2 columns with a NaN cell, a constant row and a NaN standard error. */
static BsCkaSnapshot *
make_snapshot (void)
{
  BsLayerInfo rows[3] = {
    { "conv1", BS_LAYER_CONV, 16, 8, 8, 0, -1, FALSE },
    { "layer1.0.relu2", BS_LAYER_RELU, 16, 8, 8, 1, 0, TRUE },
    { "fc", BS_LAYER_FC, 10, 1, 1, 5, -1, FALSE },
  };
  BsLayerInfo cols[2] = {
    { "x", BS_LAYER_OTHER, 4, 1, 1, -1, -1, FALSE },
    { "layer2.1.add", BS_LAYER_ADD, 32, 4, 4, 2, 1, FALSE },
  };
  BsCkaSnapshotHeader header = {
    rows, 3, cols, 2, "resnet8", "other.safetensors", 16, 12, TRUE,
  };
  double cka[6] = { 0.25, 1.0 / 3, NAN, NAN, 0.999999999999, 1e-300 };
  double se[6] = { 0.01, NAN, NAN, NAN, 0.5, 0 };
  guint8 row_status[3] = { BS_CKA_LAYER_OK, BS_CKA_LAYER_CONSTANT, BS_CKA_LAYER_OK };
  guint8 col_status[2] = { BS_CKA_LAYER_OK, BS_CKA_LAYER_NOT_FINITE };

  return bs_cka_snapshot_new (&header, 7, g_memdup2 (cka, sizeof cka), g_memdup2 (se, sizeof se),
                              g_memdup2 (row_status, sizeof row_status), g_memdup2 (col_status, sizeof col_status));
}

static gboolean
same_double (double a,
             double b)
{
  return (isnan (a) && isnan (b)) || a == b;
}

static char *
export_fresh (const char *name)
{
  g_autoptr(BsCkaSnapshot) snapshot = make_snapshot ();
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);

  g_assert_true (bs_cka_export (snapshot, NULL, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_round_trip (void)
{
  g_autoptr(BsCkaSnapshot) original = make_snapshot ();
  g_autofree char *path = export_fresh ("round.npy");
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) read = bs_cka_import (path, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (read), ==, 3);
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (read), ==, 2);
  g_assert_cmpstr (bs_cka_snapshot_get_model_a (read), ==, "resnet8");
  g_assert_cmpstr (bs_cka_snapshot_get_model_b (read), ==, "other.safetensors");
  g_assert_cmpuint (bs_cka_snapshot_get_batch_size (read), ==, 16);
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (read), ==, 7);
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_total (read), ==, 12);
  g_assert_true (bs_cka_snapshot_get_biased (read));
  for (guint r = 0; r < 3; r++)
    for (guint c = 0; c < 2; c++)
      {
        /* The matrix comes from the .npy: exact. */
        g_assert_true (same_double (bs_cka_snapshot_get_value (read, r, c),
                                    bs_cka_snapshot_get_value (original, r, c)));
        g_assert_true (same_double (bs_cka_snapshot_get_std_error (read, r, c),
                                    bs_cka_snapshot_get_std_error (original, r, c)));
      }
  for (guint r = 0; r < 3; r++)
    {
      const BsLayerInfo *a = bs_cka_snapshot_get_row (read, r), *b = bs_cka_snapshot_get_row (original, r);

      g_assert_cmpstr (a->name, ==, b->name);
      g_assert_cmpint (a->kind, ==, b->kind);
      g_assert_cmpuint (a->channels, ==, b->channels);
      g_assert_cmpuint (a->height, ==, b->height);
      g_assert_cmpuint (a->width, ==, b->width);
      g_assert_cmpint (a->stage, ==, b->stage);
      g_assert_cmpint (a->block, ==, b->block);
      g_assert_cmpint (a->block_output, ==, b->block_output);
      g_assert_cmpint (bs_cka_snapshot_get_row_status (read, r), ==, bs_cka_snapshot_get_row_status (original, r));
    }
  g_assert_cmpint (bs_cka_snapshot_get_col_status (read, 1), ==, BS_CKA_LAYER_NOT_FINITE);
  g_assert_cmpint (bs_cka_snapshot_get_col (read, 0)->kind, ==, BS_LAYER_OTHER);
}

static void
expect_failure (const char *path,
                gint        code,
                const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) read = bs_cka_import (path, &error);

  g_assert_null (read);
  g_assert_error (error, BS_ERROR, code);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fragment));
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

static void
write_file (const char *path,
            const char *text,
            gssize      length)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, text, length, &error);
  g_assert_no_error (error);
}

/* A fresh export whose JSON has `from` replaced by `to` (which must occur). */
static char *
export_with_json_edit (const char *name,
                       const char *from,
                       const char *to)
{
  char *path = export_fresh (name);
  g_autofree char *json_path = bs_cka_export_json_path (path);
  g_autofree char *text = read_text (json_path);
  g_auto(GStrv) parts = g_strsplit (text, from, 2);
  g_autofree char *edited = NULL;

  g_assert_cmpuint (g_strv_length (parts), ==, 2);
  edited = g_strjoin (to, parts[0], parts[1], NULL);
  write_file (json_path, edited, -1);
  return path;
}

static void
test_hostile_npy (void)
{
  g_autofree char *truncated = export_fresh ("truncated.npy");
  g_autofree char *huge = export_fresh ("huge.npy");
  g_autofree char *cube = export_fresh ("cube.npy");
  g_autofree char *fifo = g_build_filename (tmp_dir, "fifo.npy", NULL);
  g_autofree char *missing_json = export_fresh ("no-json.npy");
  g_autoptr(GError) error = NULL;
  g_autofree char *bytes = NULL;
  gsize length;

  /* Cut short: the reader compares the file's size with the shape. */
  g_file_get_contents (truncated, &bytes, &length, &error);
  g_assert_no_error (error);
  write_file (truncated, bytes, length - 1);
  expect_failure (truncated, BS_ERROR_FORMAT, "truncated.npy");

  /* A header claiming 1,000,000 x 1,000,000 doubles over a tiny file: no allocation. */
  {
    gint64 shape[2] = { 1000000, 1000000 };
    g_autoptr(GBytes) header = bs_npy_build_header (BS_DTYPE_F64, 2, shape);

    write_file (huge, g_bytes_get_data (header, NULL), g_bytes_get_size (header));
    expect_failure (huge, BS_ERROR_FORMAT, "huge.npy");
  }
  /* Three dimensions: not a matrix. */
  {
    gint64 shape[3] = { 3, 2, 1 };
    double data[6] = { 0 };

    g_assert_true (bs_npy_save (cube, BS_DTYPE_F64, 3, shape, data, &error));
    g_assert_no_error (error);
    expect_failure (cube, BS_ERROR_FORMAT, "not a float64 array");
  }
  /* A FIFO would block an open: refused by its type. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  expect_failure (fifo, BS_ERROR_IO, "not a regular file");
  /* The .json beside it is missing. */
  {
    g_autofree char *json = bs_cka_export_json_path (missing_json);

    g_assert_cmpint (g_remove (json), ==, 0);
    expect_failure (missing_json, BS_ERROR_NOT_FOUND, "no-json.json");
  }
}

static void
test_hostile_json (void)
{
  struct {
    const char *from;
    const char *to;
    const char *fragment;
  } cases[] = {
    { "\"format\" : \"blockscope-cka\"", "\"format\" : \"other\"", "blockscope-cka" },
    { "\"n_layers\" : 3", "\"n_layers\" : 4", "do not match the matrix" },
    { "\"n_layers\" : 3", "\"n_layers\" : 4000000000", "do not match the matrix" },
    { "\"kind\" : \"relu\"", "\"kind\" : \"bogus\"", "layer 1 of 'model_a'" },
    { "\"kind\" : \"relu\"", "\"kind\" : 12", "layer 1 of 'model_a'" },
    { "\"name\" : \"fc\"", "\"name\" : null", "layer 2 of 'model_a'" },
    { "\"stage\" : 5", "\"stage\" : 99999999999", "layer 2 of 'model_a'" },
    { "\"batch_size\" : 16", "\"batch_size\" : -16", "minibatch counts" },
    { "\"minibatches_used\" : 7", "\"minibatches_used\" : 70", "minibatch counts" },
    { "\"std_error\" : [", "\"std_error\" : [[1], ", "std_error" },
    { "\"std_error\" : [", "\"std_error\" : \"no\", \"x\" : [", "std_error" },
    { "\"model_b\" : {", "\"model_b\" : [], \"y\" : {", "model_b" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *name = g_strdup_printf ("edit-%u.npy", i);
      g_autofree char *path = export_with_json_edit (name, cases[i].from, cases[i].to);
      g_autofree char *json = bs_cka_export_json_path (path);
      g_autoptr(GError) error = NULL;
      g_autoptr(BsCkaSnapshot) read = bs_cka_import (path, &error);

      g_test_message ("case %u: %s", i, error ? error->message : "(accepted)");
      g_assert_null (read);
      g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
      g_assert_nonnull (strstr (error->message, json));
      g_assert_nonnull (strstr (error->message, cases[i].fragment));
    }

  /* Deep nesting, cut-off text, and bytes that are not UTF-8. */
  {
    g_autofree char *path = export_fresh ("deep.npy");
    g_autofree char *json = bs_cka_export_json_path (path);
    g_autoptr(GString) deep = g_string_new ("{\"a\":");

    for (guint i = 0; i < 200000; i++)
      g_string_append (deep, "[{\"b\":");
    write_file (json, deep->str, deep->len);
    expect_failure (path, BS_ERROR_FORMAT, "nested deeper");
    write_file (json, "{\"format\": \"blockscope-cka\", \"model_a\": {\"lay", -1);
    expect_failure (path, BS_ERROR_FORMAT, "not valid JSON");
    write_file (json, "{\"format\": \"\xc3\x28\"}", -1);
    expect_failure (path, BS_ERROR_FORMAT, "UTF-8");
    write_file (json, "", 0);
    expect_failure (path, BS_ERROR_FORMAT, "deep.json");
    write_file (json, "[1, 2]", -1);
    expect_failure (path, BS_ERROR_FORMAT, "not a JSON object");
  }
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("blockscope-test-cka-import-XXXXXX", &error);
  g_assert_no_error (error);

  g_test_add_func ("/cka-import/round-trip", test_round_trip);
  g_test_add_func ("/cka-import/hostile-npy", test_hostile_npy);
  g_test_add_func ("/cka-import/hostile-json", test_hostile_json);

  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
