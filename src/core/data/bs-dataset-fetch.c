/* bs-dataset-fetch.c: a data set downloaded (bs-download), checked and
 * unpacked (libarchive) into a temporary folder, then renamed into place. */
#include "bs-dataset-fetch.h"
#include "bs-dataset-fetch-private.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-dataset-locate.h"
#include "bs-download.h"
#include "bs-error.h"
#include "bs-file-read.h"

#define MAX_FILES 4
#define ARCHIVE_BLOCK (64 * 1024)

typedef struct {
  const char        *name;
  const char        *default_url;   /* the archive, or the folder of MNIST's files */
  gboolean           archive;       /* one tar.gz to unpack; else files kept as they are */
  const char *const *files;
  const char *const *md5s;
  guint64            size;          /* of the official download, all files */
  const char        *url_variable;
  const char        *md5_variable;
} Recipe;

static const char *const cifar10_files[] = { "cifar-10-binary.tar.gz", NULL };
static const char *const cifar10_md5s[] = { "c32a1d4ab5d03f1284b67883e8d87530", NULL };
static const char *const cifar100_files[] = { "cifar-100-binary.tar.gz", NULL };
static const char *const cifar100_md5s[] = { "03b5dce01913d631647c71ecec9e9cb8", NULL };
static const char *const mnist_files[] = {
  "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
  "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", NULL
};
/* The values torchvision checks. */
static const char *const mnist_md5s[] = {
  "f68b3c2dcbeaaa9fbdd348bbdeb94873", "d53e105ee54ea40749a09fcbcd1e9432",
  "9fb629c4189551a2d022fa330f9573f3", "ec29112dd5afa0611ce80d1b7f02629c", NULL
};

static const Recipe recipes[] = {
  { "cifar10", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz", TRUE,
    cifar10_files, cifar10_md5s, 170052171, "BLOCKSCOPE_CIFAR10_URL", "BLOCKSCOPE_CIFAR10_MD5" },
  { "cifar100", "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz", TRUE,
    cifar100_files, cifar100_md5s, 168513733, "BLOCKSCOPE_CIFAR100_URL", "BLOCKSCOPE_CIFAR100_MD5" },
  /* The original host is often down; this is the mirror torchvision tries first. */
  { "mnist", "https://ossci-datasets.s3.amazonaws.com/mnist/", FALSE,
    mnist_files, mnist_md5s, 11594722, "BLOCKSCOPE_MNIST_URL", "BLOCKSCOPE_MNIST_MD5" },
};

static const char *const download_names[] = { "cifar10", "cifar100", "mnist", NULL };

struct _BsDatasetSource {
  const Recipe        *recipe;
  const BsDatasetInfo *info;
  char                *url;
  char                *md5s[MAX_FILES + 1];
  guint                n_files;
};

static const Recipe *
find_recipe (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (recipes); i++)
    if (g_strcmp0 (recipes[i].name, name) == 0)
      return &recipes[i];
  return NULL;
}

gboolean
bs_dataset_can_download (const char *name)
{
  return find_recipe (name) != NULL;
}

const char *const *
bs_dataset_download_names (void)
{
  return download_names;
}

static gboolean
is_md5 (const char *text)
{
  if (strlen (text) != 32)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isxdigit (*p))
      return FALSE;
  return TRUE;
}

/* md5_origin names where md5s came from, for the message when they are malformed. */
static BsDatasetSource *
source_new (const char  *name,
            const char  *url,
            const char  *md5s,
            const char  *md5_origin,
            GError     **error)
{
  const Recipe *recipe = find_recipe (name);
  const BsDatasetInfo *info;
  g_autoptr(BsDatasetSource) source = NULL;

  info = bs_dataset_info_lookup (name, error);
  if (info == NULL)
    return NULL;
  if (recipe == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a data set's name, then the list of names that can be downloaded. */
                   _("the data set '%s' cannot be downloaded (these can: %s)"), name,
                   "cifar10, cifar100, mnist");
      return NULL;
    }

  source = g_new0 (BsDatasetSource, 1);
  source->recipe = recipe;
  source->info = info;
  source->n_files = g_strv_length ((char **) recipe->files);
  source->url = g_strdup (url != NULL && *url != '\0' ? url : recipe->default_url);
  if (md5s != NULL && *md5s != '\0')
    {
      g_auto(GStrv) parts = g_strsplit (md5s, ",", -1);

      if (g_strv_length (parts) != source->n_files)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                       g_dngettext (GETTEXT_PACKAGE,
                                    /* Translators: where the checksums come from (a variable), its
                                     * value, and how many checksums it must hold. */
                                    "%s='%s' must be %u MD5 checksum (32 hex digits)",
                                    "%s='%s' must be %u MD5 checksums (32 hex digits each), comma-separated",
                                    source->n_files),
                       md5_origin, md5s, source->n_files);
          return NULL;
        }
      for (guint i = 0; i < source->n_files; i++)
        {
          g_strstrip (parts[i]);
          if (!is_md5 (parts[i]))
            {
              g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                           /* Translators: where the checksum comes from (a variable), then the value. */
                           _("%s: '%s' is not an MD5 checksum (32 hex digits)"), md5_origin, parts[i]);
              return NULL;
            }
          source->md5s[i] = g_ascii_strdown (parts[i], -1);
        }
    }
  else
    for (guint i = 0; i < source->n_files; i++)
      source->md5s[i] = g_strdup (recipe->md5s[i]);
  return g_steal_pointer (&source);
}

