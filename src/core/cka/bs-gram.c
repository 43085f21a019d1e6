/* bs-gram.c: Gram matrices in float32 through ssyrk on shifted column chunks,
 * shared by the workspace's threads (see bs-gram-private.h). */
#include "bs-gram-private.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "bs-simd.h"
#include "bs-parallel.h"

/* 1 MB of scratch for n = 256: large enough for ssyrk to run at full speed,
 * small enough to stay in cache between the copy and the product (measured:
 * 512-2048 columns are equally fast, 8192 and more 10-20 % slower). */
#define DEFAULT_CHUNK_COLUMNS 1024

static gsize chunk_columns = DEFAULT_CHUNK_COLUMNS;

typedef struct {
  float  *scratch;
  gsize   scratch_len;
  double *dscratch;
  gsize   dscratch_len;
} ThreadBuffers;

struct _BsGramWorkspace {
  guint          n_threads;
  BsPool        *pool;        /* NULL with one thread */
  ThreadBuffers *threads;
  gpointer       tasks[BS_GRAM_MAX_TASKS];
  gsize          task_bytes[BS_GRAM_MAX_TASKS];
};

void
bs_gram_set_chunk_columns (gsize columns)
{
  chunk_columns = columns > 0 ? columns : DEFAULT_CHUNK_COLUMNS;
}

BsGramWorkspace *
bs_gram_workspace_new (guint n_threads)
{
  BsGramWorkspace *ws = g_new0 (BsGramWorkspace, 1);

  ws->n_threads = CLAMP (n_threads, 1, 64);
  ws->threads = g_new0 (ThreadBuffers, ws->n_threads);
  if (ws->n_threads > 1)
    ws->pool = bs_pool_new (ws->n_threads);
  return ws;
}

