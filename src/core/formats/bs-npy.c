/* bs-npy.c: .npy header parsing and writing, row reads with dtype conversion. */
#include "bs-npy.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bs-atomic-file.h"
#include "bs-error.h"
#include "bs-file-read.h"

#define MAGIC "\x93NUMPY"
#define MAGIC_LENGTH 6
/* numpy itself refuses headers above 10000 bytes unless told otherwise;
 * allow more, but not enough to make a damaged length field expensive. */
#define MAX_HEADER_LENGTH (1 << 20)
#define ALIGNMENT 64
/* Conversion happens through a bounce buffer of this size. */
#define CHUNK_BYTES (1 << 20)

struct _BsNpyFile {
  char    *path;
  int      fd;
  BsDtype  dtype;
  guint    ndim;
  gint64   shape[BS_NPY_MAX_DIMS];
  gsize    n_elements;
  guint64  n_rows;
  gsize    row_length;
  goffset  data_offset;
};

/* Every message after "'PATH' is not a usable .npy file: " (bs-error.c). */
#define npy_error(error, path, ...) \
  bs_set_format_error (error, BS_FILE_FORMAT_NPY, path, __VA_ARGS__)

/* The header dictionary: a Python literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (256, 16, 32, 32), }
 * Keys may come in any order and with any spacing; nothing else is accepted. */
typedef struct {
  const char *start;
  const char *p;
  const char *end;
  const char *path;
} Parser;

static void
skip_space (Parser *ps)
{
  while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
    ps->p++;
}

static gboolean
expect_char (Parser  *ps,
             char     c,
             GError **error)
{
  skip_space (ps);
  if (ps->p >= ps->end || *ps->p != c)
    /* Translators: a character of the header, then its position in the header. */
    return npy_error (error, ps->path, _("malformed header: expected '%c' at byte %d of the header"),
                      c, (int) (ps->p - ps->start));
  ps->p++;
  return TRUE;
}

/* A quoted Python string without escapes (numpy never writes any in these fields). */
static char *
parse_string (Parser  *ps,
              GError **error)
{
  const char *start;
  char quote;

  skip_space (ps);
  if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"'))
    {
      npy_error (error, ps->path, _("malformed header: expected a quoted string"));
      return NULL;
    }
  quote = *ps->p++;
  start = ps->p;
  while (ps->p < ps->end && *ps->p != quote)
    {
      if (*ps->p == '\\' || (guchar) *ps->p < 0x20)
        {
          npy_error (error, ps->path, _("malformed header: unexpected character in a string"));
          return NULL;
        }
      ps->p++;
    }
  if (ps->p >= ps->end)
    {
      npy_error (error, ps->path, _("malformed header: unterminated string"));
      return NULL;
    }
  ps->p++;
  return g_strndup (start, ps->p - 1 - start);
}

static gboolean
parse_word (Parser     *ps,
            const char *word)
{
  gsize n = strlen (word);

  skip_space (ps);
  if ((gsize) (ps->end - ps->p) >= n && memcmp (ps->p, word, n) == 0)
    {
      ps->p += n;
      return TRUE;
    }
  return FALSE;
}

static gboolean
parse_bool (Parser   *ps,
            gboolean *value,
            GError  **error)
{
  if (parse_word (ps, "True"))
    *value = TRUE;
  else if (parse_word (ps, "False"))
    *value = FALSE;
  else
    return npy_error (error, ps->path, _("malformed header: fortran_order is neither True nor False"));
  return TRUE;
}

static gboolean
parse_shape (Parser  *ps,
             guint   *ndim,
             gint64  *shape,
             GError **error)
{
  *ndim = 0;
  if (!expect_char (ps, '(', error))
    return FALSE;
  for (;;)
    {
      guint64 value = 0;
      gboolean digits = FALSE;

      skip_space (ps);
      if (ps->p < ps->end && *ps->p == ')')
        {
          ps->p++;
          return TRUE;
        }
      while (ps->p < ps->end && g_ascii_isdigit (*ps->p))
        {
          guint d = *ps->p - '0';

          if (value > ((guint64) G_MAXINT64 - d) / 10)
            return npy_error (error, ps->path, _("the shape has a dimension that is absurdly large"));
          value = value * 10 + d;
          digits = TRUE;
          ps->p++;
        }
      if (!digits)
        return npy_error (error, ps->path, _("malformed header: the shape is not a tuple of non-negative integers"));
      if (ps->p < ps->end && *ps->p == 'L')   /* Python 2 long literals */
        ps->p++;
      if (*ndim == BS_NPY_MAX_DIMS)
        return npy_error (error, ps->path, _("the shape has more than %d dimensions"), BS_NPY_MAX_DIMS);
      shape[(*ndim)++] = (gint64) value;

      skip_space (ps);
      if (ps->p < ps->end && *ps->p == ',')
        ps->p++;
      else if (!(ps->p < ps->end && *ps->p == ')'))
        return npy_error (error, ps->path, _("malformed header: the shape is not a tuple of non-negative integers"));
    }
}

