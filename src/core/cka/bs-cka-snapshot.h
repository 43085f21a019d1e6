/* bs-cka-snapshot.h: an immutable, reference-counted state of a CKA computation.
 *
 * A CKA job publishes one after every minibatch; the window and the CLI read
 * them without locks because nothing in a snapshot changes after publication.
 * Rows are the layers of model A, columns the layers of model B. */
#pragma once

#include <glib.h>

#include "bs-layer-info.h"

G_BEGIN_DECLS

/* Why the cells of a layer's row (model A) or column (model B) are NaN. */
typedef enum {
  BS_CKA_LAYER_OK = 0,
  BS_CKA_LAYER_CONSTANT,    /* zero variance over every minibatch so far: HSIC(K, K) = 0, CKA is 0/0 */
  BS_CKA_LAYER_NOT_FINITE,  /* the activations contained NaN or infinity */
} BsCkaLayerStatus;

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
  /* Added by the CKA engine: */
  guint8      *row_status;        /* n_rows BsCkaLayerStatus: why a row is NaN */
  guint8      *col_status;        /* n_cols BsCkaLayerStatus */
  gboolean     biased;            /* the biased estimator (Kornblith et al. 2019) was used */
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

/* A sentence saying why cell (row, col) is NaN, or NULL when it is a number.
 * Before the first minibatch: "not computed yet". */
const char    *bs_cka_snapshot_cell_reason (const BsCkaSnapshot *snapshot,
                                            guint                row,
                                            guint                col);
const char    *bs_cka_layer_status_to_string (BsCkaLayerStatus status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsCkaSnapshot, bs_cka_snapshot_unref)

G_END_DECLS
