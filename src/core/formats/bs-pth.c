/* bs-pth.c: a restricted reader of PyTorch's zip files and their pickles.
 *
 * The pickle interpreter builds plain values (numbers, strings, tuples,
 * lists, dicts, tensors, storage references) and refuses everything else:
 * no global outside a fixed list is ever looked up, and no object other
 * than these is ever built, so nothing in a file can run code. */
#include "bs-pth.h"

#include <archive.h>
#include <archive_entry.h>
#include <glib/gi18n-lib.h>
#include <string.h>
#include <unistd.h>

#include "bs-error.h"
#include "bs-file-read.h"

#define MAX_DEPTH      64          /* a state dict needs about 4 */
#define MAX_STACK      (1 << 20)
#define MAX_MEMO       (1 << 20)
#define MAX_PICKLE     (64 << 20)
#define MAX_DIMS       BS_SAFETENSORS_MAX_DIMS

typedef enum {
  V_MARK,
  V_NONE,
  V_BOOL,
  V_INT,
  V_FLOAT,
  V_STR,
  V_TUPLE,
  V_LIST,
  V_DICT,       /* items: key, value, key, value, ... */
  V_GLOBAL,     /* s: "module.name" */
  V_STORAGE,    /* s: key; dtype_name; numel */
  V_TENSOR,
} Kind;

typedef struct Value Value;
struct Value {
  gint        ref;
  Kind        kind;
  guint       depth;
  gint64      i;
  double      f;
  char       *s;
  const char *dtype_name;   /* storage: "float32", "float16", ... */
  GPtrArray  *items;        /* of Value*, owning references */
  Value      *storage;      /* tensor */
  gint64      offset;
  guint       ndim;
  gint64      size[MAX_DIMS];
  gint64      stride[MAX_DIMS];
};

static Value *
value_ref (Value *v)
{
  v->ref++;
  return v;
}

static void
value_unref (gpointer data)
{
  Value *v = data;

  if (v == NULL || --v->ref > 0)
    return;
  g_free (v->s);
  if (v->items != NULL)
    g_ptr_array_unref (v->items);
  if (v->storage != NULL)
    value_unref (v->storage);
  g_free (v);
}

static Value *
value_new (Kind kind)
{
  Value *v = g_new0 (Value, 1);

  v->ref = 1;
  v->kind = kind;
  if (kind == V_TUPLE || kind == V_LIST || kind == V_DICT)
    v->items = g_ptr_array_new_with_free_func (value_unref);
  return v;
}

static const char *
kind_name (Kind kind)
{
  static const char *names[] = {
    "mark", "None", "bool", "int", "float", "str", "tuple", "list", "dict", "global", "storage",
    "tensor",
  };
  return names[kind];
}

/* ---- The zip archive ----------------------------------------------------- */

struct _BsPth {
  GPtrArray *views;     /* BsTensorView*, data and names owned */
  GHashTable *by_name;  /* name -> BsTensorView* */
};

static void
view_free (gpointer data)
{
  BsTensorView *view = data;

  g_free ((char *) view->name);
  g_free ((void *) view->data);
  g_free (view);
}

void
bs_pth_free (BsPth *pth)
{
  if (pth == NULL)
    return;
  g_hash_table_unref (pth->by_name);
  g_ptr_array_unref (pth->views);
  g_free (pth);
}

guint
bs_pth_get_n_tensors (BsPth *pth)
{
  return pth->views->len;
}

const BsTensorView *
bs_pth_get_nth (BsPth *pth,
                guint  index)
{
  g_return_val_if_fail (index < pth->views->len, NULL);
  return g_ptr_array_index (pth->views, index);
}

const BsTensorView *
bs_pth_get (BsPth      *pth,
            const char *name)
{
  return g_hash_table_lookup (pth->by_name, name);
}

/* Every file of the archive: name -> GBytes. Sizes are bounded by the
 * archive's own (entries are stored; a compressed one may be at most 16
 * times larger, which no state dict needs). */
