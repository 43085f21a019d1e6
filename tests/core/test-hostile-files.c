/* test-hostile-files.c: every reader against the classes of hostile files
 * (issue 19): special files given as a file, gzip of several members and
 * garbage after one, sparse files of gigabytes behind a valid header, and a
 * small file that names an architecture too large to build.
 *
 * A reader that blocks on a FIFO or reads /dev/zero forever would hang the
 * test: an alarm ends the process (a failure, never a skip) after 30 s. */
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-checkpoint.h"
#include "bs-cifar.h"
#include "bs-cka-import.h"
#include "bs-cka-shard.h"
#include "bs-dataset.h"
#include "bs-download.h"
#include "bs-error.h"
#include "bs-idx.h"
#include "bs-json-file.h"
#include "bs-model.h"
#include "bs-npy.h"
#include "bs-pth.h"
#include "bs-run.h"
#include "bs-safetensors.h"
#include "bs-test-util.h"
#include "bs-weights-guess.h"
#include "test-dataset-files.h"

static char *tmp_dir;

typedef gboolean (*ReadFunc) (const char *path, GError **error);

static gboolean
read_npy (const char *path, GError **error)
{
  g_autoptr(BsNpyFile) file = bs_npy_file_open (path, error);
  return file != NULL;
}

static gboolean
read_safetensors (const char *path, GError **error)
{
  g_autoptr(BsSafetensors) st = bs_safetensors_load (path, error);
  return st != NULL;
}

static gboolean
read_checkpoint (const char *path, GError **error)
{
  g_autoptr(BsModel) model = bs_checkpoint_load (path, NULL, error);
  return model != NULL;
}

static gboolean
read_pth (const char *path, GError **error)
{
  g_autoptr(BsPth) pth = bs_pth_load (path, error);
  return pth != NULL;
}

static gboolean
read_weights (const char *path, GError **error)
{
  g_autofree char *architecture = NULL;
  return bs_weights_import_guess_architecture (path, &architecture, error);
}

static gboolean
read_idx_images (const char *path, GError **error)
{
  BsImageSet set = { 0 };
  gboolean ok = bs_idx_read_images (path, &set, error);

  bs_image_set_clear (&set);
  return ok;
}

static gboolean
read_idx_labels (const char *path, GError **error)
{
  g_autofree guint8 *labels = NULL;
  guint n;

  return bs_idx_read_labels (path, &n, &labels, error);
}

static gboolean
read_cifar (const char *path, GError **error)
{
  const char *paths[] = { path, NULL };
  BsImageSet set = { 0 };
  gboolean ok = bs_cifar_read_files (paths, BS_CIFAR_10, &set, error);

  bs_image_set_clear (&set);
  return ok;
}

static gboolean
read_json (const char *path, GError **error)
{
  g_autoptr(JsonNode) node = bs_json_file_load (path, 1 << 20, error);
  return node != NULL;
}

static gboolean
read_cka_result (const char *path, GError **error)
{
  g_autoptr(BsCkaSnapshot) snapshot = bs_cka_import (path, error);
  return snapshot != NULL;
}

static gboolean
read_shard (const char *path, GError **error)
{
  g_autoptr(BsCkaShard) shard = bs_cka_shard_load (path, error);
  return shard != NULL;
}

static gboolean
read_md5 (const char *path, GError **error)
{
  g_autofree char *md5 = bs_download_file_md5 (path, NULL, error);
  return md5 != NULL;
}

static const struct {
  const char *name;
  ReadFunc    read;
} readers[] = {
  { "npy", read_npy },
  { "safetensors", read_safetensors },
  { "checkpoint", read_checkpoint },
  { "pth", read_pth },
  { "weights", read_weights },
  { "idx-images", read_idx_images },
  { "idx-labels", read_idx_labels },
  { "cifar", read_cifar },
  { "json", read_json },
  { "cka-result", read_cka_result },
  { "shard", read_shard },
  { "download-md5", read_md5 },
};

static void
expect_refused (const char *reader,
                ReadFunc    read,
                const char *path)
{
  g_autoptr(GError) error = NULL;

  alarm (30);
  g_assert_false (read (path, &error));
  alarm (0);
  g_test_message ("%s on %s: %s", reader, path, error ? error->message : "(no error)");
  g_assert_nonnull (error);
  g_assert_true (error->domain == BS_ERROR);
  g_assert_cmpuint (strlen (error->message), >, 0);
}

/* A FIFO (nobody writes to it: an open would block for ever), a folder and
 * a device that never ends, given to every reader as its file. */
