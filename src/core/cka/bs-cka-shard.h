/* bs-cka-shard.h: a CKA job cut into shards that run anywhere and merge to the same bits.
 *
 * Shard K of N of a protocol computes the minibatches whose index (pass *
 * minibatches per pass + minibatch, in the protocol's own shuffled order)
 * is K modulo N, and keeps for each what it adds to the sums
 * (BsCkaMinibatchTerms: every cell's HSIC(K, L), every layer's HSIC(K, K),
 * trace and finiteness). Merging replays the minibatches of all shards in
 * index order into one accumulator, which adds exactly the doubles a
 * single run adds in exactly its order: the merged matrix and standard
 * errors are bit-identical to one machine's, whatever N and whatever the
 * order the shards come in.
 *
 * A shard file (.bscka) is safetensors, written atomically:
 *   metadata  format "blockscope-cka-shard", format_version "1",
 *             shard, shards (K and N), symmetric ("true" when model B is A),
 *             images_sha256 (the test images used, pixels then labels),
 *             run: the JSON that bs_cka_export_json () writes for the run
 *             (header_only: layers, specs, data, protocol; no values),
 *             which every shard of one run has to the byte;
 *             passes, seed, init_seed_a, init_seed_b, layers, dataset,
 *             examples_per_pass: the options, to write the merged result
 *             as the single run would;
 *   tensors   index I64 [k]; xy F64 [k, rows, cols]; self_a, trace_a, bad_a
 *             F64 [k, rows]; self_b, trace_b, bad_b F64 [k, cols] (bad: 1
 *             where a layer's activations were not finite).
 * Reading checks all of it as a hostile file's. */
#pragma once

#include <glib.h>

#include "bs-cka-accumulator.h"
#include "bs-cka-job.h"
#include "bs-cka-snapshot.h"
#include "bs-dataset-types.h"

G_BEGIN_DECLS

#define BS_CKA_SHARD_FORMAT_VERSION 1

typedef struct _BsCkaShard BsCkaShard;

/* A shard of the run that header and options describe (dataset: its name;
 * n_examples: test images per pass), with no minibatch yet. */
BsCkaShard    *bs_cka_shard_new          (const BsCkaSnapshotHeader *header,
                                          const BsCkaJobOptions     *options,
                                          gboolean                   symmetric,
                                          const char                *dataset,
                                          guint                      n_examples,
                                          const char                *images_sha256,
                                          guint                      shard,
                                          guint                      n_shards);
void           bs_cka_shard_free         (BsCkaShard                *shard);

/* The SHA-256 (hex) of the first n images of set: their pixels, then their labels. */
char          *bs_cka_shard_hash_images  (const BsImageSet          *set,
                                          guint                      n);

/* Whether minibatch index (over the whole protocol) is this shard's. */
gboolean       bs_cka_shard_owns         (guint                      shard,
                                          guint                      n_shards,
                                          guint64                    index);

void           bs_cka_shard_add          (BsCkaShard                *shard,
                                          guint64                    index,
                                          const BsCkaMinibatchTerms *terms);

guint          bs_cka_shard_get_index    (const BsCkaShard          *shard);
guint          bs_cka_shard_get_n_shards (const BsCkaShard          *shard);
guint          bs_cka_shard_get_n_minibatches (const BsCkaShard     *shard);
const char    *bs_cka_shard_get_path     (const BsCkaShard          *shard);

gboolean       bs_cka_shard_save         (const BsCkaShard          *shard,
                                          const char                *path,
                                          GError                   **error);
BsCkaShard    *bs_cka_shard_load         (const char                *path,
                                          GError                   **error);

/* The job options and export information the shards' run had (strings
 * borrowed from the shard), for writing the merged result as `cka` would. */
void           bs_cka_shard_get_options  (const BsCkaShard          *shard,
                                          BsCkaJobOptions           *options,
                                          const char               **dataset,
                                          guint                     *n_examples);

/* Merges n shards of one run (the same run JSON, data, shard count; no
 * shard twice) into the run's result. A missing shard is an error naming
 * it unless partial; *missing (may be NULL) gets how many are missing. */
BsCkaSnapshot *bs_cka_shards_merge       (BsCkaShard *const         *shards,
                                          guint                      n,
                                          gboolean                   partial,
                                          guint                     *missing,
                                          GError                   **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsCkaShard, bs_cka_shard_free)

G_END_DECLS
