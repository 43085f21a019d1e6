/* figure-fixtures.h: made-up CKA results for the figure tests. */
#pragma once

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

/* A value (or standard error) for cell (row, col). */
typedef double (*FigureCellFunc) (guint row,
                                  guint col);

/* n layers named "layer<i>": a stem, three stages of blocks, a head, so
 * that stage lines fall at four places per axis. */
void           figure_fixture_layers   (BsLayerInfo    *layers,
                                        guint           n);

/* A finished result of "resnet20" against "resnet56" with those layers,
 * value (row, col) as CKA and std_error (row, col) as its standard error
 * (NULL: NaN everywhere). */
BsCkaSnapshot *figure_fixture_snapshot (guint           n_rows,
                                        guint           n_cols,
                                        FigureCellFunc  value,
                                        FigureCellFunc  std_error);

/* A finished result of "resnet20" against itself (n layers), value (row,
 * col) as CKA and no standard errors; with shares (n values, NULL: none)
 * as every layer's PC1 share, on both axes. */
BsCkaSnapshot *figure_fixture_self_snapshot (guint           n,
                                             FigureCellFunc  value,
                                             const double   *shares);

G_END_DECLS
