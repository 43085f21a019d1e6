/* fuzz-checkpoint-metadata.c: a checkpoint's metadata values (bs-checkpoint), on valid tensors.
 *
 * Mutating a whole checkpoint rarely gets past its hundreds of kilobytes of
 * tensors to the metadata, so this harness keeps the tensors of a real
 * checkpoint (resnet8, written once by bs_checkpoint_save) and takes from
 * the input only metadata: KEY NUL VALUE NUL pairs, each replacing or adding
 * a key of the real checkpoint's metadata (an empty value removes it; pairs
 * that are not UTF-8 are skipped, as JSON cannot hold them). The
 * file is then written by the project's safetensors writer and loaded whole. */

#include "fuzz-util.h"

#include <string.h>

#include "bs-checkpoint.h"
#include "bs-model.h"
#include "bs-safetensors.h"

static BsSafetensors *template;

int
LLVMFuzzerInitialize (int    *argc,
                      char ***argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  BsCheckpointInfo info;
  BsModel *model;
  const char *class_names[] = { "zero", "one", NULL };

  bs_fuzz_init ();
  model = bs_model_new ("resnet8", 1, 8, 8, 2, &error);
  if (model == NULL)
    g_error ("resnet8: %s", error->message);
  bs_checkpoint_info_init (&info);
  info.epoch = 3;
  info.seed = 7;
  info.accuracy = 0.5;
  info.dataset = g_strdup ("synthetic");
  info.recipe = g_strdup ("{\"epochs\": 3, \"batch\": 16, \"lr\": 0.1, \"schedule\": \"linear\"}");
  info.class_names = g_strdupv ((char **) class_names);
  info.global_step = 12;
  info.train_loss = 0.69;
  path = g_build_filename (bs_fuzz_dir (), "template.safetensors", NULL);
  if (!bs_checkpoint_save (model, &info, path, &error))
    g_error ("%s", error->message);
  bs_checkpoint_info_clear (&info);
  bs_model_free (model);
  template = bs_safetensors_load (path, &error);
  if (template == NULL)
    g_error ("%s", error->message);
  return 0;
}

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autoptr(GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree const char **keys = bs_safetensors_list_metadata (template);
  g_autofree char *path = g_build_filename (bs_fuzz_dir (), "fuzz.safetensors", NULL);
  GHashTableIter iter;
  gpointer key, value;
  BsCheckpointInfo info;
  BsModel *model;
  gsize at = 0;

  for (guint i = 0; keys[i] != NULL; i++)
    g_hash_table_insert (metadata, g_strdup (keys[i]),
                         g_strdup (bs_safetensors_get_metadata (template, keys[i])));
  while (at < size)
    {
      const char *k = (const char *) data + at;
      gsize k_len = strnlen (k, size - at);
      const char *v = k + k_len + 1;
      gsize v_len = at + k_len + 1 < size ? strnlen (v, size - at - k_len - 1) : 0;

      /* Safetensors headers are JSON: keys and values are UTF-8. */
      if (k_len > 0 && g_utf8_validate (k, k_len, NULL) && g_utf8_validate (v, v_len, NULL))
        {
          /* The input's last key may end without its NUL. */
          g_autofree char *name = g_strndup (k, k_len);

          if (v_len == 0)
            g_hash_table_remove (metadata, name);
          else
            g_hash_table_replace (metadata, g_steal_pointer (&name), g_strndup (v, v_len));
        }
      at += k_len + 1 + v_len + 1;
    }

  for (guint i = 0; i < bs_safetensors_get_n_tensors (template); i++)
    {
      const BsTensorView *view = bs_safetensors_get_nth (template, i);

      if (!bs_safetensors_writer_add (writer, view->name, view->dtype, view->ndim, view->shape,
                                      view->data, NULL))
        abort ();
    }
  g_hash_table_iter_init (&iter, metadata);
  while (g_hash_table_iter_next (&iter, &key, &value))
    bs_safetensors_writer_set_metadata (writer, key, value);
  if (!bs_safetensors_writer_save (writer, path, NULL))
    abort ();

  bs_checkpoint_info_init (&info);
  model = bs_checkpoint_load (path, &info, NULL);
  bs_fuzz_accepted = model != NULL;
  if (model != NULL)
    bs_model_free (model);
  bs_checkpoint_info_clear (&info);
  return 0;
}
