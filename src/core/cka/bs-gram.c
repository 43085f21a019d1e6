/* bs-gram.c: Gram matrices in float32 on a workspace's threads (see
 * bs-gram.h): tapped activations through bs-gram-kernel.h, row-major files
 * through ssyrk on centred column chunks; and their centrings. */
#include "bs-gram-private.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "bs-gram-kernel.h"
#include "bs-simd.h"

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
  float *scratch = bs_gram_workspace_scratch (w->ws, thread, pack_floats + 16);
  /* The packed panels are read with aligned loads, 64 bytes for AVX-512. */
  float *pack = (float *) (((guintptr) scratch + 63) & ~(guintptr) 63);
  float *out[BS_GRAM_KERNEL_MAX_OUTPUTS];
  gsize begin, end;

  for (guint o = 0; o < w->n_outputs; o++)
    out[o] = buffer + o * ld * ld;
  feature_task_range (w->features, w->n_tasks, task, &begin, &end);
  /* Every task has features: the kernel's first block initialises the buffer. */
  bs_gram_kernel_cnhw (bs_gram_workspace_get_config (w->ws), w->act, w->n, w->spatial, begin, end,
                       w->n_outputs, w->weights, out, pack, TRUE);
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
        bs_gram_triangle_clear (&tris[o], n);
      return TRUE;
    }

  w = (CnhwWork) { ws, activation, n, spatial, (gsize) channels * spatial, 0, n_outputs, weights };
  w.n_tasks = count_feature_tasks (w.features);
  bs_gram_workspace_prepare_tasks (ws, w.n_tasks, n_outputs * ld * ld * sizeof (float));
  bs_gram_workspace_run_tasks (ws, w.n_tasks, cnhw_task, &w);

  return bs_gram_workspace_reduce (ws, n, w.n_tasks, n_outputs, FALSE, tris);
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
      bs_gram_triangle_clear (tri, n);
      return TRUE;
    }

  w = (RowsWork) { ws, x, f64, n, p, count_tasks (p, 1), MIN (bs_gram_workspace_chunk_columns (ws), p) };
  bs_gram_workspace_prepare_tasks (ws, w.n_tasks, ld * ld * (f64 ? sizeof (double) : sizeof (float)));
  bs_gram_workspace_run_tasks (ws, w.n_tasks, rows_task, &w);
  return bs_gram_workspace_reduce (ws, n, w.n_tasks, 1, f64, tri);
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
