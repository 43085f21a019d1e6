/* bs-job-queue.c: GTasks on a private one-thread pool, as GNOME Builder's
 * IdeThreadPool runs its long tasks. */
#include "bs-config.h"

#include "bs-job-queue.h"
#include "bs-job-private.h"

struct _BsJobQueue
{
  GObject      parent_instance;

  GPtrArray   *jobs;       /* waiting and running, in order */
  GThreadPool *pool;
  gboolean     shut_down;
};

static void bs_job_queue_list_model_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BsJobQueue, bs_job_queue, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, bs_job_queue_list_model_init))

/* The worker thread. */
static void
run_task (gpointer data,
          gpointer user_data)
{
  GTask *task = data;
  BsJob *job = g_task_get_source_object (task);
  GError *error = NULL;

  if (bs_job_run (job, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  g_object_unref (task);
}

/* Back on the main context. */
static void
on_task_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(BsJobQueue) self = user_data;
  BsJob *job = BS_JOB (source);
  GError *error = NULL;
  guint index;

  g_task_propagate_boolean (G_TASK (result), &error);
  if (g_ptr_array_find (self->jobs, job, &index))
    {
      g_autoptr(BsJob) removed = g_ptr_array_steal_index (self->jobs, index);

      g_list_model_items_changed (G_LIST_MODEL (self), index, 1, 0);
      bs_job_finish (job, error);
    }
  else
    bs_job_finish (job, error);
}

void
bs_job_queue_push (BsJobQueue *self,
                   BsJob      *job)
{
  GTask *task;

  g_return_if_fail (BS_IS_JOB_QUEUE (self));
  g_return_if_fail (BS_IS_JOB (job) && bs_job_get_state (job) == BS_JOB_WAITING);
  g_return_if_fail (!self->shut_down);

  g_ptr_array_add (self->jobs, g_object_ref (job));
  g_list_model_items_changed (G_LIST_MODEL (self), self->jobs->len - 1, 0, 1);

  /* The job reports its own cancellation, so the task need not check. */
  task = g_task_new (job, bs_job_get_cancellable (job), on_task_done, g_object_ref (self));
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_source_tag (task, bs_job_queue_push);
  g_task_set_name (task, bs_job_get_title (job));
  g_thread_pool_push (self->pool, task, NULL);
}

BsJob *
bs_job_queue_lookup (BsJobQueue *self,
                     guint       id)
{
  g_return_val_if_fail (BS_IS_JOB_QUEUE (self), NULL);

  for (guint i = 0; i < self->jobs->len; i++)
    if (bs_job_get_id (g_ptr_array_index (self->jobs, i)) == id)
      return g_ptr_array_index (self->jobs, i);
  return NULL;
}

void
bs_job_queue_cancel_all (BsJobQueue *self)
{
  g_return_if_fail (BS_IS_JOB_QUEUE (self));

  for (guint i = 0; i < self->jobs->len; i++)
    bs_job_cancel (g_ptr_array_index (self->jobs, i));
}

void
bs_job_queue_shutdown (BsJobQueue *self)
{
  g_return_if_fail (BS_IS_JOB_QUEUE (self));

  if (self->shut_down)
    return;
  self->shut_down = TRUE;
  bs_job_queue_cancel_all (self);
  /* Every task still runs, ending at once as cancelled, so that each
   * returns; this waits for them, the running one included. */
  g_thread_pool_free (g_steal_pointer (&self->pool), FALSE, TRUE);
}

/* ---------------------------------------------------------------- GListModel */

static GType
bs_job_queue_get_item_type (GListModel *model)
{
  return BS_TYPE_JOB;
}

static guint
bs_job_queue_get_n_items (GListModel *model)
{
  return BS_JOB_QUEUE (model)->jobs->len;
}

static gpointer
bs_job_queue_get_item (GListModel *model,
                       guint       position)
{
  BsJobQueue *self = BS_JOB_QUEUE (model);

  if (position >= self->jobs->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->jobs, position));
}

static void
bs_job_queue_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = bs_job_queue_get_item_type;
  iface->get_n_items = bs_job_queue_get_n_items;
  iface->get_item = bs_job_queue_get_item;
}

/* ---------------------------------------------------------------- GObject */

static void
bs_job_queue_dispose (GObject *object)
{
  bs_job_queue_shutdown (BS_JOB_QUEUE (object));

  G_OBJECT_CLASS (bs_job_queue_parent_class)->dispose (object);
}

static void
bs_job_queue_finalize (GObject *object)
{
  BsJobQueue *self = BS_JOB_QUEUE (object);

  g_ptr_array_unref (self->jobs);

  G_OBJECT_CLASS (bs_job_queue_parent_class)->finalize (object);
}

static void
bs_job_queue_class_init (BsJobQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_job_queue_dispose;
  object_class->finalize = bs_job_queue_finalize;
}

static void
bs_job_queue_init (BsJobQueue *self)
{
  self->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  /* One exclusive thread: jobs in push order, one at a time. */
  self->pool = g_thread_pool_new (run_task, self, 1, TRUE, NULL);
}

BsJobQueue *
bs_job_queue_new (void)
{
  return g_object_new (BS_TYPE_JOB_QUEUE, NULL);
}
