/* bs-checkpoint.c: BsModel <-> safetensors with torchvision names and metadata. */
#include "bs-config.h"

#include "bs-checkpoint.h"

#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>
#include <math.h>
#include <string.h>

#include "bs-error.h"
#include "bs-json-file.h"
#include "bs-safetensors.h"

#define RUNNING_MEAN ".running_mean"
#define BATCHES_TRACKED ".num_batches_tracked"
/* Sanity limits for numbers read from a file's metadata. */
#define MAX_SIDE 65536
#define MAX_CLASSES 1000000

void
bs_checkpoint_info_init (BsCheckpointInfo *info)
{
  memset (info, 0, sizeof *info);
  info->accuracy = NAN;
  info->train_loss = NAN;
  info->train_accuracy = NAN;
  info->test_loss = NAN;
}

void
bs_checkpoint_info_clear (BsCheckpointInfo *info)
{
  g_clear_pointer (&info->architecture, g_free);
  g_clear_pointer (&info->class_names, g_strfreev);
  g_clear_pointer (&info->dataset, g_free);
  g_clear_pointer (&info->recipe, g_free);
  g_clear_pointer (&info->version, g_free);
  for (guint i = 0; info->momentum != NULL && i < info->n_momentum; i++)
    g_free (info->momentum[i]);
  g_clear_pointer (&info->momentum, g_free);
  bs_checkpoint_info_init (info);
}

/* "layer1.0.bn1.running_mean" -> "layer1.0.bn1.num_batches_tracked", or NULL. */
static char *
batches_tracked_name (const char *param_name)
{
  if (!g_str_has_suffix (param_name, RUNNING_MEAN))
    return NULL;
  return g_strdup_printf ("%.*s%s", (int) (strlen (param_name) - strlen (RUNNING_MEAN)),
                          param_name, BATCHES_TRACKED);
}

static void
get_input_shape (BsModel                *model,
                 const BsCheckpointInfo *info,
                 guint                  *shape)
{
  const BsLayerInfo *input = bs_model_get_n_layers (model) > 0 ? bs_model_get_layer (model, 0) : NULL;

  if (input != NULL && input->kind == BS_LAYER_INPUT)
    {
      shape[0] = input->channels;
      shape[1] = input->height;
      shape[2] = input->width;
    }
  else if (info != NULL)
    {
      shape[0] = info->channels;
      shape[1] = info->height;
      shape[2] = info->width;
    }
  else
    shape[0] = shape[1] = shape[2] = 0;
}

