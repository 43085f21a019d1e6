/* bs-idx.c: MNIST and Fashion-MNIST IDX files, plain or gzip-compressed. */
#include "bs-idx.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-data-stream.h"
#include "bs-error.h"

static guint32
read_be32 (const guint8 *p)
{
  return ((guint32) p[0] << 24) | ((guint32) p[1] << 16) | ((guint32) p[2] << 8) | p[3];
}

/* Reads the n_words big-endian words of a header and checks the magic number. */
static gboolean
read_header (GInputStream  *stream,
             const char    *path,
             guint32        expected_magic,
             guint32       *words,
             guint          n_words,
             GError       **error)
{
  guint8 bytes[16];
  gsize n_read;
  gsize size = 4 * (gsize) n_words;
  guint32 magic;

  g_assert (n_words <= 4);
  if (!bs_data_stream_read (stream, path, bytes, size, &n_read, error))
    return FALSE;
  if (n_read == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("%s: empty file"), path);
      return FALSE;
    }
  /* The magic comes first: a short file of the wrong kind is reported as such. */
  if (n_read >= 4)
    {
      magic = read_be32 (bytes);
      if (magic != expected_magic)
        {
          if (expected_magic == BS_IDX_MAGIC_IMAGES && magic == BS_IDX_MAGIC_LABELS)
            g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                         /* Translators: a file path, the magic number found and the one
                          * expected; the file found is a label file, not an image file. */
                         _("%s: wrong magic number 0x%08x, expected 0x%08x (IDX images); "
                           "this is an IDX label file"), path, magic, expected_magic);
          else if (expected_magic == BS_IDX_MAGIC_IMAGES)
            g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                         /* Translators: a file path, the magic number found and the one expected. */
                         _("%s: wrong magic number 0x%08x, expected 0x%08x (IDX images)"),
                         path, magic, expected_magic);
          else if (magic == BS_IDX_MAGIC_IMAGES)
            g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                         /* Translators: a file path, the magic number found and the one
                          * expected; the file found is an image file, not a label file. */
                         _("%s: wrong magic number 0x%08x, expected 0x%08x (IDX labels); "
                           "this is an IDX image file"), path, magic, expected_magic);
          else
            g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                         /* Translators: a file path, the magic number found and the one expected. */
                         _("%s: wrong magic number 0x%08x, expected 0x%08x (IDX labels)"),
                         path, magic, expected_magic);
          return FALSE;
        }
    }
  if (n_read < size)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: a file path, the bytes read and the header's length. */
                   _("%s: truncated header: %zu of %zu bytes"),
                   path, n_read, size);
      return FALSE;
    }
  for (guint i = 0; i < n_words; i++)
    words[i] = read_be32 (bytes + 4 * i);
  return TRUE;
}

/* The number of images (or labels) a header gives: neither none nor absurdly many. */
static gboolean
check_count (const char  *path,
             guint32      count,
             gboolean     images,
             GError     **error)
{
  if (count == 0 && images)
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 _("%s: the header says the file holds 0 images"), path);
  else if (count == 0)
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 _("%s: the header says the file holds 0 labels"), path);
  else if (count > BS_IDX_MAX_COUNT && images)
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 /* Translators: a file path, the count in the header, then the largest one
                  * accepted. */
                 _("%s: the header says the file holds %u images (more than %u: damaged header?)"),
                 path, count, BS_IDX_MAX_COUNT);
  else if (count > BS_IDX_MAX_COUNT)
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 /* Translators: a file path, the count in the header, then the largest one
                  * accepted. */
                 _("%s: the header says the file holds %u labels (more than %u: damaged header?)"),
                 path, count, BS_IDX_MAX_COUNT);
  else
    return TRUE;
  return FALSE;
}

/* A plain file's size against its header's, before any data is read: a
 * sparse file of gigabytes behind a valid header is refused at once, with
 * the messages the reads would give. (A compressed file is read only as
 * far as its header says, and a little beyond to find trailing data.) */
