/* test-job-queue.c: BsJob and BsJobQueue without a window: jobs run one at a
 * time in push order on the queue's thread, their reports reach the main
 * context coalesced and before "finished", and cancelling, failing and
 * shutting down end them as they should. */
#include "bs-config.h"

#include "bs-job-queue.h"
#include "bs-test-utils.h"

/* What a test job does, and what it saw. */
typedef struct {
  guint     reports;       /* partial results to report */
  gboolean  fail;          /* end with an error */
  gboolean  wait_cancel;   /* run until cancelled */
  GMutex   *order_lock;
  GString  *order;         /* the names of the jobs, as they ran */
  char     *name;
  GThread  *thread;        /* the thread it ran on */
  gint     *concurrent;    /* jobs running at once (shared) */
  gint     *most_concurrent;
} Work;

static gboolean
work_run (BsJob         *job,
          gpointer       data,
          GCancellable  *cancellable,
          GError       **error)
{
  Work *w = data;
  gint now = g_atomic_int_add (w->concurrent, 1) + 1;

  if (now > g_atomic_int_get (w->most_concurrent))
    g_atomic_int_set (w->most_concurrent, now);
  w->thread = g_thread_self ();
  g_mutex_lock (w->order_lock);
  g_string_append (w->order, w->name);
  g_mutex_unlock (w->order_lock);

  bs_job_report_status (job, "working");
  for (guint i = 1; i <= w->reports; i++)
    {
      GValue value = G_VALUE_INIT;

      g_value_init (&value, G_TYPE_UINT);
      g_value_set_uint (&value, i);
      bs_job_report_partial (job, &value);
      bs_job_report_progress (job, i, w->reports);
      g_value_unset (&value);
    }
  while (w->wait_cancel && !g_cancellable_is_cancelled (cancellable))
    g_thread_yield ();

  g_atomic_int_add (w->concurrent, -1);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;
  if (w->fail)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s failed on purpose", w->name);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  guint  finished;
  guint  partials;
  guint  last_partial;
  guint  partial_after_finished;
  gboolean saw_running;
} Seen;

static void
on_partial (BsJob        *job,
            const GValue *value,
            Seen         *seen)
{
  seen->partials++;
  seen->last_partial = g_value_get_uint (value);
  if (seen->finished)
    seen->partial_after_finished++;
}

static void
on_finished (BsJob *job,
             Seen  *seen)
{
  seen->finished++;
}

static void
on_state (BsJob      *job,
          GParamSpec *pspec,
          Seen       *seen)
{
  if (bs_job_get_state (job) == BS_JOB_RUNNING)
    seen->saw_running = TRUE;
}

static BsJob *
new_job (Work       *w,
         const char *name,
         Seen       *seen)
{
  BsJob *job;

  w->name = g_strdup (name);
  job = bs_job_new (name, work_run, w, NULL);
  g_signal_connect (job, "partial", G_CALLBACK (on_partial), seen);
  g_signal_connect (job, "finished", G_CALLBACK (on_finished), seen);
  g_signal_connect (job, "notify::state", G_CALLBACK (on_state), seen);
  return job;
}

static gboolean
all_finished (gpointer data)
{
  Seen *seen = data;

  for (guint i = 0; i < 3; i++)
    if (seen[i].finished == 0)
      return FALSE;
  return TRUE;
}

static gboolean
job_has_started (gpointer data)
{
  return bs_job_get_status (data) != NULL;
}

static gboolean
job_is_over (gpointer data)
{
  return bs_job_is_finished (data);
}

static gboolean
queue_is_empty (gpointer data)
{
  return g_list_model_get_n_items (data) == 0;
}

/* Three jobs: in push order, one at a time, on one thread that is not the
 * main one; the last partial arrives, before "finished"; states and errors. */
