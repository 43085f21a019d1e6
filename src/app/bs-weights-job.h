/* bs-weights-job.h: pretrained weights fetched or imported as a job of the window's queue.
 *
 * Fetch: bs_weights_fetch () (bs-weights-fetch.h: downloaded, hash-checked,
 * imported and saved into the weights folder, renamed into place only when
 * complete, nothing left behind on failure or cancel); the status says the
 * bytes, speed and time left. Import: bs_weights_import_model () of a
 * torchvision state dict (.pth or safetensors) for the architecture, saved
 * atomically as the checkpoint <weights folder>/<architecture>.safetensors
 * (replacing one that is there: the window asks first). Either way the
 * checkpoint's path is bs_weights_job_get_path () once the job succeeded. */
#pragma once

#include "bs-job.h"

G_BEGIN_DECLS

/* weights_dir NULL: bs_weights_fetch_default_dir (). */
BsJob      *bs_weights_job_new_fetch  (const char *architecture,
                                       const char *weights_dir);
BsJob      *bs_weights_job_new_import (const char *file,
                                       const char *architecture,
                                       const char *weights_dir);

/* The architecture the job is for. */
const char *bs_weights_job_get_architecture (BsJob *job);
/* The checkpoint written (or found), once the job succeeded; else NULL. */
const char *bs_weights_job_get_path         (BsJob *job);

G_END_DECLS
