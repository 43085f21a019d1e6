/* bs-safetensors.c: a strict safetensors reader and a writer built on json-glib. */
#include "bs-safetensors.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bs-atomic-file.h"
#include "bs-error.h"
#include "bs-json-file.h"
#include "bs-file-read.h"

/* The reference implementation refuses headers above 100 MB as well. */
#define MAX_HEADER_LENGTH (100 * 1000 * 1000)

typedef struct {
  BsTensorView view;
  char        *name;
  guint64      begin;
  guint64      end;
  void        *copy;     /* aligned (or byte-swapped) copy when the file's bytes cannot be used */
} Entry;

struct _BsSafetensors {
  char       *path;
  guint8     *contents;
  gsize       length;
  GPtrArray  *entries;    /* Entry*, sorted by offset */
  GHashTable *by_name;    /* name -> Entry* */
  GHashTable *metadata;   /* key -> value */
};

static void
entry_free (gpointer data)
{
  Entry *entry = data;

  g_free (entry->name);
  g_free (entry->copy);
  g_free (entry);
}

void
bs_safetensors_free (BsSafetensors *st)
{
  if (st == NULL)
    return;

  g_clear_pointer (&st->by_name, g_hash_table_unref);
  g_clear_pointer (&st->metadata, g_hash_table_unref);
  g_clear_pointer (&st->entries, g_ptr_array_unref);
  g_free (st->contents);
  g_free (st->path);
  g_free (st);
}

static gboolean
node_get_uint (JsonNode *node,
               guint64  *value)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0)
    return FALSE;
  *value = (guint64) v;
  return TRUE;
}

/* Every message after "'PATH' is not a valid safetensors file: " (bs-error.c). */
#define format_error(error, path, ...) \
  bs_set_format_error (error, BS_FILE_FORMAT_SAFETENSORS, path, __VA_ARGS__)

static gboolean
parse_metadata (BsSafetensors  *st,
                JsonNode       *node,
                GError        **error)
{
  JsonObject *object;
  JsonObjectIter iter;
  const char *key;
  JsonNode *value;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return format_error (error, st->path, _("__metadata__ is not an object"));
  object = json_node_get_object (node);
  json_object_iter_init (&iter, object);
  while (json_object_iter_next (&iter, &key, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        return format_error (error, st->path, _("__metadata__ value of '%s' is not a string"), key);
      g_hash_table_insert (st->metadata, g_strdup (key), g_strdup (json_node_get_string (value)));
    }
  return TRUE;
}

static gboolean
parse_entry (BsSafetensors  *st,
             const char     *name,
             JsonNode       *node,
             gsize           data_size,
             GError        **error)
{
  JsonObject *object;
  JsonNode *member;
  JsonArray *shape, *offsets;
  const char *dtype_name;
  Entry *entry;
  gsize element_size;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    return format_error (error, st->path, _("tensor '%s': entry is not an object"), name);
  object = json_node_get_object (node);

  member = json_object_get_member (object, "dtype");
  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
    return format_error (error, st->path, _("tensor '%s': no dtype"), name);
  member = json_object_get_member (object, "shape");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return format_error (error, st->path, _("tensor '%s': no shape"), name);
  shape = json_node_get_array (member);
  member = json_object_get_member (object, "data_offsets");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return format_error (error, st->path, _("tensor '%s': no data_offsets"), name);
  offsets = json_node_get_array (member);

  entry = g_new0 (Entry, 1);
  entry->name = g_strdup (name);
  entry->view.name = entry->name;
  g_ptr_array_add (st->entries, entry);
  g_hash_table_insert (st->by_name, entry->name, entry);

  dtype_name = json_object_get_string_member (object, "dtype");
  if (!bs_dtype_from_string (dtype_name, &entry->view.dtype))
    return format_error (error, st->path, _("tensor '%s': unsupported dtype '%s' (Blockscope reads F32, F64 and I64)"),
                         name, dtype_name);
  element_size = bs_dtype_size (entry->view.dtype);

  if (json_array_get_length (shape) > BS_SAFETENSORS_MAX_DIMS)
    return format_error (error, st->path, _("tensor '%s': %u dimensions, at most %d are supported"),
                         name, json_array_get_length (shape), BS_SAFETENSORS_MAX_DIMS);
  entry->view.ndim = json_array_get_length (shape);
  for (guint i = 0; i < entry->view.ndim; i++)
    {
      guint64 dim;

      if (!node_get_uint (json_array_get_element (shape, i), &dim) || dim > G_MAXINT64)
        return format_error (error, st->path, _("tensor '%s': shape entry %u is not a non-negative integer"), name, i);
      entry->view.shape[i] = (gint64) dim;
    }
  if (!bs_shape_count_elements (entry->view.ndim, entry->view.shape, element_size, &entry->view.n_elements))
    return format_error (error, st->path, _("tensor '%s': the shape is too large"), name);
  entry->view.n_bytes = entry->view.n_elements * element_size;

  if (json_array_get_length (offsets) != 2
      || !node_get_uint (json_array_get_element (offsets, 0), &entry->begin)
      || !node_get_uint (json_array_get_element (offsets, 1), &entry->end))
    return format_error (error, st->path, _("tensor '%s': data_offsets is not a pair of non-negative integers"), name);
  if (entry->begin > entry->end)
    return format_error (error, st->path, _("tensor '%s': data_offsets [%" PRIu64 ", %" PRIu64 "] end before they begin"),
                         name, entry->begin, entry->end);
  if (entry->end - entry->begin != entry->view.n_bytes)
    return format_error (error, st->path,
                         _("tensor '%s': shape and dtype make %zu bytes but data_offsets span %" PRIu64),
                         name, entry->view.n_bytes, entry->end - entry->begin);
  if (entry->end > data_size)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                   _("'%s' is truncated: tensor '%s' ends at data byte %" PRIu64 " but the file holds only %zu data bytes"),
                   st->path, name, entry->end, data_size);
      return FALSE;
    }
  return TRUE;
}

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *ea = *(const Entry **) a;
  const Entry *eb = *(const Entry **) b;

  if (ea->begin != eb->begin)
    return ea->begin < eb->begin ? -1 : 1;
  if (ea->end != eb->end)
    return ea->end < eb->end ? -1 : 1;
  return strcmp (ea->name, eb->name);
}

