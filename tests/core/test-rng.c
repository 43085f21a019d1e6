/* test-rng.c: the deterministic generator behind every random choice. */
#include <math.h>

#include "bs-rng.h"

/* Reference values of xoshiro256** from the authors' C code, seeded via splitmix64(0). */
static void
test_rng_reference (void)
{
  BsRng rng;

  bs_rng_init (&rng, 0);
  /* splitmix64 from state 0 gives this well-known first output. */
  g_assert_cmphex (rng.s[0], ==, 0xe220a8397b1dcdafull);
}

static void
test_rng_deterministic (void)
{
  BsRng a, b, c;

  bs_rng_init (&a, 42);
  bs_rng_init (&b, 42);
  bs_rng_init (&c, 43);
  for (int i = 0; i < 1000; i++)
    {
      guint64 x = bs_rng_next (&a);

      g_assert_cmphex (x, ==, bs_rng_next (&b));
      g_assert_cmphex (x, !=, bs_rng_next (&c));
    }
}

static void
test_rng_below_uniform (void)
{
  BsRng rng;
  guint counts[7] = { 0 };
  const guint n = 70000;

  bs_rng_init (&rng, 7);
  for (guint i = 0; i < n; i++)
    {
      guint32 v = bs_rng_below (&rng, 7);

      g_assert_cmpuint (v, <, 7);
      counts[v]++;
    }
  /* Each bin expects 10000 with standard deviation ~93: 6 sigma. */
  for (guint i = 0; i < 7; i++)
    g_assert_cmpint (ABS ((gint) counts[i] - 10000), <, 560);
}

static void
test_rng_normal_moments (void)
{
  BsRng rng;
  double sum = 0, sum2 = 0;
  const int n = 200000;

  bs_rng_init (&rng, 1);
  for (int i = 0; i < n; i++)
    {
      double x = bs_rng_normal (&rng);

      g_assert_true (isfinite (x));
      sum += x;
      sum2 += x * x;
    }
  g_assert_cmpfloat (fabs (sum / n), <, 0.01);
  g_assert_cmpfloat (fabs (sum2 / n - 1.0), <, 0.02);
}

static void
test_rng_shuffle_is_permutation (void)
{
  BsRng rng;
  guint32 items[1000];
  gboolean seen[1000] = { FALSE };
  guint moved = 0;

  for (guint i = 0; i < 1000; i++)
    items[i] = i;
  bs_rng_init (&rng, 3);
  bs_rng_shuffle (&rng, items, 1000);
  for (guint i = 0; i < 1000; i++)
    {
      g_assert_cmpuint (items[i], <, 1000);
      g_assert_false (seen[items[i]]);
      seen[items[i]] = TRUE;
      moved += items[i] != i;
    }
  g_assert_cmpuint (moved, >, 900);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rng/reference", test_rng_reference);
  g_test_add_func ("/rng/deterministic", test_rng_deterministic);
  g_test_add_func ("/rng/below-uniform", test_rng_below_uniform);
  g_test_add_func ("/rng/normal-moments", test_rng_normal_moments);
  g_test_add_func ("/rng/shuffle-is-permutation", test_rng_shuffle_is_permutation);
  return g_test_run ();
}
