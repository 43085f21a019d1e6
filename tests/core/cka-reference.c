/* cka-reference.c: HSIC and Grams written out from their definitions, for tests. */
#include "cka-reference.h"

/* HSIC1(K, L) of Song et al. 2012 with K~, L~ the Grams with zeroed diagonals:
 * 1/(n(n-3)) [tr(K~ L~) + (1^T K~ 1)(1^T L~ 1)/((n-1)(n-2)) - 2/(n-2) 1^T K~ L~ 1]. */
long double
ref_hsic1 (const long double *K,
           const long double *L,
           guint              n)
{
  long double tr = 0, sk = 0, sl = 0, kl = 0;

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      if (i != j)
        {
          tr += K[i * n + j] * L[j * n + i];
          sk += K[i * n + j];
          sl += L[i * n + j];
        }
  /* 1^T K~ L~ 1 = sum_j (sum_i K~_ij) (sum_k L~_jk) */
  for (guint j = 0; j < n; j++)
    {
      long double col = 0, row = 0;

      for (guint i = 0; i < n; i++)
        if (i != j)
          {
            col += K[i * n + j];
            row += L[j * n + i];
          }
      kl += col * row;
    }
  return (tr + sk * sl / ((long double) (n - 1) * (n - 2)) - 2.0L / (n - 2) * kl)
         / ((long double) n * (n - 3));
}

/* K = X X^T for X row-major n x p. */
long double *
ref_gram (const double *x,
          guint         n,
          guint         p)
{
  long double *K = g_new0 (long double, n * n);

  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      for (guint f = 0; f < p; f++)
        K[i * n + j] += (long double) x[i * p + f] * x[j * p + f];
  return K;
}

