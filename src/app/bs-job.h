/* bs-job.h: one piece of background work, as the window runs, shows and controls it.
 *
 * A job is a function that runs on a worker thread (a BsJobQueue's) with a
 * GCancellable, reports as it goes, and ends with success or a GError; it
 * runs as a GTask. Whatever kind of work it is (a CKA computation, a
 * training run, a download), the window sees it the same way: a title, a
 * status text, progress, its newest partial result, its end.
 *
 * Reports reach the main context coalesced: the worker may report as often
 * as it likes; at most one idle source is pending per job, and it delivers
 * only the newest status, progress and partial result, so a busy main loop
 * skips intermediate states instead of queueing them. Everything a job
 * emits (property notifications, "partial", "finished") is emitted on the
 * main context of the thread that created the job, and a job's last
 * reports are delivered before "finished". */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define BS_TYPE_JOB       (bs_job_get_type ())
#define BS_TYPE_JOB_STATE (bs_job_state_get_type ())

G_DECLARE_FINAL_TYPE (BsJob, bs_job, BS, JOB, GObject)

typedef enum {
  BS_JOB_WAITING,    /* in a queue, not started */
  BS_JOB_RUNNING,
  BS_JOB_SUCCEEDED,
  BS_JOB_FAILED,
  BS_JOB_CANCELLED,
} BsJobState;

GType bs_job_state_get_type (void) G_GNUC_CONST;

/* The work, on a worker thread: TRUE on success, or FALSE with error set
 * (G_IO_ERROR_CANCELLED once cancellable was triggered). */
typedef gboolean (*BsJobFunc) (BsJob         *job,
                               gpointer       data,
                               GCancellable  *cancellable,
                               GError       **error);

/* data is freed with destroy (on the main context) when the job is. */
BsJob        *bs_job_new            (const char     *title,
                                     BsJobFunc       func,
                                     gpointer        data,
                                     GDestroyNotify  destroy);

/* Main-context side. */
guint         bs_job_get_id         (BsJob          *self);
const char   *bs_job_get_title      (BsJob          *self);
BsJobState    bs_job_get_state      (BsJob          *self);
gboolean      bs_job_is_finished    (BsJob          *self);
/* "Loading Fashion-MNIST…": what the worker reported last; NULL before. */
const char   *bs_job_get_status     (BsJob          *self);
/* Units of work done and in all (0 and 0 while unknown), and their ratio
 * in [0, 1] (0 while unknown). */
void          bs_job_get_progress   (BsJob          *self,
                                     guint64        *done,
                                     guint64        *total);
double        bs_job_get_fraction   (BsJob          *self);
/* The newest partial result delivered (NULL before the first). */
const GValue *bs_job_get_partial    (BsJob          *self);
/* Why it failed or was cancelled; NULL otherwise. */
const GError *bs_job_get_error      (BsJob          *self);
/* Asks the work to stop; "finished" follows with BS_JOB_CANCELLED (or the
 * job's outcome, when it was already ending). */
void          bs_job_cancel         (BsJob          *self);
/* How many partial results the worker reported, and how many of them were
 * delivered (the rest were replaced by newer ones first). */
void          bs_job_get_partial_counts (BsJob      *self,
                                         guint      *delivered,
                                         guint      *reported);

/* Worker side: call from the job's function, on its thread. */
void          bs_job_report_status  (BsJob          *self,
                                     const char     *status);
void          bs_job_report_progress (BsJob         *self,
                                      guint64        done,
                                      guint64        total);
/* value is copied (boxed types and objects are referenced, not deep-copied:
 * give immutable ones, such as BsCkaSnapshot). */
void          bs_job_report_partial (BsJob          *self,
                                     const GValue   *value);

G_END_DECLS
