/* bs-acts-export.c: layer outputs to .npy files, one per layer, streamed
 * batch by batch (a folder of activations can be far larger than memory). */
#include "bs-acts-export.h"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

#include "bs-batcher.h"
#include "bs-error.h"
#include "bs-model-spec.h"
#include "bs-npy.h"

#define DEFAULT_BATCH 64
#define INFO_FILE "activations.json"

typedef struct {
  BsModel       *model;
  gint          *row_of_tap;   /* tap index -> selected row, or -1 */
  char         **paths;        /* per row */
  float         *scratch;      /* one batch of the largest layer, NCHW */
  GCancellable  *cancellable;
  GError        *error;        /* the first failure inside a tap */
} Writer;

void
bs_acts_export_options_init (BsActsExportOptions *options)
{
  memset (options, 0, sizeof *options);
  options->batch_size = DEFAULT_BATCH;
  options->layers = BS_CKA_LAYERS_ALL;
}

static gboolean
is_flat (const BsLayerInfo *info)
{
  return info->kind == BS_LAYER_AVGPOOL || info->kind == BS_LAYER_FC;
}

static guint
layer_shape (const BsLayerInfo *info,
             guint              n_images,
             gint64            *shape)
{
  shape[0] = n_images;
  shape[1] = info->channels;
  if (is_flat (info))
    return 2;
  shape[2] = info->height;
  shape[3] = info->width;
  return 4;
}

guint64
bs_acts_export_bytes (BsModel      *model,
                      const GArray *tap_indices,
                      guint         n_images)
{
  guint64 bytes = 0;

  for (guint r = 0; r < tap_indices->len; r++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, g_array_index (tap_indices, guint, r));

      /* 128 bytes covers a header of up to four dimensions. */
      bytes += 128 + (guint64) bs_layer_info_n_features (info) * n_images * sizeof (float);
    }
  return bytes;
}

static void
set_write_error (GError     **error,
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
}

/* Writes (append FALSE) or appends len bytes to path. */
static gboolean
write_bytes (const char  *path,
             const void  *data,
             gsize        len,
             gboolean     append,
             GError     **error)
{
  FILE *f = fopen (path, append ? "ab" : "wb");

  if (f == NULL)
    {
      set_write_error (error, path, errno);
      return FALSE;
    }
  if (fwrite (data, 1, len, f) != len)
    {
      int saved_errno = errno;

      fclose (f);
      set_write_error (error, path, saved_errno);
      return FALSE;
    }
  if (fclose (f) != 0)
    {
      set_write_error (error, path, errno);
      return FALSE;
    }
  return TRUE;
}

/* The engine's layout is (c, n, y, x) with the batch inside each channel;
 * a .npy row is one example, (c, y, x). */
static void
on_tap (const BsLayerInfo *info,
        guint              tap_index,
        const float       *activation,
        guint              batch,
        gpointer           user_data)
{
  Writer *w = user_data;
  gint row = w->row_of_tap[tap_index];
  gsize plane = (gsize) info->height * info->width;

  if (row < 0 || w->error != NULL)
    return;
  for (guint n = 0; n < batch; n++)
    for (guint c = 0; c < info->channels; c++)
      memcpy (w->scratch + ((gsize) n * info->channels + c) * plane,
              activation + ((gsize) c * batch + n) * plane, plane * sizeof (float));
  write_bytes (w->paths[row], w->scratch, (gsize) batch * info->channels * plane * sizeof (float),
               TRUE, &w->error);
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

/* out_dir must not exist, or be an empty folder. */
static gboolean
check_out_dir (const char  *out_dir,
               GError     **error)
{
  GDir *dir;
  gboolean empty;

  if (!g_file_test (out_dir, G_FILE_TEST_EXISTS))
    return TRUE;
  dir = g_dir_open (out_dir, 0, NULL);
  if (dir == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a path. */
                   _("%s exists and is not a folder"), out_dir);
      return FALSE;
    }
  empty = g_dir_read_name (dir) == NULL;
  g_dir_close (dir);
  if (!empty)
    g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                 /* Translators: a folder. */
                 _("%s is not empty: give a new or empty folder for the activations"), out_dir);
  return empty;
}

static gboolean
check_space (const char  *folder,
             guint64      needed,
             GError     **error)
{
  g_autoptr(GFile) file = g_file_new_for_path (folder);
  g_autoptr(GFileInfo) info = g_file_query_filesystem_info (file, G_FILE_ATTRIBUTE_FILESYSTEM_FREE,
                                                            NULL, NULL);
  guint64 free_bytes;

  if (info == NULL || !g_file_info_has_attribute (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE))
    return TRUE;
  free_bytes = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_FILESYSTEM_FREE);
  if (needed <= free_bytes)
    return TRUE;
  g_set_error (error, BS_ERROR, BS_ERROR_IO,
               /* Translators: megabytes needed, a folder, megabytes free there. */
               _("the activations would take %.0f MB, but %s has only %.0f MB free: "
                 "use fewer images or layers"),
               needed / 1e6, folder, free_bytes / 1e6);
  return FALSE;
}