static gboolean
check_file_size (const char  *path,
                 guint64      file_size,
                 gsize        header_bytes,
                 gsize        data_bytes,
                 const char  *what,
                 const char  *after,
                 GError     **error)
{
  gsize available = (gsize) MIN (file_size - header_bytes, (guint64) G_MAXSIZE);

  if (available == data_bytes)
    return TRUE;
  if (available < data_bytes)
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 /* Translators: a file path, a number of bytes, what they hold
                  * ("image data", "labels"), and the bytes the file holds. */
                 _("%s: truncated: the header promises %zu bytes of %s but the file has "
                   "only %zu"),
                 path, data_bytes, what, available);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                 g_dngettext (GETTEXT_PACKAGE,
                              /* Translators: a file path, a number of bytes, and what the
                               * data should have ended with ("the 10000 labels"). */
                              "%s: trailing data: %zu more byte follows %s",
                              "%s: trailing data: %zu more bytes follow %s", available - data_bytes),
                 path, available - data_bytes, after);
  return FALSE;
}

gboolean
bs_idx_read_images (const char  *path,
                    BsImageSet  *set,
                    GError     **error)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autofree char *after = NULL;
  guint32 header[4];
  guint32 count, rows, cols;
  gboolean compressed;
  guint64 file_size;
  gsize n_bytes;
  guint8 *pixels;

  bs_image_set_clear (set);
  stream = bs_data_stream_open (path, &compressed, &file_size, error);
  if (stream == NULL || !read_header (stream, path, BS_IDX_MAGIC_IMAGES, header, 4, error))
    return FALSE;

  count = header[1];
  rows = header[2];
  cols = header[3];
  if (!check_count (path, count, TRUE, error))
    return FALSE;
  if (rows == 0 || cols == 0 || rows > BS_IDX_MAX_SIDE || cols > BS_IDX_MAX_SIDE)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: a file path, rows x columns, then the largest side accepted. */
                   _("%s: the header gives an image size of %ux%u pixels "
                     "(rows and columns must be 1 to %u)"),
                   path, rows, cols, BS_IDX_MAX_SIDE);
      return FALSE;
    }
  /* Both factors are bounded above, but the product still needs checking on 32-bit systems. */
  if (!g_size_checked_mul (&n_bytes, (gsize) rows * cols, count))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   _("%s: %u images of %ux%u pixels do not fit in memory"), path, count, rows, cols);
      return FALSE;
    }

  /* Translators: what an IDX image file holds, in "5 more bytes follow
   * the 6 images of 8x8 pixels". */
  after = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "the %u image of %ux%u pixels",
                                        "the %u images of %ux%u pixels", count),
                           count, rows, cols);
  /* Translators: what the bytes of an IDX image file hold, in "the header
   * promises 384 bytes of image data". */
  if (!compressed && !check_file_size (path, file_size, 16, n_bytes, _("image data"), after, error))
    return FALSE;

  /* Translators: what the bytes of an IDX image file hold, in "the header
   * promises 384 bytes of image data". */
  pixels = bs_data_stream_read_exact (stream, path, n_bytes, file_size, _("image data"), error);
  if (pixels == NULL)
    return FALSE;
  if (!bs_data_stream_expect_end (stream, path, after, error))
    {
      g_free (pixels);
      return FALSE;
    }

  set->n_images = count;
  set->channels = 1;
  set->height = rows;
  set->width = cols;
  set->pixels = pixels;
  set->labels = g_malloc0 (count);
  return TRUE;
}

