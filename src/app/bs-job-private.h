/* bs-job-private.h: how BsJobQueue drives a BsJob through its life. */
#pragma once

#include "bs-job.h"

G_BEGIN_DECLS

/* Worker thread: the job's function (FALSE at once when it was cancelled
 * while it waited). Its start reaches the main context as the state
 * BS_JOB_RUNNING, with its other reports. */
gboolean      bs_job_run             (BsJob   *self,
                                      GError **error);
/* Main context: delivers the last reports, then records the outcome
 * (taking error, NULL for success) and emits "finished". */
void          bs_job_finish          (BsJob   *self,
                                      GError  *error);
GCancellable *bs_job_get_cancellable (BsJob   *self);

G_END_DECLS
