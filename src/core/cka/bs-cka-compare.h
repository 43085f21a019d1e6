/* bs-cka-compare.h: CKA across training time and across seeds, from many CKA jobs.
 *
 * Across time (SVCCA found that layers converge bottom-up; the paper asks
 * whether a block's layers settle together): for checkpoints c_1 .. c_K of
 * one training and its final model F, each layer's CKA between c_k and F at
 * the same layer, a layers x checkpoints matrix. One CKA job per
 * checkpoint (model A = c_k, model B = F, the same images and protocol);
 * only the diagonal of each job's matrix is kept.
 *
 * Across seeds (the paper's Fig. 6: inside blocks, networks trained from
 * different seeds disagree): for models M_1 .. M_N of the same architecture,
 * the CKA matrix of every pair (i < j, one job each; (j, i) is its
 * transpose), and cell by cell the mean over the N (N - 1) ordered pairs and
 * the sample standard deviation. Models whose layers differ (names or
 * number) are refused with a message.
 *
 * The base options give the data and the protocol (dataset, limit,
 * batch_size, passes, seed, layers, threads, engine); their models are
 * ignored. A NaN cell of any pair makes the mean and deviation NaN. */
#pragma once

#include <gio/gio.h>

#include "bs-cka-job.h"
#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

/* Called before each job: done of total jobs. */
typedef void (*BsCkaCompareProgress) (guint    done,
                                      guint    total,
                                      gpointer user_data);

typedef struct {
  GArray  *layers;          /* BsLayerInfo of the compared layers */
  guint    n_checkpoints;
  double  *cka;             /* n_layers x n_checkpoints, row-major */
  double  *std_error;       /* the same cells' standard errors */
} BsCkaConvergence;

void     bs_cka_convergence_clear (BsCkaConvergence       *result);

/* checkpoints: n paths, oldest first; final: the model they converge to. */
gboolean bs_cka_convergence_run   (const char *const      *checkpoints,
                                   guint                   n,
                                   const char             *final,
                                   const BsCkaJobOptions  *base,
                                   BsCkaCompareProgress    progress,
                                   gpointer                user_data,
                                   BsCkaConvergence       *result,
                                   GCancellable           *cancellable,
                                   GError                **error);

typedef struct {
  BsCkaSnapshot *mean;      /* values: the mean over ordered pairs; std_error: the deviation */
  BsCkaSnapshot *std_dev;   /* values: the sample standard deviation across pairs (BS_CKA_STATISTIC_SEED_STD_DEV) */
  guint          n_pairs;   /* ordered pairs, N (N - 1) */
} BsCkaSeeds;

void     bs_cka_seeds_clear       (BsCkaSeeds             *result);

/* specs: n >= 2 model specs (checkpoints, usually). */
gboolean bs_cka_seeds_run         (const char *const      *specs,
                                   guint                   n,
                                   const BsCkaJobOptions  *base,
                                   BsCkaCompareProgress    progress,
                                   gpointer                user_data,
                                   BsCkaSeeds             *result,
                                   GCancellable           *cancellable,
                                   GError                **error);

G_END_DECLS
