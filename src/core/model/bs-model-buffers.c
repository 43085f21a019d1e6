/* bs-model-buffers.c: where a model's activations and gradients live.
 *
 * Activations live in reference-counted buffers from a free list owned by the
 * model: a value's buffer goes back to the list as soon as no later operation
 * (and, when training, no backward step) reads it, and element-wise
 * operations run in place when their input dies with them. So an evaluation
 * pass holds only a few activations at a time however deep the network, and
 * training keeps just what the backward pass reads: conv and BN inputs, ReLU
 * outputs.
 *
 * The small functions that every operation calls are inline, in
 * bs-model-private.h. */
#include "bs-model-private.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"

static gsize
held_bytes (BsModel *model)
{
  gsize total = 0;

  for (guint i = 0; i < model->bufs->len; i++)
    total += ((BsBuf *) g_ptr_array_index (model->bufs, i))->capacity * sizeof (float);
  return total;
}

/* Gives the free buffers' memory back; FALSE when there was none. */
static gboolean
drop_free_buffers (BsModel *model)
{
  gboolean any = model->free_bufs->len > 0;

  for (guint i = 0; i < model->free_bufs->len; i++)
    g_ptr_array_remove_fast (model->bufs, g_ptr_array_index (model->free_bufs, i));
  g_ptr_array_set_size (model->free_bufs, 0);
  return any;
}

/* A buffer (one reference) that holds value v at the current batch size: the
 * smallest free buffer that fits, the most recently freed of equals (its
 * lines are the likeliest to be in cache still, which saves the reads a store
 * miss makes), or a new one. NULL when a new one cannot be had, even after
 * the free buffers (all too small) are given back: the size is kept for
 * bs_model_set_memory_error(). */
BsBuf *
bs_model_buf_acquire (BsModel *model,
                      guint    v)
{
  gsize n = bs_model_value_size (model, v);
  BsBuf *best = NULL;
  guint best_index = 0;

  for (guint i = model->free_bufs->len; i-- > 0;)
    {
      BsBuf *b = g_ptr_array_index (model->free_bufs, i);

      if (b->capacity >= n && (best == NULL || b->capacity < best->capacity))
        {
          best = b;
          best_index = i;
        }
    }

  if (best)
    g_ptr_array_remove_index (model->free_bufs, best_index);
  else
    {
      /* The size comes from the batch a user chose: a limit on memory
       * (prlimit, a batch system) makes it an error, not an abort. */
      float *data = bs_try_alloc_floats (n);

      if (data == NULL && drop_free_buffers (model))
        data = bs_try_alloc_floats (n);
      if (data == NULL)
        {
          model->failed_bytes = MAX (n, 1) * sizeof (float);
          return NULL;
        }
      best = g_new0 (BsBuf, 1);
      best->data = data;
      best->capacity = n;
      g_ptr_array_add (model->bufs, best);
      model->peak_bytes = MAX (model->peak_bytes, held_bytes (model));
    }
  best->refs = 1;
  return best;
}

void
bs_model_set_memory_error (BsModel  *model,
                           GError  **error)
{
  guint64 held = (guint64) held_bytes (model) + bs_thread_pool_scratch_bytes (model->pool)
                 + ((guint64) model->n_data + model->n_grad) * sizeof (float);
  g_autofree char *more = bs_format_size_plain (model->failed_bytes);
  g_autofree char *have = bs_format_size_plain (held);

  if (model->training)
    g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                 /* Translators: a model name, a number of images, then two amounts of
                  * memory ("1.2 GB"): what did not fit, and what the model held then. */
                 _("Not enough memory to train %s on batches of %u images: %s more did not fit "
                   "beside the %s it held; use a smaller batch"),
                 model->name, model->batch, more, have);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                 /* Translators: a model name, a number of images, then two amounts of
                  * memory ("1.2 GB"): what did not fit, and what the model held then. */
                 _("Not enough memory to run %s on batches of %u images: %s more did not fit "
                   "beside the %s it held; use a smaller batch"),
                 model->name, model->batch, more, have);
}

/* Frees a buffer's memory (the free function of model->bufs). */
void
bs_model_buf_free (gpointer data)
{
  BsBuf *b = data;

  bs_free_floats (b->data);
  g_free (b);
}

/* Gives back every activation and gradient of the last pass. */
void
bs_model_release_values (BsModel *model)
{
  guint n_values = model->layers->len;

  for (guint v = 0; v < n_values; v++)
    {
      BsValueState *s = &model->state[v];

      if (s->act)
        bs_model_buf_unref (model, s->act);
      if (s->grad)
        bs_model_buf_unref (model, s->grad);
      memset (s, 0, sizeof *s);
    }
  model->can_backward = FALSE;
}

gsize
bs_model_get_memory_bytes (BsModel *model,
                           gsize   *peak)
{
  if (peak)
    *peak = model->peak_bytes + bs_thread_pool_scratch_bytes (model->pool);
  return held_bytes (model) + bs_thread_pool_scratch_bytes (model->pool);
}

void
bs_model_release_memory (BsModel *model)
{
  bs_model_release_values (model);
  g_ptr_array_set_size (model->free_bufs, 0);
  g_ptr_array_set_size (model->bufs, 0);
  model->peak_bytes = 0;
  bs_thread_pool_release_scratch (model->pool);
  for (guint i = 0; i < model->ops->len; i++)
    g_clear_pointer (&bs_model_op (model, i)->conv_cache, bs_conv_weight_cache_free);
}