static char *
strv_to_json (char **strv)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonGenerator) generator = json_generator_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_array (builder);
  for (guint i = 0; strv[i] != NULL; i++)
    json_builder_add_string_value (builder, strv[i]);
  json_builder_end_array (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

/* Shortest text that reads back as the same double. */
static char *
format_double (double value)
{
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (number, sizeof number, "%.15g", value);
  if (g_ascii_strtod (number, NULL) != value)
    g_ascii_dtostr (number, sizeof number, value);
  return g_strdup (number);
}

/* "[0.485, 0.456, 0.406]": each value the shortest text that reads back as the same float. */
static char *
floats_to_json (const float *values,
                guint        n)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < n; i++)
    {
      char number[G_ASCII_DTOSTR_BUF_SIZE];

      for (int digits = 6; digits <= 9; digits++)
        {
          g_ascii_formatd (number, sizeof number, digits == 6 ? "%.6g" : digits == 7 ? "%.7g"
                           : digits == 8 ? "%.8g" : "%.9g", values[i]);
          if ((float) g_ascii_strtod (number, NULL) == values[i])
            break;
        }
      g_string_append_printf (s, "%s%s", i > 0 ? ", " : "", number);
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

gboolean
bs_checkpoint_save (BsModel                *model,
                    const BsCheckpointInfo *info,
                    const char             *path,
                    GError                **error)
{
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autoptr(GPtrArray) strings = g_ptr_array_new_with_free_func (g_free);
  guint shape[3];
  gint64 batches_tracked;
  char number[G_ASCII_DTOSTR_BUF_SIZE];

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  get_input_shape (model, info, shape);
  bs_safetensors_writer_set_metadata (writer, "architecture", bs_model_get_name (model));
  g_ptr_array_add (strings, g_strdup_printf ("[%u, %u, %u]", shape[0], shape[1], shape[2]));
  bs_safetensors_writer_set_metadata (writer, "input_shape", g_ptr_array_index (strings, strings->len - 1));
  g_ptr_array_add (strings, g_strdup_printf ("%u", bs_model_get_n_classes (model)));
  bs_safetensors_writer_set_metadata (writer, "classes", g_ptr_array_index (strings, strings->len - 1));
  bs_safetensors_writer_set_metadata (writer, "blockscope_version", BS_VERSION);
  {
    guint n = bs_model_get_in_channels (model);
    g_autofree float *mean = g_new (float, n);
    g_autofree float *std = g_new (float, n);

    if (bs_model_get_input_normalization (model, mean, std))
      {
        g_ptr_array_add (strings, floats_to_json (mean, n));
        bs_safetensors_writer_set_metadata (writer, "input_mean", g_ptr_array_index (strings, strings->len - 1));
        g_ptr_array_add (strings, floats_to_json (std, n));
        bs_safetensors_writer_set_metadata (writer, "input_std", g_ptr_array_index (strings, strings->len - 1));
      }
  }
  if (info != NULL)
    {
      g_ptr_array_add (strings, g_strdup_printf ("%u", info->epoch));
      bs_safetensors_writer_set_metadata (writer, "epoch", g_ptr_array_index (strings, strings->len - 1));
      g_ptr_array_add (strings, g_strdup_printf ("%" G_GUINT64_FORMAT, info->seed));
      bs_safetensors_writer_set_metadata (writer, "seed", g_ptr_array_index (strings, strings->len - 1));
      if (isfinite (info->accuracy))
        {
          /* Shortest text that reads back as the same double. */
          g_ascii_formatd (number, sizeof number, "%.15g", info->accuracy);
          if (g_ascii_strtod (number, NULL) != info->accuracy)
            g_ascii_dtostr (number, sizeof number, info->accuracy);
          bs_safetensors_writer_set_metadata (writer, "accuracy", number);
        }
      if (info->dataset != NULL)
        bs_safetensors_writer_set_metadata (writer, "dataset", info->dataset);
      if (info->recipe != NULL)
        bs_safetensors_writer_set_metadata (writer, "recipe", info->recipe);
      if (info->class_names != NULL)
        {
          g_ptr_array_add (strings, strv_to_json (info->class_names));
          bs_safetensors_writer_set_metadata (writer, "class_names", g_ptr_array_index (strings, strings->len - 1));
        }
      if (info->global_step > 0)
        {
          g_ptr_array_add (strings, g_strdup_printf ("%" G_GUINT64_FORMAT, info->global_step));
          bs_safetensors_writer_set_metadata (writer, "global_step", g_ptr_array_index (strings, strings->len - 1));
        }
      {
        const struct { const char *key; double value; } extra[] = {
          { "train_loss", info->train_loss },
          { "train_accuracy", info->train_accuracy },
          { "test_loss", info->test_loss },
        };

        for (guint i = 0; i < G_N_ELEMENTS (extra); i++)
          if (isfinite (extra[i].value))
            {
              g_ptr_array_add (strings, format_double (extra[i].value));
              bs_safetensors_writer_set_metadata (writer, extra[i].key, g_ptr_array_index (strings, strings->len - 1));
            }
      }
    }

  /* In PyTorch's state_dict order: num_batches_tracked right after each
   * batch norm's running_var. */
  batches_tracked = bs_model_get_batches_tracked (model);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);
      g_autofree char *tracked = batches_tracked_name (param->name);

      if (!bs_safetensors_writer_add (writer, param->name, BS_DTYPE_F32, param->ndim, param->shape,
                                      param->data, error))
        return FALSE;
      if (tracked != NULL)
        {
          g_autofree char *var_name = g_strdup_printf ("%.*s.running_var",
                                                       (int) (strlen (tracked) - strlen (BATCHES_TRACKED)), tracked);
          /* Place it after running_var when that comes next, as PyTorch does. */
          BsParam *next = i + 1 < bs_model_get_n_params (model) ? bs_model_get_param (model, i + 1) : NULL;

          if (next != NULL && strcmp (next->name, var_name) == 0)
            {
              if (!bs_safetensors_writer_add (writer, next->name, BS_DTYPE_F32, next->ndim, next->shape,
                                              next->data, error))
                return FALSE;
              i++;
            }
          if (!bs_safetensors_writer_add (writer, tracked, BS_DTYPE_I64, 0, NULL, &batches_tracked, error))
            return FALSE;
        }
    }

  /* After the model's tensors, so that a reader that stops at the model
   * (or filters by prefix) sees the plain state dict first. */
  if (info != NULL && info->momentum != NULL)
    {
      g_return_val_if_fail (info->n_momentum == bs_model_get_n_params (model), FALSE);
      for (guint i = 0; i < info->n_momentum; i++)
        {
          BsParam *param = bs_model_get_param (model, i);

          if (info->momentum[i] == NULL)
            continue;
          g_ptr_array_add (strings, g_strconcat (BS_CHECKPOINT_MOMENTUM_PREFIX, param->name, NULL));
          if (!bs_safetensors_writer_add (writer, g_ptr_array_index (strings, strings->len - 1), BS_DTYPE_F32,
                                          param->ndim, param->shape, info->momentum[i], error))
            return FALSE;
        }
    }

  return bs_safetensors_writer_save (writer, path, error);
}

