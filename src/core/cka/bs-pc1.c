/* bs-pc1.c: the top eigenpair of a centred Gram by Lanczos, dsyevr when that is slow. */
#include "bs-pc1.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "bs-rng.h"

/* LAPACK, as OpenBLAS exports it (gfortran's hidden lengths of the
 * character arguments last). */
extern void dstevr_ (const char *jobz, const char *range, const int *n, double *d, double *e,
                     const double *vl, const double *vu, const int *il, const int *iu,
                     const double *abstol, int *m, double *w, double *z, const int *ldz, int *isuppz,
                     double *work, const int *lwork, int *iwork, const int *liwork, int *info,
                     size_t jobz_len, size_t range_len);
extern void dsyevr_ (const char *jobz, const char *range, const char *uplo, const int *n,
                     double *a, const int *lda, const double *vl, const double *vu,
                     const int *il, const int *iu, const double *abstol, int *m, double *w,
                     double *z, const int *ldz, int *isuppz, double *work, const int *lwork,
                     int *iwork, const int *liwork, int *info,
                     size_t jobz_len, size_t range_len, size_t uplo_len);

/* Restarts from the best Ritz vector before dsyevr takes over. */
#define MAX_RESTARTS 3

struct _BsPc1Solver {
  guint     n;
  guint     m;          /* Lanczos steps per start: min (n, BS_PC1_MAX_STEPS) */
  double   *q;          /* (m + 1) x n Lanczos vectors */
  double   *w;          /* n */
  double   *h;          /* m + 1: reorthogonalisation coefficients */
  double   *alpha;      /* m */
  double   *beta;       /* m */
  double   *d;          /* m: tridiagonal copies for dstevr */
  double   *e;
  double   *work;       /* 20m for dstevr */
  int      *iwork_t;    /* 10m */
  double   *start;      /* n: the first start vector, the same for every call */
  /* dsyevr */
  double   *a;          /* n x n copy (dsyevr destroys it) */
  double   *lwork;
  int      *iwork;
  int       n_lwork;
  int       n_iwork;
  guint     last_steps;
  gboolean  last_fallback;
};

BsPc1Solver *
bs_pc1_solver_new (guint n)
{
  BsPc1Solver *s;
  BsRng rng;

  g_return_val_if_fail (n >= 1, NULL);

  s = g_new0 (BsPc1Solver, 1);
  s->n = n;
  s->m = MIN (n, BS_PC1_MAX_STEPS);
  s->q = g_new (double, (gsize) (s->m + 1) * n);
  s->w = g_new (double, n);
  s->h = g_new (double, s->m + 1);
  s->alpha = g_new (double, s->m);
  s->beta = g_new (double, s->m);
  s->d = g_new (double, s->m);
  s->e = g_new (double, s->m);
  s->work = g_new (double, 20 * s->m);
  s->iwork_t = g_new (int, 10 * s->m);
  /* A fixed pseudo-random start: every eigenvector has a part of it (almost
   * surely), and results do not depend on earlier calls. */
  s->start = g_new (double, n);
  bs_rng_init (&rng, 0x9c1);
  for (guint i = 0; i < n; i++)
    s->start[i] = bs_rng_normal (&rng);
  return s;
}

void
bs_pc1_solver_free (BsPc1Solver *s)
{
  if (s == NULL)
    return;
  g_free (s->q);
  g_free (s->w);
  g_free (s->h);
  g_free (s->alpha);
  g_free (s->beta);
  g_free (s->d);
  g_free (s->e);
  g_free (s->work);
  g_free (s->iwork_t);
  g_free (s->start);
  g_free (s->a);
  g_free (s->lwork);
  g_free (s->iwork);
  g_free (s);
}

guint
bs_pc1_solver_get_last_steps (BsPc1Solver *s)
{
  return s->last_steps;
}

gboolean
bs_pc1_solver_get_last_fallback (BsPc1Solver *s)
{
  return s->last_fallback;
}

/* Top eigenpair of the k x k tridiagonal (alpha, beta): theta and s (k
 * values), by dstevr for that one pair (O(k), where all pairs cost O(k^2)
 * and were most of the time of a whole CKA job's PC1 analysis). */
static gboolean
tridiagonal_top (BsPc1Solver *s,
                 guint        k,
                 double      *theta,
                 double      *vec)
{
  int kk = (int) k, ldz = (int) k, il = (int) k, iu = (int) k, m = 0, info = 0;
  int lwork = 20 * (int) s->m, liwork = 10 * (int) s->m, isuppz[2];
  double vl = 0, vu = 0, abstol = 0;

  memcpy (s->d, s->alpha, k * sizeof (double));
  if (k > 1)
    memcpy (s->e, s->beta, (k - 1) * sizeof (double));
  dstevr_ ("V", "I", &kk, s->d, s->e, &vl, &vu, &il, &iu, &abstol, &m, theta, vec, &ldz, isuppz,
           s->work, &lwork, s->iwork_t, &liwork, &info, 1, 1);
  return info == 0 && m == 1;
}

static void
fix_sign (double *u,
          guint   n)
{
  guint best = 0;

  for (guint i = 1; i < n; i++)
    if (fabs (u[i]) > fabs (u[best]))
      best = i;
  if (u[best] < 0)
    for (guint i = 0; i < n; i++)
      u[i] = -u[i];
}