static gboolean
point_at_data (Entry        *entry,
               const guint8 *data)
{
  gsize size = bs_dtype_size (entry->view.dtype);
  gboolean aligned = ((guintptr) data % size) == 0;

#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  if (aligned)
    {
      entry->view.data = data;
      return TRUE;
    }
#endif
  /* A copy as large as the tensor: its size comes from the file. */
  entry->copy = g_try_malloc (MAX (entry->view.n_bytes, 1));
  if (entry->copy == NULL)
    return FALSE;
  memcpy (entry->copy, data, entry->view.n_bytes);
#if G_BYTE_ORDER != G_LITTLE_ENDIAN
  /* File data is little-endian: swap every element into a private copy. */
  (void) aligned;
  for (gsize i = 0; i < entry->view.n_elements; i++)
    {
      guint8 *e = (guint8 *) entry->copy + i * size;

      for (gsize j = 0; j < size / 2; j++)
        {
          guint8 t = e[j];

          e[j] = e[size - 1 - j];
          e[size - 1 - j] = t;
        }
    }
#endif
  entry->view.data = entry->copy;
  return TRUE;
}

/* The data section is read only once the header has been checked against
 * the file's size: a sparse file of gigabytes behind a small header is
 * refused before anything but its header is read. */
static gboolean
load_from_fd (BsSafetensors  *st,
              int             fd,
              guint64         file_size,
              GError        **error)
{
  const char *path = st->path;
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;
  guint64 header_length;
  gsize data_start, data_size, n_read;
  guint64 expected = 0;
  const guint8 *header;
  guint8 *bigger;
  gsize i;

  if (file_size < 8)
    {
      format_error (error, path,
                    g_dngettext (GETTEXT_PACKAGE, "the file is only %zu byte long",
                                 "the file is only %zu bytes long", (gsize) file_size),
                    (gsize) file_size);
      return FALSE;
    }
  if (file_size > G_MAXSIZE)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %" PRId64 " bytes"),
                   path, (gint64) file_size);
      return FALSE;
    }
  st->length = (gsize) file_size;
  st->contents = g_malloc (8);
  if (!bs_file_read_at (fd, path, 0, st->contents, 8, &n_read, error))
    return FALSE;
  if (n_read < 8)
    {
      format_error (error, path, _("the file changed while it was read"));
      return FALSE;
    }
  memcpy (&header_length, st->contents, 8);
  header_length = GUINT64_FROM_LE (header_length);
  if (header_length > st->length - 8)
    {
      format_error (error, path, _("the header length %" PRIu64 " is longer than the file (%zu bytes)"),
                    header_length, st->length);
      return FALSE;
    }
  if (header_length < 2 || header_length > MAX_HEADER_LENGTH)
    {
      format_error (error, path, _("the header length %" PRIu64 " is not plausible"), header_length);
      return FALSE;
    }
  data_start = 8 + (gsize) header_length;
  data_size = st->length - data_start;
  bigger = g_try_realloc (st->contents, data_start);
  if (bigger == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %" PRId64 " bytes"),
                   path, (gint64) data_start);
      return FALSE;
    }
  st->contents = bigger;
  if (!bs_file_read_at (fd, path, 8, st->contents + 8, (gsize) header_length, &n_read, error))
    return FALSE;
  if (n_read < header_length)
    {
      format_error (error, path, _("the file changed while it was read"));
      return FALSE;
    }
  header = st->contents + 8;

  if (header[0] != '{')
    {
      format_error (error, path, _("the header does not start with '{'"));
      return FALSE;
    }
  /* json-glib recurses: a small header nested deep enough overflows the stack. */
  if (!bs_json_check_depth ((const char *) header, (gsize) header_length, BS_JSON_MAX_DEPTH))
    {
      format_error (error, path, _("the header is nested deeper than %u levels"), BS_JSON_MAX_DEPTH);
      return FALSE;
    }
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, (const char *) header, (gssize) header_length, &local_error))
    {
      format_error (error, path, _("the header is not valid JSON: %s"), local_error->message);
      return FALSE;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      format_error (error, path, _("the header is not a JSON object"));
      return FALSE;
    }

  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &name, &node))
    {
      if (strcmp (name, "__metadata__") == 0)
        {
          if (!parse_metadata (st, node, error))
            return FALSE;
        }
      else if (!parse_entry (st, name, node, data_size, error))
        return FALSE;
    }

  /* The offsets must tile the data section exactly: every byte belongs to
   * exactly one tensor, so a damaged header cannot alias or hide data. */
  g_ptr_array_sort (st->entries, compare_entries);
  for (i = 0; i < st->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (st->entries, i);

      if (entry->begin > expected)
        {
          format_error (error, path,
                        g_dngettext (GETTEXT_PACKAGE, "a gap of %" PRIu64 " byte before tensor '%s'",
                                     "a gap of %" PRIu64 " bytes before tensor '%s'",
                                     entry->begin - expected),
                        entry->begin - expected, entry->name);
          return FALSE;
        }
      if (entry->begin < expected)
        {
          Entry *previous = g_ptr_array_index (st->entries, i - 1);

          format_error (error, path, _("tensor '%s' overlaps tensor '%s'"), entry->name, previous->name);
          return FALSE;
        }
      expected = entry->end;
    }
  if (expected != data_size)
    {
      format_error (error, path,
                    g_dngettext (GETTEXT_PACKAGE, "%" PRIu64 " trailing byte after the last tensor",
                                 "%" PRIu64 " trailing bytes after the last tensor", data_size - expected),
                    data_size - expected);
      return FALSE;
    }

  /* The header holds: now the data, no more and no less than it says. */
  bigger = g_try_realloc (st->contents, MAX (st->length, 1));
  if (bigger == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %" PRId64 " bytes"),
                   path, (gint64) st->length);
      return FALSE;
    }
  st->contents = bigger;
  if (!bs_file_read_at (fd, path, data_start, st->contents + data_start, data_size, &n_read, error))
    return FALSE;
  if (n_read < data_size)
    {
      format_error (error, path, _("the file changed while it was read"));
      return FALSE;
    }

  for (i = 0; i < st->entries->len; i++)
    {
      Entry *entry = g_ptr_array_index (st->entries, i);

      if (!point_at_data (entry, st->contents + data_start + entry->begin))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for %zu bytes"),
                       path, entry->view.n_bytes);
          return FALSE;
        }
    }
  return TRUE;
}

