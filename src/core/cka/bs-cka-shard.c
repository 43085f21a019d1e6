/* bs-cka-shard.c: the minibatches of one shard, on disk and merged in order. */
#include "bs-config.h"

#include "bs-cka-shard.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <string.h>

#include "bs-cka-export.h"
#include "bs-cka-import.h"
#include "bs-error.h"
#include "bs-json-file.h"
#include "bs-safetensors.h"

#define SHARD_FORMAT "blockscope-cka-shard"

struct _BsCkaShard {
  char          *path;          /* where it was read from, or NULL */
  char          *run;           /* the run's JSON (see the header) */
  char          *images_sha256;
  guint          shard;
  guint          n_shards;
  gboolean       symmetric;
  BsCkaSnapshot *header;        /* the run's layers and protocol */
  guint          n_rows;
  guint          n_cols;
  /* The options (strings owned). */
  guint          passes;
  guint64        seed;
  guint64        init_seed_a;
  guint64        init_seed_b;
  char          *layers;
  char          *dataset;
  guint          n_examples;
  /* The minibatches, ascending. */
  GArray        *index;         /* gint64 */
  GArray        *xy;            /* double, n_rows * n_cols each */
  GArray        *self_a, *trace_a, *bad_a;   /* double, n_rows each */
  GArray        *self_b, *trace_b, *bad_b;   /* double, n_cols each */
};

static BsCkaShard *
shard_alloc (void)
{
  BsCkaShard *s = g_new0 (BsCkaShard, 1);

  s->index = g_array_new (FALSE, FALSE, sizeof (gint64));
  s->xy = g_array_new (FALSE, FALSE, sizeof (double));
  s->self_a = g_array_new (FALSE, FALSE, sizeof (double));
  s->trace_a = g_array_new (FALSE, FALSE, sizeof (double));
  s->bad_a = g_array_new (FALSE, FALSE, sizeof (double));
  s->self_b = g_array_new (FALSE, FALSE, sizeof (double));
  s->trace_b = g_array_new (FALSE, FALSE, sizeof (double));
  s->bad_b = g_array_new (FALSE, FALSE, sizeof (double));
  return s;
}

void
bs_cka_shard_free (BsCkaShard *s)
{
  if (s == NULL)
    return;
  g_free (s->path);
  g_free (s->run);
  g_free (s->images_sha256);
  g_clear_pointer (&s->header, bs_cka_snapshot_unref);
  g_free (s->layers);
  g_free (s->dataset);
  g_array_unref (s->index);
  g_array_unref (s->xy);
  g_array_unref (s->self_a);
  g_array_unref (s->trace_a);
  g_array_unref (s->bad_a);
  g_array_unref (s->self_b);
  g_array_unref (s->trace_b);
  g_array_unref (s->bad_b);
  g_free (s);
}

BsCkaShard *
bs_cka_shard_new (const BsCkaSnapshotHeader *header,
                  const BsCkaJobOptions     *options,
                  gboolean                   symmetric,
                  const char                *dataset,
                  guint                      n_examples,
                  const char                *images_sha256,
                  guint                      shard,
                  guint                      n_shards)
{
  BsCkaShard *s = shard_alloc ();
  /* What the run is, not values: the matrices of no minibatch would be nulls. */
  BsCkaExportInfo info = { .options = options, .dataset = dataset, .n_examples = n_examples,
                           .elapsed_seconds = -1, .header_only = TRUE };
  BsCkaSnapshotHeader h = *header;

  /* What the accumulator would put in the result's header. */
  h.batch_size = options->batch_size;
  h.biased = options->biased;
  s->header = bs_cka_snapshot_new_empty (&h);
  s->run = bs_cka_export_json (s->header, &info, NULL);
  s->images_sha256 = g_strdup (images_sha256);
  s->shard = shard;
  s->n_shards = n_shards;
  s->symmetric = symmetric;
  s->n_rows = header->n_rows;
  s->n_cols = header->n_cols;
  s->passes = options->passes;
  s->seed = options->seed;
  s->init_seed_a = options->init_seed_a;
  s->init_seed_b = options->init_seed_b;
  s->layers = g_strdup (bs_cka_layer_selection_to_string (options));
  s->dataset = g_strdup (dataset);
  s->n_examples = n_examples;
  return s;
}

