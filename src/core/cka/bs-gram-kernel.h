/* bs-gram-kernel.h: the Gram product itself, K = X X^T for a range of features.
 *
 * OpenBLAS's ssyrk reaches about 55 % of this CPU's FMA peak on the
 * 256 x 16384 products of CKA and needs a shifted copy of the data first.
 * This kernel packs 16 examples at a time straight from the engine's
 * channel-major activations (shifting by the first example on the way, see
 * bs-gram.h) and runs 16 x 6 and 16 x 4 register tiles (8 x 8 on the
 * diagonal) over blocks of 256 features, at about 85-90 % of peak; with
 * AVX-512, 32 x 8 tiles (bs-gram-kernel-avx512.c), with the same results.
 *
 * It can also form several weighted sums of the per-channel Grams in the
 * same pass: out_o += sum_c w_o[c] G_c. With w = 1 and w = a_c^2 that is
 * the Gram of a convolution and of the batch norm after it for the price of
 * one (bs_gram_from_cnhw_affine() in bs-gram.h).
 *
 * Outputs are padded float matrices of ld x ld (bs_gram_kernel_ld()), stored
 * "by column": out[j * ld + i] holds K(i, j) for i <= j < n; other entries
 * are scratch. Float sums run over at most 256 features before they are
 * added to the output. */
#pragma once

#include <glib.h>

#include "bs-engine-config.h"

G_BEGIN_DECLS

#define BS_GRAM_KERNEL_MAX_OUTPUTS 2

/* Leading dimension of the outputs for n examples (n rounded up to 16). */
gsize    bs_gram_kernel_ld          (guint n);

/* Floats of packing scratch one call needs (one per thread). */
gsize    bs_gram_kernel_pack_floats (guint n);

/* Adds to out[o] (o < n_outputs) the weighted Grams of features
 * [f_begin, f_end) of act, feature f being channel f / spatial at position
 * f % spatial (element (c, i, s) at (c * n + i) * spatial + s),
 * each feature shifted by example 0's value; with overwrite, stores them
 * instead (out need not be initialised). config chooses the kernels. weights[o] is NULL (weight 1)
 * or one float per channel of act. pack: bs_gram_kernel_pack_floats(n)
 * floats, 64-byte aligned. */
void     bs_gram_kernel_cnhw        (const BsEngineConfig *config,
                                     const float          *act,
                                     guint                 n,
                                     gsize                 spatial,
                                     gsize                 f_begin,
                                     gsize                 f_end,
                                     guint                 n_outputs,
                                     const float *const   *weights,
                                     float *const         *out,
                                     float                *pack,
                                     gboolean              overwrite);

G_END_DECLS