BsSafetensors *
bs_safetensors_load (const char  *path,
                     GError     **error)
{
  g_autoptr(BsSafetensors) st = NULL;
  guint64 file_size;
  gboolean ok;
  int fd;

  g_return_val_if_fail (path != NULL, NULL);

  st = g_new0 (BsSafetensors, 1);
  st->path = g_strdup (path);
  st->entries = g_ptr_array_new_with_free_func (entry_free);
  st->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  st->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  fd = bs_file_open_regular (path, &file_size, error);
  if (fd < 0)
    return NULL;
  ok = load_from_fd (st, fd, file_size, error);
  close (fd);
  return ok ? g_steal_pointer (&st) : NULL;
}

const char *
bs_safetensors_get_path (BsSafetensors *st)
{
  g_return_val_if_fail (st != NULL, NULL);

  return st->path;
}

guint
bs_safetensors_get_n_tensors (BsSafetensors *st)
{
  g_return_val_if_fail (st != NULL, 0);

  return st->entries->len;
}

const BsTensorView *
bs_safetensors_get_nth (BsSafetensors *st,
                        guint          index)
{
  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (index < st->entries->len, NULL);

  return &((Entry *) g_ptr_array_index (st->entries, index))->view;
}

const BsTensorView *
bs_safetensors_get (BsSafetensors *st,
                    const char    *name)
{
  Entry *entry;

  g_return_val_if_fail (st != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  entry = g_hash_table_lookup (st->by_name, name);
  return entry != NULL ? &entry->view : NULL;
}

const float *
bs_safetensors_get_f32 (BsSafetensors  *st,
                        const char     *name,
                        gsize           n_elements,
                        GError        **error)
{
  const BsTensorView *view;

  g_return_val_if_fail (st != NULL, NULL);

  view = bs_safetensors_get (st, name);
  if (view == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s' has no tensor '%s'"), st->path, name);
      return NULL;
    }
  if (view->dtype != BS_DTYPE_F32)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s': tensor '%s' is %s, expected F32"),
                   st->path, name, bs_dtype_to_string (view->dtype));
      return NULL;
    }
  if (view->n_elements != n_elements)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   _("'%s': tensor '%s' has %zu elements, expected %zu"),
                   st->path, name, view->n_elements, n_elements);
      return NULL;
    }
  return view->data;
}

