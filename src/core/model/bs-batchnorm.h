/* bs-batchnorm.h: 2-D batch normalisation with PyTorch's semantics.
 *
 * Tensors are channel-major (x[C][n] with n = batch * height * width), so
 * every statistic is a sum over one contiguous row. Training normalises with
 * the biased batch variance and stores the unbiased one in running_var:
 *   running = (1 - momentum) * running + momentum * batch_statistic.
 * Sums are accumulated in double (as PyTorch's CPU kernel does).
 *
 * The forward and backward passes are split into reductions and per-element
 * "apply" steps so that the model can fuse them with neighbouring layers; the
 * row kernels work on any column sub-range. */
#pragma once

#include <glib.h>

#include "bs-thread-pool.h"

G_BEGIN_DECLS

#define BS_BN_EPS      1e-5
#define BS_BN_MOMENTUM 0.1

/* Row kernels (one channel, or a piece of one). Sums are added to *sum etc. */
void bs_bn_row_sums          (const float *x,
                              gsize        n,
                              double      *sum,
                              double      *sumsq);
/* y = max?(x * scale + shift); y may be x. With add, y = x * scale + shift + add[i]. */
void bs_bn_row_apply         (const float *x,
                              gsize        n,
                              float        scale,
                              float        shift,
                              const float *add,
                              gboolean     relu,
                              float       *y);
/* Both y = x * scale + shift (+ add[i] with add) and y_relu = max (y, 0), in
 * one pass: for a tapped result that also feeds a ReLU. */
void bs_bn_row_apply_and_relu (const float *x,
                               gsize        n,
                               float        scale,
                               float        shift,
                               const float *add,
                               float       *y,
                               float       *y_relu);
/* Backward sums: sum_dy += dy, sum_dy_xmu += dy * (x - mean). When relu_out
 * is not NULL, dy is first masked in place by relu_out > 0 (the ReLU that
 * followed this BN, or the add's ReLU). */
void bs_bn_row_backward_sums (float       *dy,
                              const float *relu_out,
                              const float *x,
                              gsize        n,
                              float        mean,
                              double      *sum_dy,
                              double      *sum_dy_xmu);
/* dx = k1 * dy + k2 * x + k3; dx may be dy. */
void bs_bn_row_backward_apply (const float *dy,
                               const float *x,
                               gsize        n,
                               float        k1,
                               float        k2,
                               float        k3,
                               float       *dx);

/* From batch sums over count elements per channel: mean, 1/sqrt(var + eps),
 * the affine coefficients (scale = gamma * invstd, shift = beta - mean * scale)
 * and the running statistics update. */
void bs_bn_finish_stats      (guint        channels,
                              gsize        count,
                              const double *sum,
                              const double *sumsq,
                              const float *gamma,
                              const float *beta,
                              float       *running_mean,
                              float       *running_var,
                              float       *mean,
                              float       *invstd,
                              float       *scale,
                              float       *shift);
/* Evaluation mode coefficients from running statistics. */
void bs_bn_eval_coeffs       (guint        channels,
                              const float *gamma,
                              const float *beta,
                              const float *running_mean,
                              const float *running_var,
                              float       *scale,
                              float       *shift);
/* From backward sums: dgamma, dbeta (overwritten) and the per-channel k1, k2, k3. */
void bs_bn_finish_backward   (guint         channels,
                              gsize         count,
                              const double *sum_dy,
                              const double *sum_dy_xmu,
                              const float  *gamma,
                              const float  *mean,
                              const float  *invstd,
                              float        *dgamma,
                              float        *dbeta,
                              float        *k1,
                              float        *k2,
                              float        *k3);

/* Whole-tensor versions, threaded over channels. n = elements per channel. */
void bs_bn_sums              (BsThreadPool *pool,
                              guint         channels,
                              gsize         n,
                              const float  *x,
                              double       *sum,
                              double       *sumsq);
void bs_bn_apply             (BsThreadPool *pool,
                              guint         channels,
                              gsize         n,
                              const float  *x,
                              const float  *scale,
                              const float  *shift,
                              const float  *add,
                              gboolean      relu,
                              float        *y);
void bs_bn_backward_sums     (BsThreadPool *pool,
                              guint         channels,
                              gsize         n,
                              float        *dy,
                              const float  *relu_out,
                              const float  *x,
                              const float  *mean,
                              double       *sum_dy,
                              double       *sum_dy_xmu);
void bs_bn_backward_apply    (BsThreadPool *pool,
                              guint         channels,
                              gsize         n,
                              const float  *dy,
                              const float  *x,
                              const float  *k1,
                              const float  *k2,
                              const float  *k3,
                              float        *dx);

/* Per-thread partial sums, for row kernels run inside another operation's
 * chunk loop (a convolution's): each thread adds into its own sum and sum of
 * squares per channel (sums[c] and sums[channels + c], in the pool's
 * BS_SCRATCH_STATS), and merge adds them up in thread order, so the result
 * does not depend on timing. */
void    bs_bn_partial_sums_clear (BsThreadPool *pool,
                                  guint         channels);
double *bs_bn_partial_sums       (BsThreadPool *pool,
                                  guint         thread,
                                  guint         channels);
void    bs_bn_partial_sums_merge (BsThreadPool *pool,
                                  guint         channels,
                                  double       *sum,
                                  double       *sumsq);

G_END_DECLS