BsDatasetSource *
bs_dataset_source_new_with (const char  *name,
                            const char  *url,
                            const char  *md5s,
                            GError     **error)
{
  return source_new (name, url, md5s, "md5", error);
}

BsDatasetSource *
bs_dataset_source_new (const char  *name,
                       GError     **error)
{
  const Recipe *recipe = find_recipe (name);

  if (recipe == NULL)
    return source_new (name, NULL, NULL, NULL, error);
  return source_new (name, g_getenv (recipe->url_variable), g_getenv (recipe->md5_variable),
                     recipe->md5_variable, error);
}

void
bs_dataset_source_free (BsDatasetSource *source)
{
  if (source == NULL)
    return;
  g_free (source->url);
  for (guint i = 0; i < MAX_FILES; i++)
    g_free (source->md5s[i]);
  g_free (source);
}

const char *
bs_dataset_source_get_url (const BsDatasetSource *source)
{
  return source->url;
}

guint64
bs_dataset_source_get_size (const BsDatasetSource *source)
{
  return source->recipe->size;
}

const char *
bs_dataset_source_get_url_variable (const BsDatasetSource *source)
{
  return source->recipe->url_variable;
}

const char *
bs_dataset_source_get_md5_variable (const BsDatasetSource *source)
{
  return source->recipe->md5_variable;
}

char *
bs_dataset_fetch_default_dir (const char *data_dir)
{
  g_autoptr(GPtrArray) dirs = bs_dataset_search_dirs (data_dir);

  return g_strdup (((BsDatasetDir *) g_ptr_array_index (dirs, 0))->path);
}

