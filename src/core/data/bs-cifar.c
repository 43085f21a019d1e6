/* bs-cifar.c: CIFAR-10 and CIFAR-100, binary version. */
#include "bs-cifar.h"

#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "bs-data-stream.h"
#include "bs-error.h"
#include "bs-file-read.h"

/* Records read per chunk: about 3 MB, enough to make reads cheap. */
#define CHUNK_RECORDS 1024u
#define MAX_RECORDS   100000000u
/* batches.meta.txt names 10 or 100 classes in a few hundred bytes. */
#define MAX_CLASS_NAMES_BYTES (64u << 10)

static const char *const cifar10_files_train[] = {
  "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin",
  "data_batch_4.bin", "data_batch_5.bin", NULL
};
static const char *const cifar10_files_test[] = { "test_batch.bin", NULL };
static const char *const cifar100_files_train[] = { "train.bin", NULL };
static const char *const cifar100_files_test[] = { "test.bin", NULL };

gsize
bs_cifar_record_size (BsCifarKind kind)
{
  return (kind == BS_CIFAR_10 ? 1 : 2) + BS_CIFAR_PIXELS;
}

guint
bs_cifar_n_classes (BsCifarKind kind)
{
  return kind == BS_CIFAR_10 ? 10 : 100;
}

/* The number of records in one file, from its size. */
static gboolean
count_records (const char   *path,
               BsCifarKind   kind,
               guint        *n_records,
               GError      **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileInfo) info = NULL;
  g_autoptr(GError) local_error = NULL;
  gsize record_size = bs_cifar_record_size (kind);
  goffset size;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_SIZE "," G_FILE_ATTRIBUTE_STANDARD_TYPE,
                            G_FILE_QUERY_INFO_NONE, NULL, &local_error);
  if (info == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND, _("%s: no such file"), path);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_IO, "%s: %s", path, local_error->message);
      return FALSE;
    }
  if (g_file_info_get_file_type (info) != G_FILE_TYPE_REGULAR)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("%s: not a regular file"), path);
      return FALSE;
    }

  size = g_file_info_get_size (info);
  if (size == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("%s: empty file"), path);
      return FALSE;
    }
  if (size % (goffset) record_size != 0)
    {
      gint64 left_over = size % (goffset) record_size;

      if (kind == BS_CIFAR_10)
        g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                     g_dngettext (GETTEXT_PACKAGE,
                                  /* Translators: a file path, its size, the record size, the bytes
                                   * left over and the whole records before them. */
                                  "%s: wrong size: %" PRId64 " bytes is not a multiple of the "
                                  "CIFAR-10 record size, %zu bytes (1 label byte + 3072 pixel "
                                  "bytes); %" PRId64 " byte is left over after %" PRId64 " records",
                                  "%s: wrong size: %" PRId64 " bytes is not a multiple of the "
                                  "CIFAR-10 record size, %zu bytes (1 label byte + 3072 pixel "
                                  "bytes); %" PRId64 " bytes are left over after %" PRId64 " records",
                                  left_over),
                     path, size, record_size, left_over, size / (goffset) record_size);
      else
        g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                     g_dngettext (GETTEXT_PACKAGE,
                                  /* Translators: a file path, its size, the record size, the bytes
                                   * left over and the whole records before them. */
                                  "%s: wrong size: %" PRId64 " bytes is not a multiple of the "
                                  "CIFAR-100 record size, %zu bytes (coarse and fine label bytes + "
                                  "3072 pixel bytes); %" PRId64 " byte is left over after "
                                  "%" PRId64 " records",
                                  "%s: wrong size: %" PRId64 " bytes is not a multiple of the "
                                  "CIFAR-100 record size, %zu bytes (coarse and fine label bytes + "
                                  "3072 pixel bytes); %" PRId64 " bytes are left over after "
                                  "%" PRId64 " records",
                                  left_over),
                     path, size, record_size, left_over, size / (goffset) record_size);
      return FALSE;
    }
  if (size / (goffset) record_size > MAX_RECORDS)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   _("%s: %" PRId64 " records is more than a data set can have"),
                   path, size / (goffset) record_size);
      return FALSE;
    }
  *n_records = (guint) (size / (goffset) record_size);
  return TRUE;
}

/* Copies n records from chunk into set starting at image first, checking labels. */
static gboolean
scatter_records (const guint8  *chunk,
                 guint          n,
                 BsCifarKind    kind,
                 const char    *path,
                 guint          first_record_in_file,
                 BsImageSet    *set,
                 guint          first,
                 GError       **error)
{
  gsize record_size = bs_cifar_record_size (kind);

  for (guint r = 0; r < n; r++)
    {
      const guint8 *record = chunk + r * record_size;
      guint index = first_record_in_file + r;
      guint label;

      if (kind == BS_CIFAR_10)
        {
          label = record[0];
          if (label >= 10)
            {
              g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                           /* Translators: a file path, a record's index and its offset in the file. */
                           _("%s: record %u (byte offset %zu) has label %u; "
                             "CIFAR-10 has 10 classes (0 to 9)"),
                           path, index, (gsize) index * record_size, label);
              return FALSE;
            }
        }
      else
        {
          /* The coarse label is not used, but a bad one still means a damaged file. */
          if (record[0] >= 20)
            {
              g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                           /* Translators: a file path, a record's index and its offset in the file. */
                           _("%s: record %u (byte offset %zu) has coarse label %u; "
                             "CIFAR-100 has 20 coarse classes (0 to 19)"),
                           path, index, (gsize) index * record_size, record[0]);
              return FALSE;
            }
          label = record[1];
          if (label >= 100)
            {
              g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                           /* Translators: a file path, a record's index and its offset in the file. */
                           _("%s: record %u (byte offset %zu) has fine label %u; "
                             "CIFAR-100 has 100 fine classes (0 to 99)"),
                           path, index, (gsize) index * record_size + 1, label);
              return FALSE;
            }
        }
      set->labels[first + r] = (guint8) label;
      memcpy (set->pixels + (gsize) (first + r) * BS_CIFAR_PIXELS,
              record + record_size - BS_CIFAR_PIXELS, BS_CIFAR_PIXELS);
    }
  return TRUE;
}