static void
test_order_and_reports (void)
{
  g_autoptr(BsJobQueue) queue = bs_job_queue_new ();
  GMutex lock;
  GString *order = g_string_new (NULL);
  gint concurrent = 0, most = 0;
  Work w[3] = {
    { .reports = 500, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
    { .reports = 3, .fail = TRUE, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
    { .reports = 1, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
  };
  Seen seen[3] = { { 0 } };
  BsJob *jobs[3];
  guint delivered, reported;

  g_mutex_init (&lock);
  jobs[0] = new_job (&w[0], "a", &seen[0]);
  jobs[1] = new_job (&w[1], "b", &seen[1]);
  jobs[2] = new_job (&w[2], "c", &seen[2]);
  for (guint i = 0; i < 3; i++)
    {
      g_assert_cmpint (bs_job_get_state (jobs[i]), ==, BS_JOB_WAITING);
      bs_job_queue_push (queue, jobs[i]);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (queue)), ==, 3);
  g_assert_true (bs_job_queue_lookup (queue, bs_job_get_id (jobs[1])) == jobs[1]);

  g_assert_true (bs_test_wait_until (all_finished, seen, 30000));
  g_assert_cmpstr (order->str, ==, "abc");
  g_assert_cmpint (most, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (queue)), ==, 0);
  g_assert_null (bs_job_queue_lookup (queue, bs_job_get_id (jobs[1])));

  for (guint i = 0; i < 3; i++)
    {
      g_assert_true (w[i].thread != g_thread_self ());
      g_assert_true (w[i].thread == w[0].thread);
      g_assert_true (seen[i].saw_running);
      g_assert_cmpuint (seen[i].finished, ==, 1);
      g_assert_cmpuint (seen[i].partial_after_finished, ==, 0);
      /* The newest partial result and progress arrived. */
      g_assert_cmpuint (seen[i].last_partial, ==, w[i].reports);
      g_assert_cmpuint (g_value_get_uint (bs_job_get_partial (jobs[i])), ==, w[i].reports);
      g_assert_cmpfloat (bs_job_get_fraction (jobs[i]), ==, 1.0);
      g_assert_cmpstr (bs_job_get_status (jobs[i]), ==, "working");
      bs_job_get_partial_counts (jobs[i], &delivered, &reported);
      g_assert_cmpuint (reported, ==, w[i].reports);
      g_assert_cmpuint (delivered, ==, seen[i].partials);
      g_assert_cmpuint (delivered, <=, reported);
    }
  /* 500 reports in a tight loop cannot each have had an idle of their own. */
  g_test_message ("job a: %u of %u partial results delivered", seen[0].partials, w[0].reports);
  g_assert_cmpuint (seen[0].partials, <, w[0].reports);

  g_assert_cmpint (bs_job_get_state (jobs[0]), ==, BS_JOB_SUCCEEDED);
  g_assert_null (bs_job_get_error (jobs[0]));
  g_assert_cmpint (bs_job_get_state (jobs[1]), ==, BS_JOB_FAILED);
  g_assert_error (bs_job_get_error (jobs[1]), G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_cmpint (bs_job_get_state (jobs[2]), ==, BS_JOB_SUCCEEDED);

  for (guint i = 0; i < 3; i++)
    {
      g_object_unref (jobs[i]);
      g_free (w[i].name);
    }
  g_string_free (order, TRUE);
  g_mutex_clear (&lock);
}

/* A running job stops when cancelled; one cancelled while it waits never runs. */
static void
test_cancel (void)
{
  g_autoptr(BsJobQueue) queue = bs_job_queue_new ();
  GMutex lock;
  GString *order = g_string_new (NULL);
  gint concurrent = 0, most = 0;
  Work w[3] = {
    { .wait_cancel = TRUE, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
    { .reports = 1, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
    { .reports = 1, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
  };
  Seen seen[3] = { { 0 } };
  BsJob *jobs[3];

  g_mutex_init (&lock);
  for (guint i = 0; i < 3; i++)
    {
      char name[2] = { (char) ('a' + i), 0 };

      jobs[i] = new_job (&w[i], name, &seen[i]);
      bs_job_queue_push (queue, jobs[i]);
    }
  /* b is cancelled while a runs: it never starts. */
  bs_job_cancel (jobs[1]);
  g_assert_true (bs_test_wait_until (job_has_started, jobs[0], 30000));
  g_assert_cmpint (bs_job_get_state (jobs[0]), ==, BS_JOB_RUNNING);
  bs_job_cancel (jobs[0]);

  g_assert_true (bs_test_wait_until (all_finished, seen, 30000));
  g_assert_cmpstr (order->str, ==, "ac");
  g_assert_cmpint (bs_job_get_state (jobs[0]), ==, BS_JOB_CANCELLED);
  g_assert_error (bs_job_get_error (jobs[0]), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpint (bs_job_get_state (jobs[1]), ==, BS_JOB_CANCELLED);
  g_assert_false (seen[1].saw_running);
  g_assert_cmpuint (seen[1].partials, ==, 0);
  g_assert_cmpint (bs_job_get_state (jobs[2]), ==, BS_JOB_SUCCEEDED);

  for (guint i = 0; i < 3; i++)
    {
      g_object_unref (jobs[i]);
      g_free (w[i].name);
    }
  g_string_free (order, TRUE);
  g_mutex_clear (&lock);
}

/* Shutting down cancels what runs and what waits, and waits for the worker. */
static void
test_shutdown (void)
{
  BsJobQueue *queue = bs_job_queue_new ();
  GMutex lock;
  GString *order = g_string_new (NULL);
  gint concurrent = 0, most = 0;
  Work w[2] = {
    { .wait_cancel = TRUE, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
    { .reports = 1, .order_lock = &lock, .order = order, .concurrent = &concurrent, .most_concurrent = &most },
  };
  Seen seen[2] = { { 0 } };
  BsJob *a, *b;

  g_mutex_init (&lock);
  a = new_job (&w[0], "a", &seen[0]);
  b = new_job (&w[1], "b", &seen[1]);
  bs_job_queue_push (queue, a);
  bs_job_queue_push (queue, b);
  g_assert_true (bs_test_wait_until (job_has_started, a, 30000));

  bs_job_queue_shutdown (queue);
  /* The worker has returned: nothing runs any more. */
  g_assert_cmpint (g_atomic_int_get (&concurrent), ==, 0);
  g_assert_cmpstr (order->str, ==, "a");
  g_assert_true (bs_test_wait_until (job_is_over, b, 30000));
  g_assert_true (bs_test_wait_until (queue_is_empty, queue, 30000));
  g_assert_cmpint (bs_job_get_state (a), ==, BS_JOB_CANCELLED);
  g_assert_cmpint (bs_job_get_state (b), ==, BS_JOB_CANCELLED);
  g_object_unref (queue);

  g_object_unref (a);
  g_object_unref (b);
  g_free (w[0].name);
  g_free (w[1].name);
  g_string_free (order, TRUE);
  g_mutex_clear (&lock);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add_func ("/job-queue/order-and-reports", test_order_and_reports);
  g_test_add_func ("/job-queue/cancel", test_cancel);
  g_test_add_func ("/job-queue/shutdown", test_shutdown);
  return g_test_run ();
}