static GHashTable *
read_zip (const char  *path,
          GBytes      *data,
          GError     **error)
{
  g_autoptr(GHashTable) files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_bytes_unref);
  struct archive *a = archive_read_new ();
  struct archive_entry *entry;
  gsize size = g_bytes_get_size (data);
  guint64 budget = (guint64) size * 16 + (1 << 20);
  int r;

  archive_read_support_format_zip (a);
  if (archive_read_open_memory (a, g_bytes_get_data (data, NULL), size) != ARCHIVE_OK)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, _("the zip archive is damaged: %s"),
                           archive_error_string (a));
      archive_read_free (a);
      return NULL;
    }
  while ((r = archive_read_next_header (a, &entry)) == ARCHIVE_OK)
    {
      g_autoptr(GByteArray) bytes = g_byte_array_new ();
      const char *name = archive_entry_pathname (entry);
      char buffer[65536];
      la_ssize_t n;

      if (archive_entry_filetype (entry) != AE_IFREG || name == NULL)
        continue;
      while ((n = archive_read_data (a, buffer, sizeof buffer)) > 0)
        {
          if ((guint64) n > budget)
            {
              bs_set_format_error (error, BS_FILE_FORMAT_PTH, path,
                                   _("the zip archive unpacks to far more than its size"));
              archive_read_free (a);
              return NULL;
            }
          budget -= (guint64) n;
          g_byte_array_append (bytes, (const guint8 *) buffer, (guint) n);
        }
      if (n < 0)
        {
          bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, _("the zip archive is damaged: %s"),
                               archive_error_string (a));
          archive_read_free (a);
          return NULL;
        }
      g_hash_table_replace (files, g_strdup (name), g_byte_array_free_to_bytes (g_steal_pointer (&bytes)));
    }
  if (r != ARCHIVE_EOF)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, _("the zip archive is damaged: %s"),
                           archive_error_string (a));
      archive_read_free (a);
      return NULL;
    }
  archive_read_free (a);
  return g_steal_pointer (&files);
}

/* ---- The pickle ---------------------------------------------------------- */

typedef struct {
  const char   *path;
  const guint8 *p;
  const guint8 *end;
  GPtrArray    *stack;   /* Value* */
  GArray       *marks;   /* stack lengths */
  GHashTable   *memo;    /* GUINT_TO_POINTER (index) -> Value* */
  GError      **error;
} Vm;

static gboolean
fail (Vm         *vm,
      const char *format,
      ...) G_GNUC_PRINTF (2, 3);

static gboolean
fail (Vm         *vm,
      const char *format,
      ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  if (vm->error != NULL && *vm->error == NULL)
    bs_set_format_error (vm->error, BS_FILE_FORMAT_PTH, vm->path, "%s", detail);
  return FALSE;
}

static gboolean
take (Vm            *vm,
      gsize          n,
      const guint8 **out)
{
  if ((gsize) (vm->end - vm->p) < n)
    return fail (vm, "%s", _("the pickle is truncated"));
  *out = vm->p;
  vm->p += n;
  return TRUE;
}

static gboolean
push (Vm    *vm,
      Value *v)
{
  if (vm->stack->len >= MAX_STACK)
    {
      value_unref (v);
      return fail (vm, "%s", _("the pickle's stack grows beyond any state dict's"));
    }
  if (v->depth > MAX_DEPTH)
    {
      value_unref (v);
      return fail (vm, "%s", _("the pickle is nested far deeper than a state dict"));
    }
  g_ptr_array_add (vm->stack, v);
  return TRUE;
}

/* Pops the top value (a new reference for the caller), or NULL after an error. */
static Value *
pop (Vm *vm)
{
  Value *v;

  if (vm->stack->len == 0 || (vm->marks->len > 0
                              && vm->stack->len <= g_array_index (vm->marks, guint, vm->marks->len - 1)))
    {
      fail (vm, "%s", _("the pickle takes a value from an empty stack"));
      return NULL;
    }
  v = g_ptr_array_steal_index (vm->stack, vm->stack->len - 1);
  return v;
}

