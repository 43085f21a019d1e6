/* test-dataset-cifar.c: the CIFAR-10 and CIFAR-100 binary readers, good and bad files. */
#include "bs-cifar.h"
#include "bs-dataset.h"
#include "bs-error.h"
#include "test-dataset-files.h"

typedef struct {
  char *dir;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->dir = test_make_tmp_dir ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  test_rm_rf (f->dir);
  g_free (f->dir);
}

static guint8
fine_label (guint i,
            guint n_classes)
{
  return (guint8) ((i * 7 + 3) % n_classes);
}

static guint8
coarse_label (guint i)
{
  return (guint8) ((i * 5 + 2) % 20);
}

/* Writes n records for images first..first+n-1 to folder/name. */
static char *
write_records (const char *folder,
               const char *name,
               gboolean    cifar100,
               guint       first,
               guint       n)
{
  g_autofree guint8 *coarse = g_new (guint8, n);
  g_autofree guint8 *fine = g_new (guint8, n);
  g_autoptr(GByteArray) records = NULL;
  char *path = g_build_filename (folder, name, NULL);

  for (guint r = 0; r < n; r++)
    {
      coarse[r] = coarse_label (first + r);
      fine[r] = fine_label (first + r, cifar100 ? 100 : 10);
    }
  records = test_cifar_records (cifar100, first, n, coarse, fine);
  test_write_file (path, records->data, records->len);
  return path;
}

/* Checks that set holds images first..first+n-1 as written. */
static void
check_set (const BsImageSet *set,
           guint             n,
           guint             n_classes)
{
  g_assert_cmpuint (set->n_images, ==, n);
  g_assert_cmpuint (set->channels, ==, 3);
  g_assert_cmpuint (set->height, ==, 32);
  g_assert_cmpuint (set->width, ==, 32);
  for (guint i = 0; i < n; i++)
    {
      const guint8 *image = bs_image_set_get_image (set, i);

      g_assert_cmpuint (set->labels[i], ==, fine_label (i, n_classes));
      for (guint c = 0; c < 3; c++)
        for (guint y = 0; y < 32; y++)
          for (guint x = 0; x < 32; x++)
            g_assert_cmpuint (image[(c * 32 + y) * 32 + x], ==, test_pixel (i, c, y, x));
    }
}

/* Five training files of different lengths, read in order into one split. */
static void
write_cifar10 (const char *dir,
               guint      *n_train)
{
  guint first = 0;

  for (guint b = 1; b <= 5; b++)
    {
      g_autofree char *name = g_strdup_printf ("data_batch_%u.bin", b);
      g_autofree char *path = write_records (dir, name, FALSE, first, b + 1);

      first += b + 1;
    }
  *n_train = first;
  g_free (write_records (dir, "test_batch.bin", FALSE, 0, 4));
}

static void
test_cifar10_roundtrip (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(BsDataset) dataset = bs_dataset_new ("cifar10", "CIFAR-10", 10);
  g_autofree char *meta = g_build_filename (f->dir, "batches.meta.txt", NULL);
  g_autoptr(GError) error = NULL;
  guint n_train;

  write_cifar10 (f->dir, &n_train);
  test_write_file (meta, "a0\na1\na2\na3\na4\na5\na6\na7\na8\na9\n\n", 32);
  g_assert_true (bs_cifar_load (f->dir, BS_CIFAR_10, TRUE, dataset, &error));
  g_assert_no_error (error);
  check_set (&dataset->train, n_train, 10);
  check_set (&dataset->test, 4, 10);
  g_assert_cmpstr (dataset->class_names[0], ==, "a0");
  g_assert_cmpstr (dataset->class_names[9], ==, "a9");
  g_assert_null (dataset->class_names[10]);
}

