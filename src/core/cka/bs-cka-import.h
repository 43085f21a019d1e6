/* bs-cka-import.h: a CKA result read back from the .npy and .json that bs-cka-export.h writes.
 *
 * The run folders keep their snapshots this way, and the files may have
 * been damaged or made by hand: everything is checked before it is used
 * (the file types before opening, the layer counts against the matrix's
 * shape before anything is allocated, JSON nesting before parsing). Errors
 * are BS_ERROR_FORMAT (or _NOT_FOUND, _IO) naming the file and the problem. */
#pragma once

#include <glib.h>

#include <json-glib/json-glib.h>

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

/* Far more layers than any network Blockscope builds, few enough that a
 * hostile file cannot make it allocate much. */
#define BS_CKA_IMPORT_MAX_LAYERS 16384

/* matrix_path is the .npy (float64, rows x cols); its JSON is
 * bs_cka_export_json_path (matrix_path). */
BsCkaSnapshot *bs_cka_import (const char  *matrix_path,
                              GError     **error);

/* The layers, specs, estimator, batch size and minibatch total of an
 * export's JSON object (as bs_cka_export_json () writes it) as a snapshot of
 * no minibatches: what a shard (bs-cka-shard.h) says about its run. what
 * names the source in errors. */
BsCkaSnapshot *bs_cka_import_header (JsonObject  *root,
                                     const char  *what,
                                     GError     **error);

G_END_DECLS