gboolean
bs_idx_read_labels (const char  *path,
                    guint       *n_labels,
                    guint8     **labels,
                    GError     **error)
{
  g_autoptr(GInputStream) stream = NULL;
  g_autofree char *after = NULL;
  guint32 header[2];
  gboolean compressed;
  guint64 file_size;
  guint8 *data;

  *n_labels = 0;
  *labels = NULL;
  stream = bs_data_stream_open (path, &compressed, &file_size, error);
  if (stream == NULL || !read_header (stream, path, BS_IDX_MAGIC_LABELS, header, 2, error))
    return FALSE;
  if (!check_count (path, header[1], FALSE, error))
    return FALSE;
  /* Translators: what an IDX label file holds, in "5 more bytes follow
   * the 20 labels". */
  after = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "the %u label", "the %u labels", header[1]),
                           header[1]);
  /* Translators: what the bytes of an IDX label file hold, in "the header
   * promises 20 bytes of labels". */
  if (!compressed && !check_file_size (path, file_size, 8, header[1], _("labels"), after, error))
    return FALSE;

  /* Translators: what the bytes of an IDX label file hold, in "the header
   * promises 20 bytes of labels". */
  data = bs_data_stream_read_exact (stream, path, header[1], file_size, _("labels"), error);
  if (data == NULL)
    return FALSE;
  if (!bs_data_stream_expect_end (stream, path, after, error))
    {
      g_free (data);
      return FALSE;
    }

  *n_labels = header[1];
  *labels = data;
  return TRUE;
}

char *
bs_idx_find_file (const char *folder,
                  const char *basename)
{
  g_autofree char *plain = g_build_filename (folder, basename, NULL);
  g_autofree char *gz = g_strconcat (plain, ".gz", NULL);

  if (g_file_test (gz, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&gz);
  if (g_file_test (plain, G_FILE_TEST_IS_REGULAR))
    return g_steal_pointer (&plain);
  return NULL;
}

/* The path of one of the two files of a split, or a NOT_FOUND error naming both names tried. */
static char *
find_or_fail (const char  *folder,
              const char  *basename,
              GError     **error)
{
  char *path = bs_idx_find_file (folder, basename);

  if (path == NULL)
    {
      g_autofree char *plain = g_build_filename (folder, basename, NULL);

      g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                   /* Translators: a file path (ending in .gz) and the same file's name without it. */
                   _("%s.gz: no such file (nor %s without .gz)"), plain, basename);
    }
  return path;
}

gboolean
bs_idx_load_split (const char  *folder,
                   const char  *prefix,
                   guint        n_classes,
                   BsImageSet  *set,
                   GError     **error)
{
  g_autofree char *images_name = g_strdup_printf ("%s-images-idx3-ubyte", prefix);
  g_autofree char *labels_name = g_strdup_printf ("%s-labels-idx1-ubyte", prefix);
  g_autofree char *images_path = NULL;
  g_autofree char *labels_path = NULL;
  g_autofree guint8 *labels = NULL;
  guint n_labels;

  bs_image_set_clear (set);
  images_path = find_or_fail (folder, images_name, error);
  if (images_path == NULL)
    return FALSE;
  labels_path = find_or_fail (folder, labels_name, error);
  if (labels_path == NULL)
    return FALSE;

  if (!bs_idx_read_labels (labels_path, &n_labels, &labels, error))
    return FALSE;
  for (guint i = 0; i < n_labels; i++)
    if (labels[i] >= n_classes)
      {
        g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                     /* Translators: a file path, a label, an image's index, the
                      * number of classes and the largest label. */
                     _("%s: label %u of image %u is out of range (the data set has %u classes, 0 to %u)"),
                     labels_path, labels[i], i, n_classes, n_classes - 1);
        return FALSE;
      }

  if (!bs_idx_read_images (images_path, set, error))
    return FALSE;
  if (set->n_images != n_labels)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: an image file and its image count, a label file and its label
                    * count. */
                   _("%s has %u images but %s has %u labels"),
                   images_path, set->n_images, labels_path, n_labels);
      bs_image_set_clear (set);
      return FALSE;
    }

  g_free (set->labels);
  set->labels = g_steal_pointer (&labels);
  return TRUE;
}