static Value *
top (Vm *vm)
{
  if (vm->stack->len == 0)
    {
      fail (vm, "%s", _("the pickle takes a value from an empty stack"));
      return NULL;
    }
  return g_ptr_array_index (vm->stack, vm->stack->len - 1);
}

static void
add_item (Value *container,
          Value *item)
{
  container->depth = MAX (container->depth, item->depth + 1);
  g_ptr_array_add (container->items, item);
}

/* Pops everything above the last mark into a new container of kind. */
static Value *
pop_to_mark (Vm   *vm,
             Kind  kind)
{
  Value *v;
  guint mark;

  if (vm->marks->len == 0)
    {
      fail (vm, "%s", _("the pickle closes a group it never opened"));
      return NULL;
    }
  mark = g_array_index (vm->marks, guint, vm->marks->len - 1);
  g_array_set_size (vm->marks, vm->marks->len - 1);
  v = value_new (kind);
  for (guint i = mark; i < vm->stack->len; i++)
    add_item (v, value_ref (g_ptr_array_index (vm->stack, i)));
  g_ptr_array_remove_range (vm->stack, mark, vm->stack->len - mark);
  return v;
}

static const struct {
  const char *name;
  const char *dtype;
} storages[] = {
  { "torch.FloatStorage", "float32" }, { "torch.DoubleStorage", "float64" },
  { "torch.LongStorage", "int64" }, { "torch.HalfStorage", "float16" },
  { "torch.BFloat16Storage", "bfloat16" }, { "torch.IntStorage", "int32" },
  { "torch.ShortStorage", "int16" }, { "torch.CharStorage", "int8" },
  { "torch.ByteStorage", "uint8" }, { "torch.BoolStorage", "bool" },
};

static gboolean
is_allowed_global (const char *name)
{
  if (strcmp (name, "collections.OrderedDict") == 0
      || strcmp (name, "torch._utils._rebuild_tensor_v2") == 0
      || strcmp (name, "torch._utils._rebuild_parameter") == 0)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (storages); i++)
    if (strcmp (name, storages[i].name) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
push_global (Vm         *vm,
             const char *module,
             const char *name)
{
  g_autofree char *full = g_strdup_printf ("%s.%s", module, name);
  Value *v;

  if (!is_allowed_global (full))
    return fail (vm, _("it refers to %s, which a state dict never needs (only tensors, storages "
                       "and OrderedDict are allowed)"), full);
  v = value_new (V_GLOBAL);
  v->s = g_steal_pointer (&full);
  return push (vm, v);
}

static gboolean
get_int (Value  *v,
         gint64 *out)
{
  if (v->kind != V_INT)
    return FALSE;
  *out = v->i;
  return TRUE;
}

/* A tuple of non-negative ints into dims. */
static gboolean
get_dims (Value  *v,
          guint  *ndim,
          gint64 *dims)
{
  if (v->kind != V_TUPLE || v->items->len > MAX_DIMS)
    return FALSE;
  *ndim = v->items->len;
  for (guint d = 0; d < v->items->len; d++)
    if (!get_int (g_ptr_array_index (v->items, d), &dims[d]) || dims[d] < 0)
      return FALSE;
  return TRUE;
}

static gboolean
reduce (Vm *vm)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (value_unref);
  Value *args = pop (vm), *callable;
  Value *result = NULL;

  if (args == NULL)
    return FALSE;
  g_ptr_array_add (keep, args);
  callable = pop (vm);
  if (callable == NULL)
    return FALSE;
  g_ptr_array_add (keep, callable);
  if (callable->kind != V_GLOBAL || args->kind != V_TUPLE)
    return fail (vm, _("it calls a %s, which a state dict never does"), kind_name (callable->kind));

  if (strcmp (callable->s, "collections.OrderedDict") == 0)
    {
      if (args->items->len != 0)
        return fail (vm, "%s", _("it builds an OrderedDict from arguments"));
      result = value_new (V_DICT);
    }
  else if (strcmp (callable->s, "torch._utils._rebuild_tensor_v2") == 0)
    {
      Value *storage;
      guint n_stride;

      if (args->items->len < 4)
        return fail (vm, "%s", _("a tensor is rebuilt with too few arguments"));
      storage = g_ptr_array_index (args->items, 0);
      if (storage->kind != V_STORAGE)
        return fail (vm, "%s", _("a tensor is rebuilt from something other than a storage"));
      result = value_new (V_TENSOR);
      result->storage = value_ref (storage);
      if (!get_int (g_ptr_array_index (args->items, 1), &result->offset) || result->offset < 0
          || !get_dims (g_ptr_array_index (args->items, 2), &result->ndim, result->size)
          || !get_dims (g_ptr_array_index (args->items, 3), &n_stride, result->stride)
          || n_stride != result->ndim)
        {
          value_unref (result);
          return fail (vm, "%s", _("a tensor has an invalid offset, shape or stride"));
        }
    }
  else if (strcmp (callable->s, "torch._utils._rebuild_parameter") == 0)
    {
      Value *tensor;

      if (args->items->len < 1)
        return fail (vm, "%s", _("a parameter is rebuilt without its tensor"));
      tensor = g_ptr_array_index (args->items, 0);
      if (tensor->kind != V_TENSOR)
        return fail (vm, "%s", _("a parameter is rebuilt from something other than a tensor"));
      result = value_ref (tensor);
    }
  else
    return fail (vm, _("it calls %s, which a state dict never does"), callable->s);
  return push (vm, result);
}

