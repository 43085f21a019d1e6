/* bs-download-job.h: a data set downloaded as a job of the window's queue.
 *
 * The work is bs_dataset_fetch () (bs-dataset-fetch.h: checked, unpacked
 * into place only when complete, nothing left behind on failure or
 * cancel) into the default data folder; the job's status says what it does
 * in bytes, speed and time left, its progress is the current file's bytes. */
#pragma once

#include "bs-job.h"

G_BEGIN_DECLS

/* A job for the named data set (cifar10, cifar100, mnist), with the
 * addresses and checksums of the environment; NULL with
 * BS_ERROR_INVALID_ARGUMENT for one that cannot be downloaded. */
BsJob *bs_download_job_new (const char  *dataset_name,
                            GError     **error);

G_END_DECLS
