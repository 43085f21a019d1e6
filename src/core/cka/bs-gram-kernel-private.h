/* bs-gram-kernel-private.h: what the Gram kernel sets share (see bs-gram-kernel.c).
 *
 * A kernel set is a packer, a tile, a diagonal tile and the order in which
 * a packed block's tiles run; bs-gram-kernel.c has the portable and AVX2
 * sets and the driver, bs-gram-kernel-avx512.c the AVX-512 set. Every set
 * computes each entry of a block as the same chain of fused multiply-adds
 * over the block's features in order, so the AVX2 and AVX-512 sets give
 * the same bits. */
#pragma once

#include <glib.h>
#include <string.h>

#include "bs-gram-kernel.h"

#define KC 256   /* features per packed block: a panel of 16 x KC floats is 16 KB */
#define MR 16    /* rows per tile (examples per panel) */
#define NR 6     /* columns per tile; each panel's 16 columns take tiles of 6, 6 and 4 */
#define NR_LAST 4

/* A piece of one channel inside the packed block. */
typedef struct {
  gsize c;
  gsize s0;
  guint len;
  guint k0;
} Segment;

typedef struct _Job Job;
typedef struct _Lookahead Lookahead;

typedef void (*PackFunc) (const Job *job, const Segment *segs, guint n_segs);
/* One 16 x nr tile (rows of panel g, columns j0..j0+nr-1, nr = 6 or 4) over
 * features [k0, k0 + len) of the block; seg gives the weights (NULL: unweighted). */
typedef void (*TileFunc) (const Job *job, const Segment *seg, guint k0, guint len, guint g, guint j0,
                          guint nr);
/* The upper triangle of the diagonal block of panel p. */
typedef void (*DiagFunc) (const Job *job, const Segment *seg, guint k0, guint len, guint p);
/* Every tile of a packed block of kc features; fetches the next block's
 * rows into the cache on the way (next). */
typedef void (*BlockFunc) (const Job *job, const Segment *segs, guint n_segs, guint kc, Lookahead *next);

struct _Job {
  const float        *act;
  guint               n;
  gsize               spatial;
  gsize               ld;
  guint               n_outputs;
  const float *const *weights;
  float *const       *out;
  float              *pack;
  gboolean            overwrite;    /* the outputs hold nothing yet: store, do not add */
  gboolean            zeros_packed; /* rows n..ld-1 of the panels are zero from the first block */
  /* The kernels the engine configuration chose. */
  PackFunc            pack_block;
  TileFunc            run_tile;
  DiagFunc            run_diag;
  BlockFunc           run_block;
  guint               steps;        /* calls of fetch_ahead () per block */
};

static inline float *
panel (const Job *job,
       gsize      row)
{
  return job->pack + (row / MR) * KC * MR + row % MR;
}

/* Weight of output o for segment s. */
static inline float
segment_weight (const Job     *job,
                const Segment *seg,
                guint          o)
{
  return job->weights[o] != NULL ? job->weights[o][seg->c] : 1.0f;
}

static inline gboolean
unweighted (const Job *job)
{
  return job->n_outputs == 1 && job->weights[0] == NULL;
}

/* Prefetches of the next block's input, spread over the tiles of this one.
 * A segment that is a whole channel is one contiguous region (n x spatial
 * floats); otherwise each example's piece is a region of its own. */
struct _Lookahead {
  const float   *act;
  guint          n;
  gsize          spatial;
  const Segment *segs;
  guint          n_segs;
  guint          seg;      /* the next region to fetch: segment ... */
  guint          row;      /* ... example (for pieces of channels) ... */
  gsize          offset;   /* ... and bytes into it */
  gsize          per_step; /* cache lines per call of fetch_ahead () */
};

static inline gboolean
lookahead_whole_channel (const Lookahead *la,
                         const Segment   *seg)
{
  return seg->len == la->spatial;
}

static inline gsize
lookahead_region_bytes (const Lookahead *la,
                        const Segment   *seg)
{
  return (lookahead_whole_channel (la, seg) ? (gsize) la->n * la->spatial : seg->len) * sizeof (float);
}

/* Spreads the prefetches of the next block over job->steps calls of fetch_ahead (). */
static inline void
lookahead_init (Lookahead     *la,
                const Job     *job,
                const Segment *segs,
                guint          n_segs)
{
  guint steps = MAX (job->steps, 1);
  gsize lines = 0;

  *la = (Lookahead) { job->act, job->n, job->spatial, segs, n_segs, 0, 0, 0, 0 };
  for (guint s = 0; s < n_segs; s++)
    lines += (lookahead_region_bytes (la, &segs[s]) + 63) / 64 *
             (lookahead_whole_channel (la, &segs[s]) ? 1 : job->n);
  la->per_step = (lines + steps - 1) / steps;
}

static inline void
fetch_ahead (Lookahead *la)
{
  gsize budget = la->per_step;

  while (budget > 0 && la->seg < la->n_segs)
    {
      const Segment *seg = &la->segs[la->seg];
      gboolean whole = lookahead_whole_channel (la, seg);
      const char *start = (const char *) (la->act + seg->c * la->n * la->spatial +
                                          (whole ? 0 : la->row * la->spatial + seg->s0));
      gsize bytes = lookahead_region_bytes (la, seg);

      for (; budget > 0 && la->offset < bytes; budget--, la->offset += 64)
        __builtin_prefetch (start + la->offset, 0, 3);
      if (la->offset >= bytes)
        {
          __builtin_prefetch (start + bytes - 1, 0, 3);
          la->offset = 0;
          if (whole || ++la->row == la->n)
            {
              la->row = 0;
              la->seg++;
            }
        }
    }
}

/* Shared by the kernel sets. */
void bs_gram_pack_rows_generic (const Job *job, const Segment *seg, gsize r0, guint k_begin);
void bs_gram_pack_avx2         (const Job *job, const Segment *segs, guint n_segs);

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define BS_GRAM_HAVE_AVX512_KERNELS 1
/* Chooses the AVX-512 set for job. */
void bs_gram_kernel_use_avx512 (Job *job);
#endif
