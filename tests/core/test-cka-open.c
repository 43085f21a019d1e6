/* test-cka-open.c: opening a CKA result a user picked: whole, without its description, or refused.
 *
 * A matrix with its JSON opens with its layers; without the JSON, or with
 * a damaged one, the matrix alone opens with a warning naming the file; a
 * .npy that is not a CKA matrix (three axes, too many layers, garbage) is
 * refused with BS_ERROR_FORMAT before anything large is allocated. */
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "bs-cka-export.h"
#include "bs-cka-open.h"
#include "bs-error.h"
#include "bs-npy.h"
#include "bs-test-util.h"

static char *tmp_dir;

static char *
tmp_path (const char *name)
{
  return g_build_filename (tmp_dir, name, NULL);
}

static BsCkaSnapshot *
make_result (void)
{
  BsLayerInfo rows[3] = { 0 }, cols[2] = { 0 };
  BsCkaSnapshotHeader header = {
    .rows = rows, .n_rows = 3, .cols = cols, .n_cols = 2, .model_a = "resnet20", .model_b = "resnet56",
    .batch_size = 16, .minibatches_total = 2,
  };
  double *cka = g_new (double, 6), *se = g_new (double, 6);

  for (guint i = 0; i < 3; i++)
    rows[i] = (BsLayerInfo) { .name = (char *) (i == 0 ? "conv1" : i == 1 ? "layer1.0" : "fc"), .stage = i, .block = -1 };
  for (guint i = 0; i < 2; i++)
    cols[i] = (BsLayerInfo) { .name = (char *) (i == 0 ? "conv1" : "fc"), .stage = i, .block = -1 };
  for (guint i = 0; i < 6; i++)
    {
      cka[i] = 0.1 * (i + 1);
      se[i] = 0.01;
    }
  return bs_cka_snapshot_new (&header, 2, cka, se, g_new0 (guint8, 3), g_new0 (guint8, 2));
}

static void
test_whole_and_alone (void)
{
  g_autoptr(BsCkaSnapshot) result = make_result ();
  g_autofree char *path = tmp_path ("m.npy"), *json = tmp_path ("m.json");
  g_autoptr(GError) error = NULL;
  g_autofree char *warning = NULL;
  BsCkaSnapshot *opened;

  g_assert_true (bs_cka_export (result, NULL, path, &error));
  g_assert_no_error (error);

  /* Whole: the layers' names, the standard errors, no warning. */
  opened = bs_cka_open_result (path, &warning, &error);
  g_assert_no_error (error);
  g_assert_null (warning);
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (opened), ==, 3);
  g_assert_cmpstr (bs_cka_snapshot_get_row (opened, 1)->name, ==, "layer1.0");
  g_assert_cmpfloat (bs_cka_snapshot_get_std_error (opened, 2, 1), ==, 0.01);
  bs_cka_snapshot_unref (opened);

  /* A damaged description: the values still, layers by number, a warning. */
  g_assert_true (g_file_set_contents (json, "{\"rows\": [", -1, NULL));
  opened = bs_cka_open_result (path, &warning, &error);
  g_assert_no_error (error);
  g_assert_nonnull (warning);
  g_assert_nonnull (strstr (warning, "m.npy"));
  g_assert_cmpuint (bs_cka_snapshot_get_n_rows (opened), ==, 3);
  g_assert_cmpuint (bs_cka_snapshot_get_n_cols (opened), ==, 2);
  g_assert_cmpstr (bs_cka_snapshot_get_row (opened, 2)->name, ==, "2");
  g_assert_cmpint (bs_cka_snapshot_get_row (opened, 2)->stage, ==, -1);
  for (guint r = 0; r < 3; r++)
    for (guint c = 0; c < 2; c++)
      g_assert_cmpfloat (bs_cka_snapshot_get_value (opened, r, c), ==, bs_cka_snapshot_get_value (result, r, c));
  g_assert_true (isnan (bs_cka_snapshot_get_std_error (opened, 0, 0)));
  bs_cka_snapshot_unref (opened);
  g_clear_pointer (&warning, g_free);

  /* No description at all: the same. */
  g_assert_cmpint (g_remove (json), ==, 0);
  opened = bs_cka_open_result (path, &warning, &error);
  g_assert_no_error (error);
  g_assert_nonnull (warning);
  bs_cka_snapshot_unref (opened);
}

static void
test_refused (void)
{
  g_autofree char *cube = tmp_path ("cube.npy"), *garbage = tmp_path ("garbage.npy");
  g_autofree char *huge = tmp_path ("huge.npy"), *missing = tmp_path ("missing.npy");
  const gint64 cube_shape[3] = { 2, 2, 2 };
  double cube_data[8] = { 0 };
  g_autoptr(GBytes) header = NULL;
  const gint64 huge_shape[2] = { 20000, 20000 };

  g_assert_true (bs_npy_save (cube, BS_DTYPE_F64, 3, cube_shape, cube_data, NULL));
  g_assert_true (g_file_set_contents (garbage, "not a numpy file at all", -1, NULL));
  /* A header that promises 20,000 x 20,000 doubles, and no data. */
  header = bs_npy_build_header (BS_DTYPE_F64, 2, huge_shape);
  g_assert_true (g_file_set_contents (huge, g_bytes_get_data (header, NULL), (gssize) g_bytes_get_size (header), NULL));

  for (guint i = 0; i < 4; i++)
    {
      const char *path = i == 0 ? cube : i == 1 ? garbage : i == 2 ? huge : missing;
      g_autoptr(GError) error = NULL;
      g_autofree char *warning = NULL;
      g_autofree char *base = g_path_get_basename (path);

      g_assert_null (bs_cka_open_result (path, &warning, &error));
      g_assert_nonnull (error);
      g_test_message ("%s: %s", base, error->message);
      g_assert_true (error->domain == BS_ERROR);
      g_assert_nonnull (strstr (error->message, base));
      g_assert_null (warning);
    }
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  tmp_dir = g_dir_make_tmp ("blockscope-open-XXXXXX", NULL);
  g_test_add_func ("/cka-open/whole-and-alone", test_whole_and_alone);
  g_test_add_func ("/cka-open/refused", test_refused);
  status = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
