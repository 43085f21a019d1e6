/* test-archives.c: data set archives as the download servers of the tests serve them (see the header). */
#include "test-archives.h"

#include <archive.h>
#include <archive_entry.h>

#include "test-dataset-files.h"

/* A tar.gz written with libarchive's writer (not the reader under test). */
GBytes *
test_tar_gz (const TestEntry *entries,
             guint            n_entries)
{
  struct archive *a = archive_write_new ();
  gsize size = 4 << 20, used = 0;
  guint8 *buffer = g_malloc (size);

  archive_write_add_filter_gzip (a);
  archive_write_set_format_ustar (a);
  g_assert_cmpint (archive_write_open_memory (a, buffer, size, &used), ==, ARCHIVE_OK);
  for (guint i = 0; i < n_entries; i++)
    {
      struct archive_entry *entry = archive_entry_new ();

      archive_entry_set_pathname (entry, entries[i].name);
      archive_entry_set_mtime (entry, 1262304000, 0);
      if (entries[i].data != NULL)
        {
          archive_entry_set_filetype (entry, AE_IFREG);
          archive_entry_set_perm (entry, 0644);
          archive_entry_set_size (entry, (la_int64_t) g_bytes_get_size (entries[i].data));
        }
      else
        {
          archive_entry_set_filetype (entry, AE_IFDIR);
          archive_entry_set_perm (entry, 0755);
        }
      g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
      if (entries[i].data != NULL)
        g_assert_cmpint (archive_write_data (a, g_bytes_get_data (entries[i].data, NULL),
                                             g_bytes_get_size (entries[i].data)),
                         ==, (la_ssize_t) g_bytes_get_size (entries[i].data));
      archive_entry_free (entry);
    }
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
  return g_bytes_new_take (g_realloc (buffer, used), used);
}

guint8
test_label_of (guint i,
               guint n_classes)
{
  return (guint8) ((i * 7 + 3) % n_classes);
}

GBytes *
test_cifar_file (gboolean cifar100,
                 guint    n_per_file,
                 guint    first)
{
  g_autofree guint8 *coarse = g_new (guint8, n_per_file);
  g_autofree guint8 *fine = g_new (guint8, n_per_file);
  GByteArray *records;

  for (guint r = 0; r < n_per_file; r++)
    {
      coarse[r] = (guint8) ((first + r) % 20);
      fine[r] = test_label_of (first + r, cifar100 ? 100 : 10);
    }
  records = test_cifar_records (cifar100, first, n_per_file, coarse, fine);
  return g_byte_array_free_to_bytes (records);
}

/* CIFAR-10 as the real archive lays it out; skip names a file to leave out,
 * extra adds an entry (such as one outside the folder). */
GBytes *
test_cifar10_archive (guint       n_per_file,
                      const char *skip,
                      const char *extra)
{
  static const char *names[] = {
    "data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin",
    "data_batch_5.bin", "test_batch.bin",
  };
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) datas = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  TestEntry entries[10];
  guint n = 0;
  GBytes *result;

  entries[n++] = (TestEntry) { "cifar-10-batches-bin/", NULL };
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      char *path = g_strdup_printf ("cifar-10-batches-bin/%s", names[i]);
      GBytes *data = test_cifar_file (FALSE, n_per_file, i * n_per_file);

      g_ptr_array_add (paths, path);
      g_ptr_array_add (datas, data);
      if (g_strcmp0 (skip, names[i]) != 0)
        entries[n++] = (TestEntry) { path, data };
    }
  {
    static const char meta[] = "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    GBytes *data = g_bytes_new_static (meta, sizeof meta - 1);

    g_ptr_array_add (datas, data);
    entries[n++] = (TestEntry) { "cifar-10-batches-bin/batches.meta.txt", data };
    if (extra != NULL)
      entries[n++] = (TestEntry) { extra, data };
  }
  result = test_tar_gz (entries, n);
  return result;
}

