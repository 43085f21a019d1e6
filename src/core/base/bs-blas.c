/* bs-blas.c */
#include "bs-blas.h"
#include "bs-sync.h"

#include <cblas.h>
#include <errno.h>
#include <glib/gi18n-lib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Not declared in every cblas.h. */
extern char *openblas_get_corename (void);
extern char *openblas_get_config (void);
extern int   openblas_get_num_threads (void);
extern void  openblas_set_num_threads (int n);

/* Set by the first process for the second, so that a restart happens at most once. */
#define ENV_FALLBACK "BLOCKSCOPE_BLAS_FALLBACK_CORE"
/* For tests: pretend OpenBLAS reported this core. */
#define ENV_PRETEND  "BLOCKSCOPE_BLAS_PRETEND_CORE"

static BsBlasInfo info;

static GMutex guard_lock;
static guint guard_depth;
static int guard_saved;

/* The cores Debian's OpenBLAS 0.3.21 falls back to on CPUs it does not know. */
static gboolean
is_fallback_core (const char *core)
{
  static const char *generic[] = { "Prescott", "Core2", "Penryn", "Dunnington",
                                   "Nehalem", "Atom", "Katmai", "Coppermine",
                                   "Northwood", "Banias", "Sandybridge",
                                   "Barcelona", "Opteron", "Opteron(SSE3)",
                                   "Bulldozer", "Unknown", NULL };

  for (int i = 0; core != NULL && generic[i]; i++)
    if (g_ascii_strcasecmp (core, generic[i]) == 0)
      return TRUE;
  return core == NULL;
}

/* OpenBLAS's AVX2 cores: 0.3.21 also picks them for CPUs with AVX-512 that
 * it does not know (AMD Zen 4 and 5, newer Intel models), where its
 * AVX-512 kernels run sgemm 2-4 times faster (measured on an AMD EPYC of
 * family 26). */
static gboolean
is_avx2_core (const char *core)
{
  return core != NULL && (g_ascii_strcasecmp (core, "Haswell") == 0 ||
                          g_ascii_strcasecmp (core, "Zen") == 0);
}

const char *
bs_blas_choose_coretype (const char *reported_core,
                         gboolean    has_avx512,
                         gboolean    has_avx2)
{
  if (is_avx2_core (reported_core))
    return has_avx512 ? "SkylakeX" : NULL;
  if (!is_fallback_core (reported_core))
    return NULL;
  if (has_avx512)
    return "SkylakeX";
  if (has_avx2)
    return "Haswell";
  return NULL;
}

/* A small sgemm against a plain triple loop: a wrong kernel shows up here. */
static gboolean
sgemm_is_correct (void)
{
  enum { M = 37, N = 29, K = 53 };
  float a[M * K], b[K * N], c[M * N];
  gboolean ok = TRUE;

  for (int i = 0; i < M * K; i++)
    a[i] = (float) ((i * 7919) % 23) / 23.0f - 0.5f;
  for (int i = 0; i < K * N; i++)
    b[i] = (float) ((i * 104729) % 31) / 31.0f - 0.5f;

  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K,
               1.0f, a, K, b, N, 0.0f, c, N);

  for (int i = 0; i < M && ok; i++)
    for (int j = 0; j < N && ok; j++)
      {
        double ref = 0.0;

        for (int k = 0; k < K; k++)
          ref += (double) a[i * K + k] * b[k * N + j];
        ok = fabs (ref - c[i * N + j]) <= 1e-4 * (1.0 + fabs (ref));
      }

  return ok;
}

/* Restarts with OPENBLAS_CORETYPE set to coretype (or unset for NULL);
 * returns only when the restart failed, with the environment as before. */
static void
restart (char       **argv,
         const char  *coretype,
         const char  *fallback)
{
  int saved_errno;

  if (coretype)
    g_setenv ("OPENBLAS_CORETYPE", coretype, TRUE);
  else
    g_unsetenv ("OPENBLAS_CORETYPE");
  g_setenv (ENV_FALLBACK, fallback, TRUE);

  execv ("/proc/self/exe", argv);

  saved_errno = errno;
  g_unsetenv (ENV_FALLBACK);
  g_unsetenv ("OPENBLAS_CORETYPE");
  errno = saved_errno;
}

static void
read_info (void)
{
  info.corename = openblas_get_corename ();
  info.config = openblas_get_config ();
  info.threads = openblas_get_num_threads ();
}

/* OpenBLAS 0.3.21 maps a 128 MiB work buffer for each of its threads as
 * they start (in its library constructor) and for each thread that calls
 * it; when the mapping fails it retries forever. So under a limit on the
 * address space (prlimit --as, ulimit -v) that leaves too little room the
 * program would hang, spinning: say so and stop instead. _exit, because
 * exit() would wait in OpenBLAS's destructor for the spinning threads.
 * Measured with two threads: 440 MiB hangs, 500 MiB works. */
#define OPENBLAS_BUFFER (128u << 20)

