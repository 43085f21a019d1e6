/* test-cka-shard.c: shards of a CKA run merge to exactly the single run's result,
 * whatever their number and order; bad shards each give their message. */
#include <glib/gstdio.h>
#include <string.h>

#include "bs-cka-job.h"
#include "bs-cka-shard.h"
#include "bs-error.h"
#include "bs-npy.h"
#include "bs-safetensors.h"
#include "bs-synthetic.h"
#include "bs-test-util.h"

static char *tmp_dir;
static BsDataset *dataset;

static void
options_for (BsCkaJobOptions *options,
             const char      *b,
             gboolean         biased)
{
  bs_cka_job_options_init (options);
  options->spec_a = "resnet8";
  options->spec_b = b;
  options->init_seed_b = 1;
  options->dataset = dataset;
  options->limit = 96;
  options->batch_size = 16;
  options->passes = 2;
  options->seed = 7;
  options->threads = 1;
  options->biased = biased;
}

static BsCkaShard *
run_shard (const BsCkaJobOptions *base,
           guint                  k,
           guint                  n)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) partial = NULL;
  BsCkaJobOptions options = *base;
  BsCkaShard *shard = NULL;

  options.shard = k;
  options.n_shards = n;
  options.shard_out = &shard;
  partial = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (shard);
  return shard;
}

static void
assert_same_bits (BsCkaSnapshot *a,
                  BsCkaSnapshot *b)
{
  gsize cells = (gsize) bs_cka_snapshot_get_n_rows (a) * bs_cka_snapshot_get_n_cols (a);

  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (a), ==, bs_cka_snapshot_get_n_rows (b));
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (a), ==, bs_cka_snapshot_get_n_cols (b));
  g_assert_cmpmem (bs_cka_snapshot_get_values (a), cells * sizeof (double),
                   bs_cka_snapshot_get_values (b), cells * sizeof (double));
  g_assert_cmpmem (bs_cka_snapshot_get_std_errors (a), cells * sizeof (double),
                   bs_cka_snapshot_get_std_errors (b), cells * sizeof (double));
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (a), ==, bs_cka_snapshot_get_minibatches_done (b));
  g_assert_cmpuint (bs_cka_snapshot_get_minibatches_total (a), ==, bs_cka_snapshot_get_minibatches_total (b));
  for (guint r = 0; r < bs_cka_snapshot_get_n_rows (a); r++)
    g_assert_cmpstr (bs_cka_snapshot_get_row (a, r)->name, ==, bs_cka_snapshot_get_row (b, r)->name);
}

/* 1 to 4 shards, saved, loaded back and merged in reverse order: the same bits. */
static void
check_exact (const char *b,
             gboolean    biased)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsCkaSnapshot) whole = NULL;
  BsCkaJobOptions options;

  options_for (&options, b, biased);
  whole = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  for (guint n = 1; n <= 4; n++)
    {
      g_autoptr(GPtrArray) shards = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_cka_shard_free);
      g_autoptr(BsCkaSnapshot) merged = NULL;
      guint missing = 99;

      for (guint k = n; k-- > 0;)
        {
          g_autofree char *name = g_strdup_printf ("part-%u-of-%u.bscka", k, n);
          g_autofree char *path = g_build_filename (tmp_dir, name, NULL);
          g_autoptr(BsCkaShard) made = run_shard (&options, k, n);
          BsCkaShard *loaded;

          g_assert_true (bs_cka_shard_save (made, path, &error));
          g_assert_no_error (error);
          loaded = bs_cka_shard_load (path, &error);
          g_assert_no_error (error);
          g_assert_cmpuint (bs_cka_shard_get_index (loaded), ==, k);
          g_ptr_array_add (shards, loaded);
        }
      merged = bs_cka_shards_merge ((BsCkaShard *const *) shards->pdata, shards->len, FALSE, &missing, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (missing, ==, 0);
      assert_same_bits (whole, merged);
    }
}

static void
test_exact (void)
{
  check_exact ("resnet14", FALSE);
  /* A model against itself (the symmetric product), and the biased estimator. */
  check_exact (NULL, FALSE);
  check_exact ("resnet14", TRUE);
}

