/* test-dataset-files.h: writing small data set files for the data set tests.
 *
 * Every writer here is independent of the readers under test: it lays the
 * bytes out by hand, as the format descriptions say. */
#pragma once

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

/* A pixel value that depends on image, channel, row and column, so that
 * any mix-up of order shows. */
static inline guint8
test_pixel (guint i,
            guint c,
            guint y,
            guint x)
{
  return (guint8) (i * 37 + c * 101 + y * 13 + x * 7 + (x * y) % 5);
}

static inline void
test_write_file (const char *path,
                 const void *data,
                 gsize       len)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, data, (gssize) len, &error);
  g_assert_no_error (error);
}

/* gzip-compresses data with GIO (a compressor, not the reader's decompressor). */
static inline GBytes *
test_gzip (const void *data,
           gsize       len)
{
  g_autoptr(GZlibCompressor) compressor = g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, 6);
  g_autoptr(GOutputStream) memory = g_memory_output_stream_new_resizable ();
  g_autoptr(GOutputStream) stream = g_converter_output_stream_new (memory, G_CONVERTER (compressor));
  g_autoptr(GError) error = NULL;
  gsize written;

  g_output_stream_write_all (stream, data, len, &written, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (stream, NULL, &error);
  g_assert_no_error (error);
  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory));
}

static inline void
test_put_be32 (GByteArray *array,
               guint32     value)
{
  guint8 b[4] = { value >> 24, value >> 16, value >> 8, value };

  g_byte_array_append (array, b, 4);
}

/* An IDX image file: header, then test_pixel (i, 0, y, x). */
static inline GByteArray *
test_idx_images (guint32 magic,
                 guint   n,
                 guint   rows,
                 guint   cols)
{
  GByteArray *array = g_byte_array_new ();

  test_put_be32 (array, magic);
  test_put_be32 (array, n);
  test_put_be32 (array, rows);
  test_put_be32 (array, cols);
  for (guint i = 0; i < n; i++)
    for (guint y = 0; y < rows; y++)
      for (guint x = 0; x < cols; x++)
        {
          guint8 v = test_pixel (i, 0, y, x);

          g_byte_array_append (array, &v, 1);
        }
  return array;
}

/* An IDX label file with labels[i] = (i * 3 + 1) % n_classes. */
static inline GByteArray *
test_idx_labels (guint32 magic,
                 guint   n,
                 guint   n_classes)
{
  GByteArray *array = g_byte_array_new ();

  test_put_be32 (array, magic);
  test_put_be32 (array, n);
  for (guint i = 0; i < n; i++)
    {
      guint8 v = (i * 3 + 1) % n_classes;

      g_byte_array_append (array, &v, 1);
    }
  return array;
}

static inline guint8
test_idx_label (guint i,
                guint n_classes)
{
  return (i * 3 + 1) % n_classes;
}

/* Writes array to folder/name, gzip-compressed if gz (and then named name.gz). */
static inline char *
test_write_maybe_gz (const char *folder,
                     const char *name,
                     GByteArray *array,
                     gboolean    gz)
{
  char *path = g_strdup_printf ("%s/%s%s", folder, name, gz ? ".gz" : "");

  if (gz)
    {
      g_autoptr(GBytes) bytes = test_gzip (array->data, array->len);
      gsize len;
      const void *data = g_bytes_get_data (bytes, &len);

      test_write_file (path, data, len);
    }
  else
    test_write_file (path, array->data, array->len);
  return path;
}

/* A complete, valid IDX split: <prefix>-images-idx3-ubyte and labels. */
static inline void
test_write_idx_split (const char *folder,
                      const char *prefix,
                      guint       n,
                      guint       rows,
                      guint       cols,
                      gboolean    gz)
{
  g_autofree char *images_name = g_strdup_printf ("%s-images-idx3-ubyte", prefix);
  g_autofree char *labels_name = g_strdup_printf ("%s-labels-idx1-ubyte", prefix);
  g_autoptr(GByteArray) images = test_idx_images (0x803, n, rows, cols);
  g_autoptr(GByteArray) labels = test_idx_labels (0x801, n, 10);
  g_autofree char *p1 = test_write_maybe_gz (folder, images_name, images, gz);
  g_autofree char *p2 = test_write_maybe_gz (folder, labels_name, labels, gz);
}

/* CIFAR records: label bytes (1 or 2) then test_pixel (first + r, c, y, x). */
static inline GByteArray *
test_cifar_records (gboolean      cifar100,
                    guint         first,
                    guint         n,
                    const guint8 *coarse,
                    const guint8 *fine)
{
  GByteArray *array = g_byte_array_new ();

  for (guint r = 0; r < n; r++)
    {
      if (cifar100)
        g_byte_array_append (array, &coarse[r], 1);
      g_byte_array_append (array, &fine[r], 1);
      for (guint c = 0; c < 3; c++)
        for (guint y = 0; y < 32; y++)
          for (guint x = 0; x < 32; x++)
            {
              guint8 v = test_pixel (first + r, c, y, x);

              g_byte_array_append (array, &v, 1);
            }
    }
  return array;
}

/* Removes a folder tree made by a test. */
static inline void
test_rm_rf (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_unlink (path);
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        test_rm_rf (child);
      else
        g_unlink (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

static inline char *
test_make_tmp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("blockscope-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

/* Asserts that error is code in BS_ERROR and that its message contains each of the strings. */
#define test_assert_error(error, code, ...)                                          \
  G_STMT_START {                                                                     \
    const char *expected_[] = { __VA_ARGS__, NULL };                                 \
    g_assert_error ((error), BS_ERROR, (code));                                      \
    g_test_message ("error message: %s", (error)->message);                          \
    for (guint k_ = 0; expected_[k_] != NULL; k_++)                                  \
      if (strstr ((error)->message, expected_[k_]) == NULL)                          \
        g_error ("message '%s' lacks '%s'", (error)->message, expected_[k_]);        \
  } G_STMT_END