static char *
format_shape (guint         ndim,
              const gint64 *shape)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < ndim; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? ", " : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

static gboolean
parse_uint (const char *text,
            guint64     max,
            guint64    *value)
{
  return text != NULL && g_ascii_string_to_unsigned (text, 10, 0, max, value, NULL);
}

/* Metadata values come from the file: the depth is bounded before json-glib
 * (which recurses) parses them. A value of white space parses to no root at
 * all, which JSON_NODE_HOLDS_ARRAY () takes as a critical: refused here. */
static gboolean
metadata_json_load (JsonParser *parser,
                    const char *text)
{
  return bs_json_check_depth (text, strlen (text), BS_JSON_MAX_DEPTH)
         && json_parser_load_from_data (parser, text, -1, NULL)
         && json_parser_get_root (parser) != NULL;
}

/* FORMAT (translated) says what is wrong with which metadata key. */
static gboolean metadata_error (GError     **error,
                                const char  *path,
                                const char  *format,
                                ...) G_GNUC_PRINTF (3, 4);

static gboolean
metadata_error (GError     **error,
                const char  *path,
                const char  *format,
                ...)
{
  g_autofree char *detail = NULL;
  va_list args;

  va_start (args, format);
  detail = g_strdup_vprintf (format, args);
  va_end (args);
  /* Translators: a file path, then what is wrong with its metadata. */
  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a Blockscope checkpoint: %s"),
               path, detail);
  return FALSE;
}

