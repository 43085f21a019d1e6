/* bs-cka-computation.h: a CKA computation of the window, as a BsJob.
 *
 * The job loads the test split (through the window's dataset cache), builds
 * both models, reports an all-grey BsCkaSnapshot with the layer lists at
 * once (so the heatmap has its axes before the first minibatch), then one
 * snapshot per minibatch, as "partial" results holding a BsCkaSnapshot
 * (BS_TYPE_CKA_SNAPSHOT), with the minibatches as its progress. The
 * protocol is bs_cka_job_run()'s (bs-cka-job.h). With the PC1 analysis,
 * the all-grey snapshot carries all-grey PC1 matrices too, so that what
 * the window offers does not change at the first minibatch. */
#pragma once

#include "bs-cka-export.h"
#include "bs-dataset-cache.h"
#include "bs-engine-config.h"
#include "bs-job.h"

G_BEGIN_DECLS

typedef struct {
  const char           *spec_a;       /* model spec (bs-model-spec.h) */
  const char           *spec_b;       /* NULL: model A */
  const char           *dataset;      /* data set name, as bs_dataset_load_test() takes it */
  const char           *data_dir;     /* NULL: the usual search folders */
  guint                 passes;
  guint                 batch_size;
  guint                 limit;        /* test images used per pass, 0 = all */
  guint64               seed;         /* shuffling */
  guint64               init_seed;    /* initialisation of models given by name */
  const BsEngineConfig *engine;       /* NULL: the defaults */
  gboolean              pc1;          /* also the PC1 analysis (bs-cka-pc1.h), on every snapshot */
  /* Test images left out (indices into the test split, e.g. the images
   * that dominate a layer's PC1: bs-dominant-images.h), so the protocol
   * runs on the first `limit` test images without them
   * (bs_dataset_new_test_subset ()); the title says so. */
  const guint          *exclude;
  guint                 n_exclude;
} BsCkaRequest;

/* A job for the request (copied); its title says what it compares. */
BsJob    *bs_cka_computation_new             (const BsCkaRequest *request,
                                              BsDatasetCache     *cache);

/* What the JSON of job's results says beside the numbers, as
 * blockscope-cli cka writes it (bs_cka_export_json ()): the protocol, the
 * data set, the images per pass, the test images left out. FALSE before
 * its first snapshot (or for another kind of job). Borrowed from the job;
 * the elapsed time is left unknown (-1). Main context. */
gboolean  bs_cka_computation_get_export_info (BsJob              *job,
                                              BsCkaExportInfo    *info);

G_END_DECLS
