/* bs-job-runner.h: runs CKA jobs on a worker thread of the window's own.
 *
 * One job at a time, on a GThread that the runner creates and joins (not
 * GIO's shared pool, which file I/O needs). The worker loads the data set,
 * builds both models, publishes an all-grey snapshot with the layer lists
 * at once, then one snapshot per minibatch. Publications reach the main
 * context coalesced: at most one idle source is pending, holding only the
 * newest snapshot, so a slow main loop skips snapshots instead of queueing
 * them. Signals are emitted on the thread that created the runner. */
#pragma once

#include <gio/gio.h>

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

#define BS_TYPE_JOB_RUNNER (bs_job_runner_get_type ())

G_DECLARE_FINAL_TYPE (BsJobRunner, bs_job_runner, BS, JOB_RUNNER, GObject)

typedef struct {
  const char *spec_a;        /* model name or checkpoint path */
  const char *spec_b;
  const char *dataset;       /* data set name, as bs_dataset_load takes it */
  const char *data_dir;      /* NULL: the usual search folders */
  guint       passes;
  guint       batch_size;
  guint       limit;         /* test images used per pass, 0 = all */
  guint64     seed;          /* shuffling */
  guint64     init_seed;     /* initialisation of models given by name */
  guint       threads;       /* 0: every processor */
} BsJobParams;

BsJobRunner *bs_job_runner_new         (void);

/* Starts a job; FALSE (and nothing happens) while one is running. */
gboolean     bs_job_runner_start       (BsJobRunner       *self,
                                        const BsJobParams *params);
/* Asks the job to stop; "finished" follows with G_IO_ERROR_CANCELLED. */
void         bs_job_runner_cancel      (BsJobRunner       *self);
/* Cancels and waits for the worker to end; no signal is emitted for that
 * job afterwards. For closing windows. */
void         bs_job_runner_stop        (BsJobRunner       *self);
gboolean     bs_job_runner_is_running  (BsJobRunner       *self);
/* Snapshots handed to the main thread / published by the worker in the
 * current or last job (the difference is what coalescing skipped). */
void         bs_job_runner_get_counts  (BsJobRunner       *self,
                                        guint             *delivered,
                                        guint             *published);

G_END_DECLS