/* Removes a tree the download made; symbolic links are removed, never followed. */
static void
remove_tree (const char *path)
{
  GDir *dir;
  const char *name;

  if (!g_file_test (path, G_FILE_TEST_IS_DIR) || g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_unlink (path);
      return;
    }
  dir = g_dir_open (path, 0, NULL);
  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          remove_tree (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

typedef struct {
  const BsDatasetSource  *source;
  BsDatasetFetchProgress  progress;
  gpointer                user_data;
  guint                   index;
  GCancellable           *cancellable;
} Job;

static void
on_download_progress (guint64  done,
                      guint64  total,
                      double   bytes_per_second,
                      gpointer user_data)
{
  Job *job = user_data;

  if (job->progress != NULL)
    job->progress (BS_DATASET_FETCH_DOWNLOAD, job->source->recipe->files[job->index], job->index,
                   job->source->n_files, done, total, bytes_per_second, job->user_data);
}

/* An entry's path, if it stays inside the folder it is unpacked into. */
static gboolean
is_safe_entry_path (const char *name)
{
  g_auto(GStrv) parts = NULL;

  if (name == NULL || *name == '\0' || g_path_is_absolute (name))
    return FALSE;
  parts = g_strsplit (name, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    if (strcmp (parts[i], "..") == 0)
      return FALSE;
  return TRUE;
}

static gboolean
set_unpack_error (GError     **error,
                  const char  *archive_path,
                  const char  *detail)
{
  g_autofree char *base = g_path_get_basename (archive_path);

  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
               /* Translators: an archive's file name, then what is wrong with it. */
               _("the archive %s is damaged: %s"), base, detail);
  return FALSE;
}

static gboolean
set_disk_error (GError     **error,
                const char  *path,
                int          saved_errno)
{
  if (saved_errno == ENOSPC || saved_errno == EDQUOT)
    g_set_error (error, BS_ERROR, BS_ERROR_IO,
                 /* Translators: a file name. */
                 _("the disk is full: could not write %s"), path);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_IO,
                 /* Translators: a file name, then the system's message. */
                 _("could not write %s: %s"), path, g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_entry_data (struct archive  *a,
                  const char      *archive_path,
                  const char      *dest,
                  GError         **error)
{
  int fd = g_open (dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  const void *block;
  size_t size;
  la_int64_t offset;
  int r;

  if (fd < 0)
    return set_disk_error (error, dest, errno);
  while ((r = archive_read_data_block (a, &block, &size, &offset)) == ARCHIVE_OK)
    {
      const char *p = block;

      /* Sparse entries are not expected in these archives: data in order. */
      while (size > 0)
        {
          ssize_t n = write (fd, p, size);

          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              int saved_errno = errno;

              close (fd);
              return set_disk_error (error, dest, saved_errno);
            }
          p += n;
          size -= (size_t) n;
        }
    }
  if (r != ARCHIVE_EOF)
    {
      close (fd);
      return set_unpack_error (error, archive_path, archive_error_string (a));
    }
  if (close (fd) != 0)
    return set_disk_error (error, dest, errno);
  return TRUE;
}

/* Unpacks the regular files and folders of a tar.gz into folder (other
 * kinds of entries, such as links, are skipped; none is expected). */
static gboolean
unpack (Job         *job,
        const char  *archive_path,
        const char  *folder,
        GError     **error)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *entry;
  g_autofree char *base = g_path_get_basename (archive_path);
  guint64 total = 0;
  gboolean ok = FALSE;
  int r, fd;

  archive_read_support_filter_gzip (a);
  archive_read_support_format_tar (a);
  /* The type is checked before the open: a FIFO would block it. */
  fd = bs_file_open_regular (archive_path, &total, error);
  if (fd < 0)
    goto out;
  if (archive_read_open_fd (a, fd, ARCHIVE_BLOCK) != ARCHIVE_OK)
    {
      set_unpack_error (error, archive_path, archive_error_string (a));
      goto out;
    }
  while ((r = archive_read_next_header (a, &entry)) == ARCHIVE_OK)
    {
      const char *name = archive_entry_pathname (entry);
      g_autofree char *dest = NULL;
      g_autofree char *parent = NULL;

      if (g_cancellable_is_cancelled (job->cancellable))
        {
          g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("the download was cancelled"));
          goto out;
        }
      if (!is_safe_entry_path (name))
        {
          g_autofree char *detail = g_strdup_printf (_("an entry is named '%s', outside its folder"),
                                                     name ? name : "");

          set_unpack_error (error, archive_path, detail);
          goto out;
        }
      dest = g_build_filename (folder, name, NULL);
      parent = g_path_get_dirname (dest);
      if (g_mkdir_with_parents (archive_entry_filetype (entry) == AE_IFDIR ? dest : parent, 0755) != 0)
        {
          set_disk_error (error, dest, errno);
          goto out;
        }
      if (archive_entry_filetype (entry) == AE_IFREG
          && !write_entry_data (a, archive_path, dest, error))
        goto out;
      if (job->progress != NULL)
        job->progress (BS_DATASET_FETCH_UNPACK, base, 0, 1,
                       (guint64) archive_filter_bytes (a, -1), total, 0.0, job->user_data);
    }
  if (r != ARCHIVE_EOF)
    {
      set_unpack_error (error, archive_path, archive_error_string (a));
      goto out;
    }
  ok = TRUE;

out:
  archive_read_free (a);
  if (fd >= 0)
    close (fd);
  return ok;
}

gboolean
bs_dataset_fetch_unpack (const char    *archive_path,
                         const char    *folder,
                         GCancellable  *cancellable,
                         GError       **error)
{
  Job job = { .cancellable = cancellable };

  return unpack (&job, archive_path, folder, error);
}

/* The folders on the way to path that do not exist yet, deepest first. */
static GPtrArray *
missing_folders (const char *path)
{
  GPtrArray *missing = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *current = g_strdup (path);

  while (!g_file_test (current, G_FILE_TEST_EXISTS))
    {
      char *parent = g_path_get_dirname (current);

      g_ptr_array_add (missing, g_steal_pointer (&current));
      if (g_strcmp0 (parent, missing->pdata[missing->len - 1]) == 0)
        {
          g_free (parent);
          break;
        }
      current = parent;
    }
  return missing;
}

static char *
fetch_into (Job          *job,
            const char   *dir,
            const char   *target,
            GError      **error)
{
  const BsDatasetSource *source = job->source;
  const BsDatasetInfo *info = source->info;
  g_autofree char *template = g_build_filename (dir, ".blockscope-download-XXXXXX", NULL);
  g_autofree char *files_dir = NULL;
  g_autofree char *complete = NULL;
  g_autofree char *missing = NULL;
  char *tmp = g_mkdtemp (template);

  if (tmp == NULL)
    {
      set_disk_error (error, template, errno);
      return NULL;
    }
  files_dir = source->recipe->archive ? g_strdup (tmp) : g_build_filename (tmp, info->folders[0], NULL);
  if (g_mkdir_with_parents (files_dir, 0755) != 0)
    {
      set_disk_error (error, files_dir, errno);
      goto fail;
    }

  for (guint i = 0; i < source->n_files; i++)
    {
      g_autofree char *url = NULL;
      g_autofree char *path = g_build_filename (files_dir, source->recipe->files[i], NULL);

      if (source->recipe->archive)
        url = g_strdup (source->url);
      else
        url = g_strconcat (source->url, g_str_has_suffix (source->url, "/") ? "" : "/",
                           source->recipe->files[i], NULL);
      job->index = i;
      if (!bs_download_file (url, path, source->md5s[i], on_download_progress, job,
                             job->cancellable, error))
        goto fail;
    }

  if (source->recipe->archive)
    {
      g_autofree char *archive_path = g_build_filename (tmp, source->recipe->files[0], NULL);
      g_autofree char *unpacked = g_build_filename (tmp, "unpacked", NULL);

      if (!unpack (job, archive_path, unpacked, error))
        goto fail;
      complete = g_build_filename (unpacked, info->folders[0], NULL);
    }
  else
    complete = g_strdup (files_dir);

  if (!bs_dataset_folder_has (info, complete, &missing))
    {
      g_autofree char *base = g_path_get_basename (source->recipe->files[0]);

      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   /* Translators: a file or address, a folder name, then a list of file names. */
                   _("%s does not hold the data set: its folder %s/ lacks %s"),
                   source->recipe->archive ? base : source->url, info->folders[0],
                   missing ? missing : info->folders[0]);
      goto fail;
    }
  if (g_rename (complete, target) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   /* Translators: a folder, then the system's message. */
                   _("could not move the data set into %s: %s"), target, g_strerror (saved_errno));
      goto fail;
    }
  remove_tree (tmp);
  return g_strdup (target);