void
bs_gram_workspace_free (BsGramWorkspace *ws)
{
  if (ws == NULL)
    return;
  bs_pool_free (ws->pool);
  for (guint t = 0; t < ws->n_threads; t++)
    {
      g_free (ws->threads[t].scratch);
      g_free (ws->threads[t].dscratch);
    }
  for (guint k = 0; k < BS_GRAM_MAX_TASKS; k++)
    g_free (ws->tasks[k]);
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

void
bs_gram_workspace_prepare_tasks (BsGramWorkspace *ws,
                                 guint            n_tasks,
                                 gsize            bytes_each)
{
  g_return_if_fail (n_tasks <= BS_GRAM_MAX_TASKS);

  for (guint k = 0; k < n_tasks; k++)
    if (ws->task_bytes[k] < bytes_each)
      {
        g_free (ws->tasks[k]);
        ws->tasks[k] = g_malloc (MAX (bytes_each, 1));
        ws->task_bytes[k] = bytes_each;
      }
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

  if (ws->pool && n_tasks > 1)
    bs_pool_run (ws->pool, task_thread, &run);
  else
    task_thread (&run, 0, 1);
}

/* The loops below take plain pointers, never struct members: the project
 * builds with -fno-strict-aliasing, under which a store through a float
 * pointer could change a pointer in a struct and stop vectorisation. */

static BS_SIMD_CLONES void
add_upper_to_double (double      *gram,
                     const float *acc,
                     guint        n)
{
  for (guint i = 0; i < n; i++)
    {
      const float *row = acc + (gsize) i * n;
      double *out = gram + (gsize) i * n;

      for (guint j = i; j < n; j++)
        out[j] += row[j];
    }
}

/* Mirrors the upper triangle; FALSE if anything is not finite. */
static gboolean
mirror_and_check (double *gram,
                  guint   n)
{
  gboolean bad = FALSE;

  for (guint i = 0; i < n; i++)
    for (guint j = i + 1; j < n; j++)
      gram[(gsize) j * n + i] = gram[(gsize) i * n + j];
  for (gsize k = 0; k < (gsize) n * n; k++)
    bad |= !isfinite (gram[k]);
  return !bad;
}

gboolean
bs_gram_workspace_reduce_tasks (BsGramWorkspace *ws,
                                guint            n_tasks,
                                guint            n,
                                double          *gram)
{
  memset (gram, 0, (gsize) n * n * sizeof (double));
  for (guint k = 0; k < n_tasks; k++)
    add_upper_to_double (gram, ws->tasks[k], n);
  return mirror_and_check (gram, n);
}

/* Tasks for units (channels or columns) of `unit` columns each: at most
 * BS_GRAM_MAX_TASKS, at least about 4096 columns each (each task adds an
 * n x n buffer to zero and to sum). */
static guint
count_tasks (gsize units,
             gsize unit)
{
  gsize by_size = MAX (units * unit / 4096, 1);

  return (guint) MIN (MIN (units, by_size), BS_GRAM_MAX_TASKS);
}

/* ---- Tapped activations (CNHW). */

/* Copies the n x S block of one channel into columns [0, S) of dest (row
 * stride w), minus the first example's row. Any shift common to all
 * examples leaves the centred Grams unchanged; this one needs no pass of its
 * own over the data (unlike the mean), removes a large common mean just as
 * well, and makes a constant layer exactly zero. */
static BS_SIMD_CLONES void
copy_shifted_block (const float *block,
                    guint        n,
                    gsize        spatial,
                    float       *dest,
                    gsize        w)
{
  const float *first = block;

  for (guint i = 0; i < n; i++)
    {
      const float *row = block + (gsize) i * spatial;
      float *out = dest + (gsize) i * w;

      for (gsize s = 0; s < spatial; s++)
        out[s] = row[s] - first[s];
    }
}

typedef struct {
  BsGramWorkspace *ws;
  const float     *act;
  guint            channels;
  guint            n;
  gsize            spatial;
  guint            n_tasks;
  guint            per_chunk;   /* channels per ssyrk call */
} CnhwWork;

static void
cnhw_task (gpointer data,
           guint    task,
           guint    thread)
{
  CnhwWork *w = data;
  float *acc = bs_gram_workspace_task_buffer (w->ws, task);
  float *scratch = bs_gram_workspace_scratch (w->ws, thread,
                                              (gsize) w->n * w->per_chunk * w->spatial);
  gsize begin, end;

  bs_gram_split (w->channels, w->n_tasks, task, &begin, &end);
  for (gsize c0 = begin; c0 < end; c0 += w->per_chunk)
    {
      gsize c1 = MIN (c0 + w->per_chunk, end);
      gsize width = (c1 - c0) * w->spatial;

      for (gsize c = c0; c < c1; c++)
        copy_shifted_block (w->act + c * w->n * w->spatial, w->n, w->spatial,
                            scratch + (c - c0) * w->spatial, width);
      cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, (int) w->n, (int) width,
                   1.0f, scratch, (int) width, c0 == begin ? 0.0f : 1.0f, acc, (int) w->n);
    }
}

