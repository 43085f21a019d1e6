/* cka-reference.h: the paper's estimators written out in long double, sharing
 * nothing with the code under test: the reference of test-cka and test-cka-pc1. */
#pragma once

#include <glib.h>

/* HSIC1(K, L) of Song et al. 2012 (the unbiased estimator), n x n row-major. */
long double  ref_hsic1 (const long double *K,
                        const long double *L,
                        guint              n);

/* K = X X^T for X row-major n x p (g_free the result). */
long double *ref_gram  (const double      *x,
                        guint              n,
                        guint              p);