static void
test_special_files (void)
{
  g_autofree char *fifo = g_build_filename (tmp_dir, "fifo", NULL);
  g_autofree char *folder = g_build_filename (tmp_dir, "folder", NULL);
  const char *special[] = { fifo, folder, "/dev/zero" };

  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_cmpint (g_mkdir (folder, 0700), ==, 0);
  for (guint r = 0; r < G_N_ELEMENTS (readers); r++)
    for (guint s = 0; s < G_N_ELEMENTS (special); s++)
      expect_refused (readers[r].name, readers[r].read, special[s]);
  g_remove (fifo);
  g_rmdir (folder);
}

/* The files a folder holds (a run's run.json, a data set's files) as FIFOs. */
static void
test_special_files_in_folders (void)
{
  g_autofree char *run_dir = g_build_filename (tmp_dir, "run", NULL);
  g_autofree char *run_json = g_build_filename (run_dir, "run.json", NULL);
  g_autofree char *data_dir = g_build_filename (tmp_dir, "data", NULL);
  g_autofree char *cifar_dir = g_build_filename (data_dir, "cifar-10-batches-bin", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsRun) run = NULL;
  g_autoptr(BsDataset) dataset = NULL;

  g_assert_cmpint (g_mkdir (run_dir, 0700), ==, 0);
  g_assert_cmpint (mkfifo (run_json, 0600), ==, 0);
  alarm (30);
  run = bs_run_open (run_dir, &error);
  alarm (0);
  g_assert_null (run);
  g_assert_error (error, BS_ERROR, BS_ERROR_IO);
  g_clear_error (&error);

  g_assert_cmpint (g_mkdir_with_parents (cifar_dir, 0700), ==, 0);
  for (guint i = 1; i <= 5; i++)
    {
      g_autofree char *name = g_strdup_printf ("data_batch_%u.bin", i);
      g_autofree char *path = g_build_filename (cifar_dir, name, NULL);

      g_assert_cmpint (mkfifo (path, 0600), ==, 0);
    }
  {
    g_autofree char *path = g_build_filename (cifar_dir, "test_batch.bin", NULL);

    g_assert_cmpint (mkfifo (path, 0600), ==, 0);
  }
  alarm (30);
  dataset = bs_dataset_load ("cifar10", data_dir, &error);
  alarm (0);
  g_assert_null (dataset);
  g_assert_nonnull (error);
  g_test_message ("cifar10 of FIFOs: %s", error->message);
  bs_test_remove_tree (run_dir);
  bs_test_remove_tree (data_dir);
}

static GByteArray *
idx_labels (guint n)
{
  GByteArray *bytes = g_byte_array_new ();

  test_put_be32 (bytes, BS_IDX_MAGIC_LABELS);
  test_put_be32 (bytes, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 label = (guint8) (i * 7 % 10);

      g_byte_array_append (bytes, &label, 1);
    }
  return bytes;
}

/* Two gzip members (what pigz and `cat a.gz b.gz` make) are one stream;
 * anything after the last member is refused. */
