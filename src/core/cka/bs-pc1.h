/* bs-pc1.h: the first principal component of a layer from its centred Gram.
 *
 * For a minibatch of n examples with centred activations X_c (n x p), the
 * centred Gram C = H K H = X_c X_c^T has the same nonzero eigenvalues as the
 * covariance X_c^T X_c. So its largest eigenvalue lambda_1 over its trace is
 * the fraction of the variance the first principal component explains, and
 * its unit eigenvector u_1 is the direction of the PC1 scores
 * (X_c v_1 = sqrt (lambda_1) u_1, up to sign).
 *
 * The pair comes from a Lanczos iteration with full reorthogonalisation
 * (a few dozen products with C, where a dense eigensolver needs O(n^3)),
 * stopped when the residual ||C u - lambda u|| is at most
 * BS_PC1_TOLERANCE lambda_1, which bounds the eigenvector's error by that
 * over the relative gap to lambda_2. Restarted from its best vector when it
 * has not converged in BS_PC1_MAX_STEPS steps; when lambda_1 and lambda_2
 * are too close for that (no dominant direction), LAPACK's dsyevr gives
 * the exact pair. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BS_PC1_TOLERANCE 1e-13
#define BS_PC1_MAX_STEPS 48

typedef struct _BsPc1Solver BsPc1Solver;

/* Scratch for matrices of order n (reused across calls; one thread at a time). */
BsPc1Solver *bs_pc1_solver_new  (guint        n);
void         bs_pc1_solver_free (BsPc1Solver *solver);

/* The largest eigenvalue of the symmetric n x n matrix c (row-major, full)
 * and a unit eigenvector u (n values; its sign is fixed so that its largest
 * component in magnitude is positive). c is not changed. Returns the
 * eigenvalue; 0 (and u zero) when c is zero. */
double       bs_pc1_top_eigen   (BsPc1Solver  *solver,
                                 const double *c,
                                 double       *u);

/* For tests and benchmarks: how many products with the matrix the last
 * call took, and whether it fell back to dsyevr. */
guint        bs_pc1_solver_get_last_steps    (BsPc1Solver *solver);
gboolean     bs_pc1_solver_get_last_fallback (BsPc1Solver *solver);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsPc1Solver, bs_pc1_solver_free)

G_END_DECLS
