/* test-dataset-idx.c: the MNIST / Fashion-MNIST IDX reader, good and bad files. */
#include "bs-dataset.h"
#include "bs-error.h"
#include "bs-idx.h"
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

static void
check_split (const BsImageSet *set,
             guint             n,
             guint             rows,
             guint             cols)
{
  g_assert_cmpuint (set->n_images, ==, n);
  g_assert_cmpuint (set->channels, ==, 1);
  g_assert_cmpuint (set->height, ==, rows);
  g_assert_cmpuint (set->width, ==, cols);
  for (guint i = 0; i < n; i++)
    {
      const guint8 *image = bs_image_set_get_image (set, i);

      g_assert_cmpuint (set->labels[i], ==, test_idx_label (i, 10));
      for (guint y = 0; y < rows; y++)
        for (guint x = 0; x < cols; x++)
          g_assert_cmpuint (image[y * cols + x], ==, test_pixel (i, 0, y, x));
    }
}

/* Rows and columns differ, so a swap of the two would show. */
static void
test_roundtrip (Fixture       *f,
                gconstpointer  data)
{
  gboolean gz = GPOINTER_TO_INT (data);
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  test_write_idx_split (f->dir, "train", 7, 5, 3, gz);
  g_assert_true (bs_idx_load_split (f->dir, "train", 10, &set, &error));
  g_assert_no_error (error);
  check_split (&set, 7, 5, 3);
  bs_image_set_clear (&set);
  g_assert_null (set.pixels);
}

/* Plain and compressed names are both found; .gz wins when both exist. */
static void
test_find_file (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *plain = g_build_filename (f->dir, "x-idx", NULL);
  g_autofree char *gz = g_build_filename (f->dir, "x-idx.gz", NULL);
  g_autofree char *none = bs_idx_find_file (f->dir, "x-idx");
  g_autofree char *found_plain = NULL;
  g_autofree char *found_gz = NULL;

  g_assert_null (none);
  test_write_file (plain, "a", 1);
  found_plain = bs_idx_find_file (f->dir, "x-idx");
  g_assert_cmpstr (found_plain, ==, plain);
  test_write_file (gz, "a", 1);
  found_gz = bs_idx_find_file (f->dir, "x-idx");
  g_assert_cmpstr (found_gz, ==, gz);
}

