/* bs-thread-pool.h: a tiny fixed-size thread pool for the engine's loops.
 *
 * Every parallel region runs the same function on all n threads (the caller
 * is thread 0) and each thread picks its share from its index alone. The
 * split never depends on timing, so results are the same in every run with
 * the same thread count. Each thread also owns a few scratch buffers that
 * grow on demand (column buffers, weight-gradient copies) and live as long as
 * the pool.
 *
 * A pool is also the engine configuration its work runs with
 * (bs-engine-config.h): every kernel takes the pool it runs on and reads its
 * choices there. A job owns its pool. */
#pragma once

#include <glib.h>

#include "bs-engine-config.h"
#include "bs-memory.h"

G_BEGIN_DECLS

typedef struct _BsThreadPool BsThreadPool;

typedef void (*BsThreadPoolFunc) (gpointer data,
                                  guint    thread,
                                  guint    n_threads);

enum {
  BS_SCRATCH_COL,    /* im2col columns */
  BS_SCRATCH_DCOL,   /* column gradients before col2im */
  BS_SCRATCH_DW,     /* a thread's private weight gradient */
  BS_SCRATCH_CHUNK,  /* a chunk of an activation gradient */
  BS_SCRATCH_STATS,  /* per-channel partial sums */
  BS_SCRATCH_WEIGHTS,/* rearranged weights shared by all threads (thread 0's) */
  BS_N_SCRATCH
};

/* Pools are reference-counted so that the models and the Gram workspace of
 * one job can share their threads: a worker that has just finished a
 * convolution is still spinning when the Gram after it starts, where a
 * second pool's worker would have gone to sleep (waking one costs tens of
 * microseconds, more in a virtual machine). */

/* n_threads threads (at least 1) with the default configuration. */
BsThreadPool         *bs_thread_pool_new             (guint                 n_threads);
/* config->threads threads, running with config (copied). */
BsThreadPool         *bs_thread_pool_new_for_config  (const BsEngineConfig *config);
BsThreadPool         *bs_thread_pool_ref             (BsThreadPool         *pool);
void                  bs_thread_pool_unref           (BsThreadPool         *pool);
/* 1 for NULL, which stands for "the caller's thread alone" everywhere. */
guint                 bs_thread_pool_get_n_threads   (BsThreadPool         *pool);
/* The configuration the pool's work runs with; the defaults for NULL.
 * Its threads field is the pool's thread count. */
const BsEngineConfig *bs_thread_pool_get_config      (BsThreadPool         *pool);

/* Runs func (data, t, n) for t = 0..n-1 and returns when all are done.
 * Not re-entrant: func must not call bs_thread_pool_run on the same pool. */
void                  bs_thread_pool_run             (BsThreadPool         *pool,
                                                      BsThreadPoolFunc      func,
                                                      gpointer              data);

/* Scratch memory of one thread, at least n_floats long, 64-byte aligned.
 * Contents are kept until the next call with a larger size. */
float                *bs_thread_pool_scratch         (BsThreadPool         *pool,
                                                      guint                 thread,
                                                      guint                 slot,
                                                      gsize                 n_floats);
/* Grows a thread's scratch to n_floats from the caller's thread, between
 * two runs, so that bs_thread_pool_scratch () inside the next run finds it
 * and allocates nothing: FALSE (the size in *failed_bytes, which may be
 * NULL) when the memory cannot be had, for sizes a model or a batch sets. */
gboolean              bs_thread_pool_reserve_scratch (BsThreadPool         *pool,
                                                      guint                 thread,
                                                      guint                 slot,
                                                      gsize                 n_floats,
                                                      gsize                *failed_bytes);
/* Frees every thread's scratch buffers (they grow again on demand). */
void                  bs_thread_pool_release_scratch (BsThreadPool         *pool);
/* Bytes held by all scratch buffers. */
gsize                 bs_thread_pool_scratch_bytes   (BsThreadPool         *pool);

/* Splits [0, n) into n_parts nearly equal contiguous ranges; part i is [*begin, *end). */
static inline void
bs_split_range (gsize  n,
                guint  n_parts,
                guint  part,
                gsize *begin,
                gsize *end)
{
  *begin = n * part / n_parts;
  *end = n * (part + 1) / n_parts;
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsThreadPool, bs_thread_pool_unref)

G_END_DECLS