static void
test_gzip_members (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "labels.gz", NULL);
  g_autoptr(GByteArray) plain = idx_labels (1000);
  g_autoptr(GBytes) first = test_gzip (plain->data, 300);
  g_autoptr(GBytes) second = test_gzip (plain->data + 300, 500);
  g_autoptr(GBytes) third = test_gzip (plain->data + 800, plain->len - 800);
  g_autoptr(GByteArray) file = g_byte_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *labels = NULL;
  const char *trailers[] = { "garbage", "\0\0\0\0", "\x1f" };
  guint n = 0;

  g_byte_array_append (file, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  g_byte_array_append (file, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
  g_byte_array_append (file, g_bytes_get_data (third, NULL), g_bytes_get_size (third));
  test_write_file (path, file->data, file->len);
  g_assert_true (bs_idx_read_labels (path, &n, &labels, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1000);
  for (guint i = 0; i < n; i++)
    g_assert_cmpuint (labels[i], ==, i * 7 % 10);
  g_clear_pointer (&labels, g_free);

  /* Garbage, zero padding, half a magic number after the last member. */
  for (guint t = 0; t < G_N_ELEMENTS (trailers); t++)
    {
      g_autoptr(GByteArray) bad = g_byte_array_new ();
      gsize len = t == 1 ? 4 : strlen (trailers[t]);

      g_byte_array_append (bad, file->data, file->len);
      g_byte_array_append (bad, (const guint8 *) trailers[t], len);
      test_write_file (path, bad->data, bad->len);
      g_assert_false (bs_idx_read_labels (path, &n, &labels, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
      g_test_message ("trailer %u: %s", t, error->message);
      g_clear_error (&error);
    }

  /* A member cut short is still truncated data. */
  test_write_file (path, file->data, file->len - 5);
  g_assert_false (bs_idx_read_labels (path, &n, &labels, &error));
  g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
  g_clear_error (&error);

  /* Images too, and through a whole data set folder (MNIST's .gz files). */
  {
    g_autofree char *images = g_build_filename (tmp_dir, "images.gz", NULL);
    g_autoptr(GByteArray) img = g_byte_array_new ();
    g_autoptr(GBytes) a = NULL;
    g_autoptr(GBytes) b = NULL;
    g_autoptr(GByteArray) gz = g_byte_array_new ();
    BsImageSet set = { 0 };

    test_put_be32 (img, BS_IDX_MAGIC_IMAGES);
    test_put_be32 (img, 3);
    test_put_be32 (img, 4);
    test_put_be32 (img, 5);
    for (guint i = 0; i < 3 * 4 * 5; i++)
      {
        guint8 v = (guint8) (i * 11);

        g_byte_array_append (img, &v, 1);
      }
    a = test_gzip (img->data, 16);
    b = test_gzip (img->data + 16, img->len - 16);
    g_byte_array_append (gz, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
    g_byte_array_append (gz, g_bytes_get_data (b, NULL), g_bytes_get_size (b));
    test_write_file (images, gz->data, gz->len);
    g_assert_true (bs_idx_read_images (images, &set, &error));
    g_assert_no_error (error);
    g_assert_cmpuint (set.n_images, ==, 3);
    for (guint i = 0; i < 3 * 4 * 5; i++)
      g_assert_cmpuint (set.pixels[i], ==, (guint8) (i * 11));
    bs_image_set_clear (&set);
    g_remove (images);
  }
  g_remove (path);
}

static glong
max_rss_kib (void)
{
  struct rusage usage;

  g_assert_cmpint (getrusage (RUSAGE_SELF, &usage), ==, 0);
  return usage.ru_maxrss;
}

/* A file of a valid small header made 4 GiB long without writing the rest
 * (a sparse file: no disk, but 4 GiB to read). */
static void
make_sparse (const char *path,
             const void *head,
             gsize       head_len)
{
  int fd;

  test_write_file (path, head, head_len);
  fd = g_open (path, O_WRONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) 4 << 30), ==, 0);
  close (fd);
}

/* Each reader refuses the sparse file from its size: the peak memory of
 * the process grows by far less than the 4 GiB a whole read would take. */
static void
test_sparse (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "sparse", NULL);
  g_autoptr(GByteArray) idx = g_byte_array_new ();
  g_autoptr(GString) st = g_string_new (NULL);
  const char *npy_header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
  g_autoptr(GString) npy = g_string_new (NULL);
  const char *st_header =
    "{\"__metadata__\":{\"architecture\":\"resnet8\",\"input_shape\":\"[3, 32, 32]\",\"classes\":\"10\"},"
    "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
  guint64 st_len = GUINT64_TO_LE (strlen (st_header));
  guint8 cifar[3073] = { 3 };
  const struct {
    ReadFunc    read;
    const void *head;
    gsize       len;
  } cases[] = {
    { read_idx_images, NULL, 0 },
    { read_npy, NULL, 0 },
    { read_safetensors, NULL, 0 },
    { read_checkpoint, NULL, 0 },
    { read_shard, NULL, 0 },
    { read_cifar, cifar, sizeof cifar },
  };
  glong before = max_rss_kib ();

  test_put_be32 (idx, BS_IDX_MAGIC_IMAGES);
  test_put_be32 (idx, 10);
  test_put_be32 (idx, 28);
  test_put_be32 (idx, 28);
  g_string_append_len (npy, "\x93NUMPY\x01\x00", 8);
  g_string_append_c (npy, (char) (strlen (npy_header) + 1));
  g_string_append_c (npy, 0);
  g_string_append (npy, npy_header);
  g_string_append_c (npy, '\n');
  g_string_append_len (st, (const char *) &st_len, 8);
  g_string_append (st, st_header);
  g_string_append_len (st, "\0\0\0\0", 4);

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      g_autoptr(GError) error = NULL;
      const void *head = cases[c].head;
      gsize len = cases[c].len;

      if (c == 0)
        head = idx->data, len = idx->len;
      else if (c == 1)
        head = npy->str, len = npy->len;
      else if (c <= 4)
        head = st->str, len = st->len;
      make_sparse (path, head, len);
      g_assert_false (cases[c].read (path, &error));
      g_assert_error (error, BS_ERROR, BS_ERROR_FORMAT);
      g_test_message ("sparse %u: %s", c, error->message);
      g_remove (path);
    }
  /* A few megabytes of headers and parsing, never the 4 GiB. */
  g_assert_cmpint (max_rss_kib () - before, <, 256 * 1024);
}

/* A checkpoint of about a hundred bytes that names an architecture of 131
 * billion parameters: a message, no abort. */
static void
test_huge_architecture (void)
{
  g_autofree char *path = g_build_filename (tmp_dir, "huge.safetensors", NULL);
  const char *header = "{\"__metadata__\":{\"architecture\":\"resnet1994x64\",\"input_shape\":\"[3, 32, 32]\","
                       "\"classes\":\"10\"}}";
  guint64 len = GUINT64_TO_LE (strlen (header));
  g_autoptr(GString) file = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsModel) model = NULL;

  g_string_append_len (file, (const char *) &len, 8);
  g_string_append (file, header);
  test_write_file (path, file->str, file->len);
  g_assert_cmpuint (file->len, <, 120);
  model = bs_checkpoint_load (path, NULL, &error);
  g_assert_null (model);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "too large"));
  g_clear_error (&error);

  model = bs_model_new ("resnet1994x64", 3, 32, 32, 10, &error);
  g_assert_null (model);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_remove (path);
}

