/* bs-blocks.h: block structure, found in a CKA matrix of a network against itself.
 *
 * A "block" (Nguyen, Raghu and Kornblith 2021, section 4) is a contiguous
 * range of layers whose representations are all alike: a bright square on
 * the diagonal of the heatmap with a clear edge. This is the method, exactly;
 * it is deterministic and needs no random start.
 *
 * Input: an L x L matrix S (rows and columns the same L layers, in order).
 *
 * 1. Pairs. For layers i != j, the pair value p(i, j) is the mean of the
 *    finite ones of S[i][j] and S[j][i] (the unbiased estimator's matrix is
 *    symmetric up to rounding), undefined when neither is finite. The
 *    diagonal is not used. A layer whose diagonal cell S[i][i] is not finite
 *    (a constant layer, or one with NaN activations: its whole row is NaN)
 *    is *left out*: all its pairs are undefined, so it neither joins nor
 *    splits ranges, and it is not counted in the means below. Undefined
 *    pairs are simply not counted in the sums and means below.
 *
 * 2. Segmentation. Among all ways of cutting the layer sequence 0 .. L-1
 *    into contiguous ranges, choose the one that maximises
 *
 *        sum over ranges R of  sum over defined pairs i < j in R of (p(i, j) - t)
 *
 *    where t is the threshold. A pair above t rewards keeping its two layers
 *    in one range, a pair below it costs; single layers score 0. Dynamic
 *    programming over the split points finds the exact maximum in O(L^2)
 *    time and O(L) memory. Ties go to the segmentation whose last range is
 *    shortest, recursively from the end (a strict comparison, scanning range
 *    starts from the end backwards). Every range of the optimum has a
 *    non-negative sum (else cutting it into single layers would score more),
 *    so its inside mean is at least t. Left-out layers at either end of a
 *    range are then dropped from it (one inside a range stays: a constant
 *    layer in the middle of a block leaves the block whole).
 *
 * 3. Statistics of a range R = [first, last] of size s = last - first + 1:
 *    - inside mean: the mean of the defined pairs p(i, j), i < j in R;
 *    - corner: the mean of the defined pairs between R's first k and last k
 *      layers, k = max (1, floor (s / 3)): how alike the two ends of R are;
 *    - mean to the rest: the mean of the defined p(i, j) with i in R and j
 *      any layer outside R that is not left out (NaN when there is none);
 *    - edge: on each side of R, the BS_BLOCKS_EDGE_WINDOW nearest layers
 *      outside R that are not left out (fewer at the ends of the network);
 *      each has a mean of its defined pairs with R's layers; the edge is the
 *      largest of these means over both sides: how alike R's closest
 *      look-alike just outside it is (the largest, so that the dissimilar
 *      layers of a ResNet's checkerboard next to R do not make an edge
 *      look sharp);
 *    - contrast: inside mean - edge.
 *
 * 4. Blocks: the ranges with s >= min_size, inside mean >= threshold,
 *    corner >= threshold, a defined contrast >= min_contrast, and at least
 *    min_size layers outside them that are not left out. A range of (nearly)
 *    the whole network is no structure: every layer is alike (a shallow
 *    network's matrix often is, but for its logits).
 *
 * Why the corner and the contrast: a smooth fall of CKA with the distance
 * between layers (the diagonal band of every network, no block structure)
 * is also cut into ranges whose inside mean exceeds t, but the two ends of
 * such a range are less alike than its neighbours (corner below t), and
 * the layers just outside it are about as alike to it as its own edge
 * layers (contrast of a step or two of the fall). In a block, the first
 * and last layers are as alike as any two inside it, and the layers around
 * it are not. Real blocks fade in over a few layers, which is why the
 * default least contrast is modest: the corner is what rules out a smooth
 * fall. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BS_BLOCKS_DEFAULT_THRESHOLD     0.7
#define BS_BLOCKS_DEFAULT_MIN_SIZE      3
#define BS_BLOCKS_DEFAULT_MIN_CONTRAST  0.1
/* Outside layers per side that the edge looks at (step 3 above). */
#define BS_BLOCKS_EDGE_WINDOW           3

typedef struct {
  double threshold;      /* t: the pair value that joins layers, and the least inside mean */
  guint  min_size;       /* the fewest layers of a block, at least 2 */
  double min_contrast;   /* the least inside mean - edge */
} BsBlocksOptions;

typedef struct {
  guint  first;          /* index of the first layer of the block */
  guint  last;           /* index of its last layer (inclusive) */
  guint  size;           /* last - first + 1 */
  double mean_inside;
  double corner;         /* mean CKA between its first and last thirds */
  double mean_rest;      /* NaN when every other layer is left out */
  double edge;
  double contrast;
} BsBlock;

/* The defaults above. */
void    bs_blocks_options_init (BsBlocksOptions       *options);

/* The blocks of the n_rows x n_cols row-major matrix cka, in layer order
 * (options NULL: the defaults). A matrix that is not square, empty, or
 * options out of range (threshold or min_contrast not finite, min_size < 2)
 * are a BS_ERROR_INVALID_ARGUMENT with a message saying so. Returns a
 * GArray of BsBlock, empty when there are none. */
GArray *bs_blocks_find         (const double          *cka,
                                guint                  n_rows,
                                guint                  n_cols,
                                const BsBlocksOptions *options,
                                GError               **error);

G_END_DECLS