static gboolean
parse_descr (const char *path,
             const char *descr,
             BsDtype    *dtype,
             GError    **error)
{
  if (strcmp (descr, "<f4") == 0)
    *dtype = BS_DTYPE_F32;
  else if (strcmp (descr, "<f8") == 0)
    *dtype = BS_DTYPE_F64;
  else if (strcmp (descr, ">f4") == 0 || strcmp (descr, ">f8") == 0)
    /* Translators: numpy type codes: '>f4' and 'f4' (to write as '<f4'). */
    return npy_error (error, path, _("the data is big-endian ('%s'); save it little-endian ('<%s')"),
                      descr, descr + 1);
  else
    return npy_error (error, path,
                      /* Translators: %s is a numpy type code ('<i8'); keep the codes in quotes. */
                      _("dtype '%s' is not supported: Blockscope reads float32 ('<f4') and float64 ('<f8')"),
                      descr);
  return TRUE;
}

static gboolean
parse_header (BsNpyFile   *file,
              const char  *text,
              gsize        length,
              GError     **error)
{
  Parser ps = { text, text, text + length, file->path };
  gboolean have_descr = FALSE, have_order = FALSE, have_shape = FALSE;
  gboolean fortran_order = FALSE;

  if (!expect_char (&ps, '{', error))
    return FALSE;
  for (;;)
    {
      g_autofree char *key = NULL;

      skip_space (&ps);
      if (ps.p < ps.end && *ps.p == '}')
        {
          ps.p++;
          break;
        }
      key = parse_string (&ps, error);
      if (key == NULL || !expect_char (&ps, ':', error))
        return FALSE;

      if (strcmp (key, "descr") == 0 && !have_descr)
        {
          g_autofree char *descr = NULL;

          skip_space (&ps);
          if (ps.p < ps.end && *ps.p == '[')
            return npy_error (error, file->path, _("structured dtypes are not supported, only float32 or float64 arrays"));
          descr = parse_string (&ps, error);
          if (descr == NULL || !parse_descr (file->path, descr, &file->dtype, error))
            return FALSE;
          have_descr = TRUE;
        }
      else if (strcmp (key, "fortran_order") == 0 && !have_order)
        {
          if (!parse_bool (&ps, &fortran_order, error))
            return FALSE;
          have_order = TRUE;
        }
      else if (strcmp (key, "shape") == 0 && !have_shape)
        {
          if (!parse_shape (&ps, &file->ndim, file->shape, error))
            return FALSE;
          have_shape = TRUE;
        }
      else
        return npy_error (error, file->path, _("malformed header: unexpected or repeated key '%s'"), key);

      skip_space (&ps);
      if (ps.p < ps.end && *ps.p == ',')
        ps.p++;
      else if (!(ps.p < ps.end && *ps.p == '}'))
        return npy_error (error, file->path, _("malformed header: expected ',' or '}' after '%s'"), key);
    }
  skip_space (&ps);
  if (ps.p != ps.end)
    return npy_error (error, file->path, _("malformed header: unexpected text after the dictionary"));
  if (!have_descr || !have_order || !have_shape)
    return npy_error (error, file->path, _("malformed header: it lacks '%s'"),
                      !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
  if (fortran_order && file->ndim > 1)
    return npy_error (error, file->path, _("the array is in Fortran order; save it in C order (numpy.ascontiguousarray)"));
  return TRUE;
}

static gboolean
read_exactly (int      fd,
              void    *buffer,
              gsize    length,
              goffset  offset,
              gsize   *done)
{
  *done = 0;
  while (*done < length)
    {
      gssize n = pread (fd, (guint8 *) buffer + *done, length - *done, offset + (goffset) *done);

      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return FALSE;
      if (n == 0)
        break;
      *done += (gsize) n;
    }
  return TRUE;
}

void
bs_npy_file_free (BsNpyFile *file)
{
  if (file == NULL)
    return;
  if (file->fd >= 0)
    close (file->fd);
  g_free (file->path);
  g_free (file);
}

BsNpyFile *
bs_npy_file_open (const char  *path,
                  GError     **error)
{
  g_autoptr(BsNpyFile) file = NULL;
  g_autofree char *header = NULL;
  guint8 prefix[12];
  gsize got, prefix_length, header_length, element_size, data_bytes;
  guint64 available, file_size;

  g_return_val_if_fail (path != NULL, NULL);

  file = g_new0 (BsNpyFile, 1);
  file->path = g_strdup (path);
  /* The type is checked before the open: a FIFO would block it. */
  file->fd = bs_file_open_regular (path, &file_size, error);
  if (file->fd < 0)
    return NULL;

  if (!read_exactly (file->fd, prefix, sizeof prefix, 0, &got))
    {
      int errsv = errno;

      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': %s"), path, g_strerror (errsv));
      return NULL;
    }
  if (got < 10 || memcmp (prefix, MAGIC, MAGIC_LENGTH) != 0)
    {
      npy_error (error, path, _("it does not start with the .npy magic bytes"));
      return NULL;
    }
  if (prefix[6] == 1 && prefix[7] == 0)
    {
      header_length = prefix[8] | (prefix[9] << 8);
      prefix_length = 10;
    }
  else if ((prefix[6] == 2 || prefix[6] == 3) && prefix[7] == 0 && got == 12)
    {
      header_length = (gsize) prefix[8] | ((gsize) prefix[9] << 8) | ((gsize) prefix[10] << 16) | ((gsize) prefix[11] << 24);
      prefix_length = 12;
    }
  else
    {
      npy_error (error, path, _("format version %u.%u is not supported (1.0, 2.0 and 3.0 are)"), prefix[6], prefix[7]);
      return NULL;
    }

  if (header_length > MAX_HEADER_LENGTH || prefix_length + header_length > file_size)
    {
      npy_error (error, path, _("the header length %zu does not fit the file (%" PRId64 " bytes)"),
                 header_length, (gint64) file_size);
      return NULL;
    }
  header = g_malloc (header_length + 1);
  if (!read_exactly (file->fd, header, header_length, prefix_length, &got) || got != header_length)
    {
      npy_error (error, path, _("the header could not be read"));
      return NULL;
    }
  header[header_length] = '\0';
  if (memchr (header, '\0', header_length) != NULL)
    {
      npy_error (error, path, _("malformed header: it contains a NUL byte"));
      return NULL;
    }
  if (!parse_header (file, header, header_length, error))
    return NULL;

  element_size = bs_dtype_size (file->dtype);
  if (!bs_shape_count_elements (file->ndim, file->shape, element_size, &file->n_elements))
    {
      npy_error (error, path, _("the shape is absurdly large"));
      return NULL;
    }
  if (file->ndim == 0)
    {
      file->n_rows = 1;
      file->row_length = 1;
    }
  else
    {
      file->n_rows = (guint64) file->shape[0];
      /* Product of the remaining dimensions; cannot overflow as the whole did not. */
      file->row_length = 1;
      for (guint i = 1; i < file->ndim; i++)
        file->row_length *= (gsize) file->shape[i];
      if (file->shape[0] == 0)
        {
          gsize rest;

          if (!bs_shape_count_elements (file->ndim - 1, file->shape + 1, element_size, &rest))
            {
              npy_error (error, path, _("the shape is absurdly large"));
              return NULL;
            }
          file->row_length = rest;
        }
    }

  file->data_offset = (goffset) (prefix_length + header_length);
  data_bytes = file->n_elements * element_size;
  available = file_size - (guint64) file->data_offset;
  if (available < data_bytes)
    {
      npy_error (error, path, _("the data is truncated: the shape needs %zu bytes but the file holds %" PRIu64),
                 data_bytes, available);
      return NULL;
    }
  if (available > data_bytes)
    {
      npy_error (error, path,
                 g_dngettext (GETTEXT_PACKAGE,
                              "%" PRIu64 " byte follows the data that the shape does not account for",
                              "%" PRIu64 " bytes follow the data that the shape does not account for",
                              available - data_bytes),
                 available - data_bytes);
      return NULL;
    }
  return g_steal_pointer (&file);
}

const char *
bs_npy_file_get_path (BsNpyFile *file)
{
  return file->path;
}

BsDtype
bs_npy_file_get_dtype (BsNpyFile *file)
{
  return file->dtype;
}

guint
bs_npy_file_get_ndim (BsNpyFile *file)
{
  return file->ndim;
}

const gint64 *
bs_npy_file_get_shape (BsNpyFile *file)
{
  return file->shape;
}

gsize
bs_npy_file_get_n_elements (BsNpyFile *file)
{
  return file->n_elements;
}

guint64
bs_npy_file_get_n_rows (BsNpyFile *file)
{
  return file->n_rows;
}

gsize
bs_npy_file_get_row_length (BsNpyFile *file)
{
  return file->row_length;
}

static void
from_little_endian (void   *data,
                    gsize   n,
                    gsize   size)
{
#if G_BYTE_ORDER == G_BIG_ENDIAN
  guint8 *b = data;

  for (gsize i = 0; i < n; i++, b += size)
    for (gsize j = 0; j < size / 2; j++)
      {
        guint8 t = b[j];

        b[j] = b[size - 1 - j];
        b[size - 1 - j] = t;
      }
#else
  (void) data; (void) n; (void) size;
#endif
}

gboolean
bs_npy_file_read_rows (BsNpyFile  *file,
                       guint64     first,
                       guint64     n_rows,
                       BsDtype     out_dtype,
                       void       *dest,
                       GError    **error)
{
  gsize in_size, out_size, n_elements, done = 0;
  goffset offset;
  g_autofree guint8 *chunk = NULL;

  g_return_val_if_fail (file != NULL, FALSE);
  g_return_val_if_fail (out_dtype == BS_DTYPE_F32 || out_dtype == BS_DTYPE_F64, FALSE);

  if (first > file->n_rows || n_rows > file->n_rows - first)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("'%s' has %" PRIu64 " rows; rows %" PRIu64 " to %" PRIu64 " do not exist"),
                   file->path, file->n_rows, first, first + n_rows);
      return FALSE;
    }
  in_size = bs_dtype_size (file->dtype);
  out_size = bs_dtype_size (out_dtype);
  n_elements = (gsize) n_rows * file->row_length;   /* <= n_elements of the file: no overflow */
  offset = file->data_offset + (goffset) (first * file->row_length * in_size);

  if (in_size == out_size)
    chunk = NULL;
  else
    chunk = g_malloc (CHUNK_BYTES);

  while (done < n_elements)
    {
      gsize count = chunk != NULL ? MIN (n_elements - done, CHUNK_BYTES / in_size) : n_elements;
      guint8 *target = chunk != NULL ? chunk : (guint8 *) dest;
      gsize got;

      if (!read_exactly (file->fd, target, count * in_size, offset + (goffset) (done * in_size), &got))
        {
          int errsv = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': %s"), file->path, g_strerror (errsv));
          return FALSE;
        }
      if (got != count * in_size)
        return npy_error (error, file->path, _("the file became shorter while it was read"));
      from_little_endian (target, count, in_size);

      if (file->dtype == BS_DTYPE_F32 && out_dtype == BS_DTYPE_F64)
        {
          const float *src = (const float *) chunk;
          double *out = (double *) dest + done;

          for (gsize i = 0; i < count; i++)
            out[i] = src[i];
        }
      else if (file->dtype == BS_DTYPE_F64 && out_dtype == BS_DTYPE_F32)
        {
          const double *src = (const double *) chunk;
          float *out = (float *) dest + done;

          for (gsize i = 0; i < count; i++)
            out[i] = (float) src[i];
        }
      done += count;
    }
  return TRUE;
}