char *
bs_cka_shard_hash_images (const BsImageSet *set,
                          guint             n)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  n = MIN (n, set->n_images);
  g_checksum_update (sum, set->pixels, (gssize) (bs_image_set_image_size (set) * n));
  g_checksum_update (sum, set->labels, n);
  return g_strdup (g_checksum_get_string (sum));
}

gboolean
bs_cka_shard_owns (guint   shard,
                   guint   n_shards,
                   guint64 index)
{
  return n_shards == 0 || index % n_shards == shard;
}

static void
append_flags (GArray       *array,
              const guint8 *flags,
              guint         n)
{
  for (guint i = 0; i < n; i++)
    {
      double v = flags[i] ? 1.0 : 0.0;

      g_array_append_val (array, v);
    }
}

void
bs_cka_shard_add (BsCkaShard                *s,
                  guint64                    index,
                  const BsCkaMinibatchTerms *terms)
{
  gint64 i = (gint64) index;

  g_array_append_val (s->index, i);
  g_array_append_vals (s->xy, terms->xy, (guint) s->n_rows * s->n_cols);
  g_array_append_vals (s->self_a, terms->self_a, s->n_rows);
  g_array_append_vals (s->trace_a, terms->trace_a, s->n_rows);
  append_flags (s->bad_a, terms->bad_a, s->n_rows);
  g_array_append_vals (s->self_b, terms->self_b, s->n_cols);
  g_array_append_vals (s->trace_b, terms->trace_b, s->n_cols);
  append_flags (s->bad_b, terms->bad_b, s->n_cols);
}

guint
bs_cka_shard_get_index (const BsCkaShard *s)
{
  return s->shard;
}

guint
bs_cka_shard_get_n_shards (const BsCkaShard *s)
{
  return s->n_shards;
}

guint
bs_cka_shard_get_n_minibatches (const BsCkaShard *s)
{
  return s->index->len;
}

const char *
bs_cka_shard_get_path (const BsCkaShard *s)
{
  return s->path;
}

void
bs_cka_shard_get_options (const BsCkaShard  *s,
                          BsCkaJobOptions   *options,
                          const char       **dataset,
                          guint             *n_examples)
{
  bs_cka_job_options_init (options);
  options->batch_size = bs_cka_snapshot_get_batch_size (s->header);
  options->biased = bs_cka_snapshot_get_biased (s->header);
  options->passes = s->passes;
  options->seed = s->seed;
  options->init_seed_a = s->init_seed_a;
  options->init_seed_b = s->init_seed_b;
  options->layers = bs_cka_layer_selection_parse (s->layers);
  options->layer_pattern = s->layers;
  options->spec_a = bs_cka_snapshot_get_model_a (s->header);
  options->spec_b = bs_cka_snapshot_get_model_b (s->header);
  *dataset = s->dataset;
  *n_examples = s->n_examples;
}

/* ---- On disk. */

static void
set_number (BsSafetensorsWriter *w,
            GPtrArray           *strings,
            const char          *key,
            guint64              value)
{
  g_ptr_array_add (strings, g_strdup_printf ("%" G_GUINT64_FORMAT, value));
  bs_safetensors_writer_set_metadata (w, key, g_ptr_array_index (strings, strings->len - 1));
}

