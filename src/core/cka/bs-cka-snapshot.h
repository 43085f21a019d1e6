/* bs-cka-snapshot.h: an immutable, reference-counted state of a CKA computation.
 *
 * A CKA job publishes one after every minibatch; the window and the CLI read
 * them without locks because nothing in a snapshot changes after publication.
 * Rows are the layers of model A, columns the layers of model B. */
#pragma once

#include <glib.h>

#include "bs-layer-info.h"

G_BEGIN_DECLS

typedef struct {
  /*< private >*/
  gint         ref_count;
  /*< public, read-only >*/
  guint        n_rows;            /* layers of model A */
  guint        n_cols;            /* layers of model B */
  BsLayerInfo *rows;              /* n_rows */
  BsLayerInfo *cols;              /* n_cols */
  char        *model_a;           /* spec of model A (name or checkpoint path) */
  char        *model_b;
  double      *cka;               /* n_rows x n_cols, row-major; NaN where undefined or not yet computed */
  double      *std_error;         /* n_rows x n_cols: standard error across minibatches; NaN before two */
  guint        minibatches_done;
  guint        minibatches_total;
  guint        batch_size;
} BsCkaSnapshot;

/* A snapshot with the given layers, every value NaN, 0 minibatches done.
 * Layer infos are deep-copied. For producers (the CKA job, tests). */
BsCkaSnapshot *bs_cka_snapshot_new   (const BsLayerInfo *rows,
                                      guint              n_rows,
                                      const BsLayerInfo *cols,
                                      guint              n_cols);
BsCkaSnapshot *bs_cka_snapshot_ref   (BsCkaSnapshot     *snapshot);
void           bs_cka_snapshot_unref (BsCkaSnapshot     *snapshot);

static inline double
bs_cka_snapshot_get (const BsCkaSnapshot *snapshot,
                     guint                row,
                     guint                col)
{
  return snapshot->cka[(gsize) row * snapshot->n_cols + col];
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsCkaSnapshot, bs_cka_snapshot_unref)

G_END_DECLS