void
bs_npy_array_free (BsNpyArray *array)
{
  if (array == NULL)
    return;
  g_free (array->data);
  g_free (array);
}

BsNpyArray *
bs_npy_load (const char  *path,
             GError     **error)
{
  g_autoptr(BsNpyFile) file = bs_npy_file_open (path, error);
  g_autoptr(BsNpyArray) array = NULL;
  gsize bytes;

  if (file == NULL)
    return NULL;

  array = g_new0 (BsNpyArray, 1);
  array->dtype = file->dtype;
  array->ndim = file->ndim;
  memcpy (array->shape, file->shape, sizeof array->shape);
  array->n_elements = file->n_elements;
  bytes = file->n_elements * bs_dtype_size (file->dtype);
  array->data = g_try_malloc (MAX (bytes, 1));
  if (array->data == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %zu bytes"),
                   path, bytes);
      return NULL;
    }
  if (!bs_npy_file_read_rows (file, 0, file->n_rows, file->dtype, array->data, error))
    return NULL;
  return g_steal_pointer (&array);
}

GBytes *
bs_npy_build_header (BsDtype       dtype,
                     guint         ndim,
                     const gint64 *shape)
{
  GString *dict = g_string_new ("{'descr': '");
  GString *out;
  gsize pad;
  guint16 length_le;

  g_return_val_if_fail (dtype == BS_DTYPE_F32 || dtype == BS_DTYPE_F64, NULL);
  g_return_val_if_fail (ndim <= BS_NPY_MAX_DIMS, NULL);

  /* Exactly what numpy.save writes, so the files compare byte for byte. */
  g_string_append (dict, dtype == BS_DTYPE_F32 ? "<f4" : "<f8");
  g_string_append (dict, "', 'fortran_order': False, 'shape': (");
  for (guint i = 0; i < ndim; i++)
    {
      if (i > 0)
        g_string_append (dict, ", ");
      g_string_append_printf (dict, "%" G_GINT64_FORMAT, shape[i]);
    }
  if (ndim == 1)
    g_string_append_c (dict, ',');
  g_string_append (dict, "), }");

  /* numpy pads with spaces and a final newline so that magic, version,
   * length and header end on a multiple of 64 (adding a full 64 when
   * already aligned, as numpy does). */
  pad = ALIGNMENT - ((MAGIC_LENGTH + 2 + 2 + dict->len + 1) % ALIGNMENT);
  for (gsize i = 0; i < pad; i++)
    g_string_append_c (dict, ' ');
  g_string_append_c (dict, '\n');

  out = g_string_new_len (MAGIC, MAGIC_LENGTH);
  g_string_append_c (out, 1);
  g_string_append_c (out, 0);
  length_le = GUINT16_TO_LE ((guint16) dict->len);
  g_string_append_len (out, (const char *) &length_le, 2);
  g_string_append_len (out, dict->str, dict->len);
  g_string_free (dict, TRUE);
  return g_string_free_to_bytes (out);
}

