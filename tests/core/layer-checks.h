/* layer-checks.h: what the layer tests (test-layers.c, test-conv.c) share:
 * random data, comparisons with references in double, and gradient checks
 * by central finite differences of a scalar loss L = sum (r * y). */
#pragma once

#include <glib.h>

#include "bs-rng.h"

G_BEGIN_DECLS

typedef double (*LossFunc) (gpointer data);
typedef gboolean (*SkipFunc) (gpointer data, gsize index);

/* n normal floats times scale (g_free). */
float  *layer_random_floats   (BsRng        *rng,
                               gsize         n,
                               double        scale);
double  layer_dot             (const float  *a,
                               const float  *b,
                               gsize         n);
/* max (1, max |b|): what the tolerances are relative to. */
double  layer_reference_scale (const double *b,
                               gsize         n);
/* max |a - b| and where it is; NaN (at the first NaN) if any difference is NaN. */
double  layer_max_abs_error   (const float  *a,
                               const double *b,
                               gsize         n,
                               gsize        *where);
/* max |a - b| <= tol * max (1, max |b|), or the test fails naming what. */
void    layer_assert_close    (const char   *what,
                               const float  *a,
                               const double *b,
                               gsize         n,
                               double        tol);
/* Central differences of loss with respect to values[i] at n_checks random
 * indices (all of them when n_checks >= n; skip may exclude some), against
 * analytic[i]. Steps are taken exactly as float allows. */
void    layer_check_gradient  (const char   *what,
                               float        *values,
                               gsize         n,
                               const float  *analytic,
                               LossFunc      loss,
                               SkipFunc      skip,
                               gpointer      data,
                               BsRng        *rng,
                               guint         n_checks,
                               double        h);

G_END_DECLS