gboolean
bs_cka_shard_save (const BsCkaShard  *s,
                   const char        *path,
                   GError           **error)
{
  g_autoptr(BsSafetensorsWriter) w = bs_safetensors_writer_new ();
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  gint64 k = s->index->len;
  gint64 shape_k[1] = { k }, shape_xy[3] = { k, s->n_rows, s->n_cols };
  gint64 shape_a[2] = { k, s->n_rows }, shape_b[2] = { k, s->n_cols };

  if (k == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a shard's number and the number of shards. */
                   _("Shard %u of %u holds no minibatch: use fewer shards than the run has minibatches"),
                   s->shard, s->n_shards);
      return FALSE;
    }
  bs_safetensors_writer_set_metadata (w, "format", SHARD_FORMAT);
  set_number (w, strings, "format_version", BS_CKA_SHARD_FORMAT_VERSION);
  set_number (w, strings, "shard", s->shard);
  set_number (w, strings, "shards", s->n_shards);
  bs_safetensors_writer_set_metadata (w, "symmetric", s->symmetric ? "true" : "false");
  bs_safetensors_writer_set_metadata (w, "images_sha256", s->images_sha256);
  bs_safetensors_writer_set_metadata (w, "run", s->run);
  set_number (w, strings, "passes", s->passes);
  set_number (w, strings, "seed", s->seed);
  set_number (w, strings, "init_seed_a", s->init_seed_a);
  set_number (w, strings, "init_seed_b", s->init_seed_b);
  set_number (w, strings, "examples_per_pass", s->n_examples);
  bs_safetensors_writer_set_metadata (w, "layers", s->layers);
  bs_safetensors_writer_set_metadata (w, "dataset", s->dataset ? s->dataset : "");

  return bs_safetensors_writer_add (w, "index", BS_DTYPE_I64, 1, shape_k, s->index->data, error)
         && bs_safetensors_writer_add (w, "xy", BS_DTYPE_F64, 3, shape_xy, s->xy->data, error)
         && bs_safetensors_writer_add (w, "self_a", BS_DTYPE_F64, 2, shape_a, s->self_a->data, error)
         && bs_safetensors_writer_add (w, "trace_a", BS_DTYPE_F64, 2, shape_a, s->trace_a->data, error)
         && bs_safetensors_writer_add (w, "bad_a", BS_DTYPE_F64, 2, shape_a, s->bad_a->data, error)
         && bs_safetensors_writer_add (w, "self_b", BS_DTYPE_F64, 2, shape_b, s->self_b->data, error)
         && bs_safetensors_writer_add (w, "trace_b", BS_DTYPE_F64, 2, shape_b, s->trace_b->data, error)
         && bs_safetensors_writer_add (w, "bad_b", BS_DTYPE_F64, 2, shape_b, s->bad_b->data, error)
         && bs_safetensors_writer_save (w, path, error);
}

static gboolean shard_error (GError     **error,
                             const char  *path,
                             const char  *format,
                             ...) G_GNUC_PRINTF (3, 4);

static gboolean
shard_error (GError     **error,
             const char  *path,
             const char  *format,
             ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  /* Translators: a file, then what is wrong with it. */
  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a usable CKA shard: %s"), path, detail);
  return FALSE;
}

static gboolean
metadata_uint (BsSafetensors *st,
               const char    *key,
               guint64        max,
               guint64       *value)
{
  const char *text = bs_safetensors_get_metadata (st, key);

  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL);
}

/* Tensor name as F64 (or I64) of the given shape, copied into array. */
static gboolean
read_tensor (BsSafetensors *st,
             const char    *path,
             const char    *name,
             BsDtype        dtype,
             guint          ndim,
             const gint64  *shape,
             GArray        *array,
             GError       **error)
{
  const BsTensorView *view = bs_safetensors_get (st, name);
  gsize n = 1;

  if (view == NULL || view->dtype != dtype || view->ndim != ndim
      || memcmp (view->shape, shape, ndim * sizeof (gint64)) != 0)
    /* Translators: a tensor's name. */
    return shard_error (error, path, _("tensor '%s' is missing or has the wrong type or shape"), name);
  for (guint d = 0; d < ndim; d++)
    n *= (gsize) shape[d];
  g_array_set_size (array, (guint) n);
  memcpy (array->data, view->data, n * (dtype == BS_DTYPE_I64 ? sizeof (gint64) : sizeof (double)));
  return TRUE;
}

