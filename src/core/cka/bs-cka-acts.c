/* bs-cka-acts.c: CKA from folders of .npy activations saved by any framework (see bs-cka-job.h). */
#include "bs-cka-acts.h"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "bs-cka-sink.h"
#include "bs-dtype.h"
#include "bs-error.h"
#include "bs-npy.h"

typedef struct {
  char      *dir;
  GPtrArray *files;   /* BsNpyFile */
  GArray    *infos;   /* BsLayerInfo */
} ActsDir;

static void
acts_dir_clear (ActsDir *d)
{
  g_clear_pointer (&d->dir, g_free);
  g_clear_pointer (&d->files, g_ptr_array_unref);
  g_clear_pointer (&d->infos, g_array_unref);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

static gboolean
acts_dir_open (ActsDir     *d,
               const char  *dir,
               GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(GDir) gdir = g_dir_open (dir, 0, &local);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  if (gdir == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                   _("Cannot read the activation folder '%s': %s"), dir, local->message);
      return FALSE;
    }
  while ((name = g_dir_read_name (gdir)) != NULL)
    if (g_str_has_suffix (name, ".npy"))
      g_ptr_array_add (names, g_strdup (name));
  if (names->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                   _("The activation folder '%s' has no .npy files"), dir);
      return FALSE;
    }
  g_ptr_array_sort (names, compare_names);

  d->dir = g_strdup (dir);
  d->files = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_npy_file_free);
  d->infos = bs_cka_layer_array_new ();
  for (guint i = 0; i < names->len; i++)
    {
      const char *base = g_ptr_array_index (names, i);
      g_autofree char *path = g_build_filename (dir, base, NULL);
      BsNpyFile *file = bs_npy_file_open (path, error);
      BsLayerInfo info = { 0 };
      const gint64 *shape;
      guint ndim;

      if (file == NULL)
        return FALSE;
      g_ptr_array_add (d->files, file);
      ndim = bs_npy_file_get_ndim (file);
      shape = bs_npy_file_get_shape (file);
      if (ndim == 0)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                       _("'%s' is a scalar; activations need a first axis of examples"), path);
          return FALSE;
        }
      if (bs_npy_file_get_row_length (file) > G_MAXUINT)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_FORMAT,
                       _("'%s' has too many features per example (%zu)"),
                       path, bs_npy_file_get_row_length (file));
          return FALSE;
        }

      info.name = g_strndup (base, strlen (base) - strlen (".npy"));
      info.kind = BS_LAYER_OTHER;
      info.stage = -1;
      info.block = -1;
      if (ndim == 4 && shape[1] <= G_MAXUINT && shape[2] <= G_MAXUINT && shape[3] <= G_MAXUINT)
        {
          /* (examples, channels, height, width), as PyTorch saves conv outputs. */
          info.channels = (guint) shape[1];
          info.height = (guint) shape[2];
          info.width = (guint) shape[3];
        }
      else
        {
          info.channels = (guint) bs_npy_file_get_row_length (file);
          info.height = 1;
          info.width = 1;
        }
      g_array_append_val (d->infos, info);
    }
  return TRUE;
}

static gboolean
same_folder (const char *a,
             const char *b)
{
  g_autoptr(GFile) fa = g_file_new_for_path (a);
  g_autoptr(GFile) fb = g_file_new_for_path (b);
  g_autoptr(GFileInfo) ia = NULL;
  g_autoptr(GFileInfo) ib = NULL;

  if (g_file_equal (fa, fb))
    return TRUE;
  ia = g_file_query_info (fa, G_FILE_ATTRIBUTE_ID_FILE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
  ib = g_file_query_info (fb, G_FILE_ATTRIBUTE_ID_FILE, G_FILE_QUERY_INFO_NONE, NULL, NULL);
  return ia && ib && g_strcmp0 (g_file_info_get_attribute_string (ia, G_FILE_ATTRIBUTE_ID_FILE),
                                g_file_info_get_attribute_string (ib, G_FILE_ATTRIBUTE_ID_FILE)) == 0;
}

/* The layers the options select among a folder's files (by name, as for models). */
static gboolean
acts_dir_select (ActsDir               *d,
                 const BsCkaJobOptions *options,
                 GError               **error)
{
  g_autoptr(GRegex) regex = NULL;
  g_autoptr(GError) local = NULL;

  if (options->layers == BS_CKA_LAYERS_ALL)
    return TRUE;
  if (options->layers == BS_CKA_LAYERS_RESIDUAL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: 'residual' is a value of an option: keep it. */
                   _("Activation folders do not say which layers are block outputs: "
                     "select them with a name pattern instead of 'residual'"));
      return FALSE;
    }
  if (options->layer_pattern == NULL || *options->layer_pattern == '\0')
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: 'all' is a value of an option: keep it. */
                   _("Empty layer pattern (use 'all' or a regular expression)"));
      return FALSE;
    }
  regex = g_regex_new (options->layer_pattern, 0, 0, &local);
  if (regex == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Layer pattern '%s' is not a valid regular expression: %s"),
                   options->layer_pattern, local->message);
      return FALSE;
    }
  for (guint i = d->infos->len; i-- > 0;)
    if (!g_regex_match (regex, g_array_index (d->infos, BsLayerInfo, i).name, 0, NULL))
      {
        g_array_remove_index (d->infos, i);
        g_ptr_array_remove_index (d->files, i);
      }
  if (d->infos->len == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: the first %s is a folder, the second a regular expression. */
                   _("No file in '%s' matches the layer pattern '%s'"), d->dir, options->layer_pattern);
      return FALSE;
    }
  return TRUE;
}

