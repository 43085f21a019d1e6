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

#include <string.h>

static gsize
held_bytes (BsModel *model)
{
  gsize total = 0;

  for (guint i = 0; i < model->bufs->len; i++)
    total += ((BsBuf *) g_ptr_array_index (model->bufs, i))->capacity * sizeof (float);
  return total;
}

/* A buffer (one reference) that holds value v at the current batch size: the
 * smallest free buffer that fits, the most recently freed of equals (its
 * lines are the likeliest to be in cache still, which saves the reads a store
 * miss makes), or a new one. */
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
      best = g_new0 (BsBuf, 1);
      best->data = bs_alloc_floats (n);
      best->capacity = n;
      g_ptr_array_add (model->bufs, best);
      model->peak_bytes = MAX (model->peak_bytes, held_bytes (model));
    }
  best->refs = 1;
  return best;
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