static gboolean
persistent_load (Vm *vm)
{
  Value *pid = pop (vm);
  Value *type, *key, *v;
  gint64 numel;

  if (pid == NULL)
    return FALSE;
  if (pid->kind != V_TUPLE || pid->items->len != 5
      || ((Value *) g_ptr_array_index (pid->items, 0))->kind != V_STR
      || strcmp (((Value *) g_ptr_array_index (pid->items, 0))->s, "storage") != 0)
    {
      value_unref (pid);
      return fail (vm, "%s", _("it refers to an outside object that is not a storage"));
    }
  type = g_ptr_array_index (pid->items, 1);
  key = g_ptr_array_index (pid->items, 2);
  if (type->kind != V_GLOBAL || !g_str_has_suffix (type->s, "Storage") || key->kind != V_STR
      || !get_int (g_ptr_array_index (pid->items, 4), &numel) || numel < 0)
    {
      value_unref (pid);
      return fail (vm, "%s", _("a storage reference is malformed"));
    }
  v = value_new (V_STORAGE);
  v->s = g_strdup (key->s);
  v->i = numel;
  for (guint i = 0; i < G_N_ELEMENTS (storages); i++)
    if (strcmp (type->s, storages[i].name) == 0)
      v->dtype_name = storages[i].dtype;
  value_unref (pid);
  return push (vm, v);
}

static gboolean
push_string (Vm    *vm,
             gsize  len)
{
  const guint8 *bytes = NULL;
  Value *v;

  if (!take (vm, len, &bytes))
    return FALSE;
  v = value_new (V_STR);
  v->s = g_strndup ((const char *) bytes, len);
  return push (vm, v);
}

static guint32
le32 (const guint8 *b)
{
  return (guint32) b[0] | (guint32) b[1] << 8 | (guint32) b[2] << 16 | (guint32) b[3] << 24;
}

static gboolean
memo_put (Vm    *vm,
          guint  index)
{
  Value *v = top (vm);

  if (v == NULL)
    return FALSE;
  if (index >= MAX_MEMO)
    return fail (vm, "%s", _("the pickle's memo grows beyond any state dict's"));
  g_hash_table_replace (vm->memo, GUINT_TO_POINTER (index), value_ref (v));
  return TRUE;
}

static gboolean
memo_get (Vm    *vm,
          guint  index)
{
  Value *v = g_hash_table_lookup (vm->memo, GUINT_TO_POINTER (index));

  if (v == NULL)
    return fail (vm, "%s", _("the pickle refers to a value it never stored"));
  return push (vm, value_ref (v));
}