static gboolean
parse_input_shape (const char *path,
                   const char *text,
                   guint      *shape,
                   GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *array;

  if (text == NULL)
    /* Translators: %s is a key of the file's metadata (input_shape); this
     * and the other metadata messages follow "'FILE' is not a Blockscope
     * checkpoint: ". */
    return metadata_error (error, path, _("metadata '%s' is missing"), "input_shape");
  if (!metadata_json_load (parser, text)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return metadata_error (error, path, _("metadata '%s' is not a list like [3, 32, 32]"), "input_shape");
  array = json_node_get_array (json_parser_get_root (parser));
  if (json_array_get_length (array) != 3)
    return metadata_error (error, path, _("metadata '%s' is not a list like [3, 32, 32]"), "input_shape");
  for (guint i = 0; i < 3; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      gint64 v;

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
        return metadata_error (error, path, _("metadata '%s' is not a list of integers"), "input_shape");
      v = json_node_get_int (node);
      if (v < 1 || v > MAX_SIDE)
        return metadata_error (error, path, _("metadata '%s' has an implausible size"), "input_shape");
      shape[i] = (guint) v;
    }
  return TRUE;
}

/* A list of n finite numbers (all > 0 when positive) into values. */
static gboolean
parse_channel_values (const char *path,
                      const char *key,
                      const char *text,
                      guint       n,
                      gboolean    positive,
                      float      *values,
                      GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonArray *array;

  if (!metadata_json_load (parser, text)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return metadata_error (error, path, _("metadata '%s' is not a list of numbers"), key);
  array = json_node_get_array (json_parser_get_root (parser));
  if (json_array_get_length (array) != n)
    /* Translators: %s is a metadata key (input_mean), %u the image's channels. */
    return metadata_error (error, path, _("metadata '%s' does not hold one number for each of the %u channels"),
                           key, n);
  for (guint i = 0; i < n; i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      double v;

      if (!JSON_NODE_HOLDS_VALUE (node)
          || (json_node_get_value_type (node) != G_TYPE_DOUBLE && json_node_get_value_type (node) != G_TYPE_INT64))
        return metadata_error (error, path, _("metadata '%s' is not a list of numbers"), key);
      v = json_node_get_double (node);
      if (!isfinite (v) || fabs (v) > 1e6 || (positive && !(v > 1e-12)))
        return metadata_error (error, path, _("metadata '%s' holds an implausible number"), key);
      values[i] = (float) v;
    }
  return TRUE;
}

/* input_mean and input_std, both or neither, into model. */
static gboolean
read_normalization (BsSafetensors  *st,
                    BsModel        *model,
                    GError        **error)
{
  const char *path = bs_safetensors_get_path (st);
  const char *mean_text = bs_safetensors_get_metadata (st, "input_mean");
  const char *std_text = bs_safetensors_get_metadata (st, "input_std");
  guint n = bs_model_get_in_channels (model);
  g_autofree float *mean = g_new (float, n);
  g_autofree float *std = g_new (float, n);

  if (mean_text == NULL && std_text == NULL)
    return TRUE;
  if (mean_text == NULL || std_text == NULL)
    return metadata_error (error, path, _("metadata '%s' is missing"), mean_text == NULL ? "input_mean" : "input_std");
  if (!parse_channel_values (path, "input_mean", mean_text, n, FALSE, mean, error)
      || !parse_channel_values (path, "input_std", std_text, n, TRUE, std, error))
    return FALSE;
  bs_model_set_input_normalization (model, mean, std);
  return TRUE;
}

static char **
parse_class_names (const char *text,
                   guint       n_classes)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) names = NULL;
  JsonArray *array;

  /* Optional and informative only: anything odd is ignored. */
  if (text == NULL || !metadata_json_load (parser, text)
      || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    return NULL;
  array = json_node_get_array (json_parser_get_root (parser));
  if (json_array_get_length (array) != n_classes)
    return NULL;
  names = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < n_classes; i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return NULL;
      g_ptr_array_add (names, g_strdup (json_node_get_string (node)));
    }
  g_ptr_array_add (names, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&names), FALSE);
}

