/* bs-cka-snapshot.h: an immutable, reference-counted state of a CKA computation.
 *
 * A CKA job publishes one after every minibatch; the window and the CLI read
 * them without locks because nothing in a snapshot can change after it was
 * made: its fields are private and only its constructor sets them. Rows are
 * the layers of model A, columns the layers of model B. It is a boxed type,
 * so signals and properties can carry it. */
#pragma once

#include <glib-object.h>

#include "bs-layer-info.h"

G_BEGIN_DECLS

#define BS_TYPE_CKA_SNAPSHOT (bs_cka_snapshot_get_type ())

/* Why the cells of a layer's row (model A) or column (model B) are NaN. */
typedef enum {
  BS_CKA_LAYER_OK = 0,
  BS_CKA_LAYER_CONSTANT,    /* zero variance over every minibatch so far: HSIC(K, K) = 0, CKA is 0/0 */
  BS_CKA_LAYER_NOT_FINITE,  /* the activations contained NaN or infinity */
} BsCkaLayerStatus;

typedef struct _BsCkaSnapshot BsCkaSnapshot;

/* What every snapshot of one computation shares: its layers, its models and
 * its protocol. Borrowed by the constructors, which copy it. */
typedef struct {
  const BsLayerInfo *rows;               /* n_rows layers of model A */
  guint              n_rows;
  const BsLayerInfo *cols;               /* n_cols layers of model B */
  guint              n_cols;
  const char        *model_a;            /* spec of model A (name or checkpoint path) */
  const char        *model_b;
  guint              batch_size;
  guint              minibatches_total;
  gboolean           biased;             /* the biased estimator (Kornblith et al. 2019) */
} BsCkaSnapshotHeader;

GType          bs_cka_snapshot_get_type      (void) G_GNUC_CONST;

/* Every value NaN, no minibatch done: the layers before the first result. */
BsCkaSnapshot *bs_cka_snapshot_new_empty     (const BsCkaSnapshotHeader *header);
/* A result. Takes ownership of the arrays (g_malloc'd): cka and std_error
 * are n_rows x n_cols row-major (NaN where undefined); row_status and
 * col_status hold a BsCkaLayerStatus per layer. */
BsCkaSnapshot *bs_cka_snapshot_new           (const BsCkaSnapshotHeader *header,
                                              guint                      minibatches_done,
                                              double                    *cka,
                                              double                    *std_error,
                                              guint8                    *row_status,
                                              guint8                    *col_status);
BsCkaSnapshot *bs_cka_snapshot_ref           (BsCkaSnapshot             *snapshot);
void           bs_cka_snapshot_unref         (BsCkaSnapshot             *snapshot);

guint              bs_cka_snapshot_get_n_rows   (const BsCkaSnapshot *snapshot);
guint              bs_cka_snapshot_get_n_cols   (const BsCkaSnapshot *snapshot);
/* All n_rows (n_cols) layers, in order. */
const BsLayerInfo *bs_cka_snapshot_get_rows     (const BsCkaSnapshot *snapshot);
const BsLayerInfo *bs_cka_snapshot_get_cols     (const BsCkaSnapshot *snapshot);
const BsLayerInfo *bs_cka_snapshot_get_row      (const BsCkaSnapshot *snapshot,
                                                 guint                row);
const BsLayerInfo *bs_cka_snapshot_get_col      (const BsCkaSnapshot *snapshot,
                                                 guint                col);
const char        *bs_cka_snapshot_get_model_a  (const BsCkaSnapshot *snapshot);
const char        *bs_cka_snapshot_get_model_b  (const BsCkaSnapshot *snapshot);

/* CKA of (row, col): NaN where undefined or not computed yet. */
double             bs_cka_snapshot_get_value    (const BsCkaSnapshot *snapshot,
                                                 guint                row,
                                                 guint                col);
/* Its standard error across minibatches: NaN before two. */
double             bs_cka_snapshot_get_std_error (const BsCkaSnapshot *snapshot,
                                                  guint                row,
                                                  guint                col);
/* The whole matrices, n_rows x n_cols row-major. */
const double      *bs_cka_snapshot_get_values   (const BsCkaSnapshot *snapshot);
const double      *bs_cka_snapshot_get_std_errors (const BsCkaSnapshot *snapshot);
BsCkaLayerStatus   bs_cka_snapshot_get_row_status (const BsCkaSnapshot *snapshot,
                                                   guint                row);
BsCkaLayerStatus   bs_cka_snapshot_get_col_status (const BsCkaSnapshot *snapshot,
                                                   guint                col);

guint              bs_cka_snapshot_get_minibatches_done  (const BsCkaSnapshot *snapshot);
guint              bs_cka_snapshot_get_minibatches_total (const BsCkaSnapshot *snapshot);
guint              bs_cka_snapshot_get_batch_size        (const BsCkaSnapshot *snapshot);
gboolean           bs_cka_snapshot_get_biased            (const BsCkaSnapshot *snapshot);
/* The header every snapshot of this computation shares (pointers borrowed
 * from the snapshot). */
void               bs_cka_snapshot_get_header            (const BsCkaSnapshot *snapshot,
                                                          BsCkaSnapshotHeader *header);

/* A sentence saying why cell (row, col) is NaN (translated, without a
 * capital or full stop: callers put it in their own sentence), or NULL
 * when it is a number. Before the first minibatch: "not computed yet". */
const char    *bs_cka_snapshot_cell_reason   (const BsCkaSnapshot *snapshot,
                                              guint                row,
                                              guint                col);
const char    *bs_cka_layer_status_to_string (BsCkaLayerStatus     status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsCkaSnapshot, bs_cka_snapshot_unref)

G_END_DECLS
