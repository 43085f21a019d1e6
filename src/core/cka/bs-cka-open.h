/* bs-cka-open.h: a CKA result from a file a user picked, as complete as the file allows.
 *
 * A matrix as `blockscope-cli cka` writes it (M.npy with M.json) opens with
 * its layers, models, protocol and standard errors (bs-cka-import.h). When
 * the JSON is missing or damaged, the matrix alone still opens, its layers
 * named by number and without stages, and warning says why; a damaged or
 * foreign .npy (not a two-dimensional float array of at most
 * BS_CKA_IMPORT_MAX_LAYERS per side) is an error. For the window's Open
 * Result and `blockscope-cli render`. */
#pragma once

#include <glib.h>

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

/* warning (may be NULL) receives a translated sentence when the layers'
 * description could not be read, else NULL; free it. */
BsCkaSnapshot *bs_cka_open_result (const char  *matrix_path,
                                   char       **warning,
                                   GError     **error);

G_END_DECLS
