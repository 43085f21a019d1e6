/* bs-job-queue.h: the jobs of a window, run one after another on a worker thread of its own.
 *
 * Jobs are CPU-bound and each uses every core (on the engine's own
 * threads), so they run one at a time, in the order they were pushed, on a
 * thread the queue owns (not GIO's shared pool, which file I/O needs). Each
 * runs as a GTask whose completion reaches the main context. The queue is a
 * GListModel of the jobs still waiting or running, which the window lists. */
#pragma once

#include <gio/gio.h>

#include "bs-job.h"

G_BEGIN_DECLS

#define BS_TYPE_JOB_QUEUE (bs_job_queue_get_type ())

G_DECLARE_FINAL_TYPE (BsJobQueue, bs_job_queue, BS, JOB_QUEUE, GObject)

BsJobQueue *bs_job_queue_new        (void);

/* Takes a reference; the job runs when those before it are done. */
void        bs_job_queue_push       (BsJobQueue *self,
                                     BsJob      *job);
/* The job with this id (bs_job_get_id()) among those waiting or running. */
BsJob      *bs_job_queue_lookup     (BsJobQueue *self,
                                     guint       id);
void        bs_job_queue_cancel_all (BsJobQueue *self);
/* Cancels every job and waits for the running one to stop (within a
 * layer of its work); nothing runs afterwards and pushing is refused.
 * For closing windows. */
void        bs_job_queue_shutdown   (BsJobQueue *self);

G_END_DECLS
