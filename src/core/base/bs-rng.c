/* bs-rng.c: xoshiro256** (Blackman and Vigna, public domain) seeded by splitmix64. */
#include "bs-rng.h"

#include <math.h>

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += 0x9e3779b97f4a7c15ull);

  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void
bs_rng_init (BsRng   *rng,
             guint64  seed)
{
  guint64 state = seed;

  for (int i = 0; i < 4; i++)
    rng->s[i] = splitmix64 (&state);
}

void
bs_rng_init_stream (BsRng   *rng,
                    guint64  seed,
                    guint64  stream)
{
  guint64 state = stream;

  /* Mix the stream number before combining so that (seed, stream) pairs
   * that differ in one bit give unrelated sequences. */
  bs_rng_init (rng, seed ^ splitmix64 (&state));
}

static inline guint64
rotl (guint64 x,
      int     k)
{
  return (x << k) | (x >> (64 - k));
}

guint64
bs_rng_next (BsRng *rng)
{
  guint64 *s = rng->s;
  guint64 result = rotl (s[1] * 5, 7) * 9;
  guint64 t = s[1] << 17;

  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl (s[3], 45);

  return result;
}

guint32
bs_rng_below (BsRng   *rng,
              guint32  bound)
{
  /* Lemire's multiply-and-reject method. */
  guint64 m = (guint64) (guint32) (bs_rng_next (rng) >> 32) * bound;
  guint32 low = (guint32) m;

  if (low < bound)
    {
      guint32 threshold = -bound % bound;

      while (low < threshold)
        {
          m = (guint64) (guint32) (bs_rng_next (rng) >> 32) * bound;
          low = (guint32) m;
        }
    }

  return (guint32) (m >> 32);
}

double
bs_rng_uniform (BsRng *rng)
{
  return (bs_rng_next (rng) >> 11) * 0x1.0p-53;
}

double
bs_rng_normal (BsRng *rng)
{
  double u1 = 1.0 - bs_rng_uniform (rng); /* (0, 1]: log is finite */
  double u2 = bs_rng_uniform (rng);

  return sqrt (-2.0 * log (u1)) * cos (2.0 * G_PI * u2);
}

void
bs_rng_shuffle (BsRng   *rng,
                guint32 *items,
                gsize    n)
{
  for (gsize i = n; i > 1; i--)
    {
      guint32 j = bs_rng_below (rng, (guint32) i);
      guint32 tmp = items[i - 1];

      items[i - 1] = items[j];
      items[j] = tmp;
    }
}