static gboolean
read_file (const char   *path,
           BsCifarKind   kind,
           guint         n_records,
           guint8       *chunk,
           BsImageSet   *set,
           guint         first,
           GError      **error)
{
  g_autoptr(GInputStream) stream = NULL;
  gsize record_size = bs_cifar_record_size (kind);
  guint64 size;
  int fd;

  /* Checked again on what is opened: the name may have changed since. */
  fd = bs_file_open_regular (path, &size, error);
  if (fd < 0)
    return FALSE;
  stream = g_unix_input_stream_new (fd, TRUE);

  for (guint done = 0; done < n_records;)
    {
      guint n = MIN (CHUNK_RECORDS, n_records - done);
      gsize n_read;

      if (!bs_data_stream_read (G_INPUT_STREAM (stream), path, chunk, n * record_size, &n_read, error))
        return FALSE;
      /* The size was checked, but the file may have changed since. */
      if (n_read != n * record_size)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                       _("%s: truncated while reading: record %u is incomplete"), path,
                       done + (guint) (n_read / record_size));
          return FALSE;
        }
      if (!scatter_records (chunk, n, kind, path, done, set, first + done, error))
        return FALSE;
      done += n;
    }
  /* Translators: what the data of a CIFAR file should end with; the
   * file grew while it was read. */
  return bs_data_stream_expect_end (G_INPUT_STREAM (stream), path, _("the records (the file grew)"),
                                    error);
}

gboolean
bs_cifar_read_files (const char *const  *paths,
                     BsCifarKind         kind,
                     BsImageSet         *set,
                     GError            **error)
{
  g_autofree guint *counts = NULL;
  g_autofree guint8 *chunk = NULL;
  guint n_files = g_strv_length ((char **) paths);
  guint64 total = 0;
  guint first = 0;

  bs_image_set_clear (set);
  g_return_val_if_fail (n_files > 0, FALSE);

  /* Check every file's size before allocating anything. */
  counts = g_new0 (guint, n_files);
  for (guint i = 0; i < n_files; i++)
    {
      if (!count_records (paths[i], kind, &counts[i], error))
        return FALSE;
      total += counts[i];
    }
  if (total > MAX_RECORDS)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   _("%s and the other files: %" PRIu64 " records together is too many"),
                   paths[0], total);
      return FALSE;
    }

  if (!bs_image_set_alloc (set, (guint) total, 3, BS_CIFAR_SIDE, BS_CIFAR_SIDE, paths[0], error))
    return FALSE;
  chunk = g_malloc (CHUNK_RECORDS * bs_cifar_record_size (kind));
  for (guint i = 0; i < n_files; i++)
    {
      if (!read_file (paths[i], kind, counts[i], chunk, set, first, error))
        {
          bs_image_set_clear (set);
          return FALSE;
        }
      first += counts[i];
    }
  return TRUE;
}

char **
bs_cifar_read_class_names (const char *path,
                           guint       n_classes)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);

  gsize length;

  if (!bs_file_read_regular (path, MAX_CLASS_NAMES_BYTES, &text, &length, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *name = g_strstrip (lines[i]);

      if (*name != '\0')
        g_ptr_array_add (names, g_strdup (name));
    }
  if (names->len != n_classes)
    return NULL;
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static gboolean
read_split (const char         *folder,
            const char *const  *basenames,
            BsCifarKind         kind,
            BsImageSet         *set,
            GError            **error)
{
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; basenames[i] != NULL; i++)
    g_ptr_array_add (paths, g_build_filename (folder, basenames[i], NULL));
  g_ptr_array_add (paths, NULL);
  return bs_cifar_read_files ((const char *const *) paths->pdata, kind, set, error);
}

gboolean
bs_cifar_load (const char   *folder,
               BsCifarKind   kind,
               gboolean      train,
               BsDataset    *dataset,
               GError      **error)
{
  g_autofree char *names_path = NULL;
  g_auto(GStrv) names = NULL;

  g_return_val_if_fail (dataset->n_classes == bs_cifar_n_classes (kind), FALSE);

  if ((train &&
       !read_split (folder, kind == BS_CIFAR_10 ? cifar10_files_train : cifar100_files_train,
                    kind, &dataset->train, error)) ||
      !read_split (folder, kind == BS_CIFAR_10 ? cifar10_files_test : cifar100_files_test,
                   kind, &dataset->test, error))
    return FALSE;

  /* Names are a nicety: the built-in ones stay when the file is missing or odd. */
  names_path = g_build_filename (folder, kind == BS_CIFAR_10 ? "batches.meta.txt"
                                                             : "fine_label_names.txt", NULL);
  names = bs_cifar_read_class_names (names_path, dataset->n_classes);
  if (names != NULL)
    bs_dataset_set_class_names (dataset, (const char *const *) names);
  return TRUE;
}
