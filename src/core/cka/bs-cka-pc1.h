/* bs-cka-pc1.h: PC1 share, PC1 alignment and CKA without PC1, from the Grams a CKA job forms.
 *
 * The paper (Nguyen, Raghu, Kornblith 2021, section 4) explains the block
 * structure by a dominant first principal component. From each layer's
 * centred Gram C = H K H of a minibatch (bs-pc1.h: lambda_1, u_1):
 *
 *  - PC1 share: lambda_1 / trace (C), the fraction of the layer's variance
 *    on its first principal component; averaged over minibatches, with the
 *    standard error of that mean (sample deviation / sqrt k);
 *  - PC1 alignment of a pair of layers: (u_1 . u_1')^2, the squared cosine
 *    between their PC1 score vectors on the same minibatch; averaged over
 *    minibatches, with its standard error, as a matrix like CKA's;
 *  - CKA without PC1: the same minibatch CKA (same estimator and sums, a
 *    BsCkaAccumulator of its own) on the deflated Grams
 *    C' = C - lambda_1 u_1 u_1^T, which are the Grams of the activations
 *    with their first principal component projected out.
 *
 * Per minibatch the Grams are kept until it ends; the eigenpairs are then
 * computed on the workspace's threads, one layer per task. A layer whose
 * centred Gram is zero has no PC1: its share and alignments are NaN for that
 * minibatch (it does not count) and its CKA without PC1 follows CKA's rules
 * (NaN, BS_CKA_LAYER_CONSTANT). Sums merge like the CKA accumulator's. */
#pragma once

#include <glib.h>

#include "bs-cka-accumulator.h"
#include "bs-cka-snapshot.h"
#include "bs-gram.h"

G_BEGIN_DECLS

typedef struct _BsCkaPc1 BsCkaPc1;

/* The same shape, n, estimator and symmetry as the job's CKA accumulator. */
BsCkaPc1         *bs_cka_pc1_new              (guint                 n_rows,
                                               guint                 n_cols,
                                               guint                 n,
                                               gboolean              biased,
                                               gboolean              symmetric,
                                               GError              **error);
void              bs_cka_pc1_free             (BsCkaPc1             *pc1);

/* Threads for the eigenpairs and the products (borrowed; NULL: the caller's). */
void              bs_cka_pc1_set_workspace    (BsCkaPc1             *pc1,
                                               BsGramWorkspace      *ws);

/* A layer's Gram of the current minibatch, as the CKA accumulator takes it (copied). */
void              bs_cka_pc1_set_gram_triangle (BsCkaPc1             *pc1,
                                                BsCkaSide             side,
                                                guint                 layer,
                                                const BsGramTriangle *tri,
                                                gboolean              finite);
void              bs_cka_pc1_set_gram         (BsCkaPc1             *pc1,
                                               BsCkaSide             side,
                                               guint                 layer,
                                               double               *gram,
                                               gboolean              finite);
gboolean          bs_cka_pc1_end_minibatch    (BsCkaPc1             *pc1,
                                               GError              **error);
void              bs_cka_pc1_discard_minibatch (BsCkaPc1            *pc1);

gboolean          bs_cka_pc1_merge            (BsCkaPc1             *dest,
                                               const BsCkaPc1       *src,
                                               GError              **error);

/* The PC1 shares of side's layers (mean and standard error; NaN where
 * undefined): n_rows or n_cols values each. */
void              bs_cka_pc1_get_shares       (const BsCkaPc1       *pc1,
                                               BsCkaSide             side,
                                               double               *share,
                                               double               *std_error);

/* The snapshot of the CKA result cka (made from the job's accumulator) with
 * this analysis attached (bs_cka_snapshot_get_measure ()). */
BsCkaSnapshot    *bs_cka_pc1_attach           (const BsCkaPc1       *pc1,
                                               BsCkaSnapshot        *cka);

G_END_DECLS
