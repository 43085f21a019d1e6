/* layer-checks.c: what the layer tests share (see layer-checks.h). */
#include "layer-checks.h"

#include <math.h>

float *
layer_random_floats (BsRng *rng,
                     gsize  n,
                     double scale)
{
  float *p = g_new (float, n);

  for (gsize i = 0; i < n; i++)
    p[i] = (float) (scale * bs_rng_normal (rng));
  return p;
}

double
layer_dot (const float *a,
           const float *b,
           gsize        n)
{
  double s = 0.0;

  for (gsize i = 0; i < n; i++)
    s += (double) a[i] * b[i];
  return s;
}

/* max (1, max |b|): what the tolerances below are relative to. */
double
layer_reference_scale (const double *b,
                       gsize         n)
{
  double scale = 1.0;

  for (gsize i = 0; i < n; i++)
    scale = MAX (scale, fabs (b[i]));
  return scale;
}

/* max |a - b| and where it is; NaN (at the first NaN) if any difference is NaN. */
double
layer_max_abs_error (const float  *a,
                     const double *b,
                     gsize         n,
                     gsize        *where)
{
  double worst = 0.0;

  *where = 0;
  for (gsize i = 0; i < n && !isnan (worst); i++)
    if (!(fabs (a[i] - b[i]) <= worst))
      {
        worst = fabs (a[i] - b[i]);
        *where = i;
      }
  return worst;
}

/* max |a - b| <= tol * max (1, max |b|) */
void
layer_assert_close (const char   *what,
                    const float  *a,
                    const double *b,
                    gsize         n,
                    double        tol)
{
  double scale = layer_reference_scale (b, n);
  gsize where;

  if (!(layer_max_abs_error (a, b, n, &where) <= tol * scale))
    g_error ("%s: element %" G_GSIZE_FORMAT " is %.9g, expected %.9g (scale %g)",
             what, where, a[where], b[where], scale);
}


/* Central differences of loss with respect to values[i] at n_checks random
 * indices, against analytic[i]. Steps are taken exactly as float allows. */
void
layer_check_gradient (const char  *what,
                      float       *values,
                      gsize        n,
                      const float *analytic,
                      LossFunc     loss,
                      SkipFunc     skip,
                      gpointer     data,
                      BsRng       *rng,
                      guint        n_checks,
                      double       h)
{
  gboolean exhaustive = n_checks >= n;
  guint attempts = exhaustive ? n : 4 * n_checks;
  guint checked = 0;

  for (guint attempt = 0; attempt < attempts && checked < n_checks; attempt++)
    {
      gsize i = exhaustive ? attempt : bs_rng_below (rng, n);
      float v = values[i];
      float vp = (float) (v + h), vm = (float) (v - h);
      double lp, lm, numeric, tol;

      if (skip && skip (data, i))
        continue;
      values[i] = vp;
      lp = loss (data);
      values[i] = vm;
      lm = loss (data);
      values[i] = v;
      numeric = (lp - lm) / ((double) vp - vm);
      tol = 2e-3 + 1e-2 * fabs (numeric);
      if (!(fabs (numeric - analytic[i]) <= tol))
        g_error ("%s: gradient at %" G_GSIZE_FORMAT " is %.7g, finite differences give %.7g",
                 what, i, analytic[i], numeric);
      checked++;
    }
  g_assert_cmpuint (checked, >=, MIN (n_checks, n) / 2);
}
