/* bs-cka-simd.h: AVX2 clones of the CKA code's element-wise loops.
 *
 * Like bs-simd.h, but dispatching on the x86-64-v3 feature level (AVX2, FMA,
 * BMI2) rather than "arch=haswell": GCC selects an "arch=" clone with
 * __builtin_cpu_is, so a haswell clone never runs on AMD CPUs (checked on
 * this project's AMD EPYC machines, where it fell back to SSE2). */
#pragma once

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) && \
    !defined(BS_NO_SIMD_CLONES)
#define BS_CKA_SIMD_CLONES __attribute__((target_clones ("arch=x86-64-v3", "default")))
#else
#define BS_CKA_SIMD_CLONES
#endif