/* Reads one minibatch of one layer and hands its Gram to the sink. */
static gboolean
acts_feed (BsCkaSink        *sink,
           BsCkaSide         side,
           guint             layer,
           BsNpyFile        *file,
           guint64           first,
           guint             n,
           BsGramWorkspace  *ws,
           void            **buffer,
           gsize            *buffer_size,
           BsGramTriangle   *tri,
           GError          **error)
{
  gsize p = bs_npy_file_get_row_length (file);
  gboolean f64 = bs_npy_file_get_dtype (file) == BS_DTYPE_F64;
  gsize need;
  gboolean finite;

  /* The row length comes from the file (a sparse file can state any): the
   * buffer may not fit, which is a message, not an abort. */
  if (!g_size_checked_mul (&need, (gsize) n * (f64 ? sizeof (double) : sizeof (float)), p))
    need = G_MAXSIZE;
  if (*buffer_size < need)
    {
      g_free (*buffer);
      *buffer_size = 0;
      *buffer = need == G_MAXSIZE ? NULL : g_try_malloc (MAX (need, 1));
      if (*buffer == NULL)
        {
          g_autofree char *bytes = g_strdup_printf ("%" G_GSIZE_FORMAT, need);

          g_set_error (error, BS_ERROR, BS_ERROR_IO,
                       /* Translators: a file path and a number of bytes. */
                       _("'%s': not enough memory for %s bytes of activations"),
                       bs_npy_file_get_path (file), bytes);
          return FALSE;
        }
      *buffer_size = need;
    }
  if (!bs_npy_file_read_rows (file, first, n, f64 ? BS_DTYPE_F64 : BS_DTYPE_F32, *buffer, error))
    return FALSE;
  finite = f64 ? bs_gram_triangle_from_rows_f64 (ws, *buffer, n, p, tri)
               : bs_gram_triangle_from_rows_f32 (ws, *buffer, n, p, tri);
  bs_cka_sink_set_gram (sink, side, layer, tri, finite);
  return TRUE;
}

BsCkaSnapshot *
bs_cka_run_activations (const BsCkaJobOptions *options,
                        const BsEngineConfig  *config,
                        BsCkaSnapshotFunc      callback,
                        gpointer               user_data,
                        GCancellable          *cancellable,
                        GError               **error)
{
  ActsDir da = { 0 }, db = { 0 };
  BsCkaSink sink = { 0 };
  g_autofree void *buffer = NULL;
  gsize buffer_size = 0;
  BsCkaSnapshot *result = NULL;
  gboolean same = options->acts_dir_b == NULL || same_folder (options->acts_dir_a, options->acts_dir_b);
  guint n = options->batch_size;
  guint64 n_examples;
  guint total;

  if (!acts_dir_open (&da, options->acts_dir_a, error) || !acts_dir_select (&da, options, error))
    goto out;
  if (!same && (!acts_dir_open (&db, options->acts_dir_b, error) ||
                !acts_dir_select (&db, options, error)))
    goto out;

  /* Every file of both folders must hold the same examples. */
  n_examples = bs_npy_file_get_n_rows (g_ptr_array_index (da.files, 0));
  for (guint s = 0; s < (same ? 1u : 2u); s++)
    {
      ActsDir *d = s == 0 ? &da : &db;

      for (guint i = 0; i < d->files->len; i++)
        {
          BsNpyFile *file = g_ptr_array_index (d->files, i);

          if (bs_npy_file_get_n_rows (file) != n_examples)
            {
              g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                           /* Translators: two .npy files and their numbers of examples. */
                           _("'%s' has %" PRIu64 " examples, but '%s' has %" PRIu64
                             ": every activation file must hold the same examples in the same order"),
                           bs_npy_file_get_path (file), bs_npy_file_get_n_rows (file),
                           bs_npy_file_get_path (g_ptr_array_index (da.files, 0)), n_examples);
              goto out;
            }
        }
    }
  if (n_examples / n == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: '%s' is a folder; the last %u is the minibatch size. */
                                "The activations in '%s' have %" PRIu64 " example, fewer than one "
                                "minibatch of %u",
                                "The activations in '%s' have %" PRIu64 " examples, fewer than one "
                                "minibatch of %u", n_examples),
                   options->acts_dir_a, n_examples, n);
      goto out;
    }
  if (n_examples / n > G_MAXUINT)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("Too many minibatches"));
      goto out;
    }
  total = (guint) (n_examples / n);

  if (!bs_cka_sink_init (&sink, config, da.infos, same ? da.infos : db.infos, options->acts_dir_a,
                  same ? options->acts_dir_a : options->acts_dir_b, total, n, options->biased, 1, options->pc1, error))
    goto out;
  for (guint mb = 0; mb < total; mb++)
    {
      for (guint s = 0; s < (same ? 1u : 2u); s++)
        {
          ActsDir *d = s == 0 ? &da : &db;

          for (guint i = 0; i < d->files->len; i++)
            {
              if (bs_cka_set_cancelled (cancellable, error) ||
                  !acts_feed (&sink, s == 0 ? BS_CKA_SIDE_A : BS_CKA_SIDE_B, i,
                              g_ptr_array_index (d->files, i), (guint64) mb * n, n, sink.ws,
                              &buffer, &buffer_size, &sink.tris[0], error))
                goto out;
            }
        }
      if (!bs_cka_sink_end_minibatch (&sink, callback, user_data, error))
        goto out;
    }
  result = g_steal_pointer (&sink.last);

out:
  bs_cka_sink_clear (&sink);
  acts_dir_clear (&da);
  acts_dir_clear (&db);
  return result;
}

