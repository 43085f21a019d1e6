/* bs-job.c: a job's state, and the hand-over of its reports to the main context.
 *
 * The worker writes its newest status, progress and partial result under
 * the job's mutex and attaches an idle source only when none is pending;
 * the idle takes whatever is newest when it runs. The source is attached
 * explicitly to the main context the job was made on (g_main_context_invoke()
 * could run it on the worker itself when that context happens to be free).
 * Running, ending and cancelling go through the GTask that BsJobQueue makes
 * for the job (bs-job-private.h). */
#include "bs-config.h"

#include "bs-job-private.h"

struct _BsJob
{
  GObject          parent_instance;

  guint            id;
  char            *title;
  BsJobFunc        func;
  gpointer         data;
  GDestroyNotify   destroy;
  GMainContext    *context;
  GCancellable    *cancellable;

  /* Main context only */
  BsJobState       state;
  char            *status;
  guint64          done;
  guint64          total;
  GValue           partial;
  GError          *error;
  guint            delivered;

  /* Shared with the worker, under lock */
  GMutex           lock;
  gboolean         idle_pending;
  gboolean         pending_started;
  char            *pending_status;
  gboolean         pending_progress;
  guint64          pending_done;
  guint64          pending_total;
  GValue           pending_partial;
  guint            reported;
};

G_DEFINE_FINAL_TYPE (BsJob, bs_job, G_TYPE_OBJECT)

G_DEFINE_ENUM_TYPE (BsJobState, bs_job_state,
  G_DEFINE_ENUM_VALUE (BS_JOB_WAITING, "waiting"),
  G_DEFINE_ENUM_VALUE (BS_JOB_RUNNING, "running"),
  G_DEFINE_ENUM_VALUE (BS_JOB_SUCCEEDED, "succeeded"),
  G_DEFINE_ENUM_VALUE (BS_JOB_FAILED, "failed"),
  G_DEFINE_ENUM_VALUE (BS_JOB_CANCELLED, "cancelled"))

enum {
  PROP_0,
  PROP_TITLE,
  PROP_STATE,
  PROP_STATUS,
  PROP_FRACTION,
  N_PROPS
};

enum {
  PARTIAL,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- reports */

/* Main context: delivers what the worker reported since the last time. */
static void
deliver_reports (BsJob *self)
{
  g_autofree char *status = NULL;
  GValue partial = G_VALUE_INIT;
  gboolean started, progress;
  guint64 done, total;

  g_mutex_lock (&self->lock);
  self->idle_pending = FALSE;
  started = self->pending_started;
  self->pending_started = FALSE;
  status = g_steal_pointer (&self->pending_status);
  progress = self->pending_progress;
  done = self->pending_done;
  total = self->pending_total;
  self->pending_progress = FALSE;
  if (G_IS_VALUE (&self->pending_partial))
    {
      partial = self->pending_partial;
      self->pending_partial = (GValue) G_VALUE_INIT;
    }
  g_mutex_unlock (&self->lock);

  g_object_freeze_notify (G_OBJECT (self));
  if (started && self->state == BS_JOB_WAITING)
    {
      self->state = BS_JOB_RUNNING;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
    }
  if (status != NULL && g_strcmp0 (status, self->status) != 0)
    {
      g_free (self->status);
      self->status = g_steal_pointer (&status);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (progress && (done != self->done || total != self->total))
    {
      self->done = done;
      self->total = total;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }
  g_object_thaw_notify (G_OBJECT (self));

  if (G_IS_VALUE (&partial))
    {
      if (G_IS_VALUE (&self->partial))
        g_value_unset (&self->partial);
      self->partial = partial;
      self->delivered++;
      g_signal_emit (self, signals[PARTIAL], 0, &self->partial);
    }
}

static gboolean
deliver_reports_idle (gpointer data)
{
  deliver_reports (data);
  return G_SOURCE_REMOVE;
}

/* Worker side, with the lock held. */
static void
schedule_delivery_locked (BsJob *self)
{
  GSource *source;

  if (self->idle_pending)
    return;

  self->idle_pending = TRUE;
  source = g_idle_source_new ();
  g_source_set_priority (source, G_PRIORITY_DEFAULT);
  g_source_set_callback (source, deliver_reports_idle, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[blockscope] job report");
  g_source_attach (source, self->context);
  g_source_unref (source);
}

void
bs_job_report_status (BsJob      *self,
                      const char *status)
{
  g_return_if_fail (BS_IS_JOB (self));

  g_mutex_lock (&self->lock);
  g_free (self->pending_status);
  self->pending_status = g_strdup (status);
  schedule_delivery_locked (self);
  g_mutex_unlock (&self->lock);
}

void
bs_job_report_progress (BsJob   *self,
                        guint64  done,
                        guint64  total)
{
  g_return_if_fail (BS_IS_JOB (self));

  g_mutex_lock (&self->lock);
  self->pending_progress = TRUE;
  self->pending_done = done;
  self->pending_total = total;
  schedule_delivery_locked (self);
  g_mutex_unlock (&self->lock);
}

void
bs_job_report_partial (BsJob        *self,
                       const GValue *value)
{
  GValue copy = G_VALUE_INIT;

  g_return_if_fail (BS_IS_JOB (self));
  g_return_if_fail (G_IS_VALUE (value));

  g_value_init (&copy, G_VALUE_TYPE (value));
  g_value_copy (value, &copy);

  g_mutex_lock (&self->lock);
  /* Keep only the newest: one replaced before delivery is dropped. */
  if (G_IS_VALUE (&self->pending_partial))
    g_value_unset (&self->pending_partial);
  self->pending_partial = copy;
  self->reported++;
  schedule_delivery_locked (self);
  g_mutex_unlock (&self->lock);
}

/* ---------------------------------------------------------------- life cycle (bs-job-private.h) */

static void
bs_job_report_started (BsJob *self)
{
  g_mutex_lock (&self->lock);
  self->pending_started = TRUE;
  schedule_delivery_locked (self);
  g_mutex_unlock (&self->lock);
}

gboolean
bs_job_run (BsJob   *self,
            GError **error)
{
  /* A job cancelled while it waited does not start. */
  if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
    return FALSE;
  bs_job_report_started (self);
  return self->func (self, self->data, self->cancellable, error);
}

void
bs_job_finish (BsJob  *self,
               GError *error)
{
  g_return_if_fail (!bs_job_is_finished (self));

  /* The last reports come before the end. */
  deliver_reports (self);

  g_clear_error (&self->error);
  self->error = error;
  if (error == NULL)
    self->state = BS_JOB_SUCCEEDED;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->state = BS_JOB_CANCELLED;
  else
    self->state = BS_JOB_FAILED;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_signal_emit (self, signals[FINISHED], 0);
}

GCancellable *
bs_job_get_cancellable (BsJob *self)
{
  return self->cancellable;
}

/* ---------------------------------------------------------------- public */

BsJob *
bs_job_new (const char     *title,
            BsJobFunc       func,
            gpointer        data,
            GDestroyNotify  destroy)
{
  BsJob *self;

  g_return_val_if_fail (func != NULL, NULL);

  self = g_object_new (BS_TYPE_JOB, "title", title, NULL);
  self->func = func;
  self->data = data;
  self->destroy = destroy;
  return self;
}

guint
bs_job_get_id (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), 0);
  return self->id;
}

const char *
bs_job_get_title (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), NULL);
  return self->title;
}