gboolean
bs_npy_save (const char    *path,
             BsDtype        dtype,
             guint          ndim,
             const gint64  *shape,
             const void    *data,
             GError       **error)
{
  g_autoptr(BsAtomicFile) file = NULL;
  g_autoptr(GBytes) header = NULL;
  gsize n_elements, size;
  const void *header_data;
  gsize header_length;

  g_return_val_if_fail (path != NULL, FALSE);

  if ((dtype != BS_DTYPE_F32 && dtype != BS_DTYPE_F64) || ndim > BS_NPY_MAX_DIMS
      || !bs_shape_count_elements (ndim, shape, bs_dtype_size (dtype), &n_elements))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Cannot write '%s': invalid dtype or shape"), path);
      return FALSE;
    }
  g_return_val_if_fail (data != NULL || n_elements == 0, FALSE);
  size = bs_dtype_size (dtype);

  header = bs_npy_build_header (dtype, ndim, shape);
  header_data = g_bytes_get_data (header, &header_length);
  file = bs_atomic_file_new (path, error);
  if (file == NULL || !bs_atomic_file_write (file, header_data, header_length, error))
    return FALSE;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  if (!bs_atomic_file_write (file, data, n_elements * size, error))
    return FALSE;
#else
  for (gsize i = 0; i < n_elements; i++)
    {
      guint8 element[8];

      memcpy (element, (const guint8 *) data + i * size, size);
      from_little_endian (element, 1, size);
      if (!bs_atomic_file_write (file, element, size, error))
        return FALSE;
    }
#endif
  return bs_atomic_file_commit (file, error);
}
