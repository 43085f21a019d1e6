/* bs-blas.h: setting up OpenBLAS before any numerical work.
 *
 * Debian 12's OpenBLAS 0.3.21 does not recognise some recent CPUs and falls
 * back to generic SSE3 kernels that run 3-6 times slower than the CPU allows.
 * OpenBLAS reads OPENBLAS_CORETYPE in its library constructor, before main(),
 * so the only cure from inside the program is to set it and execute the
 * program again. bs_blas_init() does that once, when the variable is unset,
 * the reported core is a generic fallback and the CPU supports AVX-512 or
 * AVX2; after the restart it checks a small sgemm against a plain reference
 * and, should that fail, restarts once more without the override. A value
 * the user set is never touched.
 *
 * The engine runs its own threads, each calling single-threaded BLAS, so
 * OpenBLAS must not start threads of its own while engine work runs (its
 * idle threads also spin for a while after every call, taking CPU from the
 * engine). bs_blas_guard_enter() and bs_blas_guard_leave() bracket engine
 * work: the guard is counted across the whole process, so any number of
 * jobs on any threads may hold it at once; the first to enter sets OpenBLAS
 * to one thread and the last to leave restores the count it found. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  BS_BLAS_KEPT_DETECTED,  /* OpenBLAS chose a specific core itself */
  BS_BLAS_USER_SET,       /* OPENBLAS_CORETYPE came from the user's environment */
  BS_BLAS_OVERRIDDEN,     /* Blockscope restarted with a better core, and it verified */
  BS_BLAS_UPGRADED,       /* the same from OpenBLAS's AVX2 kernels to its AVX-512 ones */
  BS_BLAS_OVERRIDE_FAILED,/* the better core gave wrong results; running on the fallback */
  BS_BLAS_NO_BETTER_CORE, /* a fallback core, but the CPU has neither AVX-512 nor AVX2 */
  BS_BLAS_RESTART_FAILED, /* a better core exists, but the program could not restart with it */
} BsBlasAction;

typedef struct {
  const char   *corename;       /* what OpenBLAS reports now, e.g. "Haswell" */
  const char   *fallback_core;  /* the core OpenBLAS chose itself, when Blockscope overrode it */
  BsBlasAction  action;
  int           threads;        /* OpenBLAS's own thread count when the program started */
  const char   *config;         /* openblas_get_config() */
} BsBlasInfo;

/* Call first in main(), before threads exist (after bs_i18n_init(), so
 * that its message is translated). May not return (re-executes; exits with
 * a message when faster kernels gave wrong results and the program cannot
 * restart without them). */
void              bs_blas_init             (char **argv);
const BsBlasInfo *bs_blas_get_info         (void);
/* How the kernels were chosen, in words for people (translated). */
const char       *bs_blas_action_describe  (BsBlasAction action);

void              bs_blas_guard_enter      (void);
void              bs_blas_guard_leave      (void);
/* How many holders the guard has now (for tests). */
guint             bs_blas_guard_depth      (void);

/* The decision alone, for tests: the core type to restart with, or NULL. */
const char       *bs_blas_choose_coretype  (const char *reported_core,
                                            gboolean    has_avx512,
                                            gboolean    has_avx2);

G_END_DECLS