BsCkaShard *
bs_cka_shard_load (const char  *path,
                   GError     **error)
{
  g_autoptr(BsSafetensors) st = NULL;
  g_autoptr(BsCkaShard) s = shard_alloc ();
  g_autoptr(JsonNode) run = NULL;
  const BsTensorView *index;
  guint64 version, shard, n_shards, passes, seed, seed_a, seed_b, examples;
  const char *text;
  gint64 k;

  st = bs_safetensors_load (path, error);
  if (st == NULL)
    return NULL;
  s->path = g_strdup (path);
  if (g_strcmp0 (bs_safetensors_get_metadata (st, "format"), SHARD_FORMAT) != 0)
    {
      shard_error (error, path, _("it does not say \"format\": \"%s\""), SHARD_FORMAT);
      return NULL;
    }
  if (!metadata_uint (st, "format_version", G_MAXUINT, &version) || version != BS_CKA_SHARD_FORMAT_VERSION)
    {
      shard_error (error, path, _("it is of format version %s; this Blockscope reads version %d"),
                   bs_safetensors_get_metadata (st, "format_version") ?: "?", BS_CKA_SHARD_FORMAT_VERSION);
      return NULL;
    }
  if (!metadata_uint (st, "shards", 1000000, &n_shards) || n_shards < 1
      || !metadata_uint (st, "shard", n_shards - 1, &shard)
      || !metadata_uint (st, "passes", G_MAXUINT, &passes) || !metadata_uint (st, "seed", G_MAXUINT64, &seed)
      || !metadata_uint (st, "init_seed_a", G_MAXUINT64, &seed_a)
      || !metadata_uint (st, "init_seed_b", G_MAXUINT64, &seed_b)
      || !metadata_uint (st, "examples_per_pass", G_MAXUINT, &examples)
      || bs_safetensors_get_metadata (st, "images_sha256") == NULL
      || bs_safetensors_get_metadata (st, "layers") == NULL
      || bs_safetensors_get_metadata (st, "dataset") == NULL
      || (text = bs_safetensors_get_metadata (st, "run")) == NULL)
    {
      shard_error (error, path, _("its metadata is incomplete or malformed"));
      return NULL;
    }
  run = bs_json_parse_text (text, strlen (text), path, error);
  if (run == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (run))
    {
      shard_error (error, path, _("its run description is not a JSON object"));
      return NULL;
    }
  s->header = bs_cka_import_header (json_node_get_object (run), path, error);
  if (s->header == NULL)
    return NULL;
  s->run = g_strdup (text);
  s->images_sha256 = g_strdup (bs_safetensors_get_metadata (st, "images_sha256"));
  s->layers = g_strdup (bs_safetensors_get_metadata (st, "layers"));
  s->dataset = g_strdup (bs_safetensors_get_metadata (st, "dataset"));
  s->symmetric = g_strcmp0 (bs_safetensors_get_metadata (st, "symmetric"), "true") == 0;
  s->shard = (guint) shard;
  s->n_shards = (guint) n_shards;
  s->passes = (guint) passes;
  s->seed = seed;
  s->init_seed_a = seed_a;
  s->init_seed_b = seed_b;
  s->n_examples = (guint) examples;
  s->n_rows = bs_cka_snapshot_get_n_rows (s->header);
  s->n_cols = bs_cka_snapshot_get_n_cols (s->header);
  if (s->symmetric && s->n_rows != s->n_cols)
    {
      shard_error (error, path, _("it compares a model with itself but has more rows than columns"));
      return NULL;
    }

  index = bs_safetensors_get (st, "index");
  if (index == NULL || index->ndim != 1 || index->shape[0] < 1 || index->shape[0] > G_MAXUINT / 2)
    {
      shard_error (error, path, _("tensor '%s' is missing or has the wrong type or shape"), "index");
      return NULL;
    }
  k = index->shape[0];
  {
    gint64 shape_k[1] = { k }, shape_xy[3] = { k, s->n_rows, s->n_cols };
    gint64 shape_a[2] = { k, s->n_rows }, shape_b[2] = { k, s->n_cols };

    if (!read_tensor (st, path, "index", BS_DTYPE_I64, 1, shape_k, s->index, error)
        || !read_tensor (st, path, "xy", BS_DTYPE_F64, 3, shape_xy, s->xy, error)
        || !read_tensor (st, path, "self_a", BS_DTYPE_F64, 2, shape_a, s->self_a, error)
        || !read_tensor (st, path, "trace_a", BS_DTYPE_F64, 2, shape_a, s->trace_a, error)
        || !read_tensor (st, path, "bad_a", BS_DTYPE_F64, 2, shape_a, s->bad_a, error)
        || !read_tensor (st, path, "self_b", BS_DTYPE_F64, 2, shape_b, s->self_b, error)
        || !read_tensor (st, path, "trace_b", BS_DTYPE_F64, 2, shape_b, s->trace_b, error)
        || !read_tensor (st, path, "bad_b", BS_DTYPE_F64, 2, shape_b, s->bad_b, error))
      return NULL;
  }
  for (guint i = 0; i < s->index->len; i++)
    {
      gint64 m = g_array_index (s->index, gint64, i);

      if (m < 0 || (guint64) m >= bs_cka_snapshot_get_minibatches_total (s->header)
          || (guint64) m % n_shards != shard || (i > 0 && m <= g_array_index (s->index, gint64, i - 1)))
        {
          g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, m);

          /* Translators: a minibatch's number. */
          shard_error (error, path, _("minibatch %s is not one of this shard's"), number);
          return NULL;
        }
    }
  return g_steal_pointer (&s);
}

/* ---- Merging. */

