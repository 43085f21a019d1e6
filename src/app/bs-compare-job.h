/* bs-compare-job.h: CKA across training time and across seeds, run as a BsJob.
 *
 * Wraps bs_cka_convergence_run () and bs_cka_seeds_run () (bs-cka-compare.h)
 * for the window's queue: the test split through the window's dataset
 * cache, one CKA job per checkpoint (or per pair of models) on the job's
 * thread, progress in those jobs, Stop between and inside them (the
 * cancellable reaches bs_cka_job_run ()). Once the job has succeeded, its
 * result is read on the main thread. */
#pragma once

#include "bs-cka-compare.h"
#include "bs-dataset-cache.h"
#include "bs-engine-config.h"
#include "bs-job.h"

G_BEGIN_DECLS

/* The data and the protocol both comparisons share. */
typedef struct {
  const char           *dataset;      /* data set name */
  const char           *data_dir;     /* NULL: the usual search folders */
  guint                 limit;        /* test images per pass, 0: all */
  guint                 batch_size;
  guint                 passes;
  guint64               seed;         /* shuffling */
  const BsEngineConfig *engine;       /* NULL: the defaults */
} BsCompareProtocol;

/* Each layer's CKA with its final self over checkpoints (n paths, oldest
 * first, their epochs alongside); the last is the final model. The title
 * names run_title. */
BsJob        *bs_compare_job_new_convergence (const char *const       *checkpoints,
                                              const guint             *epochs,
                                              guint                    n,
                                              const char              *run_title,
                                              const BsCompareProtocol *protocol,
                                              BsDatasetCache          *cache);
/* The mean CKA matrix over every pair of n >= 2 model specs, and its
 * standard deviation. */
BsJob        *bs_compare_job_new_seeds       (const char *const       *specs,
                                              guint                    n,
                                              const BsCompareProtocol *protocol,
                                              BsDatasetCache          *cache);

/* After the job succeeded (NULL before, and after a failure or a stop). */
const BsCkaConvergence *bs_compare_job_get_convergence (BsJob *job);
const BsCkaSeeds       *bs_compare_job_get_seeds       (BsJob *job);
/* The epochs of a convergence job's checkpoints (n of them). */
const guint  *bs_compare_job_get_epochs      (BsJob *job);
/* The specs a job compares, NULL-terminated. */
const char *const *bs_compare_job_get_specs  (BsJob *job);

G_END_DECLS