static void
test_cifar100_roundtrip (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(BsDataset) dataset = bs_dataset_new ("cifar100", "CIFAR-100", 100);
  g_autofree char *train = write_records (f->dir, "train.bin", TRUE, 0, 23);
  g_autofree char *test = write_records (f->dir, "test.bin", TRUE, 0, 5);
  g_autofree char *names_path = g_build_filename (f->dir, "fine_label_names.txt", NULL);
  g_autoptr(GString) names = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 100; i++)
    g_string_append_printf (names, "fine%u\n", i);
  test_write_file (names_path, names->str, names->len);

  g_assert_true (bs_cifar_load (f->dir, BS_CIFAR_100, TRUE, dataset, &error));
  g_assert_no_error (error);
  /* The fine labels, not the coarse ones, become the labels. */
  check_set (&dataset->train, 23, 100);
  check_set (&dataset->test, 5, 100);
  g_assert_cmpstr (dataset->class_names[42], ==, "fine42");
}

/* Loading by name: the built-in class names stay when the names file is missing or odd. */
static void
test_load_by_name (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *folder = g_build_filename (f->dir, "cifar-10-batches-bin", NULL);
  g_autofree char *meta = g_build_filename (folder, "batches.meta.txt", NULL);
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  guint n_train;

  g_mkdir (folder, 0755);
  write_cifar10 (folder, &n_train);
  test_write_file (meta, "only\nthree\nnames\n", 17);
  dataset = bs_dataset_load ("cifar10", f->dir, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (dataset->name, ==, "cifar10");
  g_assert_cmpstr (dataset->location, ==, folder);
  g_assert_cmpuint (dataset->n_classes, ==, 10);
  g_assert_cmpstr (dataset->class_names[0], ==, "airplane");
  g_assert_cmpstr (dataset->class_names[9], ==, "truck");
  check_set (&dataset->train, n_train, 10);

  /* The test split alone (what CKA reads): the same images, no training split. */
  {
    g_autoptr(BsDataset) test_only = bs_dataset_load_test ("cifar10", f->dir, &error);

    g_assert_no_error (error);
    g_assert_cmpuint (test_only->train.n_images, ==, 0);
    g_assert_null (test_only->train.pixels);
    g_assert_cmpuint (test_only->test.n_images, ==, dataset->test.n_images);
    g_assert_cmpuint (test_only->test.channels, ==, 3);
    g_assert_cmpmem (test_only->test.pixels, bs_image_set_image_size (&dataset->test) * dataset->test.n_images,
                     dataset->test.pixels, bs_image_set_image_size (&dataset->test) * dataset->test.n_images);
    g_assert_cmpmem (test_only->test.labels, dataset->test.n_images,
                     dataset->test.labels, dataset->test.n_images);
  }
}

static void
test_missing_file (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(BsDataset) dataset = bs_dataset_new ("cifar10", "CIFAR-10", 10);
  g_autofree char *gone = g_build_filename (f->dir, "data_batch_3.bin", NULL);
  g_autoptr(GError) error = NULL;
  guint n_train;

  write_cifar10 (f->dir, &n_train);
  g_unlink (gone);
  g_assert_false (bs_cifar_load (f->dir, BS_CIFAR_10, TRUE, dataset, &error));
  test_assert_error (error, BS_ERROR_NOT_FOUND, gone, "no such file");
  g_assert_null (dataset->train.pixels);
}

static void
test_wrong_record_size (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *path10 = write_records (f->dir, "ten.bin", FALSE, 0, 3);
  g_autofree char *path100 = g_build_filename (f->dir, "hundred.bin", NULL);
  g_autofree char *contents = NULL;
  const char *paths10[] = { path10, NULL };
  const char *paths100[] = { path100, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  BsImageSet set = { 0 };
  gsize len;

  /* CIFAR-10 records given to the CIFAR-100 reader: 3 * 3073 = 9219 = 2 * 3074 + 3071. */
  g_file_get_contents (path10, &contents, &len, NULL);
  test_write_file (path100, contents, len);
  g_assert_false (bs_cifar_read_files (paths100, BS_CIFAR_100, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path100, "9219 bytes",
                     "not a multiple of the CIFAR-100 record size, 3074 bytes",
                     "3071 bytes are left over after 2 records");

  /* A CIFAR-10 file with 5 extra bytes. */
  test_write_file (path10, contents, len - 3068);
  g_assert_false (bs_cifar_read_files (paths10, BS_CIFAR_10, &set, &error2));
  test_assert_error (error2, BS_ERROR_FORMAT, path10, "CIFAR-10 record size, 3073 bytes",
                     "5 bytes are left over after 2 records");
  g_assert_null (set.pixels);
}

static void
test_label_out_of_range (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *path = write_records (f->dir, "test_batch.bin", FALSE, 0, 4);
  g_autofree char *path100 = write_records (f->dir, "test.bin", TRUE, 0, 4);
  const char *paths[] = { path, NULL };
  const char *paths100[] = { path100, NULL };
  g_autofree guint8 *bytes = NULL;
  gsize len;
  BsImageSet set = { 0 };

  {
    g_autoptr(GError) error = NULL;

    g_file_get_contents (path, (char **) &bytes, &len, NULL);
    bytes[2 * 3073] = 10;   /* record 2 */
    test_write_file (path, bytes, len);
    g_assert_false (bs_cifar_read_files (paths, BS_CIFAR_10, &set, &error));
    test_assert_error (error, BS_ERROR_FORMAT, path, "record 2 (byte offset 6146) has label 10",
                       "CIFAR-10 has 10 classes");
    g_clear_pointer (&bytes, g_free);
  }
  {
    g_autoptr(GError) error = NULL;

    g_file_get_contents (path100, (char **) &bytes, &len, NULL);
    bytes[3 * 3074 + 1] = 100;   /* fine label of record 3 */
    test_write_file (path100, bytes, len);
    g_assert_false (bs_cifar_read_files (paths100, BS_CIFAR_100, &set, &error));
    test_assert_error (error, BS_ERROR_FORMAT, path100, "record 3", "fine label 100");
  }
  {
    g_autoptr(GError) error = NULL;

    bytes[3 * 3074 + 1] = 99;
    bytes[1 * 3074] = 20;       /* coarse label of record 1 */
    test_write_file (path100, bytes, len);
    g_assert_false (bs_cifar_read_files (paths100, BS_CIFAR_100, &set, &error));
    test_assert_error (error, BS_ERROR_FORMAT, path100, "record 1", "coarse label 20");
  }
  g_assert_null (set.pixels);
}

static void
test_empty_file (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "test_batch.bin", NULL);
  const char *paths[] = { path, NULL };
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  test_write_file (path, "", 0);
  g_assert_false (bs_cifar_read_files (paths, BS_CIFAR_10, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "empty file");
}

static void
test_class_names_file (Fixture       *f,
                       gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "names.txt", NULL);
  g_autofree char *missing = g_build_filename (f->dir, "none.txt", NULL);
  g_auto(GStrv) good = NULL;
  g_auto(GStrv) bad = NULL;

  test_write_file (path, "  cat \r\n\ndog\nbird", 17);
  good = bs_cifar_read_class_names (path, 3);
  g_assert_nonnull (good);
  g_assert_cmpstr (good[0], ==, "cat");
  g_assert_cmpstr (good[1], ==, "dog");
  g_assert_cmpstr (good[2], ==, "bird");
  g_assert_null (good[3]);
  bad = bs_cifar_read_class_names (path, 4);
  g_assert_null (bad);
  g_assert_null (bs_cifar_read_class_names (missing, 3));
}

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/cifar/roundtrip/cifar10", test_cifar10_roundtrip);
  ADD ("/cifar/roundtrip/cifar100", test_cifar100_roundtrip);
  ADD ("/cifar/load-by-name", test_load_by_name);
  ADD ("/cifar/class-names-file", test_class_names_file);
  ADD ("/cifar/error/missing-file", test_missing_file);
  ADD ("/cifar/error/wrong-record-size", test_wrong_record_size);
  ADD ("/cifar/error/label-out-of-range", test_label_out_of_range);
  ADD ("/cifar/error/empty-file", test_empty_file);
  return g_test_run ();
}