/* Gzip is recognised by content: a compressed file without .gz still reads. */
static void
test_gzip_without_suffix (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GByteArray) images = test_idx_images (0x803, 4, 6, 6);
  g_autoptr(GBytes) compressed = test_gzip (images->data, images->len);
  g_autofree char *path = g_build_filename (f->dir, "images", NULL);
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  test_write_file (path, g_bytes_get_data (compressed, NULL), g_bytes_get_size (compressed));
  g_assert_true (bs_idx_read_images (path, &set, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (set.n_images, ==, 4);
  g_assert_cmpmem (set.pixels, 4 * 36, images->data + 16, 4 * 36);
  bs_image_set_clear (&set);
}

static void
test_missing_file (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GByteArray) images = test_idx_images (0x803, 3, 4, 4);
  g_autofree char *p = test_write_maybe_gz (f->dir, "t10k-images-idx3-ubyte", images, TRUE);
  g_autofree char *labels = g_build_filename (f->dir, "t10k-labels-idx1-ubyte.gz", NULL);
  g_autofree char *direct = g_build_filename (f->dir, "nothing-here", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  BsImageSet set = { 0 };

  g_assert_false (bs_idx_load_split (f->dir, "t10k", 10, &set, &error));
  test_assert_error (error, BS_ERROR_NOT_FOUND, labels, "no such file");
  g_assert_null (set.pixels);

  g_assert_false (bs_idx_read_images (direct, &set, &error2));
  test_assert_error (error2, BS_ERROR_NOT_FOUND, direct, "no such file");
}

/* A label file where the image file should be, compressed, as in the example. */
static void
test_wrong_magic (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GByteArray) labels = test_idx_labels (0x801, 3, 10);
  g_autoptr(GByteArray) images = test_idx_images (0x803, 3, 4, 4);
  g_autofree char *images_path = test_write_maybe_gz (f->dir, "t10k-images-idx3-ubyte", labels, TRUE);
  g_autofree char *labels_path = test_write_maybe_gz (f->dir, "lab", images, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) error2 = NULL;
  BsImageSet set = { 0 };
  guint n;
  guint8 *values;

  g_assert_false (bs_idx_read_images (images_path, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, images_path,
                     "wrong magic number 0x00000801, expected 0x00000803 (IDX images)");

  g_assert_false (bs_idx_read_labels (labels_path, &n, &values, &error2));
  test_assert_error (error2, BS_ERROR_FORMAT, labels_path,
                     "wrong magic number 0x00000803, expected 0x00000801 (IDX labels)");
  g_assert_null (values);
}

static void
write_header_only (const char *path,
                   guint32     count,
                   guint32     rows,
                   guint32     cols,
                   guint       extra_bytes)
{
  g_autoptr(GByteArray) array = g_byte_array_new ();

  test_put_be32 (array, 0x803);
  test_put_be32 (array, count);
  test_put_be32 (array, rows);
  test_put_be32 (array, cols);
  for (guint i = 0; i < extra_bytes; i++)
    {
      guint8 v = i;

      g_byte_array_append (array, &v, 1);
    }
  test_write_file (path, array->data, array->len);
}

static void
test_bad_dimensions (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "images", NULL);
  struct {
    guint32 count, rows, cols;
    const char *says;
  } cases[] = {
    { 5, 0, 28, "image size of 0x28" },
    { 5, 28, 0, "image size of 28x0" },
    { 5, 70000, 28, "image size of 70000x28" },
    { 5, 0xffffffffu, 0xffffffffu, "image size of 4294967295x4294967295" },
    { 0, 28, 28, "holds 0 images" },
    { 0xffffffffu, 28, 28, "4294967295 images" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      BsImageSet set = { 0 };

      write_header_only (path, cases[i].count, cases[i].rows, cases[i].cols, 100);
      g_assert_false (bs_idx_read_images (path, &set, &error));
      test_assert_error (error, BS_ERROR_FORMAT, path, cases[i].says);
      g_assert_null (set.pixels);
    }
}

/* A header that promises far more than the file holds: a truncation error,
 * found without allocating what the header promises (78 GB here). */
static void
test_huge_promise (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "images", NULL);
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  write_header_only (path, 100000000u, 28, 28, 5000);
  g_assert_false (bs_idx_read_images (path, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "truncated", "78400000000 bytes",
                     "only 5000");
}

static void
test_truncated (Fixture       *f,
                gconstpointer  data)
{
  gboolean gz = GPOINTER_TO_INT (data);
  g_autoptr(GByteArray) images = test_idx_images (0x803, 6, 8, 8);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  BsImageSet set = { 0 };

  /* Drop the last 10 pixels: the data of the last image is incomplete. */
  g_byte_array_set_size (images, images->len - 10);
  path = test_write_maybe_gz (f->dir, "train-images-idx3-ubyte", images, gz);
  g_assert_false (bs_idx_read_images (path, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "truncated",
                     "promises 384 bytes of image data", "only 374");
  g_assert_null (set.pixels);
}

/* A gzip file cut in the middle of the compressed stream. */
static void
test_truncated_gzip_stream (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GByteArray) images = test_idx_images (0x803, 50, 28, 28);
  g_autoptr(GBytes) compressed = test_gzip (images->data, images->len);
  g_autofree char *path = g_build_filename (f->dir, "train-images-idx3-ubyte.gz", NULL);
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  test_write_file (path, g_bytes_get_data (compressed, NULL), g_bytes_get_size (compressed) / 2);
  g_assert_false (bs_idx_read_images (path, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "truncated");
}

static void
test_damaged_gzip (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GByteArray) images = test_idx_images (0x803, 50, 28, 28);
  g_autoptr(GBytes) compressed = test_gzip (images->data, images->len);
  g_autofree char *path = g_build_filename (f->dir, "train-images-idx3-ubyte.gz", NULL);
  g_autofree guint8 *bytes = g_memdup2 (g_bytes_get_data (compressed, NULL),
                                        g_bytes_get_size (compressed));
  gsize len = g_bytes_get_size (compressed);
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  /* Garble the deflate data after the 10-byte gzip header. */
  for (gsize i = 10; i < len - 8; i += 3)
    bytes[i] ^= 0x5a;
  test_write_file (path, bytes, len);
  g_assert_false (bs_idx_read_images (path, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "gzip");
}

static void
test_truncated_header (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GByteArray) images = test_idx_images (0x803, 6, 8, 8);
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  g_byte_array_set_size (images, 9);
  path = test_write_maybe_gz (f->dir, "imgs", images, FALSE);
  g_assert_false (bs_idx_read_images (path, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "truncated header: 9 of 16 bytes");
}

static void
test_empty_file (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->dir, "train-labels-idx1-ubyte", NULL);
  g_autoptr(GError) error = NULL;
  guint n;
  guint8 *labels;

  test_write_file (path, "", 0);
  g_assert_false (bs_idx_read_labels (path, &n, &labels, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "empty file");
}

static void
test_trailing_garbage (Fixture       *f,
                       gconstpointer  data)
{
  gboolean gz = GPOINTER_TO_INT (data);
  g_autoptr(GByteArray) labels = test_idx_labels (0x801, 20, 10);
  g_autoptr(GByteArray) one_label = test_idx_labels (0x801, 1, 10);
  g_autofree char *path = NULL;
  g_autofree char *one_path = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) one_error = NULL;
  guint n;
  guint8 *values;

  g_byte_array_append (labels, (const guint8 *) "junk!", 5);
  path = test_write_maybe_gz (f->dir, "train-labels-idx1-ubyte", labels, gz);
  g_assert_false (bs_idx_read_labels (path, &n, &values, &error));
  test_assert_error (error, BS_ERROR_FORMAT, path, "trailing data: 5 more bytes follow the 20 labels");
  g_assert_null (values);

  /* One of each: the singular forms of both plural messages. */
  g_byte_array_append (one_label, (const guint8 *) "!", 1);
  one_path = test_write_maybe_gz (f->dir, "t10k-labels-idx1-ubyte", one_label, gz);
  g_assert_false (bs_idx_read_labels (one_path, &n, &values, &one_error));
  test_assert_error (one_error, BS_ERROR_FORMAT, one_path, "trailing data: 1 more byte follows the 1 label");
  g_assert_null (values);
}

static void
test_count_mismatch (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GByteArray) images = test_idx_images (0x803, 6, 4, 4);
  g_autoptr(GByteArray) labels = test_idx_labels (0x801, 5, 10);
  g_autofree char *ip = test_write_maybe_gz (f->dir, "train-images-idx3-ubyte", images, TRUE);
  g_autofree char *lp = test_write_maybe_gz (f->dir, "train-labels-idx1-ubyte", labels, FALSE);
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  g_assert_false (bs_idx_load_split (f->dir, "train", 10, &set, &error));
  test_assert_error (error, BS_ERROR_MISMATCH, ip, lp, "6 images", "5 labels");
  g_assert_null (set.pixels);
}

