/* bs-weights-guess.c: an ImageNet ResNet told from the names of its state dict. */
#include "bs-weights-guess.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs-error.h"
#include "bs-file-read.h"
#include "bs-pth.h"
#include "bs-safetensors.h"

static const struct {
  guint       layer3_blocks;
  const char *architecture;
} known[] = {
  { 6, "imagenet-resnet50" },
  { 23, "imagenet-resnet101" },
  { 36, "imagenet-resnet152" },
};

const char *
bs_weights_guess_from_layer3_blocks (guint n_blocks)
{
  for (guint i = 0; i < G_N_ELEMENTS (known); i++)
    if (known[i].layer3_blocks == n_blocks)
      return known[i].architecture;
  return NULL;
}

/* Records N of a "layer3.N.<rest>" name in seen (a set of block numbers). */
static void
note_name (GHashTable *seen,
           const char *name)
{
  const char *digits;
  char *end;
  guint64 n;

  if (!g_str_has_prefix (name, "layer3."))
    return;
  digits = name + strlen ("layer3.");
  if (!g_ascii_isdigit (*digits))
    return;
  errno = 0;
  n = g_ascii_strtoull (digits, &end, 10);
  /* More blocks than any ResNet has is not a count worth keeping. */
  if (errno != 0 || *end != '.' || n >= 1024)
    return;
  g_hash_table_add (seen, GUINT_TO_POINTER ((guint) n + 1));
}

static gboolean
is_zip (const char  *path,
        GError     **error)
{
  char magic[4] = { 0 };
  gsize n_read = 0;
  guint64 size;
  gboolean zip;
  int fd;

  /* The type is checked before the open: a FIFO would block it. */
  fd = bs_file_open_regular (path, &size, error);
  if (fd < 0)
    return FALSE;
  zip = bs_file_read_at (fd, path, 0, magic, 4, &n_read, NULL) && n_read == 4
        && memcmp (magic, "PK\x03\x04", 4) == 0;
  close (fd);
  return zip;
}

gboolean
bs_weights_import_guess_architecture (const char  *path,
                                      char       **architecture,
                                      GError     **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (NULL, NULL);
  g_autoptr(GError) local = NULL;
  guint n_blocks, largest = 0;
  gboolean zip;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (architecture != NULL, FALSE);

  *architecture = NULL;
  zip = is_zip (path, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* A .pth that is not a zip (the legacy format) is told so by bs-pth. */
  if (zip || g_str_has_suffix (path, ".pth") || g_str_has_suffix (path, ".pt"))
    {
      g_autoptr(BsPth) pth = bs_pth_load (path, error);

      if (pth == NULL)
        return FALSE;
      for (guint i = 0; i < bs_pth_get_n_tensors (pth); i++)
        note_name (seen, bs_pth_get_nth (pth, i)->name);
    }
  else
    {
      g_autoptr(BsSafetensors) st = bs_safetensors_load (path, error);

      if (st == NULL)
        return FALSE;
      for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
        note_name (seen, bs_safetensors_get_nth (st, i)->name);
    }

  /* Blocks are numbered from 0 without gaps in a real state dict: a count
   * with holes is none of the three. */
  n_blocks = g_hash_table_size (seen);
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, seen);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      largest = MAX (largest, GPOINTER_TO_UINT (key));
  }
  if (largest == n_blocks)
    *architecture = g_strdup (bs_weights_guess_from_layer3_blocks (n_blocks));
  return TRUE;
}
