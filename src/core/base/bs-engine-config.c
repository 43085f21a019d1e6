/* bs-engine-config.c */
#include "bs-engine-config.h"

#include <stdlib.h>

#include "bs-blas.h"
#include "bs-simd.h"

void
bs_engine_config_init (BsEngineConfig *config)
{
  g_return_if_fail (config != NULL);

  *config = (BsEngineConfig) {
    .threads = MAX (g_get_num_processors (), 1),
    .portable_conv = FALSE,
    .winograd = TRUE,
    .winograd_max_tile = 4,
    .conv_chunk_bytes = 0,
    .portable_gram = FALSE,
    .gram_chunk_columns = 0,
    .cka_direct_grams = FALSE,
  };
}

/* A positive whole number from the environment, or 0. */
static guint64
env_count (const char *name)
{
  const char *text = g_getenv (name);
  guint64 value;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT32, &value, NULL))
    return 0;
  return value;
}

void
bs_engine_config_init_from_environment (BsEngineConfig *config)
{
  guint64 threads, chunk_kb;

  g_return_if_fail (config != NULL);

  bs_engine_config_init (config);

  if ((threads = env_count ("BLOCKSCOPE_THREADS")) > 0)
    config->threads = (guint) MIN (threads, 256);
  else if (bs_blas_get_info ()->threads > 0)
    config->threads = (guint) bs_blas_get_info ()->threads;

  config->portable_conv = g_getenv ("BS_CONV_GENERIC") != NULL;
  config->winograd = g_getenv ("BS_CONV_NO_WINOGRAD") == NULL;
  if ((chunk_kb = env_count ("BS_CONV_CHUNK_KB")) > 0)
    config->conv_chunk_bytes = (gsize) chunk_kb * 1024;
  config->portable_gram = g_getenv ("BS_GRAM_GENERIC") != NULL;
  config->no_avx512 = g_getenv ("BS_NO_AVX512") != NULL;
  config->cka_direct_grams = g_getenv ("BLOCKSCOPE_CKA_DIRECT_GRAMS") != NULL;
}

const BsEngineConfig *
bs_engine_config_get_default (void)
{
  static BsEngineConfig defaults;
  static gsize ready = 0;

  if (g_once_init_enter (&ready))
    {
      bs_engine_config_init (&defaults);
      g_once_init_leave (&ready, 1);
    }
  return &defaults;
}

gboolean
bs_engine_config_conv_avx2 (const BsEngineConfig *config)
{
  return !config->portable_conv && bs_cpu_has_avx2_fma ();
}

gboolean
bs_engine_config_gram_avx2 (const BsEngineConfig *config)
{
  return !config->portable_gram && bs_cpu_has_avx2_fma ();
}

gboolean
bs_engine_config_gram_avx512 (const BsEngineConfig *config)
{
  return bs_engine_config_gram_avx2 (config) && !config->no_avx512 && bs_cpu_has_avx512 ();
}

gboolean
bs_engine_config_conv_avx512 (const BsEngineConfig *config)
{
  return bs_engine_config_conv_avx2 (config) && !config->no_avx512 && bs_cpu_has_avx512 ();
}

gboolean
bs_engine_config_winograd (const BsEngineConfig *config)
{
  return config->winograd && bs_engine_config_conv_avx2 (config);
}
