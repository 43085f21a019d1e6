/* bs-cka-acts.h: the activation-folder source of a CKA job, for bs-cka-job.c.
 *
 * Two folders of .npy files (one per layer, first axis = examples, layers
 * in file-name order); examples are taken in file order, in consecutive
 * minibatches, a short last one dropped, one pass. */
#pragma once

#include "bs-cka-job.h"

G_BEGIN_DECLS

/* bs_cka_job_run() for options with acts_dir_a set, with the engine
 * configuration resolved. */
BsCkaSnapshot *bs_cka_run_activations (const BsCkaJobOptions *options,
                                       const BsEngineConfig  *config,
                                       BsCkaSnapshotFunc      callback,
                                       gpointer               user_data,
                                       GCancellable          *cancellable,
                                       GError               **error);

G_END_DECLS
