/* bs-dominant-images.h: the test images that dominate a layer's first principal component.
 *
 * The follow-up paper (Nguyen, Raghu, Kornblith 2022, "On the origins of the
 * block structure phenomenon") traces the block structure to a small set of
 * images whose activations dominate PC1. For one layer of a model, over the
 * first n test images (evaluation mode): the layer's activations X (n x p,
 * the input normalisation applied as always), centred per feature in double,
 * their Gram C = X_c X_c^T (n x n), its top eigenpair (bs-pc1.h), and each
 * image's PC1 score s_i = sqrt (lambda_1) u_i (the projection of its
 * centred activations on PC1; the sign of PC1 is arbitrary, fixed so that
 * the largest score is positive). Images are ranked by |s_i|.
 *
 * Memory: n x p floats for the activations and n x n doubles for the Gram;
 * bs_dominant_images_run() refuses what would need more than max_bytes. */
#pragma once

#include <gio/gio.h>

#include "bs-dataset.h"
#include "bs-model.h"

G_BEGIN_DECLS

typedef struct {
  guint   index;   /* in the test split */
  guint8  label;
  double  score;   /* PC1 score */
} BsDominantImage;

typedef struct {
  guint    layer;        /* tap index of the model's layer */
  guint    n_images;     /* the first n test images (0: all); at least 3 */
  guint    top;          /* how many to return (at most n_images) */
  guint    batch_size;   /* forward passes (default 128) */
  guint64  max_bytes;    /* 0: 4 GiB */
} BsDominantImagesOptions;

typedef struct {
  GArray  *images;       /* BsDominantImage, the `top` largest |score| first */
  double  *scores;       /* every image's score, n_images of them */
  guint    n_images;
  double   share;        /* lambda_1 / trace: the layer's PC1 share over these images */
} BsDominantImagesResult;

void     bs_dominant_images_options_init  (BsDominantImagesOptions *options);
void     bs_dominant_images_result_clear  (BsDominantImagesResult  *result);

/* Fails with BS_ERROR_INVALID_ARGUMENT for top > n_images (the message says
 * both), fewer than 3 images, a layer out of range, too much memory;
 * BS_ERROR_FAILED for a layer without variance or with values that are not
 * finite; G_IO_ERROR_CANCELLED. progress (may be NULL) gets images done. */
gboolean bs_dominant_images_run  (BsModel                       *model,
                                  BsDataset                     *dataset,
                                  const BsDominantImagesOptions *options,
                                  void                         (*progress) (guint done, guint total, gpointer user_data),
                                  gpointer                       user_data,
                                  BsDominantImagesResult        *result,
                                  GCancellable                  *cancellable,
                                  GError                       **error);

G_END_DECLS