static void
test_label_out_of_range (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GByteArray) images = test_idx_images (0x803, 6, 4, 4);
  g_autoptr(GByteArray) labels = test_idx_labels (0x801, 6, 10);
  g_autofree char *ip = NULL;
  g_autofree char *lp = NULL;
  g_autoptr(GError) error = NULL;
  BsImageSet set = { 0 };

  labels->data[8 + 3] = 10;
  ip = test_write_maybe_gz (f->dir, "train-images-idx3-ubyte", images, FALSE);
  lp = test_write_maybe_gz (f->dir, "train-labels-idx1-ubyte", labels, FALSE);
  g_assert_false (bs_idx_load_split (f->dir, "train", 10, &set, &error));
  test_assert_error (error, BS_ERROR_FORMAT, lp, "label 10 of image 3 is out of range");
  g_assert_null (set.pixels);
}

/* The real thing, where Debian's dataset-fashion-mnist installs it. The
 * reference values come from Python's gzip module reading the same files
 * (labels, per-class counts, pixel sums of the first and last image). */
static void
test_fashion_mnist (void)
{
  const char *folder = "/usr/share/datasets/fashion-mnist";
  const guint8 train_first[10] = { 9, 0, 0, 3, 0, 2, 7, 2, 5, 5 };
  const guint8 test_first[10] = { 9, 2, 1, 1, 6, 1, 4, 6, 5, 7 };
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GError) error = NULL;
  guint counts[2][10] = { { 0 } };
  guint64 sums[4] = { 0 };

  if (!g_file_test (folder, G_FILE_TEST_IS_DIR))
    {
      g_test_skip ("dataset-fashion-mnist is not installed: no folder /usr/share/datasets/fashion-mnist");
      return;
    }

  dataset = bs_dataset_load ("fashion-mnist", "/usr/share/datasets", &error);
  g_assert_no_error (error);

  g_assert_cmpstr (dataset->location, ==, folder);
  g_assert_cmpuint (dataset->train.n_images, ==, 60000);
  g_assert_cmpuint (dataset->test.n_images, ==, 10000);
  g_assert_cmpuint (dataset->train.channels, ==, 1);
  g_assert_cmpuint (dataset->train.height, ==, 28);
  g_assert_cmpuint (dataset->train.width, ==, 28);
  g_assert_cmpuint (dataset->n_classes, ==, 10);
  g_assert_cmpstr (dataset->class_names[9], ==, "Ankle boot");
  g_assert_cmpmem (dataset->train.labels, 10, train_first, 10);
  g_assert_cmpmem (dataset->test.labels, 10, test_first, 10);

  /* The test split alone, as CKA loads it. */
  {
    g_autoptr(BsDataset) test_only = bs_dataset_load_test ("fashion-mnist", "/usr/share/datasets", &error);

    g_assert_no_error (error);
    g_assert_cmpuint (test_only->train.n_images, ==, 0);
    g_assert_cmpuint (test_only->test.n_images, ==, 10000);
    g_assert_cmpmem (test_only->test.pixels, 10000 * 784, dataset->test.pixels, 10000 * 784);
    g_assert_cmpmem (test_only->test.labels, 10000, dataset->test.labels, 10000);
  }

  for (guint i = 0; i < 60000; i++)
    counts[0][dataset->train.labels[i]]++;
  for (guint i = 0; i < 10000; i++)
    counts[1][dataset->test.labels[i]]++;
  for (guint c = 0; c < 10; c++)
    {
      g_assert_cmpuint (counts[0][c], ==, 6000);
      g_assert_cmpuint (counts[1][c], ==, 1000);
    }

  for (guint p = 0; p < 784; p++)
    {
      sums[0] += bs_image_set_get_image (&dataset->train, 0)[p];
      sums[1] += bs_image_set_get_image (&dataset->train, 59999)[p];
      sums[2] += bs_image_set_get_image (&dataset->test, 0)[p];
      sums[3] += bs_image_set_get_image (&dataset->test, 9999)[p];
    }
  g_assert_cmpuint (sums[0], ==, 76247);
  g_assert_cmpuint (sums[1], ==, 16684);
  g_assert_cmpuint (sums[2], ==, 33456);
  g_assert_cmpuint (sums[3], ==, 24390);
}

