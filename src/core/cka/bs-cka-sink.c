/* bs-cka-sink.c: where the Grams of a CKA job go (see bs-cka-sink.h). */
#include "bs-cka-sink.h"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "bs-error.h"

gboolean
bs_cka_set_cancelled (GCancellable  *cancellable,
                      GError       **error)
{
  return g_cancellable_set_error_if_cancelled (cancellable, error);
}

/* Grams of n examples need O(n^2) memory: say how much, and what to do. */
static void
set_memory_error (GError **error,
                  guint    n)
{
  guint64 bytes = (guint64) bs_gram_triangles_doubles (2, n) * sizeof (double) + bs_gram_workspace_bytes (n);
  g_autofree char *size = g_format_size (bytes);

  /* g_format_size() puts a no-break space before the unit: a plain one reads everywhere. */
  for (char *p = strstr (size, "\xc2\xa0"); p != NULL; p = strstr (p, "\xc2\xa0"))
    {
      *p = ' ';
      memmove (p + 1, p + 2, strlen (p + 2) + 1);
    }

  g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
               /* Translators: the minibatch size, then an amount of memory ("3.2 GB"). */
               _("Not enough memory for Grams of %u examples (about %s): use a smaller minibatch"),
               n, size);
}


gboolean
bs_cka_sink_init (BsCkaSink            *sink,
                  const BsEngineConfig *config,
                  GArray               *rows,
                  GArray               *cols,
                  const char           *model_a,
                  const char           *model_b,
                  guint                 total,
                  guint                 n,
                  gboolean              biased,
                  guint                 n_triangles,
                  gboolean              pc1,
                  GError              **error)
{
  sink->pool = bs_thread_pool_new_for_config (config);
  sink->acc = bs_cka_accumulator_new (rows->len, cols->len, n, biased, rows == cols, error);
  if (sink->acc == NULL)
    return FALSE;
  if (pc1)
    {
      sink->pc1 = bs_cka_pc1_new (rows->len, cols->len, n, biased, rows == cols, error);
      if (sink->pc1 == NULL)
        return FALSE;
    }
  sink->ws = bs_gram_workspace_new_for_pool (sink->pool);
  bs_cka_accumulator_set_workspace (sink->acc, sink->ws);
  if (sink->pc1 != NULL)
    bs_cka_pc1_set_workspace (sink->pc1, sink->ws);
  sink->storage = g_try_malloc_n (bs_gram_triangles_doubles (n_triangles, n), sizeof (double));
  if (sink->storage == NULL || !bs_gram_workspace_reserve (sink->ws, n))
    {
      set_memory_error (error, n);
      return FALSE;
    }
  bs_gram_triangles_init (sink->tris, n_triangles, n, sink->storage);
  sink->header = (BsCkaSnapshotHeader) {
    .rows = (const BsLayerInfo *) rows->data, .n_rows = rows->len,
    .cols = (const BsLayerInfo *) cols->data, .n_cols = cols->len,
    .model_a = model_a, .model_b = model_b,
    .minibatches_total = total,
  };
  return TRUE;
}

/* Adds the minibatch whose Grams were handed over and publishes the new estimate. */
gboolean
bs_cka_sink_end_minibatch (BsCkaSink        *sink,
                           BsCkaSnapshotFunc callback,
                           gpointer          user_data,
                           GError          **error)
{
  if (!bs_cka_accumulator_end_minibatch (sink->acc, error)
      || (sink->pc1 != NULL && !bs_cka_pc1_end_minibatch (sink->pc1, error)))
    return FALSE;
  g_clear_pointer (&sink->last, bs_cka_snapshot_unref);
  sink->last = bs_cka_accumulator_make_snapshot (sink->acc, &sink->header);
  if (sink->pc1 != NULL)
    bs_cka_pc1_attach (sink->pc1, sink->last);
  if (callback)
    callback (sink->last, user_data);
  return TRUE;
}

void
bs_cka_sink_set_gram (BsCkaSink            *sink,
                      BsCkaSide             side,
                      guint                 layer,
                      const BsGramTriangle *tri,
                      gboolean              finite)
{
  bs_cka_accumulator_set_gram_triangle (sink->acc, side, layer, tri, finite);
  if (sink->pc1 != NULL)
    bs_cka_pc1_set_gram_triangle (sink->pc1, side, layer, tri, finite);
}

void
bs_cka_sink_discard_minibatch (BsCkaSink *sink)
{
  bs_cka_accumulator_discard_minibatch (sink->acc);
  if (sink->pc1 != NULL)
    bs_cka_pc1_discard_minibatch (sink->pc1);
}

void
bs_cka_sink_clear (BsCkaSink *sink)
{
  g_clear_pointer (&sink->last, bs_cka_snapshot_unref);
  g_clear_pointer (&sink->acc, bs_cka_accumulator_free);
  g_clear_pointer (&sink->pc1, bs_cka_pc1_free);
  g_clear_pointer (&sink->ws, bs_gram_workspace_free);   /* after the accumulator, which borrows it */
  g_clear_pointer (&sink->pool, bs_thread_pool_unref);
  g_clear_pointer (&sink->storage, g_free);
}

static void
clear_layer_info (gpointer data)
{
  bs_layer_info_clear (data);
}

GArray *
bs_cka_layer_array_new (void)
{
  GArray *array = g_array_new (FALSE, TRUE, sizeof (BsLayerInfo));

  g_array_set_clear_func (array, clear_layer_info);
  return array;
}