/* One Lanczos run from v (n values, any length): TRUE when converged, with
 * theta and u; else u is the best Ritz vector so far (a restart's start). */
static gboolean
lanczos (BsPc1Solver  *s,
         const double *c,
         const double *v,
         double       *theta,
         double       *u)
{
  guint n = s->n;
  double ritz[BS_PC1_MAX_STEPS];
  double norm = cblas_dnrm2 ((int) n, v, 1);
  guint k = 0;

  if (norm == 0)
    return FALSE;
  for (guint i = 0; i < n; i++)
    s->q[i] = v[i] / norm;

  for (guint j = 0; j < s->m; j++)
    {
      double *qj = s->q + (gsize) j * n;
      double resid;

      cblas_dsymv (CblasRowMajor, CblasUpper, (int) n, 1.0, c, (int) n, qj, 1, 0.0, s->w, 1);
      s->last_steps++;
      s->alpha[j] = cblas_ddot ((int) n, qj, 1, s->w, 1);
      /* Full reorthogonalisation, twice ("twice is enough"): the three-term
       * recurrence alone loses orthogonality as soon as a pair converges. */
      for (int pass = 0; pass < 2; pass++)
        {
          cblas_dgemv (CblasRowMajor, CblasNoTrans, (int) (j + 1), (int) n, 1.0, s->q, (int) n, s->w, 1,
                       0.0, s->h, 1);
          cblas_dgemv (CblasRowMajor, CblasTrans, (int) (j + 1), (int) n, -1.0, s->q, (int) n, s->h, 1,
                       1.0, s->w, 1);
        }
      s->beta[j] = cblas_dnrm2 ((int) n, s->w, 1);
      k = j + 1;

      if (!tridiagonal_top (s, k, theta, ritz))
        return FALSE;
      resid = s->beta[j] * fabs (ritz[k - 1]);
      /* Converged, or the Krylov space is invariant (then exact). */
      if (resid <= BS_PC1_TOLERANCE * fabs (*theta) || s->beta[j] <= 1e-300 || k == n)
        break;
      if (j + 1 < s->m)
        {
          double *next = s->q + (gsize) (j + 1) * n;

          for (guint i = 0; i < n; i++)
            next[i] = s->w[i] / s->beta[j];
        }
    }

  /* u = Q s */
  cblas_dgemv (CblasRowMajor, CblasTrans, (int) k, (int) n, 1.0, s->q, (int) n, ritz, 1, 0.0, u, 1);
  return s->beta[k - 1] * fabs (ritz[k - 1]) <= BS_PC1_TOLERANCE * fabs (*theta)
         || s->beta[k - 1] <= 1e-300 || k == n;
}

static double
dense_top (BsPc1Solver  *s,
           const double *c,
           double       *u)
{
  int n = (int) s->n, il = n, iu = n, m = 0, info = 0, query_i = 0;
  int isuppz[2];
  double vl = 0, vu = 0, abstol = 0, w = 0, query = 0;

  if (s->a == NULL)
    {
      int minus_one = -1;

      s->a = g_new (double, (gsize) n * n);
      dsyevr_ ("V", "I", "U", &n, s->a, &n, &vl, &vu, &il, &iu, &abstol, &m, &w, u, &n, isuppz,
               &query, &minus_one, &query_i, &minus_one, &info, 1, 1, 1);
      s->n_lwork = MAX ((int) query, 26 * n);
      s->n_iwork = MAX (query_i, 10 * n);
      s->lwork = g_new (double, s->n_lwork);
      s->iwork = g_new (int, s->n_iwork);
    }
  /* Row-major and column-major are the same for a symmetric matrix. */
  memcpy (s->a, c, (gsize) n * n * sizeof (double));
  dsyevr_ ("V", "I", "U", &n, s->a, &n, &vl, &vu, &il, &iu, &abstol, &m, &w, u, &n, isuppz,
           s->lwork, &s->n_lwork, s->iwork, &s->n_iwork, &info, 1, 1, 1);
  if (info != 0 || m != 1)
    {
      memset (u, 0, s->n * sizeof (double));
      return NAN;
    }
  return w;
}

double
bs_pc1_top_eigen (BsPc1Solver  *s,
                  const double *c,
                  double       *u)
{
  guint n = s->n;
  double theta = 0.0;
  gboolean zero = TRUE;

  s->last_steps = 0;
  s->last_fallback = FALSE;
  for (gsize i = 0; i < (gsize) n * n && zero; i++)
    zero = c[i] == 0.0;
  if (zero)
    {
      memset (u, 0, n * sizeof (double));
      return 0.0;
    }

  memcpy (u, s->start, n * sizeof (double));
  if (!lanczos (s, c, s->start, &theta, u))
    {
      gboolean done = FALSE;
      g_autofree double *v = g_new (double, n);

      for (guint r = 0; r < MAX_RESTARTS && !done; r++)
        {
          memcpy (v, u, n * sizeof (double));
          done = lanczos (s, c, v, &theta, u);
        }
      if (!done)
        {
          s->last_fallback = TRUE;
          theta = dense_top (s, c, u);
        }
    }
  fix_sign (u, n);
  return theta;
}
