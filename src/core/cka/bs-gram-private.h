/* bs-gram-private.h: the parallel machinery of a BsGramWorkspace, for bs-gram*.c only.
 *
 * A Gram is cut into a few tasks (ranges of columns or features; how many
 * depends on the layer alone, never on the thread count). The workspace's
 * threads take tasks as they come free, which keeps them busy when the
 * machine is shared and one of them is descheduled. Each task multiplies
 * with single-threaded BLAS into its own n x n float buffer, and the buffers
 * are added in task order: results are the same for any number of threads
 * and any timing. */
#pragma once

#include <math.h>

#include "bs-gram.h"
#include "bs-gram-kernel.h"

G_BEGIN_DECLS

guint    bs_gram_workspace_get_n_threads (BsGramWorkspace *ws);
/* The engine configuration of the workspace's pool: which kernels run. */
const BsEngineConfig *bs_gram_workspace_get_config (BsGramWorkspace *ws);
/* Columns per chunk of a Gram of row-major input. */
gsize    bs_gram_workspace_chunk_columns (BsGramWorkspace *ws);

/* Tasks per Gram at most: enough for dynamic balancing on a few cores,
 * few enough that adding their buffers stays cheap. */
#define BS_GRAM_MAX_TASKS 8

typedef void (*BsGramTaskFunc) (gpointer data,
                                guint    task,
                                guint    thread);

/* Makes n_tasks buffers of bytes_each (kept and reused). Call before run_tasks. */
void     bs_gram_workspace_prepare_tasks (BsGramWorkspace *ws,
                                          guint            n_tasks,
                                          gsize            bytes_each);
/* Task t's buffer (contents undefined until the task writes them). */
gpointer bs_gram_workspace_task_buffer   (BsGramWorkspace *ws,
                                          guint            task);

/* Runs func (data, task, thread) for every task, on all threads of the
 * workspace (the caller is thread 0); returns when all are done. */
void     bs_gram_workspace_run_tasks     (BsGramWorkspace *ws,
                                          guint            n_tasks,
                                          BsGramTaskFunc   func,
                                          gpointer         data);

/* Per-thread scratch that grows on demand and lives with the workspace. */
float   *bs_gram_workspace_scratch       (BsGramWorkspace *ws,
                                          guint            thread,
                                          gsize            n_floats);
double  *bs_gram_workspace_dscratch      (BsGramWorkspace *ws,
                                          guint            thread,
                                          gsize            n_doubles);

/* Grams of the tapped activation (layout as bs_gram_from_cnhw) for channels
 * weighted by weights[o] (NULL: 1), n_outputs of them in one pass
 * (bs-gram-kernel.h), into tris[o]. FALSE if any is not finite. */
gboolean bs_gram_workspace_cnhw          (BsGramWorkspace      *ws,
                                          const float          *activation,
                                          guint                 channels,
                                          guint                 n,
                                          gsize                 spatial,
                                          guint                 n_outputs,
                                          const float *const   *weights,
                                          const BsGramTriangle *tris);

/* Splits [0, n) into parts nearly equal contiguous ranges; part i is [*begin, *end). */
static inline void
bs_gram_split (gsize  n,
               guint  parts,
               guint  i,
               gsize *begin,
               gsize *end)
{
  *begin = n * i / parts;
  *end = n * (i + 1) / parts;
}

/* Splits [0, n) into parts ranges of about equal area when item k costs
 * about k (the columns of an upper triangle); part i is [*begin, *end). */
static inline void
bs_gram_split_triangle (gsize  n,
                        guint  parts,
                        guint  i,
                        gsize *begin,
                        gsize *end)
{
  *begin = i == 0 ? 0 : (gsize) (n * sqrt ((double) i / parts));
  *end = i + 1 == parts ? n : (gsize) (n * sqrt ((double) (i + 1) / parts));
}

/* tris[o] (o < n_outputs) = the sums of output o of the first n_tasks task
 * buffers (floats, or doubles with f64; K(i, j), i <= j, at j * ld + i,
 * ld = bs_gram_kernel_ld (n)), with their row sums; FALSE if anything is
 * not finite. */
gboolean bs_gram_workspace_reduce        (BsGramWorkspace      *ws,
                                          guint                 n,
                                          guint                 n_tasks,
                                          guint                 n_outputs,
                                          gboolean              f64,
                                          const BsGramTriangle *tris);
/* The Gram of no features: all zero. */
void     bs_gram_triangle_clear          (const BsGramTriangle *tri,
                                          guint                 n);

/* Turns the column sums of a Gram without its diagonal (n >= 4) into the
 * means U-centring subtracts: gram[i][j] - means[i] - means[j]. */
void     bs_gram_u_means                 (double          *sums,
                                          guint            n);

G_END_DECLS
