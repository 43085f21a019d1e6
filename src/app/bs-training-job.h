/* bs-training-job.h: a training run of the window, as a BsJob.
 *
 * The job runs bs_run_train () on the window's job queue (the same queue,
 * job list and cancel as a CKA computation): it loads the run's data set,
 * trains from the start or resumes from the last checkpoint, and writes the
 * run folder as it goes. What the worker reports (every step, every epoch,
 * every minibatch of a CKA snapshot) is kept under a lock and handed to the
 * main thread coalesced, as BsJob hands over partial results: one idle per
 * burst, which moves everything new into the job's BsTrainingHistory. So
 * the charts get every step, however busy the main loop is, at no cost to
 * the worker.
 *
 * Pause blocks the worker in its step callback (on a condition variable)
 * until Resume or Cancel; the run's time excludes the pause. */
#pragma once

#include <gio/gio.h>

#include "bs-engine-config.h"
#include "bs-job.h"
#include "bs-run.h"
#include "bs-training-history.h"

G_BEGIN_DECLS

#define BS_TYPE_TRAINING_JOB (bs_training_job_get_type ())

G_DECLARE_FINAL_TYPE (BsTrainingJob, bs_training_job, BS, TRAINING_JOB, GObject)

/* A job that trains run (referenced; the main thread must leave it alone
 * until the job ends, and open its own BsRun to read the folder).
 * data_dir: where to look for the data set (NULL: the usual folders);
 * engine: NULL for the defaults. */
BsTrainingJob     *bs_training_job_new          (BsRun                *run,
                                                 const char           *data_dir,
                                                 const BsEngineConfig *engine);

/* The BsJob to push on a queue and to watch ("finished"). */
BsJob             *bs_training_job_get_job      (BsTrainingJob *self);
BsTrainingHistory *bs_training_job_get_history  (BsTrainingJob *self);
const char        *bs_training_job_get_run_dir  (BsTrainingJob *self);
/* What the run is (bs_run_describe ()). */
const char        *bs_training_job_get_description (BsTrainingJob *self);

/* Pausing: the worker waits before its next step ("notify::paused"). */
void               bs_training_job_pause        (BsTrainingJob *self);
void               bs_training_job_resume       (BsTrainingJob *self);
gboolean           bs_training_job_is_paused    (BsTrainingJob *self);

/* The last step reported (0 before the first): where a run diverged. */
guint64            bs_training_job_get_last_step (BsTrainingJob *self);
/* Steps delivered so far, and steps the worker took (tests, benchmarks). */
guint64            bs_training_job_get_steps_taken (BsTrainingJob *self);

G_END_DECLS
