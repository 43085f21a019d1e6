/* bs-cka-accumulator.h: minibatch CKA between every layer of A and every layer of B.
 *
 * For each minibatch, the caller hands over the Gram matrix of every layer of
 * model A (rows) and model B (columns). The accumulator centres each one
 * (U-centring for the unbiased HSIC, H-centring for the biased one) and keeps
 * only what the inner products need: the strict upper triangle (plus, for
 * the biased estimator, the diagonal scaled by 1/sqrt 2), packed as one row
 * of a matrix G per side. One product G_A G_B^T (dsyrk when A is B) then
 * gives, times 2, the Frobenius inner product of every pair, at half the
 * cost of using full matrices.
 *
 * Per minibatch i and cell (r, c) let x_i = HSIC(K_r, L_c), a_i = HSIC(K_r, K_r),
 * b_i = HSIC(L_c, L_c). The result is Eq. 3 of the paper,
 *   CKA = sum x_i / sqrt (sum a_i * sum b_i),
 * a ratio of means over the k minibatches.
 *
 * Standard error: the delta method for that ratio of means. With the sample
 * covariance S (divisor k - 1) of the per-minibatch triples (x_i, a_i, b_i)
 * and the gradient g = (1/sqrt(ab), -CKA/(2a), -CKA/(2b)) of x / sqrt(ab) at
 * the means, SE = sqrt (g^T S g / k). It measures how much the reported
 * number would move with other minibatches of the same protocol; NaN until
 * two minibatches are in.
 *
 * Everything kept across minibatches is a plain sum (of x, a, b, their
 * squares and cross products), so accumulators filled on different machines
 * over different minibatches can be added with bs_cka_accumulator_merge().
 *
 * A layer whose centred Gram vanishes over all minibatches so far (a
 * constant layer, zero variance) gets NaN cells and BS_CKA_LAYER_CONSTANT;
 * a layer with NaN or infinite activations gets NaN cells and
 * BS_CKA_LAYER_NOT_FINITE (from then on). */
#pragma once

#include <glib.h>

#include "bs-gram.h"

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

typedef enum {
  BS_CKA_SIDE_A,  /* rows */
  BS_CKA_SIDE_B,  /* columns */
} BsCkaSide;

typedef struct _BsCkaAccumulator BsCkaAccumulator;

/* n: examples per minibatch (n >= 4 for the unbiased estimator, n >= 2 for
 * the biased one; a clear BS_ERROR_INVALID_ARGUMENT otherwise). symmetric:
 * model B is model A; only side A Grams are given and n_cols must equal n_rows. */
BsCkaAccumulator *bs_cka_accumulator_new        (guint                    n_rows,
                                                 guint                    n_cols,
                                                 guint                    n,
                                                 gboolean                 biased,
                                                 gboolean                 symmetric,
                                                 GError                 **error);
void              bs_cka_accumulator_free       (BsCkaAccumulator        *acc);

/* Threads for the per-minibatch product of all Gram pairs (borrowed; NULL:
 * the caller's thread and BLAS's own). The result does not depend on it. */
void              bs_cka_accumulator_set_workspace (BsCkaAccumulator     *acc,
                                                    BsGramWorkspace      *ws);

/* The Gram (full symmetric n x n, row-major) of one layer for the current
 * minibatch. finite = FALSE marks activations that were not finite (the
 * value of gram is then ignored). */
void              bs_cka_accumulator_set_gram   (BsCkaAccumulator        *acc,
                                                 BsCkaSide                side,
                                                 guint                    layer,
                                                 double                  *gram,
                                                 gboolean                 finite);
/* The same from a triangle (bs-gram.h), as the Gram kernel hands it over. */
void              bs_cka_accumulator_set_gram_triangle (BsCkaAccumulator     *acc,
                                                        BsCkaSide             side,
                                                        guint                 layer,
                                                        const BsGramTriangle *tri,
                                                        gboolean              finite);

/* Adds the current minibatch to the sums. Fails (and adds nothing) when a
 * layer's Gram is missing. */
gboolean          bs_cka_accumulator_end_minibatch (BsCkaAccumulator     *acc,
                                                    GError              **error);
/* Forgets Grams handed over since the last end_minibatch. */
void              bs_cka_accumulator_discard_minibatch (BsCkaAccumulator *acc);

/* What one minibatch adds to the sums: everything a shard of a protocol
 * run elsewhere must carry (bs-cka-shard.h) so that adding the minibatches
 * in their order gives the same bits as one run. xy is n_rows x n_cols;
 * the others one value per layer of their side (side B's equal side A's
 * when symmetric). bad: the layer's activations were not finite. */
typedef struct {
  const double *xy;
  const double *self_a;
  const double *self_b;
  const double *trace_a;
  const double *trace_b;
  const guint8 *bad_a;
  const guint8 *bad_b;
} BsCkaMinibatchTerms;

/* The terms of the minibatch the last end_minibatch added (pointers owned
 * by the accumulator, valid until the next minibatch). FALSE before one. */
gboolean          bs_cka_accumulator_get_last_terms (const BsCkaAccumulator *acc,
                                                     BsCkaMinibatchTerms    *terms);
/* Adds a minibatch from its terms, exactly as end_minibatch adds one. */
void              bs_cka_accumulator_add_terms  (BsCkaAccumulator          *acc,
                                                 const BsCkaMinibatchTerms *terms);

guint64           bs_cka_accumulator_get_n_minibatches (const BsCkaAccumulator *acc);
guint             bs_cka_accumulator_get_n_rows (const BsCkaAccumulator  *acc);
guint             bs_cka_accumulator_get_n_cols (const BsCkaAccumulator  *acc);
guint             bs_cka_accumulator_get_batch_size (const BsCkaAccumulator *acc);

/* dest += src: both must have the same shape, n, estimator and symmetry. */
gboolean          bs_cka_accumulator_merge      (BsCkaAccumulator        *dest,
                                                 const BsCkaAccumulator  *src,
                                                 GError                 **error);

/* The current estimate: cka and std_error are n_rows x n_cols row-major;
 * row_status / col_status (BsCkaLayerStatus) may be NULL. */
void              bs_cka_accumulator_get_result (const BsCkaAccumulator  *acc,
                                                 double                  *cka,
                                                 double                  *std_error,
                                                 guint8                  *row_status,
                                                 guint8                  *col_status);
/* A new snapshot of the current estimate, with the layers, models and
 * totals of header (its batch size and estimator are the accumulator's). */
BsCkaSnapshot    *bs_cka_accumulator_make_snapshot (const BsCkaAccumulator    *acc,
                                                    const BsCkaSnapshotHeader *header);

G_END_DECLS
