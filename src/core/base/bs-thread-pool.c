/* bs-thread-pool.c: the engine's thread pool.
 *
 * Workers sleep on a condition variable between regions. A region is short
 * (a few milliseconds at most), so after finishing one a worker spins for
 * the next before going back to sleep: waking a sleeping thread costs tens
 * of microseconds (more in a virtual machine), and a forward pass has
 * hundreds of regions. The caller spins the same way for the last share.
 *
 * Memory order: everything a worker reads of the pool between regions goes
 * through an atomic. The caller stores func and data, then bumps generation
 * with release order; a worker that loads the new generation with acquire
 * order (spinning or after its sleep) sees them. Each worker's share ends
 * with a release decrement of pending, and the caller's acquire load of
 * pending == 0 makes every share's writes visible to it. The mutex and the
 * condition variables only put threads to sleep and wake them: the data
 * never depends on them, which also lets ThreadSanitizer check the pool
 * (GLib's GMutex is a futex it cannot see).
 *
 * Waking costs a system call even when nobody sleeps, so a region only
 * signals a thread that said it sleeps: a worker counts itself in sleepers
 * (and the caller sets caller_sleeps) under the mutex before it checks once
 * more and waits; the other side changes generation (pending), then reads
 * the count. Both in sequentially consistent order, so at least one of the
 * two sees the other's write: the sleeper its work, or the waker its sleep. */
#include "bs-thread-pool.h"
#include "bs-sync.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause ()
#else
#define CPU_RELAX() do { } while (0)
#endif

/* How long a thread polls before it sleeps. Long enough to bridge the serial
 * gaps between a pass's regions and the uneven ends of its shares (measured:
 * 25 us left a worker asleep at about half of a ResNet-50 pass's regions),
 * short enough not to steal much from other threads on a busy machine. */
#define SPIN_MICROSECONDS 200

typedef struct {
  float *data;
  gsize  n_floats;
} Scratch;

typedef struct {
  BsThreadPool *pool;
  guint         index;
  GThread      *thread;
  Scratch       scratch[BS_N_SCRATCH];
} Worker;

struct _BsThreadPool {
  gint              ref_count;
  guint             n_threads;
  Worker           *workers;        /* n_threads; workers[0] is the caller */
  BsEngineConfig    config;

  GMutex            mutex;
  GCond             start_cond;
  GCond             done_cond;
  gint              generation;     /* bumped for every region; only accessed atomically */
  gint              pending;        /* threads still running the current region; atomic */
  gint              sleepers;       /* workers asleep or going to sleep on start_cond; atomic */
  gint              caller_sleeps;  /* the caller is asleep or going to sleep on done_cond; atomic */
  gint              quit;           /* atomic */
  BsThreadPoolFunc  func;           /* written before generation's release, read after its acquire */
  gpointer          data;
};

static inline gint
load_acquire (gint *p)
{
  return __atomic_load_n (p, __ATOMIC_ACQUIRE);
}

/* A thread's poll for an event, up to about SPIN_MICROSECONDS. */
typedef struct {
  guint  polls;
  gint64 deadline;
} Spin;

/* Pauses once and returns TRUE, or FALSE once the time is up. The clock is
 * read every 64 polls (about 1 us): a pause is 19-27 ns on recent x86 cores
 * but 140 ns on others, so the limit is a time, not a count. */
static gboolean
spin_again (Spin *spin)
{
  if (++spin->polls % 64 == 0)
    {
      gint64 now = g_get_monotonic_time ();

      if (spin->deadline == 0)
        spin->deadline = now + SPIN_MICROSECONDS;
      else if (now >= spin->deadline)
        return FALSE;
    }
  CPU_RELAX ();
  return TRUE;
}

static void
run_share (BsThreadPool *pool,
           guint         index)
{
  pool->func (pool->data, index, pool->n_threads);
  /* Release: the share's writes before pending reaches 0; acquire: the last
   * thread's signal follows every other share. Sequentially consistent
   * against caller_sleeps (see the top of the file). */
  if (__atomic_sub_fetch (&pool->pending, 1, __ATOMIC_SEQ_CST) == 0 &&
      __atomic_load_n (&pool->caller_sleeps, __ATOMIC_SEQ_CST))
    {
      bs_mutex_lock (&pool->mutex);
      g_cond_signal (&pool->done_cond);
      bs_mutex_unlock (&pool->mutex);
    }
}