static void
check_address_space (void)
{
  struct rlimit limit;
  guint64 need;

  if (getrlimit (RLIMIT_AS, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return;
  need = (guint64) (openblas_get_num_threads () + 1) * OPENBLAS_BUFFER + (64u << 20);
  if (limit.rlim_cur >= need)
    return;

  {
    g_autofree char *have = g_format_size (limit.rlim_cur);
    g_autofree char *want = g_format_size (need);

    /* Translators: two amounts of memory ("300.0 MB"). */
    g_printerr (_("Blockscope: the limit on this process's address space (%s) leaves too little "
                  "room for OpenBLAS's work buffers: it needs at least %s (ulimit -v, prlimit --as).\n"),
                have, want);
    _exit (1);
  }
}

void
bs_blas_init (char **argv)
{
  const char *user_core = g_getenv ("OPENBLAS_CORETYPE");
  const char *fallback = g_getenv (ENV_FALLBACK);
  const char *pretend = g_getenv (ENV_PRETEND);
  const char *reported = pretend ? pretend : openblas_get_corename ();
  const char *better;

  check_address_space ();
  read_info ();

  if (fallback != NULL)
    {
      /* Second process: we set OPENBLAS_CORETYPE (or removed it after a failed check). */
      info.fallback_core = g_strdup (fallback);
      g_unsetenv (ENV_FALLBACK);
      if (user_core == NULL)
        {
          info.action = BS_BLAS_OVERRIDE_FAILED;
          return;
        }
      if (!sgemm_is_correct ())
        {
          g_autofree char *wrong_core = g_strdup (user_core);

          /* Wrong results with the better kernel: back to what OpenBLAS chose. */
          restart (argv, NULL, info.fallback_core);
          /* The wrong kernel is loaded and cannot be unloaded: stop rather
           * than compute wrong numbers. */
          /* Translators: the first and last %s are OpenBLAS kernel names
           * (e.g. SkylakeX, Haswell), the second is the system's reason. */
          g_printerr (_("Blockscope: OpenBLAS's %s kernels give wrong results on this machine, and "
                        "the program could not restart without them (%s). Start it with "
                        "OPENBLAS_CORETYPE=%s.\n"), wrong_core, g_strerror (errno), info.fallback_core);
          exit (1);
        }
      g_unsetenv ("OPENBLAS_CORETYPE"); /* do not leak into child processes */
      info.action = is_avx2_core (info.fallback_core) ? BS_BLAS_UPGRADED : BS_BLAS_OVERRIDDEN;
      return;
    }

  if (user_core != NULL)
    {
      info.action = BS_BLAS_USER_SET;
      return;
    }

  __builtin_cpu_init ();
  better = bs_blas_choose_coretype (reported,
                                    __builtin_cpu_supports ("avx512f"),
                                    __builtin_cpu_supports ("avx2") &&
                                    __builtin_cpu_supports ("fma"));
  if (better == NULL)
    {
      info.action = is_fallback_core (reported) ? BS_BLAS_NO_BETTER_CORE : BS_BLAS_KEPT_DETECTED;
      return;
    }

  g_unsetenv (ENV_PRETEND);
  restart (argv, better, reported);
  /* /proc may be missing (some containers): carry on with OpenBLAS's own
   * choice, slow but correct. */
  g_warning ("Could not restart to select faster BLAS kernels: %s", g_strerror (errno));
  info.action = BS_BLAS_RESTART_FAILED;
}

const BsBlasInfo *
bs_blas_get_info (void)
{
  if (info.corename == NULL)
    read_info ();
  return &info;
}

const char *
bs_blas_action_describe (BsBlasAction action)
{
  switch (action)
    {
    case BS_BLAS_KEPT_DETECTED:
      return _("OpenBLAS detected this CPU itself");
    case BS_BLAS_USER_SET:
      return _("OPENBLAS_CORETYPE was set in the environment and left alone");
    case BS_BLAS_OVERRIDDEN:
      return _("OpenBLAS fell back to generic kernels; restarted with faster ones, verified");
    case BS_BLAS_UPGRADED:
      return _("OpenBLAS chose AVX2 kernels on a CPU with AVX-512; restarted with its AVX-512 ones, verified");
    case BS_BLAS_OVERRIDE_FAILED:
      return _("faster kernels gave wrong results; using OpenBLAS's generic fallback");
    case BS_BLAS_NO_BETTER_CORE:
      return _("OpenBLAS uses generic kernels and the CPU has no AVX2 or AVX-512");
    case BS_BLAS_RESTART_FAILED:
      return _("OpenBLAS uses generic kernels: the program could not restart with faster ones");
    default:
      /* Translators: how the BLAS kernels were chosen, when that is not known. */
      return _("unknown");
    }
}

void
bs_blas_guard_enter (void)
{
  bs_mutex_lock (&guard_lock);
  if (guard_depth++ == 0)
    {
      guard_saved = openblas_get_num_threads ();
      if (guard_saved != 1)
        openblas_set_num_threads (1);
    }
  bs_mutex_unlock (&guard_lock);
}

void
bs_blas_guard_leave (void)
{
  bs_mutex_lock (&guard_lock);
  g_assert (guard_depth > 0);
  if (--guard_depth == 0 && guard_saved != 1)
    openblas_set_num_threads (guard_saved);
  bs_mutex_unlock (&guard_lock);
}

guint
bs_blas_guard_depth (void)
{
  guint depth;

  bs_mutex_lock (&guard_lock);
  depth = guard_depth;
  bs_mutex_unlock (&guard_lock);
  return depth;
}
