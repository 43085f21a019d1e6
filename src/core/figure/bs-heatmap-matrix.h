/* bs-heatmap-matrix.h: the CKA values a heatmap shows, as floats, and what changed.
 *
 * Holds a float copy of a snapshot's CKA matrix, n_rows x n_cols row-major,
 * row 0 being layer 0 of model A: the layout of an R32F texture. A cell
 * without a value holds BS_HEATMAP_MATRIX_MISSING rather than NaN, because
 * some GLES compilers drop isnan () under relaxed float rules, while a
 * comparison with a large negative number survives everywhere.
 *
 * An update from a snapshot with the same layers (names, stages, blocks)
 * and the same models is a same-shape update: the rows whose values
 * differ join the dirty row range, which whoever draws the cells (a
 * texture, an image) reads and clears. Anything else is a reshape, and
 * every row is dirty. No GTK: the widget, the figure renderer and the
 * tests share it. */
#pragma once

#include <glib.h>

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

#define BS_HEATMAP_MATRIX_MISSING (-1.0e30f)

static inline gboolean
bs_heatmap_matrix_is_missing (float value)
{
  return value < -1.0e29f;
}

typedef enum {
  BS_HEATMAP_MATRIX_UNCHANGED,   /* the same snapshot, or the same shape and values */
  BS_HEATMAP_MATRIX_UPDATED,     /* the same shape, some rows differ */
  BS_HEATMAP_MATRIX_RESHAPED,    /* other layers or models: every row is new */
  BS_HEATMAP_MATRIX_CLEARED,     /* no snapshot, or one without rows or columns */
} BsHeatmapMatrixChange;

typedef struct _BsHeatmapMatrix BsHeatmapMatrix;

BsHeatmapMatrix       *bs_heatmap_matrix_new            (void);
void                   bs_heatmap_matrix_free           (BsHeatmapMatrix       *matrix);

/* Copies the values of snapshot (NULL clears) and keeps a reference to it. */
BsHeatmapMatrixChange  bs_heatmap_matrix_update         (BsHeatmapMatrix       *matrix,
                                                         BsCkaSnapshot         *snapshot);
/* The snapshot of the last update; NULL when cleared. */
BsCkaSnapshot         *bs_heatmap_matrix_get_snapshot   (const BsHeatmapMatrix *matrix);

guint                  bs_heatmap_matrix_get_n_rows     (const BsHeatmapMatrix *matrix);
guint                  bs_heatmap_matrix_get_n_cols     (const BsHeatmapMatrix *matrix);
/* n_rows x n_cols floats, BS_HEATMAP_MATRIX_MISSING where NaN; NULL when
 * empty. */
const float           *bs_heatmap_matrix_get_values     (const BsHeatmapMatrix *matrix);
/* One cell as a double: NaN where missing. */
double                 bs_heatmap_matrix_get_value      (const BsHeatmapMatrix *matrix,
                                                         guint                  row,
                                                         guint                  col);

/* The rows changed since the dirty range was last cleared, first <= last;
 * FALSE when none. */
gboolean               bs_heatmap_matrix_get_dirty_rows   (const BsHeatmapMatrix *matrix,
                                                           guint                 *first,
                                                           guint                 *last);
void                   bs_heatmap_matrix_clear_dirty_rows (BsHeatmapMatrix       *matrix);

/* The smallest and largest value of the cells that have one; FALSE (and
 * 0, 1) when none has. */
gboolean               bs_heatmap_matrix_get_data_range (const BsHeatmapMatrix *matrix,
                                                         double                *lo,
                                                         double                *hi);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BsHeatmapMatrix, bs_heatmap_matrix_free)

G_END_DECLS
