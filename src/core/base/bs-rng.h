/* bs-rng.h: a small, fast, deterministic random number generator.
 *
 * xoshiro256** seeded through splitmix64. Every random decision in Blockscope
 * (initialisation, shuffling, augmentation, synthetic images) goes through it
 * so that one seed gives bit-identical results on every machine. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  guint64 s[4];
} BsRng;

void    bs_rng_init        (BsRng   *rng,
                            guint64  seed);
/* An independent stream derived from a seed and a stream number (e.g. the epoch). */
void    bs_rng_init_stream (BsRng   *rng,
                            guint64  seed,
                            guint64  stream);
guint64 bs_rng_next        (BsRng   *rng);
/* Uniform in [0, bound), without modulo bias. bound must be > 0. */
guint32 bs_rng_below       (BsRng   *rng,
                            guint32  bound);
/* Uniform in [0, 1). */
double  bs_rng_uniform     (BsRng   *rng);
/* Standard normal (Box-Muller; deterministic, not the fastest). */
double  bs_rng_normal      (BsRng   *rng);
/* Fisher-Yates shuffle of n indices. */
void    bs_rng_shuffle     (BsRng   *rng,
                            guint32 *items,
                            gsize    n);

G_END_DECLS