static gboolean
read_info (BsSafetensors     *st,
           BsCheckpointInfo  *info,
           GError           **error)
{
  const char *path = bs_safetensors_get_path (st);
  const char *text;
  guint shape[3];
  guint64 value;

  text = bs_safetensors_get_metadata (st, "architecture");
  if (text == NULL)
    return metadata_error (error, path,
                           _("metadata '%s' is missing (the file was not written by Blockscope)"),
                           "architecture");
  info->architecture = g_strdup (text);

  if (!parse_input_shape (path, bs_safetensors_get_metadata (st, "input_shape"), shape, error))
    return FALSE;
  info->channels = shape[0];
  info->height = shape[1];
  info->width = shape[2];

  if (!parse_uint (bs_safetensors_get_metadata (st, "classes"), MAX_CLASSES, &value) || value < 1)
    return metadata_error (error, path, _("metadata '%s' is missing or not a positive number"), "classes");
  info->n_classes = (guint) value;

  text = bs_safetensors_get_metadata (st, "epoch");
  if (text != NULL)
    {
      if (!parse_uint (text, G_MAXUINT, &value))
        return metadata_error (error, path, _("metadata '%s' is not a number"), "epoch");
      info->epoch = (guint) value;
    }
  text = bs_safetensors_get_metadata (st, "seed");
  if (text != NULL && !parse_uint (text, G_MAXUINT64, &info->seed))
    return metadata_error (error, path, _("metadata '%s' is not a number"), "seed");
  text = bs_safetensors_get_metadata (st, "accuracy");
  if (text != NULL)
    {
      char *end = NULL;

      info->accuracy = g_ascii_strtod (text, &end);
      if (end == text || *end != '\0' || !(info->accuracy >= 0 && info->accuracy <= 1))
        return metadata_error (error, path, _("metadata '%s' is not a number between 0 and 1"), "accuracy");
    }
  text = bs_safetensors_get_metadata (st, "global_step");
  if (text != NULL && !parse_uint (text, G_MAXUINT64, &info->global_step))
    return metadata_error (error, path, _("metadata '%s' is not a number"), "global_step");
  {
    const char *keys[] = { "train_loss", "train_accuracy", "test_loss" };
    double *values[] = { &info->train_loss, &info->train_accuracy, &info->test_loss };

    /* Informative only: an unreadable value stays unknown. */
    for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
      {
        char *end = NULL;
        double v;

        text = bs_safetensors_get_metadata (st, keys[i]);
        if (text == NULL)
          continue;
        v = g_ascii_strtod (text, &end);
        if (end != text && *end == '\0' && isfinite (v))
          *values[i] = v;
      }
  }
  info->dataset = g_strdup (bs_safetensors_get_metadata (st, "dataset"));
  info->recipe = g_strdup (bs_safetensors_get_metadata (st, "recipe"));
  info->version = g_strdup (bs_safetensors_get_metadata (st, "blockscope_version"));
  info->class_names = parse_class_names (bs_safetensors_get_metadata (st, "class_names"), info->n_classes);
  return TRUE;
}

static gboolean
check_tensor (BsSafetensors       *st,
              BsModel             *model,
              const char          *name,
              BsDtype              dtype,
              guint                ndim,
              const gint64        *shape,
              const BsTensorView **view_out,
              GError             **error)
{
  const char *path = bs_safetensors_get_path (st);
  const BsTensorView *view = bs_safetensors_get (st, name);

  if (view == NULL)
    {
      /* Translators: a file path, a tensor's name and a model's name (resnet20). */
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s' lacks tensor '%s' of %s"), path, name,
                   bs_model_get_name (model));
      return FALSE;
    }
  if (view->dtype != dtype)
    {
      /* Translators: a file path, a tensor's name, then two data types (F32, F64, I64). */
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s': tensor '%s' is %s, expected %s"), path, name,
                   bs_dtype_to_string (view->dtype), bs_dtype_to_string (dtype));
      return FALSE;
    }
  if (view->ndim != ndim || (ndim > 0 && memcmp (view->shape, shape, ndim * sizeof (gint64)) != 0))
    {
      g_autofree char *have = format_shape (view->ndim, view->shape);
      g_autofree char *want = format_shape (ndim, shape);

      /* Translators: a file path, a tensor's name, its shape ([16, 3, 3, 3]),
       * a model's name (resnet20) and the shape it needs. */
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s': tensor '%s' has shape %s, %s needs %s"),
                   path, name, have, bs_model_get_name (model), want);
      return FALSE;
    }
  *view_out = view;
  return TRUE;
}

/* Every tensor the architecture needs is in the file with its type and
 * shape, and nothing else is (momentum buffers of its parameters aside):
 * checked on a description of the model, before its weights are allocated
 * (a checkpoint of a hundred bytes may name a head of 256 MB). */
