/* bs-gram-workspace.c: the threads and buffers that every Gram shares (see
 * bs-gram-private.h): tasks taken as threads come free, per-thread scratch,
 * and the reduction of the task buffers into triangles with row sums. */
#include "bs-gram-private.h"

#include <math.h>
#include <string.h>

#include "bs-simd.h"
#include "bs-thread-pool.h"

/* 1 MB of scratch for n = 256: large enough for ssyrk to run at full speed,
 * small enough to stay in cache between the copy and the product (measured:
 * 512-2048 columns are equally fast, 8192 and more 10-20 % slower). */
#define DEFAULT_CHUNK_COLUMNS 1024

typedef struct {
  float  *scratch;
  gsize   scratch_len;
  double *dscratch;
  gsize   dscratch_len;
} ThreadBuffers;

struct _BsGramWorkspace {
  guint          n_threads;
  BsThreadPool  *pool;        /* of one thread (the caller) at least */
  ThreadBuffers *threads;
  gpointer       tasks[BS_GRAM_MAX_TASKS];
  gsize          task_bytes[BS_GRAM_MAX_TASKS];
  double        *sums;        /* row sums of the reduction's bands */
  gsize          sums_len;
};

BsGramWorkspace *
bs_gram_workspace_new (guint n_threads)
{
  BsThreadPool *pool = bs_thread_pool_new (CLAMP (n_threads, 1, 64));
  BsGramWorkspace *ws = bs_gram_workspace_new_for_pool (pool);

  bs_thread_pool_unref (pool);
  return ws;
}

gsize
bs_gram_workspace_chunk_columns (BsGramWorkspace *ws)
{
  const BsEngineConfig *config = bs_thread_pool_get_config (ws->pool);

  return config->gram_chunk_columns > 0 ? config->gram_chunk_columns : DEFAULT_CHUNK_COLUMNS;
}

BsGramWorkspace *
bs_gram_workspace_new_for_pool (BsThreadPool *pool)
{
  BsGramWorkspace *ws;

  g_return_val_if_fail (pool != NULL, NULL);

  ws = g_new0 (BsGramWorkspace, 1);
  ws->n_threads = bs_thread_pool_get_n_threads (pool);
  ws->threads = g_new0 (ThreadBuffers, ws->n_threads);
  ws->pool = bs_thread_pool_ref (pool);
  return ws;
}

void
bs_gram_workspace_free (BsGramWorkspace *ws)
{
  if (ws == NULL)
    return;
  bs_thread_pool_unref (ws->pool);
  for (guint t = 0; t < ws->n_threads; t++)
    {
      g_free (ws->threads[t].scratch);
      g_free (ws->threads[t].dscratch);
    }
  for (guint k = 0; k < BS_GRAM_MAX_TASKS; k++)
    g_free (ws->tasks[k]);
  g_free (ws->sums);
  g_free (ws->threads);
  g_free (ws);
}

const BsEngineConfig *
bs_gram_workspace_get_config (BsGramWorkspace *ws)
{
  return bs_thread_pool_get_config (ws->pool);
}

guint
bs_gram_workspace_get_n_threads (BsGramWorkspace *ws)
{
  return ws->n_threads;
}

float *
bs_gram_workspace_scratch (BsGramWorkspace *ws,
                           guint            thread,
                           gsize            n_floats)
{
  ThreadBuffers *tb = &ws->threads[thread];

  if (tb->scratch_len < n_floats)
    {
      g_free (tb->scratch);
      tb->scratch = g_new (float, MAX (n_floats, 1));
      tb->scratch_len = n_floats;
    }
  return tb->scratch;
}

double *
bs_gram_workspace_dscratch (BsGramWorkspace *ws,
                            guint            thread,
                            gsize            n_doubles)
{
  ThreadBuffers *tb = &ws->threads[thread];

  if (tb->dscratch_len < n_doubles)
    {
      g_free (tb->dscratch);
      tb->dscratch = g_new (double, MAX (n_doubles, 1));
      tb->dscratch_len = n_doubles;
    }
  return tb->dscratch;
}

/* The reduction's row sums, grown as needed. */
static double *
workspace_sums (BsGramWorkspace *ws,
                gsize            n_doubles)
{
  if (ws->sums_len < n_doubles)
    {
      g_free (ws->sums);
      ws->sums = g_new (double, n_doubles);
      ws->sums_len = n_doubles;
    }
  return ws->sums;
}

