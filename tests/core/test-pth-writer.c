/* test-pth-writer.c: a state dict written as torch.save does (see the header). */
#include "test-pth-writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

static void
put (GByteArray *p,
     const char *bytes,
     gsize       len)
{
  g_byte_array_append (p, (const guint8 *) bytes, len);
}

#define PUT(p, s) put ((p), (s), sizeof (s) - 1)

/* BINUNICODE: 'X', a little-endian u32 length, UTF-8. */
static void
put_string (GByteArray *p,
            const char *s)
{
  guint32 len = GUINT32_TO_LE ((guint32) strlen (s));

  PUT (p, "X");
  put (p, (const char *) &len, 4);
  put (p, s, strlen (s));
}

/* BININT: 'J', a little-endian i32. */
static void
put_int (GByteArray *p,
         gint64      value)
{
  gint32 v = GINT32_TO_LE ((gint32) value);

  g_assert_cmpint (value, <=, G_MAXINT32);
  PUT (p, "J");
  put (p, (const char *) &v, 4);
}

static void
add_entry (struct archive *a,
           const char     *name,
           const void     *data,
           gsize           len)
{
  struct archive_entry *entry = archive_entry_new ();

  archive_entry_set_pathname (entry, name);
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, (la_int64_t) len);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  if (len > 0)
    g_assert_cmpint (archive_write_data (a, data, len), ==, (la_ssize_t) len);
  archive_entry_free (entry);
}

void
test_pth_write (const char          *path,
                const TestPthTensor *tensors,
                guint                n_tensors)
{
  g_autoptr(GByteArray) p = g_byte_array_new ();
  struct archive *a = archive_write_new ();

  PUT (p, "\x80\x02" "ccollections\nOrderedDict\n" ")R" "(");
  for (guint i = 0; i < n_tensors; i++)
    {
      const TestPthTensor *t = &tensors[i];
      g_autofree char *key = g_strdup_printf ("%u", i);
      gint64 numel = 1, stride = 1;
      gint64 strides[8];

      g_assert_cmpuint (t->ndim, <=, 8);
      for (guint d = 0; d < t->ndim; d++)
        numel *= t->shape[d];
      for (guint d = t->ndim; d-- > 0;)
        {
          strides[d] = stride;
          stride *= t->shape[d];
        }
      put_string (p, t->name);
      PUT (p, "ctorch._utils\n_rebuild_tensor_v2\n" "(");
      /* The persistent id: ("storage", FloatStorage, key, "cpu", numel). */
      PUT (p, "(");
      put_string (p, "storage");
      PUT (p, "ctorch\nFloatStorage\n");
      put_string (p, key);
      put_string (p, "cpu");
      put_int (p, numel);
      PUT (p, "t" "Q");
      put_int (p, 0);
      PUT (p, "(");
      for (guint d = 0; d < t->ndim; d++)
        put_int (p, t->shape[d]);
      PUT (p, "t" "(");
      for (guint d = 0; d < t->ndim; d++)
        put_int (p, strides[d]);
      PUT (p, "t" "\x89" "ccollections\nOrderedDict\n" ")R" "t" "R");
    }
  PUT (p, "u" ".");

  archive_write_set_format_zip (a);
  archive_write_zip_set_compression_store (a);
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  add_entry (a, "archive/data.pkl", p->data, p->len);
  for (guint i = 0; i < n_tensors; i++)
    {
      g_autofree char *name = g_strdup_printf ("archive/data/%u", i);
      gsize numel = 1;

      for (guint d = 0; d < tensors[i].ndim; d++)
        numel *= (gsize) tensors[i].shape[d];
      /* Little-endian floats: this machine's (x86-64 and arm64 alike). */
      add_entry (a, name, tensors[i].data, numel * sizeof (float));
    }
  add_entry (a, "archive/version", "3\n", 2);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
}
