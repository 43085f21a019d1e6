/* test-cka-compare.c: CKA across training time and across seeds (bs-cka-compare),
 * against CKA jobs run one by one, and the CLI's convergence and seeds. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-checkpoint.h"
#include "bs-cka-compare.h"
#include "bs-cka-import.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-npy.h"
#include "bs-synthetic.h"
#include "bs-test-util.h"

static char *tmp_dir;
static BsDataset *dataset;

/* A resnet8 (or another) for the synthetic images, from a seed, saved. */
static char *
save_model_for (const char *architecture,
                guint64     seed,
                guint       size,
                guint       classes)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *name = g_strdup_printf ("%s-%" G_GUINT64_FORMAT ".safetensors", architecture, seed);
  char *path = g_build_filename (tmp_dir, name, NULL);
  BsModel *model = bs_model_new (architecture, 3, size, size, classes, &error);

  g_assert_no_error (error);
  bs_model_init_params (model, seed);
  g_assert_true (bs_checkpoint_save (model, NULL, path, &error));
  g_assert_no_error (error);
  bs_model_free (model);
  return path;
}

static char *
save_model (const char *architecture,
            guint64     seed)
{
  return save_model_for (architecture, seed, 12, 4);
}

static void
base_options (BsCkaJobOptions *options)
{
  bs_cka_job_options_init (options);
  options->dataset = dataset;
  options->limit = 48;
  options->batch_size = 16;
  options->passes = 1;
  options->threads = 1;
  options->layers = BS_CKA_LAYERS_RESIDUAL;
}

