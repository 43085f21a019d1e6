/* test-rng.c: the deterministic generator behind every random choice. */
#include <math.h>
#include <string.h>

#include "bs-rng.h"

/* Reference values. The authors' public-domain reference code (Blackman and
 * Vigna, xoshiro256starstar.c and splitmix64.c from prng.di.unimi.it) was
 * compiled unchanged, outside this repository, with the states below, and
 * these are its outputs. The first ten from the state {1, 2, 3, 4} and the
 * splitmix64 outputs from 0 and from 1477776061723855037 are also the
 * published test vectors (Rust's rand_xoshiro, "produced with the reference
 * implementation"). BsRng's state is its public field s, which the reference
 * code calls s as well, in the same order. */

/* xoshiro256** from a state set directly: every output and the state it leaves. */
static void
test_rng_xoshiro_reference (void)
{
  static const guint64 from_1234[10] = {
    11520ull, 0ull, 1509978240ull, 1215971899390074240ull, 1216172134540287360ull,
    607988272756665600ull, 16172922978634559625ull, 8476171486693032832ull,
    10595114339597558777ull, 2904607092377533576ull,
  };
  /* A state with bits set in every position, to exercise the rotations. */
  static const guint64 mixed_state[4] = {
    0x0123456789abcdefull, 0xfedcba9876543210ull, 0x0f1e2d3c4b5a6978ull, 0x8796a5b4c3d2e1f0ull,
  };
  static const guint64 from_mixed[8] = {
    0x6666666666666c65ull, 0xd90633608dbae0aaull, 0x3198d392d660bce0ull, 0x5a49a1c67304ca22ull,
    0x5f78a398f0b24a01ull, 0x5432b677801d1eaaull, 0x5bd2b1af690fbb72ull, 0x2519d0637595f2f3ull,
  };
  static const guint64 mixed_after_8[4] = {
    0xfb6ed2509e97edfdull, 0x5b477f8d0ad94ce0ull, 0x8ebe1725f5f7e914ull, 0xee45b3e71e1d6b55ull,
  };
  BsRng rng = { { 1, 2, 3, 4 } };
  guint64 last = 0;

  for (guint i = 0; i < G_N_ELEMENTS (from_1234); i++)
    g_assert_cmpuint (bs_rng_next (&rng), ==, from_1234[i]);

  memcpy (rng.s, mixed_state, sizeof rng.s);
  for (guint i = 0; i < G_N_ELEMENTS (from_mixed); i++)
    g_assert_cmphex (bs_rng_next (&rng), ==, from_mixed[i]);
  for (guint i = 0; i < 4; i++)
    g_assert_cmphex (rng.s[i], ==, mixed_after_8[i]);

  /* Far along the sequence: output number 1,000,000 from {1, 2, 3, 4}. */
  rng = (BsRng) { { 1, 2, 3, 4 } };
  for (guint i = 0; i < 1000000; i++)
    last = bs_rng_next (&rng);
  g_assert_cmphex (last, ==, 0xa1e003a4c7ee3326ull);
}

/* bs_rng_init (seed) fills s[0..3] with the first four outputs of
 * splitmix64 started from the state seed (the authors' suggested seeding). */
static void
test_rng_splitmix64_seeding (void)
{
  static const struct {
    guint64 seed;
    guint64 s[4];
  } cases[] = {
    { 0, { 0xe220a8397b1dcdafull, 0x6e789e6aa1b965f4ull, 0x06c45d188009454full, 0xf88bb8a8724c81ecull } },
    { 1477776061723855037ull, { 1985237415132408290ull, 2979275885539914483ull,
                                13511426838097143398ull, 8488337342461049707ull } },
    { 42, { 0xbdd732262feb6e95ull, 0x28efe333b266f103ull, 0x47526757130f9f52ull, 0x581ce1ff0e4ae394ull } },
  };
  /* The reference xoshiro256** from the state splitmix64 (0) gives. */
  static const guint64 from_seed_0[6] = {
    0x99ec5f36cb75f2b4ull, 0xbf6e1f784956452aull, 0x1a5f849d4933e6e0ull,
    0x6aa594f1262d2d2cull, 0xbba5ad4a1f842e59ull, 0xffef8375d9ebcacaull,
  };
  BsRng rng, direct;

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      bs_rng_init (&rng, cases[c].seed);
      for (guint i = 0; i < 4; i++)
        g_assert_cmphex (rng.s[i], ==, cases[c].s[i]);
    }

  bs_rng_init (&rng, 0);
  for (guint i = 0; i < G_N_ELEMENTS (from_seed_0); i++)
    g_assert_cmphex (bs_rng_next (&rng), ==, from_seed_0[i]);

  /* A stream is the seed mixed with the first splitmix64 output of the
   * stream number: stream 0 with 0xe220a8397b1dcdaf, stream 1 with the first
   * output from state 1. This fixes every epoch's shuffle for good. */
  bs_rng_init_stream (&rng, 5, 0);
  bs_rng_init (&direct, 5 ^ 0xe220a8397b1dcdafull);
  g_assert_cmpmem (rng.s, sizeof rng.s, direct.s, sizeof direct.s);
  bs_rng_init_stream (&rng, 5, 1);
  bs_rng_init (&direct, 5 ^ 0x910a2dec89025cc1ull);
  g_assert_cmpmem (rng.s, sizeof rng.s, direct.s, sizeof direct.s);
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
  g_test_add_func ("/rng/xoshiro256starstar-reference", test_rng_xoshiro_reference);
  g_test_add_func ("/rng/splitmix64-seeding", test_rng_splitmix64_seeding);
  g_test_add_func ("/rng/deterministic", test_rng_deterministic);
  g_test_add_func ("/rng/below-uniform", test_rng_below_uniform);
  g_test_add_func ("/rng/normal-moments", test_rng_normal_moments);
  g_test_add_func ("/rng/shuffle-is-permutation", test_rng_shuffle_is_permutation);
  return g_test_run ();
}
