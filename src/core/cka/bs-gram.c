/* bs-gram.c: Gram matrices in float32, shared by the workspace's threads
 * (see bs-gram-private.h): tapped activations through bs-gram-kernel.h,
 * row-major files through ssyrk on centred column chunks. */
#include "bs-gram-private.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "bs-gram-kernel.h"
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

static gsize
chunk_columns (BsGramWorkspace *ws)
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

/* Tasks for units (channels or columns) of `unit` columns each: at most
 * BS_GRAM_MAX_TASKS, at least about 1024 columns each (each task adds an
 * n x n buffer to zero and to sum, which costs what ~4 columns cost). */
static guint
count_tasks (gsize units,
             gsize unit)
{
  gsize by_size = MAX (units * unit / 1024, 1);

  return (guint) MIN (MIN (units, by_size), BS_GRAM_MAX_TASKS);
}

/* ---- Tapped activations (CNHW), through bs-gram-kernel.h. */

/* Tasks for a Gram of `features` features: one per 1024, at most
 * BS_GRAM_MAX_TASKS. Each task adds an n x n buffer to fill and to sum
 * (about what 40 features cost at n = 256), against a shorter wait for
 * the last task (feature_task_range()). */
static guint
count_feature_tasks (gsize features)
{
  return (guint) CLAMP (features / 1024, 1, BS_GRAM_MAX_TASKS);
}

/* Features [*begin, *end) of task t. From three tasks on their sizes fall
 * linearly (n_tasks, ..., 2, 1 parts): threads that take tasks as they come
 * free then finish within one small task of each other on any thread count
 * (with equal tasks one thread could wait for a whole one, a few per cent of
 * every Gram). Boundaries fall on multiples of 16 features. */
static void
feature_task_range (gsize  features,
                    guint  n_tasks,
                    guint  t,
                    gsize *begin,
                    gsize *end)
{
  guint64 total, before, upto;

  if (n_tasks < 3)
    {
      total = n_tasks;
      before = t;
      upto = t + 1;
    }
  else
    {
      total = (guint64) n_tasks * (n_tasks + 1) / 2;
      before = (guint64) t * n_tasks - (guint64) t * (t - 1) / 2;
      upto = before + (n_tasks - t);
    }
  *begin = t == 0 ? 0 : (gsize) (features * before / total) & ~(gsize) 15;
  *end = t + 1 == n_tasks ? features : (gsize) (features * upto / total) & ~(gsize) 15;
}

typedef struct {
  BsGramWorkspace    *ws;
  const float        *act;
  guint               n;
  gsize               spatial;
  gsize               features;
  guint               n_tasks;
  guint               n_outputs;
  const float *const *weights;
} CnhwWork;

