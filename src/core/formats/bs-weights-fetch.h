/* bs-weights-fetch.h: torchvision's ImageNet ResNet weights, downloaded and imported.
 *
 * The official files are https://download.pytorch.org/models/resnet50-0676ba61.pth,
 * resnet101-63fe2227.pth and resnet152-394f9c45.pth. As torch.hub's
 * check_hash does, the hex digits after the last '-' of the file name must
 * begin the SHA-256 of the file. The file is downloaded (bs-download.h) into
 * a temporary folder inside the weights folder, checked, imported
 * (bs-weights-import.h, 1000 classes, for 3x32x32 images) and saved as the
 * checkpoint <weights folder>/<architecture>.safetensors, renamed into place
 * when complete; a failure leaves the weights folder as it was.
 *
 * BLOCKSCOPE_WEIGHTS_URL replaces the address: a file's address (ending in
 * .pth or .safetensors; its name must carry the hash prefix to be checked)
 * or a folder's, which must hold the official file names. */
#pragma once

#include <gio/gio.h>

#include "bs-download.h"

G_BEGIN_DECLS

/* Whether architecture has official weights (imagenet-resnet50, -101, -152). */
gboolean  bs_weights_fetch_known       (const char          *architecture);

/* The default weights folder: $XDG_DATA_HOME/blockscope/weights. */
char     *bs_weights_fetch_default_dir (void);

/* The address to download for architecture: url (NULL: $BLOCKSCOPE_WEIGHTS_URL,
 * else the official one) resolved as above. */
char     *bs_weights_fetch_url         (const char          *architecture,
                                        const char          *url);

/* Downloads, checks, imports and saves; returns the checkpoint's path. When
 * it exists already nothing is downloaded and *already is set. */
char     *bs_weights_fetch             (const char          *architecture,
                                        const char          *weights_dir,
                                        const char          *url,
                                        BsDownloadProgress   progress,
                                        gpointer             user_data,
                                        gboolean            *already,
                                        GCancellable        *cancellable,
                                        GError             **error);

G_END_DECLS