/* SETITEM(S) and APPEND(S): items from the stack into the container below them. */
static gboolean
fill (Vm       *vm,
      gboolean  dict,
      gboolean  many)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (value_unref);
  Value *container;

  if (many)
    {
      Value *group = pop_to_mark (vm, V_TUPLE);

      if (group == NULL)
        return FALSE;
      for (guint i = 0; i < group->items->len; i++)
        g_ptr_array_add (items, value_ref (g_ptr_array_index (group->items, i)));
      value_unref (group);
    }
  else
    for (guint i = 0; i < (dict ? 2u : 1u); i++)
      {
        Value *v = pop (vm);

        if (v == NULL)
          return FALSE;
        g_ptr_array_insert (items, 0, v);
      }
  container = top (vm);
  if (container == NULL)
    return FALSE;
  if (container->kind != (dict ? V_DICT : V_LIST) || (dict && items->len % 2 != 0))
    return fail (vm, _("it adds items to a %s"), kind_name (container->kind));
  for (guint i = 0; i < items->len; i++)
    add_item (container, value_ref (g_ptr_array_index (items, i)));
  if (container->depth > MAX_DEPTH)
    return fail (vm, "%s", _("the pickle is nested far deeper than a state dict"));
  return TRUE;
}

static Value *
run_pickle (Vm *vm)
{
  for (;;)
    {
      const guint8 *b = NULL;
      guint8 op;
      Value *v = NULL;

      if (!take (vm, 1, &b))
        return NULL;
      op = b[0];
      switch (op)
        {
        case 0x80:  /* PROTO */
          if (!take (vm, 1, &b))
            return NULL;
          break;
        case 0x95:  /* FRAME */
          if (!take (vm, 8, &b))
            return NULL;
          break;
        case '.':   /* STOP */
          {
            Value *result = pop (vm);

            if (result != NULL && vm->stack->len != 0)
              {
                value_unref (result);
                fail (vm, "%s", _("the pickle ends with values left over"));
                return NULL;
              }
            return result;
          }
        case '(':   /* MARK */
          if (vm->marks->len >= MAX_DEPTH)
            {
              fail (vm, "%s", _("the pickle is nested far deeper than a state dict"));
              return NULL;
            }
          g_array_append_val (vm->marks, vm->stack->len);
          break;
        case '}': v = value_new (V_DICT); break;
        case ']': v = value_new (V_LIST); break;
        case ')': v = value_new (V_TUPLE); break;
        case 'N': v = value_new (V_NONE); break;
        case 0x88: case 0x89:
          v = value_new (V_BOOL);
          v->i = op == 0x88;
          break;
        case 't': v = pop_to_mark (vm, V_TUPLE); if (v == NULL) return NULL; break;
        case 'l': v = pop_to_mark (vm, V_LIST); if (v == NULL) return NULL; break;
        case 'd':
          v = pop_to_mark (vm, V_DICT);
          if (v == NULL)
            return NULL;
          if (v->items->len % 2 != 0)
            {
              value_unref (v);
              fail (vm, "%s", _("a dict has a key without a value"));
              return NULL;
            }
          break;
        case 0x85: case 0x86: case 0x87:  /* TUPLE1, 2, 3 */
          {
            guint n = op - 0x84;

            v = value_new (V_TUPLE);
            for (guint i = 0; i < n; i++)
              {
                Value *item = pop (vm);

                if (item == NULL)
                  {
                    value_unref (v);
                    return NULL;
                  }
                g_ptr_array_insert (v->items, 0, item);
                v->depth = MAX (v->depth, item->depth + 1);
              }
          }
          break;
        case 'J':
          if (!take (vm, 4, &b))
            return NULL;
          v = value_new (V_INT);
          v->i = (gint32) le32 (b);
          break;
        case 'K':
          if (!take (vm, 1, &b))
            return NULL;
          v = value_new (V_INT);
          v->i = b[0];
          break;
        case 'M':
          if (!take (vm, 2, &b))
            return NULL;
          v = value_new (V_INT);
          v->i = b[0] | b[1] << 8;
          break;
        case 0x8a:  /* LONG1 */
          {
            guint64 u = 0;
            guint n;

            if (!take (vm, 1, &b))
              return NULL;
            n = b[0];
            if (n > 8)
              {
                fail (vm, "%s", _("an integer is larger than 64 bits"));
                return NULL;
              }
            if (!take (vm, n, &b))
              return NULL;
            for (guint i = 0; i < n; i++)
              u |= (guint64) b[i] << (8 * i);
            if (n > 0 && n < 8 && (b[n - 1] & 0x80))
              u |= ~(guint64) 0 << (8 * n);
            v = value_new (V_INT);
            v->i = (gint64) u;
          }
          break;
        case 'G':
          {
            guint64 u = 0;

            if (!take (vm, 8, &b))
              return NULL;
            for (guint i = 0; i < 8; i++)
              u = u << 8 | b[i];
            v = value_new (V_FLOAT);
            memcpy (&v->f, &u, sizeof u);
          }
          break;
        case 'X': case 'T':
          if (!take (vm, 4, &b) || !push_string (vm, le32 (b)))
            return NULL;
          break;
        case 0x8c: case 'U':
          if (!take (vm, 1, &b) || !push_string (vm, b[0]))
            return NULL;
          break;
        case 'c':   /* GLOBAL module\nname\n */
          {
            const guint8 *nl1 = memchr (vm->p, '\n', vm->end - vm->p);
            const guint8 *nl2 = nl1 ? memchr (nl1 + 1, '\n', vm->end - nl1 - 1) : NULL;
            g_autofree char *module = NULL;
            g_autofree char *name = NULL;

            if (nl2 == NULL)
              {
                fail (vm, "%s", _("the pickle is truncated"));
                return NULL;
              }
            module = g_strndup ((const char *) vm->p, nl1 - vm->p);
            name = g_strndup ((const char *) nl1 + 1, nl2 - nl1 - 1);
            vm->p = nl2 + 1;
            if (!push_global (vm, module, name))
              return NULL;
          }
          break;
        case 0x93:  /* STACK_GLOBAL */
          {
            Value *name = pop (vm);
            Value *module = name ? pop (vm) : NULL;
            gboolean ok = module != NULL && name->kind == V_STR && module->kind == V_STR
                          && push_global (vm, module->s, name->s);

            if (module != NULL && (name->kind != V_STR || module->kind != V_STR))
              fail (vm, "%s", _("a global is named by something other than strings"));
            value_unref (name);
            value_unref (module);
            if (!ok)
              return NULL;
          }
          break;
        case 'q':
          if (!take (vm, 1, &b) || !memo_put (vm, b[0]))
            return NULL;
          break;
        case 'r':
          if (!take (vm, 4, &b) || !memo_put (vm, le32 (b)))
            return NULL;
          break;
        case 0x94:  /* MEMOIZE */
          if (!memo_put (vm, g_hash_table_size (vm->memo)))
            return NULL;
          break;
        case 'h':
          if (!take (vm, 1, &b) || !memo_get (vm, b[0]))
            return NULL;
          break;
        case 'j':
          if (!take (vm, 4, &b) || !memo_get (vm, le32 (b)))
            return NULL;
          break;
        case 'R':
          if (!reduce (vm))
            return NULL;
          break;
        case 'Q':
          if (!persistent_load (vm))
            return NULL;
          break;
        case 's': case 'u': case 'a': case 'e':
          if (!fill (vm, op == 's' || op == 'u', op == 'u' || op == 'e'))
            return NULL;
          break;
        case 'b':   /* BUILD: a state dict's _metadata; dropped */
          {
            Value *state = pop (vm);
            Value *target = state ? top (vm) : NULL;

            if (state != NULL && target != NULL && target->kind != V_DICT)
              fail (vm, _("it sets the state of a %s"), kind_name (target->kind));
            value_unref (state);
            if (target == NULL || target->kind != V_DICT)
              return NULL;
          }
          break;
        default:
          fail (vm, _("the pickle uses opcode 0x%02x, which a state dict never needs"), op);
          return NULL;
        }
      if (v != NULL && !push (vm, v))
        return NULL;
    }
}