/* Activations whose rows are huge (a sparse 1 TB .npy of 64 rows of 4e9
 * floats passes every consistency check): CKA on them says the minibatch
 * does not fit, it does not abort in g_malloc. */
static void
test_huge_activation_rows (void)
{
  g_autofree char *dir = g_build_filename (tmp_dir, "acts", NULL);
  g_autofree char *out = g_build_filename (tmp_dir, "m.npy", NULL);
  g_autofree char *err = NULL;
  const char *header = "{'descr': '<f4', 'fortran_order': False, 'shape': (64, 4000000000), }";
  g_autoptr(GString) npy = g_string_new (NULL);

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_string_append_len (npy, "\x93NUMPY\x01\x00", 8);
  g_string_append_c (npy, (char) (strlen (header) + 1));
  g_string_append_c (npy, 0);
  g_string_append (npy, header);
  g_string_append_c (npy, '\n');
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *name = g_strdup_printf ("%03u-layer.npy", i);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      int fd;

      test_write_file (path, npy->str, npy->len);
      fd = g_open (path, O_WRONLY, 0);
      g_assert_cmpint (fd, >=, 0);
      g_assert_cmpint (ftruncate (fd, (off_t) (npy->len + (guint64) 64 * 4000000000u * 4)), ==, 0);
      close (fd);
    }
  /* AddressSanitizer and ThreadSanitizer stop the process on an allocation
   * this large unless told to fail it as malloc does: what is tested is the
   * CLI's own answer. */
  for (guint i = 0; i < 2; i++)
    {
      const char *variable = i == 0 ? "ASAN_OPTIONS" : "TSAN_OPTIONS";
      const char *value = g_getenv (variable);
      g_autofree char *options = g_strconcat (value ? value : "", value && *value ? ":" : "",
                                              "allocator_may_return_null=1", NULL);

      g_setenv (variable, options, TRUE);
    }
  g_assert_cmpint (bs_test_run_cli (NULL, &err, "cka", "--acts-a", dir, "--batch", "32", "--passes", "1",
                                    "-q", "-o", out, NULL), ==, 1);
  g_test_message ("%s", err);
  g_assert_nonnull (strstr (err, "not enough memory"));
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  bs_test_remove_tree (dir);
}

int
main (int argc, char **argv)
{
  int result;

  g_test_init (&argc, &argv, NULL);
  /* Messages are compared in English. */
  g_setenv ("LANGUAGE", "C", TRUE);
  tmp_dir = g_dir_make_tmp ("bs-hostile-XXXXXX", NULL);
  g_assert_nonnull (tmp_dir);
  g_test_add_func ("/hostile/special-files", test_special_files);
  g_test_add_func ("/hostile/special-files-in-folders", test_special_files_in_folders);
  g_test_add_func ("/hostile/gzip-members", test_gzip_members);
  g_test_add_func ("/hostile/sparse", test_sparse);
  g_test_add_func ("/hostile/huge-architecture", test_huge_architecture);
  g_test_add_func ("/hostile/huge-activation-rows", test_huge_activation_rows);
  result = g_test_run ();
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return result;
}