static void
cnhw_task (gpointer data,
           guint    task,
           guint    thread)
{
  CnhwWork *w = data;
  gsize ld = bs_gram_kernel_ld (w->n);
  gsize pack_floats = bs_gram_kernel_pack_floats (w->n);
  float *buffer = bs_gram_workspace_task_buffer (w->ws, task);
  float *scratch = bs_gram_workspace_scratch (w->ws, thread, pack_floats + 8);
  /* The packed panels are read with aligned loads. */
  float *pack = (float *) (((guintptr) scratch + 31) & ~(guintptr) 31);
  float *out[BS_GRAM_KERNEL_MAX_OUTPUTS];
  gsize begin, end;

  for (guint o = 0; o < w->n_outputs; o++)
    out[o] = buffer + o * ld * ld;
  feature_task_range (w->features, w->n_tasks, task, &begin, &end);
  /* Every task has features: the kernel's first block initialises the buffer. */
  bs_gram_kernel_cnhw (bs_thread_pool_get_config (w->ws->pool), w->act, w->n, w->spatial, begin, end,
                       w->n_outputs, w->weights, out, pack, TRUE);
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

/* The Gram of no features: all zero. */
static void
triangle_clear (const BsGramTriangle *tri,
                guint                 n)
{
  memset (tri->upper, 0, bs_gram_triangle_size (n) * sizeof (double));
  memset (tri->row_sums, 0, n * sizeof (double));
}

/* tris[o] (o < n_outputs) = the sums of output o of the first n_tasks task
 * buffers (floats, or doubles with f64; K(i, j), i <= j, at j * ld + i), with
 * their row sums; FALSE if anything is not finite. */
static gboolean
reduce_into_triangles (BsGramWorkspace      *ws,
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

gboolean
bs_gram_workspace_cnhw (BsGramWorkspace      *ws,
                        const float          *activation,
                        guint                 channels,
                        guint                 n,
                        gsize                 spatial,
                        guint                 n_outputs,
                        const float *const   *weights,
                        const BsGramTriangle *tris)
{
  gsize ld = bs_gram_kernel_ld (n);
  CnhwWork w;

  g_return_val_if_fail (ws != NULL && n_outputs >= 1 && n_outputs <= BS_GRAM_KERNEL_MAX_OUTPUTS,
                        FALSE);

  if (channels == 0 || spatial == 0)
    {
      for (guint o = 0; o < n_outputs; o++)
        triangle_clear (&tris[o], n);
      return TRUE;
    }

  w = (CnhwWork) { ws, activation, n, spatial, (gsize) channels * spatial, 0, n_outputs, weights };
  w.n_tasks = count_feature_tasks (w.features);
  bs_gram_workspace_prepare_tasks (ws, w.n_tasks, n_outputs * ld * ld * sizeof (float));
  bs_gram_workspace_run_tasks (ws, w.n_tasks, cnhw_task, &w);

  return reduce_into_triangles (ws, n, w.n_tasks, n_outputs, FALSE, tris);
}

void
bs_gram_triangle_from_full (const double         *gram,
                            guint                 n,
                            const BsGramTriangle *tri)
{
  memset (tri->row_sums, 0, n * sizeof (double));
  for (guint j = 0; j < n; j++)
    {
      const double *row = gram + (gsize) j * n;   /* row j = column j */
      double *col = tri->upper + bs_gram_triangle_at (0, j);

      memcpy (col, row, (j + 1) * sizeof (double));
      for (guint i = 0; i < j; i++)
        {
          tri->row_sums[i] += row[i];
          tri->row_sums[j] += row[i];
        }
    }
}

void
bs_gram_triangle_to_full (const BsGramTriangle *tri,
                          guint                 n,
                          double               *gram)
{
  for (guint j = 0; j < n; j++)
    {
      const double *col = tri->upper + bs_gram_triangle_at (0, j);

      for (guint i = 0; i <= j; i++)
        gram[(gsize) i * n + j] = gram[(gsize) j * n + i] = col[i];
    }
}

void
bs_gram_triangles_init (BsGramTriangle *tris,
                        guint           count,
                        guint           n,
                        double         *storage)
{
  for (guint o = 0; o < count; o++)
    {
      tris[o].upper = storage;
      tris[o].row_sums = storage + bs_gram_triangle_size (n);
      storage += bs_gram_triangle_size (n) + n;
    }
}

gboolean
bs_gram_triangles_from_cnhw (BsGramWorkspace *ws,
                             const float     *x,
                             guint            channels,
                             guint            n,
                             gsize            spatial,
                             const float     *scale,
                             BsGramTriangle  *tri_x,
                             BsGramTriangle  *tri_y)
{
  BsGramTriangle tris[2];
  const float *weights[2] = { NULL, NULL };
  g_autofree float *weight = NULL;

  g_return_val_if_fail (ws != NULL && tri_x != NULL && (scale == NULL || tri_y != NULL), FALSE);

  tris[0] = *tri_x;
  if (scale == NULL)
    return bs_gram_workspace_cnhw (ws, x, channels, n, spatial, 1, weights, tris);

  weight = g_new (float, MAX (channels, 1));
  for (guint c = 0; c < channels; c++)
    weight[c] = scale[c] * scale[c];
  weights[1] = weight;
  tris[1] = *tri_y;
  return bs_gram_workspace_cnhw (ws, x, channels, n, spatial, 2, weights, tris);
}

/* The full-matrix forms: through triangles, expanded at the end. */
static gboolean
full_from_cnhw (BsGramWorkspace *ws,
                const float     *x,
                guint            channels,
                guint            n,
                gsize            spatial,
                const float     *scale,
                double          *gram_x,
                double          *gram_y)
{
  guint count = scale ? 2 : 1;
  g_autofree double *storage = g_new (double, bs_gram_triangles_doubles (count, n));
  BsGramTriangle tris[2];
  gboolean finite;

  bs_gram_triangles_init (tris, count, n, storage);
  finite = bs_gram_triangles_from_cnhw (ws, x, channels, n, spatial, scale, &tris[0], &tris[1]);
  bs_gram_triangle_to_full (&tris[0], n, gram_x);
  if (scale)
    bs_gram_triangle_to_full (&tris[1], n, gram_y);
  return finite;
}

gboolean
bs_gram_from_cnhw (BsGramWorkspace *ws,
                   const float     *activation,
                   guint            channels,
                   guint            n,
                   gsize            spatial,
                   double          *gram)
{
  g_return_val_if_fail (ws != NULL && gram != NULL, FALSE);
  return full_from_cnhw (ws, activation, channels, n, spatial, NULL, gram, NULL);
}

gboolean
bs_gram_from_cnhw_affine (BsGramWorkspace *ws,
                          const float     *x,
                          guint            channels,
                          guint            n,
                          gsize            spatial,
                          const float     *scale,
                          double          *gram_x,
                          double          *gram_y)
{
  g_return_val_if_fail (ws != NULL && scale != NULL && gram_x != NULL && gram_y != NULL, FALSE);
  return full_from_cnhw (ws, x, channels, n, spatial, scale, gram_x, gram_y);
}

/* ---- Row-major examples (activation files). */

/* dest (n x w) = columns [0, w) of x (n rows, stride p) minus their means over the rows. */
static BS_SIMD_CLONES void
centre_columns_f (const float *x,
                  guint        n,
                  gsize        p,
                  gsize        w,
                  double      *mean,
                  float       *mean_f,
                  float       *dest)
{
  memset (mean, 0, w * sizeof (double));
  for (guint i = 0; i < n; i++)
    {
      const float *row = x + (gsize) i * p;

      for (gsize j = 0; j < w; j++)
        mean[j] += row[j];
    }
  /* The mean of identical values comes out exactly: a constant column becomes 0. */
  for (gsize j = 0; j < w; j++)
    mean_f[j] = (float) (mean[j] / n);
  for (guint i = 0; i < n; i++)
    {
      const float *row = x + (gsize) i * p;
      float *out = dest + (gsize) i * w;

      for (gsize j = 0; j < w; j++)
        out[j] = row[j] - mean_f[j];
    }
}

static BS_SIMD_CLONES void
centre_columns_d (const double *x,
                  guint         n,
                  gsize         p,
                  gsize         w,
                  double       *mean,
                  double       *dest)
{
  memset (mean, 0, w * sizeof (double));
  for (guint i = 0; i < n; i++)
    {
      const double *row = x + (gsize) i * p;

      for (gsize j = 0; j < w; j++)
        mean[j] += row[j];
    }
  for (gsize j = 0; j < w; j++)
    mean[j] /= n;
  for (guint i = 0; i < n; i++)
    {
      const double *row = x + (gsize) i * p;
      double *out = dest + (gsize) i * w;

      for (gsize j = 0; j < w; j++)
        out[j] = row[j] - mean[j];
    }
}

typedef struct {
  BsGramWorkspace *ws;
  const void      *x;       /* float or double, n x p */
  gboolean         f64;
  guint            n;
  gsize            p;
  guint            n_tasks;
  gsize            chunk;   /* columns per BLAS call */
} RowsWork;

static void
rows_task (gpointer data,
           guint    task,
           guint    thread)
{
  RowsWork *w = data;
  /* Row-major lower triangles with the kernel's leading dimension hold
   * K(i, j), i <= j, at j * ld + i, as the kernel's buffers do. */
  gsize ld = bs_gram_kernel_ld (w->n);
  gsize begin, end;

  bs_gram_split (w->p, w->n_tasks, task, &begin, &end);
  if (w->f64)
    {
      double *acc = bs_gram_workspace_task_buffer (w->ws, task);
      double *buf = bs_gram_workspace_dscratch (w->ws, thread, (gsize) w->n * w->chunk + w->chunk);
      double *mean = buf + (gsize) w->n * w->chunk;

      memset (acc, 0, ld * ld * sizeof (double));
      for (gsize j0 = begin; j0 < end; j0 += w->chunk)
        {
          gsize width = MIN (w->chunk, end - j0);

          centre_columns_d ((const double *) w->x + j0, w->n, w->p, width, mean, buf);
          cblas_dsyrk (CblasRowMajor, CblasLower, CblasNoTrans, (int) w->n, (int) width,
                       1.0, buf, (int) width, 1.0, acc, (int) ld);
        }
    }
  else
    {
      float *acc = bs_gram_workspace_task_buffer (w->ws, task);
      float *buf = bs_gram_workspace_scratch (w->ws, thread, (gsize) w->n * w->chunk + w->chunk);
      float *mean_f = buf + (gsize) w->n * w->chunk;
      double *mean = bs_gram_workspace_dscratch (w->ws, thread, w->chunk);

      memset (acc, 0, ld * ld * sizeof (float));
      for (gsize j0 = begin; j0 < end; j0 += w->chunk)
        {
          gsize width = MIN (w->chunk, end - j0);

          centre_columns_f ((const float *) w->x + j0, w->n, w->p, width, mean, mean_f, buf);
          cblas_ssyrk (CblasRowMajor, CblasLower, CblasNoTrans, (int) w->n, (int) width,
                       1.0f, buf, (int) width, 1.0f, acc, (int) ld);
        }
    }
}

static gboolean
triangle_from_rows (BsGramWorkspace      *ws,
                    const void           *x,
                    gboolean              f64,
                    guint                 n,
                    gsize                 p,
                    const BsGramTriangle *tri)
{
  gsize ld = bs_gram_kernel_ld (n);
  RowsWork w;

  g_return_val_if_fail (ws != NULL && tri != NULL, FALSE);

  if (p == 0)
    {
      triangle_clear (tri, n);
      return TRUE;
    }

  w = (RowsWork) { ws, x, f64, n, p, count_tasks (p, 1), MIN (chunk_columns (ws), p) };
  bs_gram_workspace_prepare_tasks (ws, w.n_tasks, ld * ld * (f64 ? sizeof (double) : sizeof (float)));
  bs_gram_workspace_run_tasks (ws, w.n_tasks, rows_task, &w);
  return reduce_into_triangles (ws, n, w.n_tasks, 1, f64, tri);
}

gboolean
bs_gram_triangle_from_rows_f32 (BsGramWorkspace      *ws,
                                const float          *x,
                                guint                 n,
                                gsize                 p,
                                const BsGramTriangle *tri)
{
  return triangle_from_rows (ws, x, FALSE, n, p, tri);
}

gboolean
bs_gram_triangle_from_rows_f64 (BsGramWorkspace      *ws,
                                const double         *x,
                                guint                 n,
                                gsize                 p,
                                const BsGramTriangle *tri)
{
  return triangle_from_rows (ws, x, TRUE, n, p, tri);
}

static gboolean
full_from_rows (BsGramWorkspace *ws,
                const void      *x,
                gboolean         f64,
                guint            n,
                gsize            p,
                double          *gram)
{
  g_autofree double *storage = NULL;
  BsGramTriangle tri;
  gboolean finite;

  g_return_val_if_fail (ws != NULL && gram != NULL, FALSE);
  storage = g_new (double, bs_gram_triangles_doubles (1, n));
  bs_gram_triangles_init (&tri, 1, n, storage);
  finite = triangle_from_rows (ws, x, f64, n, p, &tri);
  bs_gram_triangle_to_full (&tri, n, gram);
  return finite;
}

gboolean
bs_gram_from_rows_f32 (BsGramWorkspace *ws,
                       const float     *x,
                       guint            n,
                       gsize            p,
                       double          *gram)
{
  return full_from_rows (ws, x, FALSE, n, p, gram);
}

gboolean
bs_gram_from_rows_f64 (BsGramWorkspace *ws,
                       const double    *x,
                       guint            n,
                       gsize            p,
                       double          *gram)
{
  return full_from_rows (ws, x, TRUE, n, p, gram);
}

/* ---- Centrings. */

void
bs_gram_u_centre (double *gram,
                  guint   n)
{
  g_autofree double *means = NULL;

  g_return_if_fail (n >= 4);

  means = g_new0 (double, n);
  for (guint i = 0; i < n; i++)
    gram[(gsize) i * n + i] = 0.0;

  /* Column sums (the matrix is symmetric, so these are the row sums too). */
  for (guint i = 0; i < n; i++)
    {
      const double *row = gram + (gsize) i * n;

      for (guint j = 0; j < n; j++)
        means[j] += row[j];
    }
  bs_gram_u_means (means, n);

  for (guint i = 0; i < n; i++)
    {
      double *row = gram + (gsize) i * n;

      for (guint j = 0; j < n; j++)
        row[j] -= means[i] + means[j];
      row[i] = 0.0;
    }
}

void
bs_gram_u_means (double *sums,
                 guint   n)
{
  double total = 0.0;

  for (guint j = 0; j < n; j++)
    {
      sums[j] /= (double) (n - 2);
      total += sums[j];
    }
  total /= 2.0 * (double) (n - 1);
  for (guint j = 0; j < n; j++)
    sums[j] -= total;
}

void
bs_gram_h_centre (double *gram,
                  guint   n)
{
  g_autofree double *means = NULL;
  double grand = 0.0;

  g_return_if_fail (n >= 2);

  means = g_new0 (double, n);
  for (guint i = 0; i < n; i++)
    {
      const double *row = gram + (gsize) i * n;

      for (guint j = 0; j < n; j++)
        means[j] += row[j];
    }
  for (guint j = 0; j < n; j++)
    {
      means[j] /= n;
      grand += means[j];
    }
  grand /= n;

  for (guint i = 0; i < n; i++)
    {
      double *row = gram + (gsize) i * n;

      for (guint j = 0; j < n; j++)
        row[j] += grand - means[i] - means[j];
    }
}
