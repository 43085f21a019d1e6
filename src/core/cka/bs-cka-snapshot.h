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

/* What a matrix of a computation measures (bs-cka-pc1.h for the PC1 ones). */
typedef enum {
  BS_CKA_MEASURE_CKA,             /* minibatch CKA, the paper's Eq. 3 */
  BS_CKA_MEASURE_CKA_WITHOUT_PC1, /* the same after each layer's first principal component is removed */
  BS_CKA_MEASURE_PC1_ALIGNMENT,   /* squared cosine between the layers' PC1 score vectors */
} BsCkaMeasure;

#define BS_CKA_N_MEASURES 3

/* "cka", "cka-without-pc1", "pc1-alignment": as the command line and files name them. */
const char    *bs_cka_measure_to_string      (BsCkaMeasure  measure);
gboolean       bs_cka_measure_from_string    (const char   *text,
                                              BsCkaMeasure *measure);
/* For people: "CKA", "CKA without PC1", "PC1 alignment" (translated). */
const char    *bs_cka_measure_get_label      (BsCkaMeasure  measure);

/* Which statistic of the measure a matrix holds. */
typedef enum {
  BS_CKA_STATISTIC_ESTIMATE,     /* the measure itself, as a job estimates it */
  BS_CKA_STATISTIC_SEED_STD_DEV, /* its standard deviation across networks trained from different seeds */
} BsCkaStatistic;

#define BS_CKA_N_STATISTICS 2

/* "estimate", "seed-std-dev": as files name them. */
const char    *bs_cka_statistic_to_string    (BsCkaStatistic  statistic);
gboolean       bs_cka_statistic_from_string  (const char     *text,
                                              BsCkaStatistic *statistic);

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
  BsCkaMeasure       measure;            /* what the matrix measures (default CKA) */
  BsCkaStatistic     statistic;          /* which statistic of it (default the estimate) */
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
/* Part of making a CKA snapshot that nobody else holds yet: attaches the PC1
 * analysis of the same minibatches (bs-cka-pc1.h). Takes ownership of all:
 * the two matrices as snapshots of the same header, and the PC1 shares of
 * the rows and columns with their standard errors (n_rows, n_cols values). */
void           bs_cka_snapshot_attach_pc1    (BsCkaSnapshot             *snapshot,
                                              BsCkaSnapshot             *without_pc1,
                                              BsCkaSnapshot             *pc1_alignment,
                                              double                    *row_share,
                                              double                    *row_share_se,
                                              double                    *col_share,
                                              double                    *col_share_se);
/* The PC1 shares alone (what a file read back holds, bs-cka-import.h), on
 * a snapshot nobody else holds yet; takes ownership (the standard errors
 * may be NULL). bs_cka_snapshot_attach_pc1 () gives its two matrices
 * copies of the shares too. */
void           bs_cka_snapshot_attach_pc1_shares (BsCkaSnapshot         *snapshot,
                                                  double                *row_share,
                                                  double                *row_share_se,
                                                  double                *col_share,
                                                  double                *col_share_se);
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
/* What the matrix measures (the header's measure). */
BsCkaMeasure       bs_cka_snapshot_get_measure_type      (const BsCkaSnapshot *snapshot);
/* Which statistic of it the values are (the header's statistic). */
BsCkaStatistic     bs_cka_snapshot_get_statistic         (const BsCkaSnapshot *snapshot);
/* What the values are, for people (the colour bar's title, the
 * inspector's heading): the measure's label for an estimate, "Std. dev.
 * of CKA" for the deviation across seeds (translated; bs_cka_seeds_run ()
 * gives that of CKA only, so of another measure it is the measure's label). */
const char        *bs_cka_snapshot_get_label             (const BsCkaSnapshot *snapshot);
/* The header every snapshot of this computation shares (pointers borrowed
 * from the snapshot). */
void               bs_cka_snapshot_get_header            (const BsCkaSnapshot *snapshot,
                                                          BsCkaSnapshotHeader *header);

/* The matrix of measure: the snapshot itself for BS_CKA_MEASURE_CKA, the
 * attached ones for the PC1 measures; NULL when not computed. Borrowed. */
BsCkaSnapshot     *bs_cka_snapshot_get_measure  (BsCkaSnapshot       *snapshot,
                                                 BsCkaMeasure         measure);
gboolean           bs_cka_snapshot_has_pc1      (const BsCkaSnapshot *snapshot);
/* Whether it carries each layer's PC1 share: with the PC1 analysis, in
 * its matrices of the other measures, and read back from a file. */
gboolean           bs_cka_snapshot_has_pc1_shares (const BsCkaSnapshot *snapshot);
/* The PC1 share of a row's (column's) layer, NaN when unknown; std_error
 * (may be NULL) receives its standard error. */
double             bs_cka_snapshot_get_row_pc1_share (const BsCkaSnapshot *snapshot,
                                                      guint                row,
                                                      double              *std_error);
double             bs_cka_snapshot_get_col_pc1_share (const BsCkaSnapshot *snapshot,
                                                      guint                col,
                                                      double              *std_error);

/* A sentence saying why cell (row, col) is NaN (translated, without a
 * capital or full stop: callers put it in their own sentence), or NULL
 * when it is a number. Before the first minibatch: "not computed yet". */
const char    *bs_cka_snapshot_cell_reason   (const BsCkaSnapshot *snapshot,
                                              guint                row,
                                              guint                col);
const char    *bs_cka_layer_status_to_string (BsCkaLayerStatus     status);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsCkaSnapshot, bs_cka_snapshot_unref)

G_END_DECLS