const char *
bs_safetensors_get_metadata (BsSafetensors *st,
                             const char    *key)
{
  g_return_val_if_fail (st != NULL, NULL);

  return g_hash_table_lookup (st->metadata, key);
}

static int
compare_strings (const void *a,
                 const void *b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

const char **
bs_safetensors_list_metadata (BsSafetensors *st)
{
  guint n;
  const char **keys;

  g_return_val_if_fail (st != NULL, NULL);

  keys = (const char **) g_hash_table_get_keys_as_array (st->metadata, &n);
  qsort (keys, n, sizeof (char *), compare_strings);
  return keys;
}

/* Writing */

typedef struct {
  char        *name;
  BsDtype      dtype;
  guint        ndim;
  gint64       shape[BS_SAFETENSORS_MAX_DIMS];
  gsize        n_bytes;
  const void  *data;
} WriterEntry;

struct _BsSafetensorsWriter {
  GArray     *entries;    /* WriterEntry, in the order added */
  GHashTable *names;
  GHashTable *metadata;
};

static void
writer_entry_clear (gpointer data)
{
  WriterEntry *entry = data;

  g_free (entry->name);
}

BsSafetensorsWriter *
bs_safetensors_writer_new (void)
{
  BsSafetensorsWriter *writer = g_new0 (BsSafetensorsWriter, 1);

  writer->entries = g_array_new (FALSE, TRUE, sizeof (WriterEntry));
  g_array_set_clear_func (writer->entries, writer_entry_clear);
  writer->names = g_hash_table_new (g_str_hash, g_str_equal);
  writer->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return writer;
}

void
bs_safetensors_writer_free (BsSafetensorsWriter *writer)
{
  if (writer == NULL)
    return;

  g_hash_table_unref (writer->names);
  g_hash_table_unref (writer->metadata);
  g_array_unref (writer->entries);
  g_free (writer);
}

gboolean
bs_safetensors_writer_add (BsSafetensorsWriter *writer,
                           const char          *name,
                           BsDtype              dtype,
                           guint                ndim,
                           const gint64        *shape,
                           const void          *data,
                           GError             **error)
{
  WriterEntry entry = { 0 };
  gsize n_elements;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (name != NULL, FALSE);
  g_return_val_if_fail (shape != NULL || ndim == 0, FALSE);

  if (*name == '\0' || strcmp (name, "__metadata__") == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("'%s' cannot be the name of a tensor"), name);
      return FALSE;
    }
  if (g_hash_table_contains (writer->names, name))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Two tensors are named '%s'"), name);
      return FALSE;
    }
  if (ndim > BS_SAFETENSORS_MAX_DIMS
      || !bs_shape_count_elements (ndim, shape, bs_dtype_size (dtype), &n_elements))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Tensor '%s' has an invalid shape"), name);
      return FALSE;
    }
  g_return_val_if_fail (data != NULL || n_elements == 0, FALSE);

  entry.name = g_strdup (name);
  entry.dtype = dtype;
  entry.ndim = ndim;
  if (ndim > 0)
    memcpy (entry.shape, shape, ndim * sizeof (gint64));
  entry.n_bytes = n_elements * bs_dtype_size (dtype);
  entry.data = data;
  g_array_append_val (writer->entries, entry);
  g_hash_table_add (writer->names, g_array_index (writer->entries, WriterEntry, writer->entries->len - 1).name);
  return TRUE;
}

