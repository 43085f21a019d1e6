/* bs-probe-job.h: linear probes along a model's layers, run as a BsJob.
 *
 * Wraps bs_probe_run () (bs-probe.h) with its default options for the
 * window's queue: the model from its spec, the data set by name (both
 * splits: the probes fit on training images), progress in images while
 * the network runs and in layers while the classifiers fit. Once the job
 * has succeeded, its results are read on the main thread. */
#pragma once

#include "bs-engine-config.h"
#include "bs-job.h"
#include "bs-probe.h"

G_BEGIN_DECLS

typedef struct {
  const char           *spec;        /* model spec (bs-model-spec.h) */
  guint64               init_seed;   /* initialisation of a model given by name */
  const char           *dataset;     /* data set name */
  const char           *data_dir;    /* NULL: the usual search folders */
  guint                 train_images; /* 0: bs-probe.h's default */
  guint                 test_images;  /* 0: the whole test split */
  guint                 epochs;       /* 0: bs-probe.h's default */
  const BsEngineConfig *engine;      /* NULL: the defaults */
} BsProbeRequest;

/* A job for the request (copied); its title names the model. */
BsJob        *bs_probe_job_new        (const BsProbeRequest *request);

/* After the job succeeded (NULL before, and after a failure): a GArray of
 * BsProbeResult in network order, and the images used. */
GArray       *bs_probe_job_get_results (BsJob               *job);
const BsProbeCounts *bs_probe_job_get_counts (BsJob         *job);
const char   *bs_probe_job_get_spec    (BsJob               *job);

G_END_DECLS
