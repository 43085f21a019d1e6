/* fuzz-idx-input.h: what the two IDX harnesses (raw and gzip) do with an input.
 *
 * The first byte chooses: bits 0-1 the reader (0 images, 1 labels, 2 and 3
 * a whole split, images and labels with bs_idx_load_split), then with gzip
 * bit 2 two gzip members per file (as pigz and cat a.gz b.gz make) and bit
 * 3 trailing bytes after the stream. For a split, the next two bytes
 * (little-endian) are the length of the images file; the labels file is
 * the rest. */
#pragma once

#include "fuzz-util.h"

#include <glib/gstdio.h>
#include <string.h>

#include "bs-dataset-types.h"
#include "bs-idx.h"

static inline char *
fuzz_idx_write (const char   *name,
                const guint8 *data,
                gsize         size,
                gboolean      gzip,
                guint8        mode)
{
  g_autoptr(GByteArray) file = NULL;
  g_autofree char *gz_name = NULL;
  gsize half = size / 2;

  if (!gzip)
    return bs_fuzz_write (name, data, size);
  file = g_byte_array_new ();
  {
    g_autoptr(GBytes) first = bs_fuzz_gzip (data, (mode & 4) ? half : size);

    g_byte_array_append (file, g_bytes_get_data (first, NULL), g_bytes_get_size (first));
  }
  if (mode & 4)
    {
      g_autoptr(GBytes) second = bs_fuzz_gzip (data + half, size - half);

      g_byte_array_append (file, g_bytes_get_data (second, NULL), g_bytes_get_size (second));
    }
  if (mode & 8)
    g_byte_array_append (file, (const guint8 *) "\0\0\0\0garbage", 11);
  /* The readers recognise gzip by its magic; the name is the one MNIST uses. */
  gz_name = g_strconcat (name, ".gz", NULL);
  return bs_fuzz_write (gz_name, file->data, file->len);
}

static inline void
fuzz_idx_run (const guint8 *data,
              gsize         size,
              gboolean      gzip)
{
  BsImageSet set = { 0 };
  guint8 mode;

  bs_fuzz_accepted = FALSE;
  if (size < 1)
    return;
  mode = data[0];
  data++;
  size--;
  if ((mode & 3) == 0)
    {
      g_autofree char *path = fuzz_idx_write ("fuzz-images-idx3-ubyte", data, size, gzip, mode);

      bs_fuzz_accepted = bs_idx_read_images (path, &set, NULL);
      if (bs_fuzz_accepted)
        bs_fuzz_touch (set.pixels, (gsize) set.n_images * bs_image_set_image_size (&set));
      bs_image_set_clear (&set);
      g_unlink (path);
    }
  else if ((mode & 3) == 1)
    {
      g_autofree char *path = fuzz_idx_write ("fuzz-labels-idx1-ubyte", data, size, gzip, mode);
      g_autofree guint8 *labels = NULL;
      guint n_labels = 0;

      bs_fuzz_accepted = bs_idx_read_labels (path, &n_labels, &labels, NULL);
      if (bs_fuzz_accepted)
        bs_fuzz_touch (labels, n_labels);
      g_unlink (path);
    }
  else
    {
      gsize images_size = size >= 2 ? MIN ((gsize) (data[0] | data[1] << 8), size - 2) : 0;
      const guint8 *images = data + MIN (size, 2);
      g_autofree char *images_path = fuzz_idx_write ("fuzz-images-idx3-ubyte", images, images_size, gzip, mode);
      g_autofree char *labels_path = fuzz_idx_write ("fuzz-labels-idx1-ubyte", images + images_size,
                                                     size - MIN (size, 2) - images_size, gzip, mode);

      bs_fuzz_accepted = bs_idx_load_split (bs_fuzz_dir (), "fuzz", 10, &set, NULL);
      if (bs_fuzz_accepted)
        {
          bs_fuzz_touch (set.pixels, (gsize) set.n_images * bs_image_set_image_size (&set));
          bs_fuzz_touch (set.labels, set.n_images);
        }
      bs_image_set_clear (&set);
      g_unlink (images_path);
      g_unlink (labels_path);
    }
}