static gpointer
worker_main (gpointer user_data)
{
  Worker *worker = user_data;
  BsThreadPool *pool = worker->pool;
  gint seen = 0;

  for (;;)
    {
      Spin spin = { 0 };
      gint generation;

      while ((generation = load_acquire (&pool->generation)) == seen && !load_acquire (&pool->quit) &&
             spin_again (&spin))
        ;

      if (generation == seen && !load_acquire (&pool->quit))
        {
          bs_mutex_lock (&pool->mutex);
          __atomic_add_fetch (&pool->sleepers, 1, __ATOMIC_SEQ_CST);
          while (__atomic_load_n (&pool->generation, __ATOMIC_SEQ_CST) == seen &&
                 !load_acquire (&pool->quit))
            bs_cond_wait (&pool->start_cond, &pool->mutex);
          __atomic_sub_fetch (&pool->sleepers, 1, __ATOMIC_RELAXED);
          generation = load_acquire (&pool->generation);
          bs_mutex_unlock (&pool->mutex);
        }
      if (load_acquire (&pool->quit))
        return NULL;

      seen = generation;
      run_share (pool, worker->index);
    }
}

BsThreadPool *
bs_thread_pool_new_for_config (const BsEngineConfig *config)
{
  BsThreadPool *pool;

  g_return_val_if_fail (config != NULL, NULL);

  pool = g_new0 (BsThreadPool, 1);
  pool->ref_count = 1;
  pool->n_threads = CLAMP (config->threads, 1, 256);
  pool->config = *config;
  pool->config.threads = pool->n_threads;
  pool->workers = g_new0 (Worker, pool->n_threads);
  g_mutex_init (&pool->mutex);
  g_cond_init (&pool->start_cond);
  g_cond_init (&pool->done_cond);

  for (guint i = 0; i < pool->n_threads; i++)
    {
      g_autoptr(GError) error = NULL;

      pool->workers[i].pool = pool;
      pool->workers[i].index = i;
      if (i == 0)
        continue;
      /* A thread's stack is address space too: under a limit on it (prlimit,
       * a batch system) the pool runs on the threads it could start, with
       * the results of that many threads (and its configuration says so). */
      pool->workers[i].thread = g_thread_try_new ("bs-worker", worker_main, &pool->workers[i], &error);
      if (pool->workers[i].thread == NULL)
        {
          g_debug ("running on %u threads instead of %u: %s", i, pool->n_threads, error->message);
          pool->n_threads = i;
          pool->config.threads = i;
          break;
        }
    }

  return pool;
}

BsThreadPool *
bs_thread_pool_new (guint n_threads)
{
  BsEngineConfig config = *bs_engine_config_get_default ();

  config.threads = n_threads;
  return bs_thread_pool_new_for_config (&config);
}

BsThreadPool *
bs_thread_pool_ref (BsThreadPool *pool)
{
  g_return_val_if_fail (pool != NULL, NULL);
  g_atomic_int_inc (&pool->ref_count);
  return pool;
}

void
bs_thread_pool_unref (BsThreadPool *pool)
{
  if (pool == NULL || !g_atomic_int_dec_and_test (&pool->ref_count))
    return;

  bs_mutex_lock (&pool->mutex);
  __atomic_store_n (&pool->quit, TRUE, __ATOMIC_RELEASE);
  g_cond_broadcast (&pool->start_cond);
  bs_mutex_unlock (&pool->mutex);

  for (guint i = 0; i < pool->n_threads; i++)
    {
      if (pool->workers[i].thread)
        g_thread_join (pool->workers[i].thread);
      for (guint s = 0; s < BS_N_SCRATCH; s++)
        bs_free_floats (pool->workers[i].scratch[s].data);
    }

  g_mutex_clear (&pool->mutex);
  g_cond_clear (&pool->start_cond);
  g_cond_clear (&pool->done_cond);
  g_free (pool->workers);
  g_free (pool);
}