static gboolean
write_info (const char     *path,
            const char     *model_text,
            BsModel        *model,
            BsDataset      *dataset,
            guint           n_images,
            const GArray   *indices,
            char          **files,
            GError        **error)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "model");
  json_builder_add_string_value (builder, model_text);
  json_builder_set_member_name (builder, "architecture");
  json_builder_add_string_value (builder, bs_model_get_name (model));
  json_builder_set_member_name (builder, "dataset");
  json_builder_add_string_value (builder, dataset->name);
  json_builder_set_member_name (builder, "split");
  json_builder_add_string_value (builder, "test");
  json_builder_set_member_name (builder, "input");
  json_builder_add_string_value (builder, bs_model_get_input_normalization (model, NULL, NULL)
                                 ? "pixels / 255, NCHW, float32, then the network's input normalisation "
                                   "(input_mean, input_std of its checkpoint): layer 'input' is the normalised image"
                                 : "pixels / 255, NCHW, float32, no normalisation");
  json_builder_set_member_name (builder, "n_images");
  json_builder_add_int_value (builder, n_images);
  json_builder_set_member_name (builder, "images");
  json_builder_begin_array (builder);
  for (guint i = 0; i < n_images; i++)
    json_builder_add_int_value (builder, i);
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "layers");
  json_builder_begin_array (builder);
  for (guint r = 0; r < indices->len; r++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, g_array_index (indices, guint, r));
      gint64 shape[4];
      guint ndim = layer_shape (info, n_images, shape);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "file");
      json_builder_add_string_value (builder, files[r]);
      json_builder_set_member_name (builder, "name");
      json_builder_add_string_value (builder, info->name);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, bs_layer_kind_to_string (info->kind));
      json_builder_set_member_name (builder, "stage");
      json_builder_add_int_value (builder, info->stage);
      json_builder_set_member_name (builder, "block");
      json_builder_add_int_value (builder, info->block);
      json_builder_set_member_name (builder, "block_output");
      json_builder_add_boolean_value (builder, info->block_output);
      json_builder_set_member_name (builder, "shape");
      json_builder_begin_array (builder);
      for (guint d = 0; d < ndim; d++)
        json_builder_add_int_value (builder, shape[d]);
      json_builder_end_array (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  text = json_generator_to_data (generator, NULL);
  return write_bytes (path, text, strlen (text), FALSE, error);
}