fail:
  remove_tree (tmp);
  return NULL;
}

char *
bs_dataset_fetch (const BsDatasetSource   *source,
                  const char              *data_dir,
                  BsDatasetFetchProgress   progress,
                  gpointer                 user_data,
                  gboolean                *already,
                  GCancellable            *cancellable,
                  GError                 **error)
{
  const BsDatasetInfo *info = source->info;
  g_autofree char *dir = bs_dataset_fetch_default_dir (data_dir);
  g_autofree char *found = bs_dataset_find (info->name, data_dir, NULL);
  g_autoptr(GPtrArray) created = NULL;
  Job job = { source, progress, user_data, 0, cancellable };
  char *result;

  if (already != NULL)
    *already = found != NULL;
  if (found != NULL)
    return g_steal_pointer (&found);

  for (guint f = 0; info->folders[f] != NULL; f++)
    {
      g_autofree char *existing = g_build_filename (dir, info->folders[f], NULL);
      g_autofree char *missing = NULL;

      if (g_file_test (existing, G_FILE_TEST_EXISTS))
        {
          if (!g_file_test (existing, G_FILE_TEST_IS_DIR)
              || !bs_dataset_folder_has (info, existing, &missing))
            {
              g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                           /* Translators: a folder, then the files it lacks. */
                           _("%s is in the way: it exists but lacks %s; move it away, then download again"),
                           existing, missing ? missing : info->folders[f]);
              return NULL;
            }
        }
    }

  created = missing_folders (dir);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      set_disk_error (error, dir, errno);
      return NULL;
    }
  {
    g_autofree char *target = g_build_filename (dir, info->folders[0], NULL);

    result = fetch_into (&job, dir, target, error);
  }
  if (result == NULL)
    for (guint i = 0; i < created->len; i++)
      g_rmdir (created->pdata[i]);
  return result;
}