guint
bs_thread_pool_get_n_threads (BsThreadPool *pool)
{
  return pool ? pool->n_threads : 1;
}

const BsEngineConfig *
bs_thread_pool_get_config (BsThreadPool *pool)
{
  return pool ? &pool->config : bs_engine_config_get_default ();
}

void
bs_thread_pool_run (BsThreadPool     *pool,
                    BsThreadPoolFunc  func,
                    gpointer          data)
{
  Spin spin = { 0 };

  if (pool == NULL || pool->n_threads == 1)
    {
      func (data, 0, 1);
      return;
    }

  pool->func = func;
  pool->data = data;
  __atomic_store_n (&pool->pending, (gint) pool->n_threads, __ATOMIC_RELAXED);

  /* The release publishes func, data and pending (and whatever the caller
   * prepared in data) to every worker that acquires the new generation;
   * sequentially consistent against sleepers (see the top of the file). */
  __atomic_add_fetch (&pool->generation, 1, __ATOMIC_SEQ_CST);
  if (__atomic_load_n (&pool->sleepers, __ATOMIC_SEQ_CST) > 0)
    {
      bs_mutex_lock (&pool->mutex);
      g_cond_broadcast (&pool->start_cond);
      bs_mutex_unlock (&pool->mutex);
    }

  run_share (pool, 0);

  /* The other shares usually finish at about the same time. */
  while (load_acquire (&pool->pending) > 0 && spin_again (&spin))
    ;
  if (load_acquire (&pool->pending) == 0)
    return;

  bs_mutex_lock (&pool->mutex);
  __atomic_store_n (&pool->caller_sleeps, TRUE, __ATOMIC_SEQ_CST);
  while (__atomic_load_n (&pool->pending, __ATOMIC_SEQ_CST) > 0)
    bs_cond_wait (&pool->done_cond, &pool->mutex);
  __atomic_store_n (&pool->caller_sleeps, FALSE, __ATOMIC_RELAXED);
  bs_mutex_unlock (&pool->mutex);
}

float *
bs_thread_pool_scratch (BsThreadPool *pool,
                        guint         thread,
                        guint         slot,
                        gsize         n_floats)
{
  Scratch *s;

  g_return_val_if_fail (pool != NULL && thread < pool->n_threads && slot < BS_N_SCRATCH, NULL);

  s = &pool->workers[thread].scratch[slot];
  if (s->n_floats < n_floats)
    {
      bs_free_floats (s->data);
      s->data = bs_alloc_floats (n_floats);
      s->n_floats = n_floats;
    }
  return s->data;
}

gboolean
bs_thread_pool_reserve_scratch (BsThreadPool *pool,
                                guint         thread,
                                guint         slot,
                                gsize         n_floats,
                                gsize        *failed_bytes)
{
  Scratch *s;
  float *data;

  g_return_val_if_fail (pool != NULL && thread < pool->n_threads && slot < BS_N_SCRATCH, FALSE);

  s = &pool->workers[thread].scratch[slot];
  if (s->n_floats >= n_floats)
    return TRUE;
  /* The old buffer goes first: under a limit on memory the two may not fit together. */
  g_clear_pointer (&s->data, bs_free_floats);
  s->n_floats = 0;
  data = bs_try_alloc_floats (n_floats);
  if (data == NULL)
    {
      if (failed_bytes)
        *failed_bytes = MAX (n_floats, 1) * sizeof (float);
      return FALSE;
    }
  s->data = data;
  s->n_floats = n_floats;
  return TRUE;
}

void
bs_thread_pool_release_scratch (BsThreadPool *pool)
{
  for (guint i = 0; i < pool->n_threads; i++)
    for (guint s = 0; s < BS_N_SCRATCH; s++)
      {
        Scratch *scratch = &pool->workers[i].scratch[s];

        g_clear_pointer (&scratch->data, bs_free_floats);
        scratch->n_floats = 0;
      }
}

gsize
bs_thread_pool_scratch_bytes (BsThreadPool *pool)
{
  gsize total = 0;

  for (guint i = 0; i < pool->n_threads; i++)
    for (guint s = 0; s < BS_N_SCRATCH; s++)
      total += pool->workers[i].scratch[s].n_floats * sizeof (float);
  return total;
}