BsJobState
bs_job_get_state (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), BS_JOB_FAILED);
  return self->state;
}

gboolean
bs_job_is_finished (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), TRUE);
  return self->state != BS_JOB_WAITING && self->state != BS_JOB_RUNNING;
}

const char *
bs_job_get_status (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), NULL);
  return self->status;
}

void
bs_job_get_progress (BsJob   *self,
                     guint64 *done,
                     guint64 *total)
{
  g_return_if_fail (BS_IS_JOB (self));

  if (done != NULL)
    *done = self->done;
  if (total != NULL)
    *total = self->total;
}

double
bs_job_get_fraction (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), 0.0);

  if (self->total == 0)
    return 0.0;
  return CLAMP ((double) self->done / (double) self->total, 0.0, 1.0);
}

const GValue *
bs_job_get_partial (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), NULL);
  return G_IS_VALUE (&self->partial) ? &self->partial : NULL;
}

const GError *
bs_job_get_error (BsJob *self)
{
  g_return_val_if_fail (BS_IS_JOB (self), NULL);
  return self->error;
}

void
bs_job_cancel (BsJob *self)
{
  g_return_if_fail (BS_IS_JOB (self));

  g_cancellable_cancel (self->cancellable);
}

void
bs_job_get_partial_counts (BsJob *self,
                           guint *delivered,
                           guint *reported)
{
  g_return_if_fail (BS_IS_JOB (self));

  if (delivered != NULL)
    *delivered = self->delivered;
  if (reported != NULL)
    {
      g_mutex_lock (&self->lock);
      *reported = self->reported;
      g_mutex_unlock (&self->lock);
    }
}

/* ---------------------------------------------------------------- GObject */

static void
bs_job_finalize (GObject *object)
{
  BsJob *self = BS_JOB (object);

  if (self->destroy != NULL)
    self->destroy (self->data);
  g_free (self->title);
  g_free (self->status);
  g_free (self->pending_status);
  if (G_IS_VALUE (&self->partial))
    g_value_unset (&self->partial);
  if (G_IS_VALUE (&self->pending_partial))
    g_value_unset (&self->pending_partial);
  g_clear_error (&self->error);
  g_clear_object (&self->cancellable);
  g_main_context_unref (self->context);
  g_mutex_clear (&self->lock);

  G_OBJECT_CLASS (bs_job_parent_class)->finalize (object);
}

static void
bs_job_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  BsJob *self = BS_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;

    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;

    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;

    case PROP_FRACTION:
      g_value_set_double (value, bs_job_get_fraction (self));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_job_set_property (GObject      *object,
                     guint         prop_id,
                     const GValue *value,
                     GParamSpec   *pspec)
{
  BsJob *self = BS_JOB (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      self->title = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bs_job_class_init (BsJobClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bs_job_finalize;
  object_class->get_property = bs_job_get_property;
  object_class->set_property = bs_job_set_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, BS_TYPE_JOB_STATE, BS_JOB_WAITING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0.0, 1.0, 0.0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* The newest partial result (a GValue, borrowed). */
  signals[PARTIAL] =
    g_signal_new ("partial", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_VALUE | G_SIGNAL_TYPE_STATIC_SCOPE);
  /* The job ended: see bs_job_get_state() and bs_job_get_error(). */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
bs_job_init (BsJob *self)
{
  static gint next_id = 1;

  self->id = (guint) g_atomic_int_add (&next_id, 1);
  self->state = BS_JOB_WAITING;
  self->context = g_main_context_ref_thread_default ();
  self->cancellable = g_cancellable_new ();
  g_mutex_init (&self->lock);
}