static BsCkaSnapshot *
one_job (const char *a,
         const char *b)
{
  g_autoptr(GError) error = NULL;
  BsCkaJobOptions options;
  BsCkaSnapshot *s;

  base_options (&options);
  options.spec_a = a;
  options.spec_b = b;
  s = bs_cka_job_run (&options, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  return s;
}

static void
test_convergence (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *c1 = save_model ("resnet8", 1);
  g_autofree char *c2 = save_model ("resnet8", 2);
  g_autofree char *c3 = save_model ("resnet8", 3);
  g_autofree char *other = save_model ("resnet14", 1);
  const char *checkpoints[] = { c1, c2, c3 };
  const char *bad[] = { c1, other };
  BsCkaConvergence result;
  BsCkaJobOptions options;
  guint L;

  base_options (&options);
  g_assert_true (bs_cka_convergence_run (checkpoints, 3, c3, &options, NULL, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  L = result.layers->len;
  g_assert_cmpuint (L, >, 2);
  g_assert_cmpuint (result.n_checkpoints, ==, 3);
  for (guint k = 0; k < 3; k++)
    {
      g_autoptr(BsCkaSnapshot) s = one_job (checkpoints[k], c3);

      for (guint l = 0; l < L; l++)
        {
          double want = bs_cka_snapshot_get_value (s, l, l);
          double got = result.cka[l * 3 + k];

          g_assert_true ((isnan (want) && isnan (got)) || got == want);
          if (k == 2 && !isnan (got))
            g_assert_cmpfloat (fabs (got - 1.0), <, 1e-12);
        }
    }
  bs_cka_convergence_clear (&result);

  g_assert_false (bs_cka_convergence_run (bad, 2, c1, &options, NULL, NULL, &result, NULL, &error));
  g_assert_nonnull (error);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, other));
  g_clear_error (&error);
  g_assert_false (bs_cka_convergence_run (bad, 0, c1, &options, NULL, NULL, &result, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
}

static void
test_seeds (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *m1 = save_model ("resnet8", 11);
  g_autofree char *m2 = save_model ("resnet8", 12);
  g_autofree char *m3 = save_model ("resnet8", 13);
  g_autofree char *other = save_model ("resnet14", 11);
  const char *specs[] = { m1, m2, m3 };
  const char *bad[] = { m1, m2, other };
  g_autoptr(BsCkaSnapshot) s12 = one_job (m1, m2);
  g_autoptr(BsCkaSnapshot) s13 = one_job (m1, m3);
  g_autoptr(BsCkaSnapshot) s23 = one_job (m2, m3);
  BsCkaSnapshot *pairs[] = { s12, s13, s23 };
  BsCkaJobOptions options;
  BsCkaSeeds result;
  guint L;

  base_options (&options);
  g_assert_true (bs_cka_seeds_run (specs, 3, &options, NULL, NULL, &result, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (result.n_pairs, ==, 6);
  L = bs_cka_snapshot_get_n_rows (result.mean);
  for (guint r = 0; r < L; r++)
    for (guint c = 0; c < L; c++)
      {
        long double sum = 0, sum2 = 0, mean, dev;

        /* The six ordered pairs: each job and its transpose. */
        for (guint p = 0; p < 3; p++)
          {
            long double v = bs_cka_snapshot_get_value (pairs[p], r, c);
            long double t = bs_cka_snapshot_get_value (pairs[p], c, r);

            sum += v + t;
            sum2 += v * v + t * t;
          }
        mean = sum / 6;
        dev = sqrtl ((sum2 - 6 * mean * mean) / 5);
        if (isnan ((double) mean))
          {
            g_assert_true (isnan (bs_cka_snapshot_get_value (result.mean, r, c)));
            continue;
          }
        g_assert_cmpfloat (fabs (bs_cka_snapshot_get_value (result.mean, r, c) - (double) mean), <, 1e-12);
        g_assert_cmpfloat (fabs (bs_cka_snapshot_get_value (result.std_dev, r, c) - (double) dev), <, 1e-7);
        g_assert_cmpfloat (bs_cka_snapshot_get_std_error (result.mean, r, c), ==,
                           bs_cka_snapshot_get_value (result.std_dev, r, c));
      }
  /* Symmetric, as both orders of every pair are in. */
  g_assert_cmpfloat (bs_cka_snapshot_get_value (result.mean, 1, 2), ==, bs_cka_snapshot_get_value (result.mean, 2, 1));
  /* The deviation says what it is: a colour bar titled "CKA" over it misled. */
  g_assert_cmpint (bs_cka_snapshot_get_statistic (result.mean), ==, BS_CKA_STATISTIC_ESTIMATE);
  g_assert_cmpint (bs_cka_snapshot_get_statistic (result.std_dev), ==, BS_CKA_STATISTIC_SEED_STD_DEV);
  g_assert_cmpstr (bs_cka_snapshot_get_label (result.mean), ==, "CKA");
  g_assert_cmpstr (bs_cka_snapshot_get_label (result.std_dev), ==, "Std. dev. of CKA");
  bs_cka_seeds_clear (&result);

  g_assert_false (bs_cka_seeds_run (bad, 3, &options, NULL, NULL, &result, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "different layers"));
  g_clear_error (&error);
  g_assert_false (bs_cka_seeds_run (specs, 1, &options, NULL, NULL, &result, NULL, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
}

static void
test_cli (void)
{
  g_autofree char *run_dir = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *csv = g_build_filename (tmp_dir, "conv.csv", NULL);
  g_autofree char *conv_json = g_build_filename (tmp_dir, "conv.json", NULL);
  g_autofree char *mean = g_build_filename (tmp_dir, "seeds.npy", NULL);
  g_autofree char *std = g_build_filename (tmp_dir, "seeds-std.npy", NULL);
  const BsDatasetInfo *info = bs_dataset_info_lookup ("synthetic", NULL);
  g_autofree char *m1 = save_model_for ("resnet8", 21, info->height, info->n_classes);
  g_autofree char *m2 = save_model_for ("resnet8", 22, info->height, info->n_classes);
  g_autofree char *text = NULL, *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (bs_test_run_cli (NULL, NULL, "train", "--model", "resnet8", "--dataset", "synthetic", "--epochs", "2",
                            "--limit", "64", "--test-limit", "32", "--batch", "32", "--threads", "1",
                            "--no-snapshots", "--keep-all-checkpoints", "--run-dir", run_dir, NULL), ==, 0);
  g_assert_cmpint (bs_test_run_cli (&out, &err, "convergence", run_dir, "--layers", "residual", "--limit", "32",
                            "--batch", "16", "--out", csv, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "layer1.0.relu2"));
  g_assert_true (g_file_get_contents (csv, &text, NULL, &error));
  g_assert_no_error (error);
  lines = g_strsplit (text, "\n", -1);
  g_assert_cmpstr (lines[0], ==, "layer,epoch 1,epoch 2");
  g_assert_true (g_str_has_prefix (lines[1], "input,") || g_str_has_prefix (lines[1], "layer1.0.relu2,"));
  /* The last checkpoint against itself. */
  g_assert_true (g_str_has_suffix (lines[1], ",1") || g_str_has_suffix (lines[1], ",nan"));
  g_assert_true (g_file_test (conv_json, G_FILE_TEST_IS_REGULAR));

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "seeds", m1, m2, "--dataset", "synthetic", "--limit", "32", "--batch",
                            "16", "--layers", "residual", "--out", mean, NULL), ==, 0);
  g_assert_nonnull (strstr (err, "2 ordered pairs"));
  {
    g_autoptr(BsNpyArray) a = bs_npy_load (mean, &error);
    g_autoptr(BsNpyArray) b = NULL;

    g_assert_no_error (error);
    b = bs_npy_load (std, &error);
    g_assert_no_error (error);
    g_assert_cmpint (a->shape[0], ==, b->shape[0]);
  }
  /* Opened again, each file says which statistic it holds. */
  {
    g_autoptr(BsCkaSnapshot) m = bs_cka_import (mean, &error);
    g_autoptr(BsCkaSnapshot) s = NULL;

    g_assert_no_error (error);
    s = bs_cka_import (std, &error);
    g_assert_no_error (error);
    g_assert_cmpint (bs_cka_snapshot_get_statistic (m), ==, BS_CKA_STATISTIC_ESTIMATE);
    g_assert_cmpint (bs_cka_snapshot_get_statistic (s), ==, BS_CKA_STATISTIC_SEED_STD_DEV);
    g_assert_cmpstr (bs_cka_snapshot_get_label (s), ==, "Std. dev. of CKA");
  }

  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "seeds", m1, "--dataset", "synthetic", "--out", mean, NULL), ==, 2);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "convergence", run_dir, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "--out"));
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "convergence", tmp_dir, "--out", csv, NULL), ==, 1);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("bs-test-compare-XXXXXX", NULL);
  dataset = bs_dataset_new_synthetic (8, 64, 3, 12, 12, 4, 5);

  g_test_add_func ("/cka-compare/convergence", test_convergence);
  g_test_add_func ("/cka-compare/seeds", test_seeds);
  g_test_add_func ("/cka-compare/cli", test_cli);

  status = g_test_run ();
  bs_dataset_unref (dataset);
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
