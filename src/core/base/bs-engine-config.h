/* bs-engine-config.h: how the engine runs: threads, kernels and tuning knobs.
 *
 * Every job (a CKA computation, a training run, an evaluation) runs on a
 * thread pool of its own, made from an engine configuration
 * (bs_thread_pool_new_for_config()); every kernel reads its choices from
 * the pool it runs on. Nothing in the engine reads the environment or keeps
 * a choice in a global, so two jobs with different configurations can run
 * in one process at the same time, and tests pick kernels without touching
 * the environment. The front ends read the environment once, at start-up
 * (bs_engine_config_init_from_environment()). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  /* Threads of a job: the caller and threads - 1 workers (>= 1). */
  guint    threads;
  /* Portable convolution kernels even where the AVX2 + FMA ones run
   * (BS_CONV_GENERIC); Winograd convolutions then do not run either. */
  gboolean portable_conv;
  /* Winograd convolutions in evaluation (off: BS_CONV_NO_WINOGRAD). */
  gboolean winograd;
  /* The largest Winograd output tile: 4 (F(4x4, 3x3) where it fits, else
   * F(2x2, 3x3)) or 2 (F(2x2, 3x3) only). */
  guint    winograd_max_tile;
  /* Bytes of input and output a convolution chunk aims at (BS_CONV_CHUNK_KB);
   * 0: the default, about the L2 size of current x86 cores. */
  gsize    conv_chunk_bytes;
  /* The portable Gram kernel even where the AVX2 + FMA one runs (BS_GRAM_GENERIC). */
  gboolean portable_gram;
  /* The AVX2 kernels even where AVX-512 ones run (BS_NO_AVX512; for comparisons). */
  gboolean no_avx512;
  /* Columns per chunk of a Gram of row-major input (.npy files); 0: the default. */
  gsize    gram_chunk_columns;
  /* Form the Gram of a batch norm after a convolution from its own output
   * instead of from the convolution's per-channel Grams
   * (BLOCKSCOPE_CKA_DIRECT_GRAMS; for comparisons). */
  gboolean cka_direct_grams;
} BsEngineConfig;

/* The defaults: as many threads as processors, the fastest kernels this CPU runs. */
void                  bs_engine_config_init                  (BsEngineConfig *config);
/* The defaults changed by the environment: BLOCKSCOPE_THREADS (else the
 * thread count OpenBLAS was started with, which follows OPENBLAS_NUM_THREADS
 * and OMP_NUM_THREADS), BS_CONV_GENERIC, BS_CONV_NO_WINOGRAD, BS_CONV_CHUNK_KB,
 * BS_GRAM_GENERIC, BS_NO_AVX512, BLOCKSCOPE_CKA_DIRECT_GRAMS. For main(), before threads start. */
void                  bs_engine_config_init_from_environment (BsEngineConfig *config);
/* The defaults (bs_engine_config_init()), for pools that were given no configuration. */
const BsEngineConfig *bs_engine_config_get_default           (void);

/* Whether the AVX2 + FMA convolution and Gram kernels run with config on this
 * CPU (FALSE where the build or the CPU lacks them). */
gboolean              bs_engine_config_conv_avx2             (const BsEngineConfig *config);
gboolean              bs_engine_config_gram_avx2             (const BsEngineConfig *config);
/* Whether the AVX-512 Gram kernels run (they replace the AVX2 ones, with the same results). */
gboolean              bs_engine_config_gram_avx512           (const BsEngineConfig *config);
/* Whether the AVX-512 convolution kernels run (they replace the AVX2 ones
 * where this CPU has AVX-512F and BS_NO_AVX512 is unset). */
gboolean              bs_engine_config_conv_avx512           (const BsEngineConfig *config);
/* Whether Winograd convolutions run at all (they need the AVX2 kernels). */
gboolean              bs_engine_config_winograd              (const BsEngineConfig *config);

G_END_DECLS