typedef struct {
  gint64            index;
  const BsCkaShard *shard;
  guint             row;    /* position in the shard */
} Entry;

static int
compare_entries (gconstpointer a,
                 gconstpointer b)
{
  const Entry *x = a, *y = b;

  return x->index < y->index ? -1 : x->index > y->index;
}

static const char *
shard_name (const BsCkaShard *s)
{
  return s->path != NULL ? s->path : "?";
}

static void
flags_of (const GArray *array,
          gsize         offset,
          guint         n,
          guint8       *out)
{
  for (guint i = 0; i < n; i++)
    out[i] = g_array_index (array, double, offset + i) != 0.0;
}

BsCkaSnapshot *
bs_cka_shards_merge (BsCkaShard *const  *shards,
                     guint               n,
                     gboolean            partial,
                     guint              *missing,
                     GError            **error)
{
  g_autoptr(GArray) entries = g_array_new (FALSE, FALSE, sizeof (Entry));
  g_autofree const BsCkaShard **by_index = NULL;
  g_autofree guint8 *bad_a = NULL;
  g_autofree guint8 *bad_b = NULL;
  const BsCkaShard *first;
  BsCkaAccumulator *acc;
  BsCkaSnapshotHeader header;
  BsCkaSnapshot *result;
  guint absent = 0;

  if (n == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("No shards to merge"));
      return NULL;
    }
  first = shards[0];
  by_index = g_new0 (const BsCkaShard *, first->n_shards);
  for (guint i = 0; i < n; i++)
    {
      const BsCkaShard *s = shards[i];

      if (s->n_shards != first->n_shards || s->symmetric != first->symmetric
          || strcmp (s->run, first->run) != 0 || strcmp (s->images_sha256, first->images_sha256) != 0)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: two shard files. */
                       _("'%s' and '%s' are shards of different runs (models, data, protocol or shard count)"),
                       shard_name (first), shard_name (s));
          return NULL;
        }
      if (by_index[s->shard] != NULL)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a shard's number, then two files. */
                       _("Shard %u is given twice: '%s' and '%s'"), s->shard, shard_name (by_index[s->shard]),
                       shard_name (s));
          return NULL;
        }
      by_index[s->shard] = s;
      for (guint r = 0; r < s->index->len; r++)
        {
          Entry e = { g_array_index (s->index, gint64, r), s, r };

          g_array_append_val (entries, e);
        }
    }
  for (guint k = 0; k < first->n_shards; k++)
    if (by_index[k] == NULL)
      {
        if (!partial)
          {
            g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                         /* Translators: a shard's number and the number of shards. */
                         _("Shard %u of %u is missing (merge what is there with --partial)"), k,
                         first->n_shards);
            return NULL;
          }
        absent++;
      }
  if (missing != NULL)
    *missing = absent;

  /* In the order one machine adds them. */
  g_array_sort (entries, compare_entries);
  acc = bs_cka_accumulator_new (first->n_rows, first->n_cols, bs_cka_snapshot_get_batch_size (first->header),
                                bs_cka_snapshot_get_biased (first->header), first->symmetric, error);
  if (acc == NULL)
    return NULL;
  bad_a = g_new (guint8, first->n_rows);
  bad_b = g_new (guint8, first->n_cols);
  for (guint i = 0; i < entries->len; i++)
    {
      const Entry *e = &g_array_index (entries, Entry, i);
      const BsCkaShard *s = e->shard;
      gsize ra = (gsize) e->row * s->n_rows, rb = (gsize) e->row * s->n_cols;
      BsCkaMinibatchTerms terms;

      flags_of (s->bad_a, ra, s->n_rows, bad_a);
      flags_of (s->bad_b, rb, s->n_cols, bad_b);
      terms = (BsCkaMinibatchTerms) {
        .xy = &g_array_index (s->xy, double, (gsize) e->row * s->n_rows * s->n_cols),
        .self_a = &g_array_index (s->self_a, double, ra),
        .self_b = &g_array_index (s->self_b, double, rb),
        .trace_a = &g_array_index (s->trace_a, double, ra),
        .trace_b = &g_array_index (s->trace_b, double, rb),
        .bad_a = bad_a,
        .bad_b = bad_b,
      };
      bs_cka_accumulator_add_terms (acc, &terms);
    }
  bs_cka_snapshot_get_header (first->header, &header);
  result = bs_cka_accumulator_make_snapshot (acc, &header);
  bs_cka_accumulator_free (acc);
  return result;
}