/* Task k's buffer holds at least bytes; FALSE (and no buffer) when that
 * much memory cannot be had and may_fail, an abort otherwise. */
static gboolean
grow_task_buffer (BsGramWorkspace *ws,
                  guint            k,
                  gsize            bytes,
                  gboolean         may_fail)
{
  if (ws->task_bytes[k] >= bytes)
    return TRUE;
  g_free (ws->tasks[k]);
  ws->task_bytes[k] = 0;
  ws->tasks[k] = may_fail ? g_try_malloc (MAX (bytes, 1)) : g_malloc (MAX (bytes, 1));
  if (ws->tasks[k] == NULL)
    return FALSE;
  ws->task_bytes[k] = bytes;
  return TRUE;
}

void
bs_gram_workspace_prepare_tasks (BsGramWorkspace *ws,
                                 guint            n_tasks,
                                 gsize            bytes_each)
{
  g_return_if_fail (n_tasks <= BS_GRAM_MAX_TASKS);

  for (guint k = 0; k < n_tasks; k++)
    grow_task_buffer (ws, k, bytes_each, FALSE);
}

/* Bytes of one task buffer: two kernel outputs (a convolution and its batch
 * norm), or one double Gram (activation files). */
static guint64
task_bytes (guint n)
{
  guint64 ld = bs_gram_kernel_ld (n);

  return MAX (BS_GRAM_KERNEL_MAX_OUTPUTS * ld * ld * sizeof (float), (guint64) n * n * sizeof (double));
}

guint64
bs_gram_workspace_bytes (guint n)
{
  return BS_GRAM_MAX_TASKS * task_bytes (n);
}

gboolean
bs_gram_workspace_reserve (BsGramWorkspace *ws,
                           guint            n)
{
  guint64 bytes64 = task_bytes (n);
  gsize bytes = (gsize) bytes64;

  if (bytes64 != bytes)
    return FALSE;

  for (guint k = 0; k < BS_GRAM_MAX_TASKS; k++)
    if (!grow_task_buffer (ws, k, bytes, TRUE))
      return FALSE;
  return TRUE;
}

gpointer
bs_gram_workspace_task_buffer (BsGramWorkspace *ws,
                               guint            task)
{
  return ws->tasks[task];
}

typedef struct {
  BsGramTaskFunc func;
  gpointer       data;
  guint          n_tasks;
  gint           next;
} TaskRun;

static void
task_thread (gpointer data,
             guint    thread,
             guint    n_threads)
{
  TaskRun *run = data;

  for (;;)
    {
      guint task = (guint) g_atomic_int_add (&run->next, 1);

      if (task >= run->n_tasks)
        break;
      run->func (run->data, task, thread);
    }
}

void
bs_gram_workspace_run_tasks (BsGramWorkspace *ws,
                             guint            n_tasks,
                             BsGramTaskFunc   func,
                             gpointer         data)
{
  TaskRun run = { func, data, n_tasks, 0 };

  if (n_tasks > 1)
    bs_thread_pool_run (ws->pool, task_thread, &run);
  else
    task_thread (&run, 0, 1);
}


/* The loops below take plain pointers, never struct members: the project
 * builds with -fno-strict-aliasing, under which a store through a float
 * pointer could change a pointer in a struct and stop vectorisation. */

/* Adds column j of a triangle (K(i, j), i <= j) to the row sums: each
 * off-diagonal entry to the sums of both its rows. */
static BS_SIMD_CLONES void
add_column_to_row_sums (const double *col,
                        double       *row_sums,
                        guint         j)
{
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  guint i;

  for (i = 0; i < j; i++)
    row_sums[i] += col[i];
  /* Four running sums in a fixed order: no dependency chain of j adds. */
  for (i = 0; i + 4 <= j; i += 4)
    {
      s0 += col[i];
      s1 += col[i + 1];
      s2 += col[i + 2];
      s3 += col[i + 3];
    }
  for (; i < j; i++)
    s0 += col[i];
  row_sums[j] += (s0 + s1) + (s2 + s3);
}

/* Column j of the triangle as the sum over tasks of their buffers (whose
 * column j, K(i, j) at j * ld + i for i <= j, is the same), in task order. */
