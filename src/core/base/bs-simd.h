/* bs-simd.h: compile hot element-wise loops for AVX2 as well as the baseline.
 *
 * The project builds for generic x86-64 (SSE2). Functions marked
 * BS_SIMD_CLONES get a second, AVX2+FMA version that the dynamic loader
 * selects on CPUs that have it. (x86-64-v3 is checked by features; an
 * "arch=haswell" clone would be chosen by CPU model and never run on AMD.) Both versions compute the same expressions;
 * only the vector width (and FMA contraction) differs, and a given machine
 * always runs the same version, so results stay reproducible there. */
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(BS_NO_SIMD_CLONES)
#define BS_SIMD_CLONES __attribute__((target_clones ("arch=x86-64-v3", "default")))
#else
#define BS_SIMD_CLONES
#endif

#include <glib.h>

/* Whether this CPU can run the hand-written AVX2 + FMA kernels (the
 * convolutions, the Gram kernel). */
static inline gboolean
bs_cpu_has_avx2_fma (void)
{
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma");
#else
  return FALSE;
#endif
}

/* Whether this CPU can run the AVX-512 kernels (AVX-512F). */
static inline gboolean
bs_cpu_has_avx512 (void)
{
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  __builtin_cpu_init ();
  return __builtin_cpu_supports ("avx512f");
#else
  return FALSE;
#endif
}