/* Rewrites a shard with one metadata value or tensor changed. */
static char *
tamper (const char *src,
        const char *name,
        const char *key,
        const char *value,
        const char *drop_tensor)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensors) st = bs_safetensors_load (src, &error);
  g_autoptr(BsSafetensorsWriter) w = bs_safetensors_writer_new ();
  g_autofree const char **keys = NULL;
  char *path = g_build_filename (tmp_dir, name, NULL);

  g_assert_no_error (error);
  keys = bs_safetensors_list_metadata (st);
  for (guint i = 0; keys[i] != NULL; i++)
    bs_safetensors_writer_set_metadata (w, keys[i], g_strcmp0 (keys[i], key) == 0
                                                    ? value : bs_safetensors_get_metadata (st, keys[i]));
  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      const BsTensorView *v = bs_safetensors_get_nth (st, i);

      if (g_strcmp0 (v->name, drop_tensor) != 0)
        g_assert_true (bs_safetensors_writer_add (w, v->name, v->dtype, v->ndim, v->shape, v->data, NULL));
    }
  g_assert_true (bs_safetensors_writer_save (w, path, &error));
  g_assert_no_error (error);
  return path;
}

static void
test_bad_shards (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *p0 = g_build_filename (tmp_dir, "bad-0.bscka", NULL);
  g_autofree char *p1 = g_build_filename (tmp_dir, "bad-1.bscka", NULL);
  g_autofree char *other = g_build_filename (tmp_dir, "other-0.bscka", NULL);
  g_autofree char *cut = g_build_filename (tmp_dir, "cut.bscka", NULL);
  g_autofree char *version = NULL, *format = NULL, *nested = NULL, *no_xy = NULL, *wrong_shard = NULL;
  g_autoptr(BsCkaShard) s0 = NULL;
  g_autoptr(BsCkaShard) s0_again = NULL;
  g_autoptr(BsCkaShard) s1 = NULL;
  g_autoptr(BsCkaShard) o0 = NULL;
  g_autoptr(BsCkaSnapshot) partial = NULL;
  g_autofree char *contents = NULL;
  BsCkaJobOptions options, other_options;
  gsize length;
  guint missing = 0;

  options_for (&options, "resnet14", FALSE);
  s0 = run_shard (&options, 0, 2);
  g_assert_true (bs_cka_shard_save (s0, p0, &error));
  s1 = run_shard (&options, 1, 2);
  g_assert_true (bs_cka_shard_save (s1, p1, &error));
  options_for (&other_options, "resnet14", FALSE);
  other_options.seed = 8;
  o0 = run_shard (&other_options, 0, 2);
  g_assert_true (bs_cka_shard_save (o0, other, &error));
  g_assert_no_error (error);
  g_clear_pointer (&s0, bs_cka_shard_free);
  s0 = bs_cka_shard_load (p0, &error);
  g_assert_no_error (error);
  g_clear_pointer (&o0, bs_cka_shard_free);
  o0 = bs_cka_shard_load (other, &error);
  g_assert_no_error (error);

  {
    /* A missing shard, unless partial; a shard twice; shards of two runs. */
    BsCkaShard *one[] = { s0 };
    BsCkaShard *twice[2];
    BsCkaShard *mixed[] = { s0, o0 };

    g_assert_null (bs_cka_shards_merge (one, 1, FALSE, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
    g_assert_nonnull (strstr (error->message, "Shard 1 of 2 is missing"));
    g_clear_error (&error);
    partial = bs_cka_shards_merge (one, 1, TRUE, &missing, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (missing, ==, 1);
    g_assert_cmpuint (bs_cka_snapshot_get_minibatches_done (partial), ==,
                      bs_cka_shard_get_n_minibatches (s0));

    s0_again = bs_cka_shard_load (p0, &error);
    g_assert_no_error (error);
    twice[0] = s0;
    twice[1] = s0_again;
    g_assert_null (bs_cka_shards_merge (twice, 2, FALSE, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, "given twice"));
    g_clear_error (&error);
    g_assert_null (bs_cka_shards_merge (mixed, 2, FALSE, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
    g_assert_nonnull (strstr (error->message, other));
    g_clear_error (&error);
  }

  /* Damaged or foreign files: each a message naming the file. */
  g_assert_true (g_file_get_contents (p0, &contents, &length, &error));
  g_assert_true (g_file_set_contents (cut, contents, (gssize) (length / 2), &error));
  version = tamper (p0, "version.bscka", "format_version", "2", NULL);
  format = tamper (p0, "format.bscka", "format", "blockscope-cka", NULL);
  wrong_shard = tamper (p0, "wrong-shard.bscka", "shard", "1", NULL);
  no_xy = tamper (p0, "no-xy.bscka", NULL, NULL, "xy");
  {
    GString *deep = g_string_new (NULL);

    for (guint i = 0; i < 100000; i++)
      g_string_append_c (deep, '[');
    nested = tamper (p0, "nested.bscka", "run", deep->str, NULL);
    g_string_free (deep, TRUE);
  }
  {
    const char *bad[][2] = {
      { cut, NULL },
      { version, "format version 2" },
      { format, "format" },
      { wrong_shard, "not one of this shard's" },
      { no_xy, "'xy'" },
      { nested, "nested deeper" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_assert_null (bs_cka_shard_load (bad[i][0], &error));
        g_assert_nonnull (error);
        g_test_message ("%s", error->message);
        g_assert_nonnull (strstr (error->message, bad[i][0]));
        if (bad[i][1] != NULL)
          g_assert_nonnull (strstr (error->message, bad[i][1]));
        g_clear_error (&error);
      }
  }

  /* More shards than minibatches, or a shard number out of range: refused before any work. */
  {
    BsCkaJobOptions o = options;
    BsCkaShard *none = NULL;

    o.shard = 0;
    o.n_shards = 1000;
    o.shard_out = &none;
    g_assert_null (bs_cka_job_run (&o, NULL, NULL, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
    g_clear_error (&error);
    o.shard = 3;
    o.n_shards = 2;
    g_assert_null (bs_cka_job_run (&o, NULL, NULL, NULL, &error));
    g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
    g_assert_null (none);
  }
}

/* The command line: cka --shard K/N (and SLURM's variables), cka-merge, the
 * same .npy bytes as one cka run. */
static void
test_cli (void)
{
  g_autofree char *whole = g_build_filename (tmp_dir, "whole.npy", NULL);
  g_autofree char *merged = g_build_filename (tmp_dir, "merged.npy", NULL);
  g_autofree char *a = g_build_filename (tmp_dir, "cli-0.bscka", NULL);
  g_autofree char *b = g_build_filename (tmp_dir, "cli-1.bscka", NULL);
  g_autofree char *x = NULL, *y = NULL, *err = NULL;
  gsize lx, ly;
  const char *common[] = { "--a", "resnet8", "--b", "resnet14", "--dataset", "synthetic", "--limit", "64",
                           "--batch", "16", "--passes", "2", "-q" };
  const char *const *c = common;

  g_assert_cmpint (bs_test_run_cli (NULL, NULL, "cka", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11],
                            c[12], "--out", whole, NULL), ==, 0);
  g_assert_cmpint (bs_test_run_cli (NULL, NULL, "cka", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11],
                            c[12], "--shard", "1/2", "--out", b, NULL), ==, 0);
  g_setenv ("SLURM_ARRAY_TASK_ID", "0", TRUE);
  g_setenv ("SLURM_ARRAY_TASK_COUNT", "2", TRUE);
  g_assert_cmpint (bs_test_run_cli (NULL, NULL, "cka", c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11],
                            c[12], "--shard", "slurm", "--out", a, NULL), ==, 0);
  g_unsetenv ("SLURM_ARRAY_TASK_ID");
  g_unsetenv ("SLURM_ARRAY_TASK_COUNT");
  g_assert_cmpint (bs_test_run_cli (NULL, NULL, "cka-merge", b, a, "--out", merged, "-q", NULL), ==, 0);
  g_assert_true (g_file_get_contents (whole, &x, &lx, NULL));
  g_assert_true (g_file_get_contents (merged, &y, &ly, NULL));
  g_assert_cmpmem (x, lx, y, ly);

  g_assert_cmpint (bs_test_run_cli (NULL, &err, "cka-merge", a, "--out", merged, NULL), ==, 1);
  g_assert_nonnull (strstr (err, "missing"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "cka", c[0], c[1], c[4], c[5], "--shard", "2/2", "--out", a, NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "cka", c[0], c[1], c[4], c[5], "--shard", "0/2", "--out", whole, NULL), ==, 2);
  g_assert_nonnull (strstr (err, ".bscka"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "cka", c[0], c[1], c[4], c[5], "--shard", "slurm", "--out", a, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "SLURM_ARRAY_TASK_ID"));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-shard-XXXXXX", NULL);
  dataset = bs_dataset_new_synthetic (8, 96, 3, 12, 12, 4, 3);

  g_test_add_func ("/cka-shard/exact", test_exact);
  g_test_add_func ("/cka-shard/bad-shards", test_bad_shards);
  g_test_add_func ("/cka-shard/cli", test_cli);

  status = g_test_run ();
  bs_dataset_unref (dataset);
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
