/* bs-gram.h: Gram matrices of layer activations and their centrings, for CKA.
 *
 * The Gram K = X X^T of n examples (rows of X, p features each) costs n^2 p
 * and dominates CKA. It is formed in float32: tapped activations by the
 * packed kernel of bs-gram-kernel.h (float sums of at most 256 products,
 * then added up), row-major input by BLAS ssyrk on chunks of columns. Each
 * feature is first shifted: by the first example's value for tapped
 * activations (done while packing), by the mean over the n examples for
 * row-major input.
 * The U-centring and the H-centring used by CKA are blind to any shift
 * common to all examples (they remove every term of the form a_i + a_j
 * from K), but it keeps float32 from losing the small differences between
 * examples under a large common mean, and it makes the Gram of a constant
 * layer exactly zero.
 *
 * The Gram comes back as a full, symmetric n x n matrix in double, which
 * bs_gram_u_centre() or bs_gram_h_centre() then centre in place, or, for the
 * CKA accumulator, as a triangle with the row sums both centrings need
 * (BsGramTriangle: half the memory traffic, no pass to mirror or sum). */
#pragma once

#include <glib.h>

#include "bs-thread-pool.h"

G_BEGIN_DECLS

typedef struct _BsGramWorkspace BsGramWorkspace;

/* Scratch buffers (grown as needed) and n_threads threads (>= 1, the caller
 * being one of them) that share the work of every Gram. Each thread calls
 * BLAS itself: keep OpenBLAS single-threaded while they run (the CKA job
 * does), or the threads multiply. Results are the same for any number of
 * threads and any timing. A workspace is used by one caller at a time. */
BsGramWorkspace *bs_gram_workspace_new   (guint            n_threads);
/* The same on the threads of pool (a model's, see bs_model_set_pool()),
 * of which it takes a reference: pool must not run anything else while a
 * Gram runs. The pool's engine configuration chooses the kernels. */
BsGramWorkspace *bs_gram_workspace_new_for_pool (BsThreadPool   *pool);
void             bs_gram_workspace_free  (BsGramWorkspace *ws);
/* Allocates the buffers Grams of n examples need, so that running out of
 * memory is a clear error up front: FALSE when they cannot be had. */
gboolean         bs_gram_workspace_reserve (BsGramWorkspace *ws,
                                            guint            n);
/* The bytes bs_gram_workspace_reserve() allocates. */
guint64          bs_gram_workspace_bytes   (guint            n);

/* Activations as the engine's taps see them: channel-major with the batch
 * inside, element (c, i, s) at (c * n + i) * spatial + s, where spatial is
 * height * width; example i is the row of features (c, s), c-major.
 * Returns FALSE when an activation is NaN or infinite, or the Gram
 * overflows float32 (gram is then undefined). */
gboolean         bs_gram_from_cnhw       (BsGramWorkspace *ws,
                                          const float     *activation,
                                          guint            channels,
                                          guint            n,
                                          gsize            spatial,
                                          double          *gram);

/* The Grams of x (layout as bs_gram_from_cnhw) and of the batch norm after
 * it, y_c = scale_c x_c + b_c (scale: one float per channel), in one pass:
 * with G_c the Gram of channel c, K(x) = sum_c G_c and K(y) = sum_c scale_c^2 G_c
 * (the shift by the first example removes b_c exactly). In the paper's
 * ResNets a quarter to a third of all layer outputs are such batch norms.
 * Returns FALSE as above. */
gboolean         bs_gram_from_cnhw_affine (BsGramWorkspace *ws,
                                           const float     *x,
                                           guint            channels,
                                           guint            n,
                                           gsize            spatial,
                                           const float     *scale,
                                           double          *gram_x,
                                           double          *gram_y);
/* A symmetric Gram as its upper triangle with the diagonal, column by
 * column (K(i, j), i <= j, at upper[bs_gram_triangle_at (i, j)]), and the
 * sum of each row without its diagonal entry. */
typedef struct {
  double *upper;      /* bs_gram_triangle_size (n) */
  double *row_sums;   /* n */
} BsGramTriangle;

static inline gsize
bs_gram_triangle_size (guint n)
{
  return (gsize) n * ((gsize) n + 1) / 2;
}

/* Where K(i, j), i <= j, sits in a triangle's upper. */
static inline gsize
bs_gram_triangle_at (guint i,
                     guint j)
{
  return (gsize) j * ((gsize) j + 1) / 2 + i;
}

/* Doubles of storage that bs_gram_triangles_init() lays count triangles of
 * n examples over. */
static inline gsize
bs_gram_triangles_doubles (guint count,
                           guint n)
{
  return count * (bs_gram_triangle_size (n) + n);
}

/* Points tris[0 .. count - 1] into storage, one after the other. */
void             bs_gram_triangles_init      (BsGramTriangle  *tris,
                                              guint            count,
                                              guint            n,
                                              double          *storage);

/* The Grams of bs_gram_from_cnhw_affine() as triangles: tri_x always,
 * tri_y when scale is not NULL. Returns FALSE as above. */
gboolean         bs_gram_triangles_from_cnhw (BsGramWorkspace *ws,
                                              const float     *x,
                                              guint            channels,
                                              guint            n,
                                              gsize            spatial,
                                              const float     *scale,
                                              BsGramTriangle  *tri_x,
                                              BsGramTriangle  *tri_y);

/* Conversions between a full symmetric n x n Gram and a triangle. */
void             bs_gram_triangle_from_full (const double         *gram,
                                             guint                 n,
                                             const BsGramTriangle *tri);
void             bs_gram_triangle_to_full   (const BsGramTriangle *tri,
                                             guint                 n,
                                             double               *gram);

/* X row-major, n x p (one example per row), float32 or float64. The float64
 * form computes in double throughout (dsyrk). Returns FALSE as above. */
gboolean         bs_gram_from_rows_f32   (BsGramWorkspace *ws,
                                          const float     *x,
                                          guint            n,
                                          gsize            p,
                                          double          *gram);
gboolean         bs_gram_from_rows_f64   (BsGramWorkspace *ws,
                                          const double    *x,
                                          guint            n,
                                          gsize            p,
                                          double          *gram);
/* The same as triangles (bs_gram_triangles_init()), as the accumulator takes them. */
gboolean         bs_gram_triangle_from_rows_f32 (BsGramWorkspace      *ws,
                                                 const float          *x,
                                                 guint                 n,
                                                 gsize                 p,
                                                 const BsGramTriangle *tri);
gboolean         bs_gram_triangle_from_rows_f64 (BsGramWorkspace      *ws,
                                                 const double         *x,
                                                 guint                 n,
                                                 gsize                 p,
                                                 const BsGramTriangle *tri);

/* Szekely-Rizzo U-centring in place (n >= 4): zero the diagonal, subtract
 * row and column means taken over the off-diagonal entries as in the
 * official efficient_CKA.py, zero the diagonal again. Then
 * <U(K), U(L)>_F = n (n - 3) HSIC1(K, L), the unbiased HSIC of Song et al. 2012. */
void             bs_gram_u_centre        (double          *gram,
                                          guint            n);

/* Double centring H K H, H = I - 11^T / n, in place (n >= 2). Then
 * <HKH, HLH>_F / (n - 1)^2 is the biased HSIC of Kornblith et al. 2019. */
void             bs_gram_h_centre        (double          *gram,
                                          guint            n);

G_END_DECLS