static gboolean
check_tensor_table (BsSafetensors  *st,
                    BsModel        *arch,
                    GError        **error)
{
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const BsTensorView *view;

  for (guint i = 0; i < bs_model_get_n_params (arch); i++)
    {
      BsParam *param = bs_model_get_param (arch, i);
      g_autofree char *tracked = batches_tracked_name (param->name);
      g_autofree char *momentum = g_strconcat (BS_CHECKPOINT_MOMENTUM_PREFIX, param->name, NULL);

      if (!check_tensor (st, arch, param->name, BS_DTYPE_F32, param->ndim, param->shape, &view, error))
        return FALSE;
      g_hash_table_add (expected, g_strdup (param->name));
      if (tracked != NULL)
        {
          if (!check_tensor (st, arch, tracked, BS_DTYPE_I64, 0, NULL, &view, error))
            return FALSE;
          g_hash_table_add (expected, g_steal_pointer (&tracked));
        }
      if (bs_safetensors_get (st, momentum) != NULL)
        {
          if (!check_tensor (st, arch, momentum, BS_DTYPE_F32, param->ndim, param->shape, &view, error))
            return FALSE;
          g_hash_table_add (expected, g_steal_pointer (&momentum));
        }
    }

  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      view = bs_safetensors_get_nth (st, i);
      if (!g_hash_table_contains (expected, view->name))
        {
          /* Translators: a file path, a tensor's name and a model's name (resnet20). */
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s' has tensor '%s', which %s does not have"),
                       bs_safetensors_get_path (st), view->name, bs_model_get_name (arch));
          return FALSE;
        }
    }
  return TRUE;
}

BsModel *
bs_checkpoint_load (const char        *path,
                    BsCheckpointInfo  *info,
                    GError           **error)
{
  g_autoptr(BsSafetensors) st = NULL;
  g_autoptr(GHashTable) expected = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) local_error = NULL;
  g_autoptr(BsModel) arch = NULL;
  BsCheckpointInfo local_info;
  BsModel *model = NULL;
  gboolean have_tracked = FALSE;
  gint64 batches_tracked = 0;

  g_return_val_if_fail (path != NULL, NULL);

  st = bs_safetensors_load (path, error);
  if (st == NULL)
    return NULL;

  bs_checkpoint_info_init (&local_info);
  if (!read_info (st, &local_info, error))
    {
      bs_checkpoint_info_clear (&local_info);
      return NULL;
    }

  arch = bs_model_new_description (local_info.architecture, local_info.channels, local_info.height,
                                   local_info.width, local_info.n_classes, &local_error);
  if (arch != NULL && !check_tensor_table (st, arch, error))
    {
      bs_checkpoint_info_clear (&local_info);
      return NULL;
    }
  if (arch != NULL)
    model = bs_model_new (local_info.architecture, local_info.channels, local_info.height, local_info.width,
                          local_info.n_classes, &local_error);
  if (model == NULL)
    {
      /* Translators: a file path, then why the model it names cannot be built. */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' names a model Blockscope cannot build: %s"),
                   path, local_error->message);
      bs_checkpoint_info_clear (&local_info);
      return NULL;
    }

  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);
      g_autofree char *tracked = batches_tracked_name (param->name);
      const BsTensorView *view;

      if (!check_tensor (st, model, param->name, BS_DTYPE_F32, param->ndim, param->shape, &view, error))
        goto failed;
      memcpy (param->data, view->data, param->n_elements * sizeof (float));
      g_hash_table_add (expected, g_strdup (param->name));

      if (tracked != NULL)
        {
          if (!check_tensor (st, model, tracked, BS_DTYPE_I64, 0, NULL, &view, error))
            goto failed;
          /* The model keeps one count; PyTorch keeps one per layer, equal
           * unless layers were frozen. The first one stands for all. */
          if (!have_tracked)
            memcpy (&batches_tracked, view->data, sizeof batches_tracked);
          have_tracked = TRUE;
          g_hash_table_add (expected, g_steal_pointer (&tracked));
        }
    }

  /* A run's optimizer state: each must be the momentum of a parameter,
   * with its shape; read only when the caller asked for the info. */
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *param = bs_model_get_param (model, i);
      g_autofree char *name = g_strconcat (BS_CHECKPOINT_MOMENTUM_PREFIX, param->name, NULL);
      const BsTensorView *view;

      if (bs_safetensors_get (st, name) == NULL)
        continue;
      if (!check_tensor (st, model, name, BS_DTYPE_F32, param->ndim, param->shape, &view, error))
        goto failed;
      if (info != NULL)
        {
          if (local_info.momentum == NULL)
            {
              local_info.n_momentum = bs_model_get_n_params (model);
              local_info.momentum = g_new0 (float *, local_info.n_momentum);
            }
          local_info.momentum[i] = g_memdup2 (view->data, param->n_elements * sizeof (float));
        }
      g_hash_table_add (expected, g_steal_pointer (&name));
    }

  for (guint i = 0; i < bs_safetensors_get_n_tensors (st); i++)
    {
      const BsTensorView *view = bs_safetensors_get_nth (st, i);

      if (!g_hash_table_contains (expected, view->name))
        {
          /* Translators: a file path, a tensor's name and a model's name (resnet20). */
          g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s' has tensor '%s', which %s does not have"),
                       path, view->name, bs_model_get_name (model));
          goto failed;
        }
    }

  if (!read_normalization (st, model, error))
    goto failed;
  bs_model_set_batches_tracked (model, batches_tracked);
  if (info != NULL)
    *info = local_info;
  else
    bs_checkpoint_info_clear (&local_info);
  return model;