static gsize
dtype_size (const char *dtype_name)
{
  if (g_strcmp0 (dtype_name, "float64") == 0 || g_strcmp0 (dtype_name, "int64") == 0)
    return 8;
  return 4;
}

/* A tensor copied out of its storage, contiguous. */
static BsTensorView *
materialise (const char   *path,
             const char   *prefix,
             const char   *name,
             Value        *tensor,
             GHashTable   *files,
             GError      **error)
{
  Value *storage = tensor->storage;
  g_autofree char *file = g_strdup_printf ("%s/data/%s", prefix, storage->s);
  GBytes *bytes = g_hash_table_lookup (files, file);
  BsTensorView *view;
  gsize elem, have, n = 1;
  guint64 last = tensor->offset;
  const guint8 *src;
  guint8 *dst;
  gint64 index[MAX_DIMS] = { 0 };

  if (g_strcmp0 (storage->dtype_name, "float32") != 0 && g_strcmp0 (storage->dtype_name, "float64") != 0
      && g_strcmp0 (storage->dtype_name, "int64") != 0)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path,
                           _("tensor %s has dtype %s; Blockscope reads float32, float64 and int64"),
                           name, storage->dtype_name ? storage->dtype_name : "?");
      return NULL;
    }
  if (bytes == NULL)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, _("the storage of tensor %s (%s) is missing"),
                           name, file);
      return NULL;
    }
  elem = dtype_size (storage->dtype_name);
  have = g_bytes_get_size (bytes) / elem;
  for (guint d = 0; d < tensor->ndim; d++)
    {
      if (tensor->size[d] == 0)
        n = 0;
      else if (!g_size_checked_mul (&n, n, (gsize) tensor->size[d]))
        n = G_MAXSIZE;
      if (tensor->size[d] > 0)
        last += (guint64) (tensor->size[d] - 1) * (guint64) tensor->stride[d];
    }
  if (n > 0 && (n == G_MAXSIZE || last >= have || (guint64) storage->i > have))
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path,
                           _("the storage of tensor %s holds %zu elements, fewer than the tensor needs"),
                           name, have);
      return NULL;
    }

  view = g_new0 (BsTensorView, 1);
  view->name = g_strdup (name);
  view->dtype = elem == 8 ? (g_strcmp0 (storage->dtype_name, "int64") == 0 ? BS_DTYPE_I64 : BS_DTYPE_F64)
                          : BS_DTYPE_F32;
  view->ndim = tensor->ndim;
  memcpy (view->shape, tensor->size, sizeof tensor->size);
  view->n_elements = n;
  view->n_bytes = n * elem;
  /* A compressed storage can state any size: the copy may not fit. */
  dst = g_try_malloc (MAX (view->n_bytes, 1));
  if (dst == NULL)
    {
      g_free ((char *) view->name);
      g_free (view);
      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot read '%s': not enough memory for tensor %s"),
                   path, name);
      return NULL;
    }
  view->data = dst;
  src = g_bytes_get_data (bytes, NULL);
  /* Element by element in C order, wherever the strides put it. */
  for (gsize k = 0; k < n; k++)
    {
      guint64 at = tensor->offset;

      for (guint d = 0; d < tensor->ndim; d++)
        at += (guint64) index[d] * (guint64) tensor->stride[d];
      memcpy (dst + k * elem, src + at * elem, elem);
      for (gint d = (gint) tensor->ndim - 1; d >= 0; d--)
        {
          if (++index[d] < tensor->size[d])
            break;
          index[d] = 0;
        }
    }
  return view;
}

