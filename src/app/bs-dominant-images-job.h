/* bs-dominant-images-job.h: the test images that dominate a layer's PC1, found as a BsJob.
 *
 * Wraps bs_dominant_images_run () (bs-dominant-images.h) for the window's
 * queue: the test split from the window's dataset cache, the model from
 * its spec, the layer by name, the first n test images, progress in
 * images. Once the job has succeeded, its result and the data set (for the
 * thumbnails' pixels and the class names) are read on the main thread. */
#pragma once

#include "bs-dataset-cache.h"
#include "bs-dominant-images.h"
#include "bs-engine-config.h"
#include "bs-job.h"

G_BEGIN_DECLS

typedef struct {
  const char           *spec;        /* model spec (bs-model-spec.h) */
  guint64               init_seed;   /* initialisation of a model given by name */
  const char           *dataset;     /* data set name */
  const char           *data_dir;    /* NULL: the usual search folders */
  const char           *layer;       /* the layer's name */
  guint                 n_images;    /* the first n test images (0: all) */
  guint                 top;         /* how many images to list */
  const BsEngineConfig *engine;      /* NULL: the defaults */
} BsDominantImagesRequest;

/* A job for the request (copied); its title names the layer. */
BsJob                        *bs_dominant_images_job_new         (const BsDominantImagesRequest *request,
                                                                  BsDatasetCache                *cache);

/* After the job succeeded (NULL before, and after a failure): */
const BsDominantImagesResult *bs_dominant_images_job_get_result  (BsJob *job);
BsDataset                    *bs_dominant_images_job_get_dataset (BsJob *job);
const char                   *bs_dominant_images_job_get_layer   (BsJob *job);
const char                   *bs_dominant_images_job_get_spec    (BsJob *job);

G_END_DECLS
