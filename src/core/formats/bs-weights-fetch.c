/* bs-weights-fetch.c: official weights fetched, hash-checked as torch.hub
 * does, imported and saved as a checkpoint. */
#include "bs-weights-fetch.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-file-read.h"
#include "bs-weights-import.h"

#define OFFICIAL_FOLDER "https://download.pytorch.org/models/"

static const struct {
  const char *architecture;
  const char *file;
} official[] = {
  { "imagenet-resnet50", "resnet50-0676ba61.pth" },
  { "imagenet-resnet101", "resnet101-63fe2227.pth" },
  { "imagenet-resnet152", "resnet152-394f9c45.pth" },
};

static const char *
official_file (const char *architecture)
{
  for (guint i = 0; i < G_N_ELEMENTS (official); i++)
    if (g_strcmp0 (official[i].architecture, architecture) == 0)
      return official[i].file;
  return NULL;
}

gboolean
bs_weights_fetch_known (const char *architecture)
{
  return official_file (architecture) != NULL;
}

char *
bs_weights_fetch_default_dir (void)
{
  return g_build_filename (g_get_user_data_dir (), "blockscope", "weights", NULL);
}

char *
bs_weights_fetch_url (const char *architecture,
                      const char *url)
{
  const char *file = official_file (architecture);

  if (url == NULL || *url == '\0')
    url = g_getenv ("BLOCKSCOPE_WEIGHTS_URL");
  if (url == NULL || *url == '\0')
    return g_strconcat (OFFICIAL_FOLDER, file, NULL);
  if (g_str_has_suffix (url, ".pth") || g_str_has_suffix (url, ".safetensors"))
    return g_strdup (url);
  return g_strconcat (url, g_str_has_suffix (url, "/") ? "" : "/", file, NULL);
}

/* torch.hub's HASH_REGEX, -([a-f0-9]*)\., on the file name: the digits
 * after the last '-' up to the first '.' after it, or NULL. */
static char *
hash_prefix (const char *url)
{
  g_autofree char *base = g_path_get_basename (url);
  const char *dash = strrchr (base, '-');
  const char *dot;
  gsize n;

  if (dash == NULL || (dot = strchr (dash, '.')) == NULL)
    return NULL;
  n = dot - dash - 1;
  if (n == 0)
    return NULL;
  for (gsize i = 1; i <= n; i++)
    if (!g_ascii_isxdigit (dash[i]) || g_ascii_isupper (dash[i]))
      return NULL;
  return g_strndup (dash + 1, n);
}

static char *
file_sha256 (const char    *path,
             GCancellable  *cancellable,
             GError       **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autoptr(GMappedFile) mapped = NULL;
  guint64 size;
  int fd;

  /* The type is checked before the open: a FIFO would block it. */
  fd = bs_file_open_regular (path, &size, error);
  if (fd < 0)
    return NULL;
  mapped = g_mapped_file_new_from_fd (fd, FALSE, NULL);
  close (fd);
  if (mapped == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   /* Translators: a file name. */
                   _("could not read %s"), path);
      return NULL;
    }
  if (g_cancellable_is_cancelled (cancellable))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("the download was cancelled"));
      return NULL;
    }
  g_checksum_update (checksum, (const guchar *) g_mapped_file_get_contents (mapped),
                     (gssize) g_mapped_file_get_length (mapped));
  return g_strdup (g_checksum_get_string (checksum));
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          g_unlink (child);
        }
      g_dir_close (dir);
    }
  g_rmdir (path);
}

char *
bs_weights_fetch (const char          *architecture,
                  const char          *weights_dir,
                  const char          *url_override,
                  BsDownloadProgress   progress,
                  gpointer             user_data,
                  gboolean            *already,
                  GCancellable        *cancellable,
                  GError             **error)
{
  g_autofree char *dir = weights_dir ? g_strdup (weights_dir) : bs_weights_fetch_default_dir ();
  g_autofree char *target = NULL;
  g_autofree char *url = NULL;
  g_autofree char *template = NULL;
  g_autofree char *download = NULL;
  g_autofree char *saved = NULL;
  g_autofree char *expected = NULL;
  g_autofree char *base = NULL;
  g_autofree char *created = NULL;
  BsModel *model = NULL;
  char *tmp;

  if (already != NULL)
    *already = FALSE;
  if (!bs_weights_fetch_known (architecture))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a model name. */
                   _("there are no official weights for '%s' (these have: imagenet-resnet50, "
                     "imagenet-resnet101, imagenet-resnet152)"), architecture);
      return NULL;
    }
  target = g_strdup_printf ("%s/%s.safetensors", dir, architecture);
  if (g_file_test (target, G_FILE_TEST_EXISTS))
    {
      if (already != NULL)
        *already = TRUE;
      return g_steal_pointer (&target);
    }
  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    created = g_strdup (dir);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   /* Translators: a folder, then the system's message. */
                   _("could not make the folder %s: %s"), dir, g_strerror (errno));
      return NULL;
    }
  template = g_build_filename (dir, ".blockscope-download-XXXXXX", NULL);
  tmp = g_mkdtemp (template);
  if (tmp == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   /* Translators: a folder, then the system's message. */
                   _("could not make the folder %s: %s"), template, g_strerror (errno));
      goto fail;
    }

  url = bs_weights_fetch_url (architecture, url_override);
  base = g_path_get_basename (url);
  download = g_build_filename (tmp, base, NULL);
  if (!bs_download_file (url, download, NULL, progress, user_data, cancellable, error))
    goto fail;
  expected = hash_prefix (url);
  if (expected != NULL)
    {
      g_autofree char *actual = file_sha256 (download, cancellable, error);

      if (actual == NULL)
        goto fail;
      if (!g_str_has_prefix (actual, expected))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: an address, the SHA-256 computed, the prefix its name promises. */
                       _("the file downloaded from %s is damaged or not the expected one: its "
                         "SHA-256 is %s, but its name says it begins with %s"), url, actual, expected);
          goto fail;
        }
    }
  model = bs_weights_import_model (download, architecture, 3, 32, 32, error);
  if (model == NULL)
    goto fail;
  saved = g_build_filename (tmp, "checkpoint.safetensors", NULL);
  if (!bs_checkpoint_save (model, NULL, saved, error))
    goto fail;
  if (g_rename (saved, target) != 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   /* Translators: a file, then the system's message. */
                   _("could not move the weights into %s: %s"), target, g_strerror (errno));
      goto fail;
    }
  bs_model_free (model);
  remove_tree (tmp);
  return g_steal_pointer (&target);

fail:
  if (model != NULL)
    bs_model_free (model);
  if (tmp != NULL)
    remove_tree (tmp);
  if (created != NULL)
    g_rmdir (created);
  return NULL;
}
