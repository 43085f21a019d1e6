/* bs-dominant-images-view.h: the inspector's Dominant Images section.
 *
 * For the selected row's layer (model A): a button that finds the test
 * images with the largest |PC1 score| (win.find-dominant-images), what the
 * job is doing, the images found as thumbnails (the data set's pixels
 * scaled up by whole pixels, so they stay crisp) with their class and
 * score, each an accessible image with a label, and a button that computes
 * CKA without them (win.cka-without-dominant-images). */
#pragma once

#include <gtk/gtk.h>

#include "bs-dataset-types.h"
#include "bs-dominant-images.h"

G_BEGIN_DECLS

#define BS_TYPE_DOMINANT_IMAGES_VIEW (bs_dominant_images_view_get_type ())

G_DECLARE_FINAL_TYPE (BsDominantImagesView, bs_dominant_images_view, BS, DOMINANT_IMAGES_VIEW, GtkWidget)

GtkWidget  *bs_dominant_images_view_new        (void);

/* The layer the button would look at (NULL: none, the button is hidden). */
void        bs_dominant_images_view_set_layer  (BsDominantImagesView         *self,
                                                const char                   *layer);
/* A line under the button: progress, or why it failed (NULL: none). */
void        bs_dominant_images_view_set_status (BsDominantImagesView         *self,
                                                const char                   *status);
/* The images found in layer (result and dataset borrowed for the call);
 * NULL result clears them. */
void        bs_dominant_images_view_set_images (BsDominantImagesView         *self,
                                                const char                   *layer,
                                                const BsDominantImagesResult *result,
                                                BsDataset                    *dataset);
/* For tests: the thumbnails shown, each a GtkPicture with an accessible label. */
guint       bs_dominant_images_view_get_n_images (BsDominantImagesView       *self);
GtkWidget  *bs_dominant_images_view_get_picture  (BsDominantImagesView       *self,
                                                  guint                       i);
/* The thumbnail's text: "T-shirt/top\n12.34". */
const char *bs_dominant_images_view_get_caption  (BsDominantImagesView       *self,
                                                  guint                       i);

/* The image of the data set's test split as a texture scaled up by a whole factor. */
GdkTexture *bs_dominant_images_thumbnail         (BsDataset                  *dataset,
                                                  guint                       index,
                                                  guint                       factor);

G_END_DECLS
