/* bs-cka-export.h: a CKA result on disk: the matrix (.npy or .csv) and a JSON file beside it.
 *
 * M.npy  float64, n_rows x n_cols (rows = model A), NaN where undefined;
 * M.csv  the same with the layer names of B as the header row and those of A
 *        as the first column ("nan" where undefined);
 * M.json what the numbers mean: both models' specs and layers (names, kinds,
 *        shapes, why a layer is NaN), the data set, the protocol (estimator,
 *        batch size, passes, seed, how a short last minibatch is treated),
 *        minibatches used, the standard-error matrix (and the CKA matrix
 *        again; null where undefined), elapsed time; "measure" says what
 *        the matrix measures (BsCkaMeasure: "cka", "cka-without-pc1",
 *        "pc1-alignment"; its values are under "cka" whatever it is),
 *        "statistic" which statistic of it the values are when they are not
 *        the measure itself ("seed-std-dev"), and
 *        with the PC1 analysis "pc1_share" holds every layer's PC1 share
 *        and its standard error.
 * Both files are written atomically. */
#pragma once

#include <glib.h>

#include "bs-cka-job.h"
#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

typedef struct {
  const BsCkaJobOptions *options;          /* the protocol that made it (may be NULL) */
  const char            *dataset;          /* data set name; NULL for activation folders */
  guint                  n_examples;       /* examples per pass, before the short last
                                            * minibatch is dropped (0: unknown) */
  double                 elapsed_seconds;  /* < 0: unknown */
  const guint           *excluded_images;  /* test images left out (bs-dataset-subset.h), */
  guint                  n_excluded;       /* as indices into the test split */
  const char            *note;             /* what else the reader should know (may be NULL) */
  gboolean               header_only;      /* bs_cka_export_json () without the matrices and
                                            * blocks: what the result is, not its values */
  BsCkaMeasure           measure;          /* the matrix written (default CKA); the
                                            * snapshot must hold it (bs_cka_snapshot_get_measure) */
} BsCkaExportInfo;

/* path ends in .npy or .csv (anything else is BS_ERROR_INVALID_ARGUMENT); the
 * JSON goes to bs_cka_export_json_path (path). info may be NULL. */
gboolean  bs_cka_export            (const BsCkaSnapshot   *snapshot,
                                    const BsCkaExportInfo *info,
                                    const char            *path,
                                    GError               **error);

/* "dir/M.npy" -> "dir/M.json" (the extension replaced, or appended). */
char     *bs_cka_export_json_path  (const char            *matrix_path);

/* The JSON text alone (for the window's clipboard, tests). */
char     *bs_cka_export_json       (const BsCkaSnapshot   *snapshot,
                                    const BsCkaExportInfo *info,
                                    const char            *matrix_file);

G_END_DECLS