static BS_SIMD_CLONES void
reduce_column (double       *col,
               double       *row_sums,
               const float **buffers,
               guint         n_tasks,
               gsize         ld,
               guint         j)
{
  for (guint i = 0; i <= j; i++)
    col[i] = buffers[0][(gsize) j * ld + i];
  for (guint k = 1; k < n_tasks; k++)
    {
      const float *src = buffers[k] + (gsize) j * ld;

      for (guint i = 0; i <= j; i++)
        col[i] += src[i];
    }
  add_column_to_row_sums (col, row_sums, j);
}

/* The same for buffers of doubles (Grams of float64 activation files). */
static void
reduce_column_f64 (double        *col,
                   double        *row_sums,
                   const double **buffers,
                   guint          n_tasks,
                   gsize          ld,
                   guint          j)
{
  for (guint i = 0; i <= j; i++)
    {
      double sum = buffers[0][(gsize) j * ld + i];

      for (guint k = 1; k < n_tasks; k++)
        sum += buffers[k][(gsize) j * ld + i];
      col[i] = sum;
    }
  add_column_to_row_sums (col, row_sums, j);
}

/* Column bands of about equal area, each with row sums of its own. */
#define REDUCE_TASKS 4

typedef struct {
  BsGramWorkspace      *ws;
  guint                 n;
  guint                 n_tasks;   /* of the product */
  guint                 n_outputs;
  gboolean              f64;       /* the task buffers hold doubles */
  const BsGramTriangle *tris;
  double               *partial;   /* n_outputs x REDUCE_TASKS x n row sums */
} ReduceWork;

static void
reduce_task (gpointer data,
             guint    task,
             guint    thread)
{
  ReduceWork *w = data;
  gsize ld = bs_gram_kernel_ld (w->n);
  gsize j0, j1;

  bs_gram_split_triangle (w->n, REDUCE_TASKS, task, &j0, &j1);

  for (guint o = 0; o < w->n_outputs; o++)
    {
      const void *buffers[BS_GRAM_MAX_TASKS];
      double *row_sums = w->partial + ((gsize) o * REDUCE_TASKS + task) * w->n;

      for (guint k = 0; k < w->n_tasks; k++)
        buffers[k] = (const char *) bs_gram_workspace_task_buffer (w->ws, k) +
                     o * ld * ld * (w->f64 ? sizeof (double) : sizeof (float));
      memset (row_sums, 0, w->n * sizeof (double));
      for (gsize j = j0; j < j1; j++)
        {
          double *col = w->tris[o].upper + bs_gram_triangle_at (0, (guint) j);

          if (w->f64)
            reduce_column_f64 (col, row_sums, (const double **) buffers, w->n_tasks, ld, (guint) j);
          else
            reduce_column (col, row_sums, (const float **) buffers, w->n_tasks, ld, (guint) j);
        }
    }
}

/* Adds the bands' row sums in band order; FALSE if a row sum or a diagonal
 * entry is not finite (any entry that is not spoils its row sums). */
static gboolean
finish_row_sums (const BsGramTriangle *tri,
                 const double         *partial,
                 guint                 n)
{
  gboolean bad = FALSE;

  for (guint i = 0; i < n; i++)
    {
      double sum = partial[i];

      for (guint b = 1; b < REDUCE_TASKS; b++)
        sum += partial[(gsize) b * n + i];
      tri->row_sums[i] = sum;
      bad |= !isfinite (sum) || !isfinite (tri->upper[bs_gram_triangle_at (i, i)]);
    }
  return !bad;
}

void
bs_gram_triangle_clear (const BsGramTriangle *tri,
                        guint                 n)
{
  memset (tri->upper, 0, bs_gram_triangle_size (n) * sizeof (double));
  memset (tri->row_sums, 0, n * sizeof (double));
}

gboolean
bs_gram_workspace_reduce (BsGramWorkspace      *ws,
                          guint                 n,
                          guint                 n_tasks,
                          guint                 n_outputs,
                          gboolean              f64,
                          const BsGramTriangle *tris)
{
  double *partial = workspace_sums (ws, (gsize) n_outputs * REDUCE_TASKS * n);
  ReduceWork reduce = { ws, n, n_tasks, n_outputs, f64, tris, partial };
  gboolean finite = TRUE;

  bs_gram_workspace_run_tasks (ws, REDUCE_TASKS, reduce_task, &reduce);
  for (guint o = 0; o < n_outputs; o++)
    finite &= finish_row_sums (&tris[o], partial + (gsize) o * REDUCE_TASKS * n, n);
  return finite;
}