#define ADD(path, func, data) \
  g_test_add (path, Fixture, data, fixture_setup, func, fixture_teardown)

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ADD ("/idx/roundtrip/raw", test_roundtrip, GINT_TO_POINTER (FALSE));
  ADD ("/idx/roundtrip/gzip", test_roundtrip, GINT_TO_POINTER (TRUE));
  ADD ("/idx/find-file", test_find_file, NULL);
  ADD ("/idx/gzip-without-suffix", test_gzip_without_suffix, NULL);
  ADD ("/idx/error/missing-file", test_missing_file, NULL);
  ADD ("/idx/error/wrong-magic", test_wrong_magic, NULL);
  ADD ("/idx/error/bad-dimensions", test_bad_dimensions, NULL);
  ADD ("/idx/error/huge-promise", test_huge_promise, NULL);
  ADD ("/idx/error/truncated/raw", test_truncated, GINT_TO_POINTER (FALSE));
  ADD ("/idx/error/truncated/gzip", test_truncated, GINT_TO_POINTER (TRUE));
  ADD ("/idx/error/truncated-gzip-stream", test_truncated_gzip_stream, NULL);
  ADD ("/idx/error/damaged-gzip", test_damaged_gzip, NULL);
  ADD ("/idx/error/truncated-header", test_truncated_header, NULL);
  ADD ("/idx/error/empty-file", test_empty_file, NULL);
  ADD ("/idx/error/trailing-garbage/raw", test_trailing_garbage, GINT_TO_POINTER (FALSE));
  ADD ("/idx/error/trailing-garbage/gzip", test_trailing_garbage, GINT_TO_POINTER (TRUE));
  ADD ("/idx/error/count-mismatch", test_count_mismatch, NULL);
  ADD ("/idx/error/label-out-of-range", test_label_out_of_range, NULL);
  g_test_add_func ("/idx/fashion-mnist", test_fashion_mnist);
  return g_test_run ();
}