failed:
  bs_model_free (model);
  bs_checkpoint_info_clear (&local_info);
  return NULL;
}

/* torchvision's head: the last Linear layer, "fc". */
static gboolean
is_head_param (const char *name)
{
  return g_str_has_prefix (name, "fc.");
}

gboolean
bs_checkpoint_init_model (BsModel     *model,
                          const char  *path,
                          gboolean    *new_head,
                          GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  BsCheckpointInfo info;
  BsModel *source;
  gboolean replace_head;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  bs_checkpoint_info_init (&info);
  source = bs_checkpoint_load (path, &info, &local_error);
  if (source == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      bs_checkpoint_info_clear (&info);
      return FALSE;
    }
  if (strcmp (bs_model_get_name (source), bs_model_get_name (model)) != 0)
    {
      /* Translators: a file path and two model names (imagenet-resnet50, resnet20). */
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH, _("'%s' holds weights of %s, which cannot start %s"),
                   path, bs_model_get_name (source), bs_model_get_name (model));
      goto failed;
    }
  if (info.channels != bs_model_get_in_channels (model))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   g_dngettext (GETTEXT_PACKAGE,
                                /* Translators: a file path, then two channel counts (3, 1); the
                                 * plural follows the first count. */
                                "'%s' holds weights for images of %u channel, but the data set's images have %u",
                                "'%s' holds weights for images of %u channels, but the data set's images have %u",
                                info.channels),
                   path, info.channels, bs_model_get_in_channels (model));
      goto failed;
    }

  replace_head = bs_model_get_n_classes (source) != bs_model_get_n_classes (model);
  /* Same architecture and channels: the same parameters in the same order,
   * whatever the image size; only the head's shape may differ. */
  g_assert (bs_model_get_n_params (source) == bs_model_get_n_params (model));
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *to = bs_model_get_param (model, i);
      BsParam *from = bs_model_get_param (source, i);

      g_assert (strcmp (to->name, from->name) == 0);
      if (replace_head && is_head_param (to->name))
        continue;
      g_assert (to->n_elements == from->n_elements);
      memcpy (to->data, from->data, to->n_elements * sizeof (float));
    }
  {
    guint n = bs_model_get_in_channels (source);
    g_autofree float *mean = g_new (float, n);
    g_autofree float *std = g_new (float, n);

    if (bs_model_get_input_normalization (source, mean, std))
      bs_model_set_input_normalization (model, mean, std);
    else
      bs_model_set_input_normalization (model, NULL, NULL);
  }
  bs_model_set_batches_tracked (model, bs_model_get_batches_tracked (source));
  if (new_head != NULL)
    *new_head = replace_head;
  bs_model_free (source);
  bs_checkpoint_info_clear (&info);
  return TRUE;

failed:
  bs_model_free (source);
  bs_checkpoint_info_clear (&info);
  return FALSE;
}