BsPth *
bs_pth_load_from_data (const char  *path,
                       GBytes      *data,
                       GError     **error)
{
  g_autoptr(GHashTable) files = NULL;
  g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func (value_unref);
  g_autoptr(GArray) marks = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autoptr(GHashTable) memo = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, value_unref);
  g_autofree char *prefix = NULL;
  GHashTableIter iter;
  gpointer key;
  GBytes *pickle = NULL;
  Value *root;
  BsPth *pth;
  Vm vm;
  gsize size = g_bytes_get_size (data);
  const guint8 *head = g_bytes_get_data (data, NULL);

  if (size < 4 || memcmp (head, "PK\x03\x04", 4) != 0)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path,
                           _("it is not a zip archive (PyTorch's format before 1.6 is not read: "
                             "save it again with torch.save in a recent PyTorch)"));
      return NULL;
    }
  files = read_zip (path, data, error);
  if (files == NULL)
    return NULL;
  g_hash_table_iter_init (&iter, files);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      const char *name = key;
      const char *slash = strchr (name, '/');

      if (slash != NULL && strcmp (slash, "/data.pkl") == 0)
        {
          if (prefix != NULL)
            {
              bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, "%s", _("it holds more than one pickle"));
              return NULL;
            }
          prefix = g_strndup (name, slash - name);
          pickle = g_hash_table_lookup (files, name);
        }
    }
  if (pickle == NULL)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, "%s", _("the archive has no data.pkl"));
      return NULL;
    }
  if (g_bytes_get_size (pickle) > MAX_PICKLE)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, "%s", _("its pickle is far larger than a state dict's"));
      return NULL;
    }

  /* An empty data.pkl's bytes are NULL, on which even + 0 is undefined
   * (found by tests/fuzz/fuzz-pth.c): read it as an empty pickle. */
  vm = (Vm) { path, g_bytes_get_data (pickle, NULL), NULL, stack, marks, memo, error };
  if (vm.p == NULL)
    vm.p = (const guint8 *) "";
  vm.end = vm.p + g_bytes_get_size (pickle);
  root = run_pickle (&vm);
  if (root == NULL)
    return NULL;
  if (root->kind != V_DICT)
    {
      bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, _("it holds a %s, not a state dict"),
                           kind_name (root->kind));
      value_unref (root);
      return NULL;
    }

  pth = g_new0 (BsPth, 1);
  pth->views = g_ptr_array_new_with_free_func (view_free);
  pth->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i + 1 < root->items->len; i += 2)
    {
      Value *k = g_ptr_array_index (root->items, i);
      Value *t = g_ptr_array_index (root->items, i + 1);
      BsTensorView *view;

      if (k->kind != V_STR || t->kind != V_TENSOR)
        {
          bs_set_format_error (error, BS_FILE_FORMAT_PTH, path,
                               _("an entry of the dict is a %s under a %s, not a tensor under a name"),
                               kind_name (t->kind), kind_name (k->kind));
          goto fail;
        }
      if (g_hash_table_contains (pth->by_name, k->s))
        {
          bs_set_format_error (error, BS_FILE_FORMAT_PTH, path, _("tensor %s appears twice"), k->s);
          goto fail;
        }
      view = materialise (path, prefix, k->s, t, files, error);
      if (view == NULL)
        goto fail;
      g_ptr_array_add (pth->views, view);
      g_hash_table_insert (pth->by_name, (char *) view->name, view);
    }
  value_unref (root);
  return pth;

fail:
  value_unref (root);
  bs_pth_free (pth);
  return NULL;
}

BsPth *
bs_pth_load (const char  *path,
             GError     **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) data = NULL;
  g_autoptr(GError) local = NULL;

  guint64 size;
  int fd;

  /* The type is checked before the open: a FIFO would block it. */
  fd = bs_file_open_regular (path, &size, error);
  if (fd < 0)
    return NULL;
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (mapped == NULL)
    {
      g_set_error (error, BS_ERROR, g_error_matches (local, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                   ? BS_ERROR_NOT_FOUND : BS_ERROR_IO,
                   /* Translators: a file, then the system's message. */
                   _("cannot read %s: %s"), path, local->message);
      return NULL;
    }
  data = g_mapped_file_get_bytes (mapped);
  return bs_pth_load_from_data (path, data, error);
}