void
bs_safetensors_writer_set_metadata (BsSafetensorsWriter *writer,
                                    const char          *key,
                                    const char          *value)
{
  g_return_if_fail (writer != NULL);
  g_return_if_fail (key != NULL && value != NULL);

  g_hash_table_replace (writer->metadata, g_strdup (key), g_strdup (value));
}

static char *
build_header (BsSafetensorsWriter *writer,
              gsize               *length)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;
  GString *header;
  guint64 offset = 0;

  json_builder_begin_object (builder);

  /* Sorted keys: the same model and metadata give the same bytes. */
  if (g_hash_table_size (writer->metadata) > 0)
    {
      g_autofree const char **keys = NULL;
      guint n;

      keys = (const char **) g_hash_table_get_keys_as_array (writer->metadata, &n);
      qsort (keys, n, sizeof (char *), compare_strings);
      json_builder_set_member_name (builder, "__metadata__");
      json_builder_begin_object (builder);
      for (guint i = 0; i < n; i++)
        {
          json_builder_set_member_name (builder, keys[i]);
          json_builder_add_string_value (builder, g_hash_table_lookup (writer->metadata, keys[i]));
        }
      json_builder_end_object (builder);
    }

  for (guint i = 0; i < writer->entries->len; i++)
    {
      WriterEntry *entry = &g_array_index (writer->entries, WriterEntry, i);

      json_builder_set_member_name (builder, entry->name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dtype");
      json_builder_add_string_value (builder, bs_dtype_to_string (entry->dtype));
      json_builder_set_member_name (builder, "shape");
      json_builder_begin_array (builder);
      for (guint d = 0; d < entry->ndim; d++)
        json_builder_add_int_value (builder, entry->shape[d]);
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "data_offsets");
      json_builder_begin_array (builder);
      json_builder_add_int_value (builder, (gint64) offset);
      json_builder_add_int_value (builder, (gint64) (offset + entry->n_bytes));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      offset += entry->n_bytes;
    }
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  text = json_generator_to_data (generator, NULL);

  /* Pad with spaces so the data section starts 8-byte aligned. */
  header = g_string_new (text);
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  *length = header->len;
  return g_string_free (header, FALSE);
}

static gboolean
write_tensor_data (BsAtomicFile  *file,
                   WriterEntry   *entry,
                   GError       **error)
{
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  return bs_atomic_file_write (file, entry->data, entry->n_bytes, error);
#else
  gsize size = bs_dtype_size (entry->dtype);
  const guint8 *src = entry->data;

  for (gsize i = 0; i < entry->n_bytes; i += size)
    {
      guint8 element[8];

      for (gsize j = 0; j < size; j++)
        element[j] = src[i + size - 1 - j];
      if (!bs_atomic_file_write (file, element, size, error))
        return FALSE;
    }
  return TRUE;
#endif
}

gboolean
bs_safetensors_writer_save (BsSafetensorsWriter *writer,
                            const char          *path,
                            GError             **error)
{
  g_autoptr(BsAtomicFile) file = NULL;
  g_autofree char *header = NULL;
  gsize header_length;
  guint64 length_le;

  g_return_val_if_fail (writer != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  header = build_header (writer, &header_length);
  length_le = GUINT64_TO_LE ((guint64) header_length);

  file = bs_atomic_file_new (path, error);
  if (file == NULL)
    return FALSE;
  if (!bs_atomic_file_write (file, &length_le, 8, error)
      || !bs_atomic_file_write (file, header, header_length, error))
    return FALSE;
  for (guint i = 0; i < writer->entries->len; i++)
    if (!write_tensor_data (file, &g_array_index (writer->entries, WriterEntry, i), error))
      return FALSE;
  return bs_atomic_file_commit (file, error);
}