gboolean
bs_gram_from_cnhw (BsGramWorkspace *ws,
                   const float     *activation,
                   guint            channels,
                   guint            n,
                   gsize            spatial,
                   double          *gram)
{
  CnhwWork w;

  g_return_val_if_fail (ws != NULL && gram != NULL, FALSE);

  if (channels == 0 || spatial == 0)
    {
      memset (gram, 0, (gsize) n * n * sizeof (double));
      return TRUE;
    }

  w = (CnhwWork) { ws, activation, channels, n, spatial, 0, 0 };
  w.n_tasks = count_tasks (channels, spatial);
  w.per_chunk = (guint) CLAMP (chunk_columns / spatial, 1, channels);
  bs_gram_workspace_prepare_tasks (ws, w.n_tasks, (gsize) n * n * sizeof (float));
  bs_gram_workspace_run_tasks (ws, w.n_tasks, cnhw_task, &w);
  return bs_gram_workspace_reduce_tasks (ws, w.n_tasks, n, gram);
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
  gsize begin, end;

  bs_gram_split (w->p, w->n_tasks, task, &begin, &end);
  if (w->f64)
    {
      double *acc = bs_gram_workspace_task_buffer (w->ws, task);
      double *buf = bs_gram_workspace_dscratch (w->ws, thread, (gsize) w->n * w->chunk + w->chunk);
      double *mean = buf + (gsize) w->n * w->chunk;

      memset (acc, 0, (gsize) w->n * w->n * sizeof (double));
      for (gsize j0 = begin; j0 < end; j0 += w->chunk)
        {
          gsize width = MIN (w->chunk, end - j0);

          centre_columns_d ((const double *) w->x + j0, w->n, w->p, width, mean, buf);
          cblas_dsyrk (CblasRowMajor, CblasUpper, CblasNoTrans, (int) w->n, (int) width,
                       1.0, buf, (int) width, 1.0, acc, (int) w->n);
        }
    }
  else
    {
      float *acc = bs_gram_workspace_task_buffer (w->ws, task);
      float *buf = bs_gram_workspace_scratch (w->ws, thread, (gsize) w->n * w->chunk + w->chunk);
      float *mean_f = buf + (gsize) w->n * w->chunk;
      double *mean = bs_gram_workspace_dscratch (w->ws, thread, w->chunk);

      memset (acc, 0, (gsize) w->n * w->n * sizeof (float));
      for (gsize j0 = begin; j0 < end; j0 += w->chunk)
        {
          gsize width = MIN (w->chunk, end - j0);

          centre_columns_f ((const float *) w->x + j0, w->n, w->p, width, mean, mean_f, buf);
          cblas_ssyrk (CblasRowMajor, CblasUpper, CblasNoTrans, (int) w->n, (int) width,
                       1.0f, buf, (int) width, 1.0f, acc, (int) w->n);
        }
    }
}

static gboolean
gram_from_rows (BsGramWorkspace *ws,
                const void      *x,
                gboolean         f64,
                guint            n,
                gsize            p,
                double          *gram)
{
  RowsWork w;

  g_return_val_if_fail (ws != NULL && gram != NULL, FALSE);

  if (p == 0)
    {
      memset (gram, 0, (gsize) n * n * sizeof (double));
      return TRUE;
    }

  w = (RowsWork) { ws, x, f64, n, p, count_tasks (p, 1), MIN (chunk_columns, p) };
  bs_gram_workspace_prepare_tasks (ws, w.n_tasks,
                                   (gsize) n * n * (f64 ? sizeof (double) : sizeof (float)));
  bs_gram_workspace_run_tasks (ws, w.n_tasks, rows_task, &w);

  if (!f64)
    return bs_gram_workspace_reduce_tasks (ws, w.n_tasks, n, gram);

  memset (gram, 0, (gsize) n * n * sizeof (double));
  for (guint k = 0; k < w.n_tasks; k++)
    {
      const double *acc = bs_gram_workspace_task_buffer (ws, k);

      for (guint i = 0; i < n; i++)
        for (guint j = i; j < n; j++)
          gram[(gsize) i * n + j] += acc[(gsize) i * n + j];
    }
  return mirror_and_check (gram, n);
}

gboolean
bs_gram_from_rows_f32 (BsGramWorkspace *ws,
                       const float     *x,
                       guint            n,
                       gsize            p,
                       double          *gram)
{
  return gram_from_rows (ws, x, FALSE, n, p, gram);
}

gboolean
bs_gram_from_rows_f64 (BsGramWorkspace *ws,
                       const double    *x,
                       guint            n,
                       gsize            p,
                       double          *gram)
{
  return gram_from_rows (ws, x, TRUE, n, p, gram);
}

/* ---- Centrings. */

void
bs_gram_u_centre (double *gram,
                  guint   n)
{
  g_autofree double *means = NULL;
  double total = 0.0;

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
  for (guint j = 0; j < n; j++)
    {
      means[j] /= (double) (n - 2);
      total += means[j];
    }
  total /= 2.0 * (double) (n - 1);
  for (guint j = 0; j < n; j++)
    means[j] -= total;

  for (guint i = 0; i < n; i++)
    {
      double *row = gram + (gsize) i * n;

      for (guint j = 0; j < n; j++)
        row[j] -= means[i] + means[j];
      row[i] = 0.0;
    }
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