gboolean
bs_acts_export_run (const BsActsExportOptions  *options,
                    guint                       threads,
                    BsActsExportProgress        progress,
                    gpointer                    user_data,
                    guint                      *n_layers,
                    GCancellable               *cancellable,
                    GError                    **error)
{
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(GArray) indices = NULL;
  g_autoptr(BsBatcher) batcher = NULL;
  g_autofree float *images = NULL;
  g_autofree guint8 *labels = NULL;
  g_autofree gboolean *mask = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *template = NULL;
  g_autofree char *info_path = NULL;
  g_auto(GStrv) files = NULL;
  BsModel *model = options->model;
  gboolean owned = FALSE, ok = FALSE;
  const BsImageSet *set;
  Writer w = { 0 };
  char *tmp = NULL;
  guint n_images, n_taps, done = 0, digits;
  gsize largest = 0;

  g_return_val_if_fail (options->out_dir != NULL, FALSE);
  if (options->batch_size < 1)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT, _("the batch size must be at least 1"));
      return FALSE;
    }
  if (options->dataset != NULL)
    dataset = bs_dataset_ref (options->dataset);
  else
    {
      dataset = bs_dataset_load_test (options->dataset_name, options->data_dir, error);
      if (dataset == NULL)
        return FALSE;
    }
  set = &dataset->test;
  n_images = options->limit > 0 ? MIN (options->limit, set->n_images) : set->n_images;
  if (n_images == 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_FAILED, _("%s has no test images"), dataset->name);
      return FALSE;
    }

  if (model == NULL)
    {
      model = bs_model_spec_build (options->spec, set->channels, set->height, set->width,
                                   dataset->n_classes, options->init_seed, error);
      if (model == NULL)
        return FALSE;
      owned = TRUE;
      bs_model_set_threads (model, MAX (threads, 1));
    }
  n_taps = bs_model_get_n_layers (model);
  for (guint i = 0; i < n_taps; i++)
    {
      const BsLayerInfo *info = bs_model_get_layer (model, i);

      if (info->kind == BS_LAYER_INPUT
          && (info->channels != set->channels || info->height != set->height
              || info->width != set->width))
        {
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                       /* Translators: a model's name, its input shape, a data set, its images' shape. */
                       _("%s takes %ux%ux%u inputs, but the images of '%s' are %ux%ux%u"),
                       bs_model_get_name (model), info->channels, info->height, info->width,
                       dataset->name, set->channels, set->height, set->width);
          goto out;
        }
    }

  indices = bs_cka_job_select_layers (model, options->layers, options->layer_pattern, error);
  if (indices == NULL)
    goto out;
  if (!check_out_dir (options->out_dir, error))
    goto out;
  parent = g_path_get_dirname (options->out_dir);
  if (g_mkdir_with_parents (parent, 0755) != 0)
    {
      set_write_error (error, parent, errno);
      goto out;
    }
  if (!check_space (parent, bs_acts_export_bytes (model, indices, n_images), error))
    goto out;
  template = g_strconcat (options->out_dir, ".partial-XXXXXX", NULL);
  tmp = g_mkdtemp (template);
  if (tmp == NULL)
    {
      set_write_error (error, template, errno);
      goto out;
    }

  /* File names sort in layer order: numbers zero-padded to the same width. */
  digits = 3;
  for (guint v = indices->len - 1; v >= 1000; v /= 10)
    digits++;
  files = g_new0 (char *, indices->len + 1);
  w.paths = g_new0 (char *, indices->len + 1);
  w.row_of_tap = g_new (gint, MAX (n_taps, 1));
  mask = g_new0 (gboolean, MAX (n_taps, 1));
  for (guint i = 0; i < n_taps; i++)
    w.row_of_tap[i] = -1;
  for (guint r = 0; r < indices->len; r++)
    {
      guint tap = g_array_index (indices, guint, r);
      const BsLayerInfo *info = bs_model_get_layer (model, tap);
      g_autofree char *safe = g_strdelimit (g_strdup (info->name), "/\\", '_');
      g_autoptr(GBytes) header = NULL;
      gint64 shape[4];
      guint ndim = layer_shape (info, n_images, shape);

      files[r] = g_strdup_printf ("%0*u-%s.npy", (int) digits, r, safe);
      w.paths[r] = g_build_filename (tmp, files[r], NULL);
      w.row_of_tap[tap] = (gint) r;
      mask[tap] = TRUE;
      largest = MAX (largest, bs_layer_info_n_features (info));
      header = bs_npy_build_header (BS_DTYPE_F32, ndim, shape);
      if (!write_bytes (w.paths[r], g_bytes_get_data (header, NULL), g_bytes_get_size (header),
                        FALSE, error))
        goto out;
    }

  w.model = model;
  w.cancellable = cancellable;
  w.scratch = g_try_new (float, largest * options->batch_size);
  if (w.scratch == NULL)
    {
      g_autofree char *size = bs_format_size_plain ((guint64) largest * options->batch_size * sizeof (float));

      g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                   /* Translators: a number of images, then an amount of memory ("1.2 GB"). */
                   _("Not enough memory for the largest layer's activations of %u images (%s): "
                     "use a smaller batch"), options->batch_size, size);
      goto out;
    }
  bs_model_set_tap_mask (model, mask);
  batcher = bs_batcher_new (set, options->batch_size);
  bs_batcher_set_limit (batcher, n_images);
  images = bs_batcher_try_alloc_batch (batcher, error);
  if (images == NULL)
    goto out;
  labels = g_new (guint8, options->batch_size);
  bs_batcher_start_epoch (batcher, 0);
  for (;;)
    {
      guint got;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        goto out;
      got = bs_batcher_next (batcher, images, labels);
      if (got == 0)
        break;
      if (bs_model_try_forward (model, images, got, FALSE, on_tap, &w, error) == NULL)
        goto out;
      if (w.error != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&w.error));
          goto out;
        }
      done += got;
      if (progress != NULL)
        progress (done, n_images, user_data);
    }

  info_path = g_build_filename (tmp, INFO_FILE, NULL);
  if (!write_info (info_path, options->spec ? options->spec : bs_model_get_name (model), model,
                   dataset, n_images, indices, files, error))
    goto out;
  g_rmdir (options->out_dir);  /* an empty folder given: the new one takes its place */
  if (g_rename (tmp, options->out_dir) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, BS_ERROR, BS_ERROR_IO,
                   /* Translators: a folder, then the system's message. */
                   _("could not move the activations into %s: %s"), options->out_dir,
                   g_strerror (saved_errno));
      goto out;
    }
  tmp = NULL;
  if (n_layers != NULL)
    *n_layers = indices->len;
  ok = TRUE;

out:
  if (tmp != NULL)
    remove_tree (tmp);
  if (model != NULL && mask != NULL)
    bs_model_set_tap_mask (model, NULL);
  if (owned)
    bs_model_free (model);
  g_clear_error (&w.error);
  g_free (w.row_of_tap);
  g_strfreev (w.paths);
  g_free (w.scratch);
  return ok;
}
