/* bs-dominant-images-view.c: the inspector's Dominant Images section (see the header). */
#include "bs-config.h"

#include "bs-dominant-images-view.h"

#include <glib/gi18n.h>

#include "bs-a11y.h"

#define THUMBNAIL_FACTOR 3   /* 28 x 28 or 32 x 32 images at 84 or 96 pixels */

struct _BsDominantImagesView
{
  GtkWidget   parent_instance;

  GtkWidget  *box;
  GtkWidget  *intro;
  GtkWidget  *find_button;
  GtkWidget  *status;
  GtkWidget  *grid;          /* GtkFlowBox of thumbnails */
  GtkWidget  *without_button;
  GPtrArray  *pictures;      /* GtkPicture, borrowed from the grid */
  GPtrArray  *captions;      /* GtkLabel */
  char       *layer;         /* of the images shown */
};

G_DEFINE_FINAL_TYPE (BsDominantImagesView, bs_dominant_images_view, GTK_TYPE_WIDGET)

GdkTexture *
bs_dominant_images_thumbnail (BsDataset *dataset,
                              guint      index,
                              guint      factor)
{
  const BsImageSet *split = &dataset->test;
  const guint8 *pixels;
  guint w, h, c;
  g_autoptr(GBytes) bytes = NULL;
  guint8 *rgb;

  g_return_val_if_fail (index < split->n_images && factor > 0, NULL);

  pixels = bs_image_set_get_image (split, index);
  w = split->width;
  h = split->height;
  c = split->channels;
  rgb = g_malloc ((gsize) w * factor * h * factor * 3);
  /* Nearest neighbour by a whole factor: every pixel of the image becomes
   * a square, as crisp as the data. NCHW planes in, RGB out. */
  for (guint y = 0; y < h * factor; y++)
    for (guint x = 0; x < w * factor; x++)
      {
        gsize at = (gsize) (y / factor) * w + x / factor;
        guint8 *out = rgb + ((gsize) y * w * factor + x) * 3;

        for (guint k = 0; k < 3; k++)
          out[k] = pixels[(c == 3 ? k : 0) * (gsize) w * h + at];
      }
  bytes = g_bytes_new_take (rgb, (gsize) w * factor * h * factor * 3);
  return gdk_memory_texture_new ((int) (w * factor), (int) (h * factor), GDK_MEMORY_R8G8B8, bytes,
                                 (gsize) w * factor * 3);
}

void
bs_dominant_images_view_set_layer (BsDominantImagesView *self,
                                   const char           *layer)
{
  g_autofree char *text = NULL;

  g_return_if_fail (BS_IS_DOMINANT_IMAGES_VIEW (self));

  gtk_widget_set_visible (self->find_button, layer != NULL);
  if (layer == NULL)
    {
      gtk_label_set_label (GTK_LABEL (self->intro),
                           _("Select a row of a computed heatmap to find the test images that dominate "
                             "its layer’s first principal component."));
      return;
    }
  /* Translators: %s is a layer of model A, e.g. layer2.0.relu2. */
  text = g_strdup_printf (_("The test images with the largest PC1 scores in %s, the selected row’s layer."), layer);
  gtk_label_set_label (GTK_LABEL (self->intro), text);
}

void
bs_dominant_images_view_set_status (BsDominantImagesView *self,
                                    const char           *status)
{
  g_return_if_fail (BS_IS_DOMINANT_IMAGES_VIEW (self));

  gtk_label_set_label (GTK_LABEL (self->status), status != NULL ? status : "");
  gtk_widget_set_visible (self->status, status != NULL);
}

void
bs_dominant_images_view_set_images (BsDominantImagesView         *self,
                                    const char                   *layer,
                                    const BsDominantImagesResult *result,
                                    BsDataset                    *dataset)
{
  GtkWidget *child;

  g_return_if_fail (BS_IS_DOMINANT_IMAGES_VIEW (self));

  while ((child = gtk_widget_get_first_child (self->grid)) != NULL)
    gtk_flow_box_remove (GTK_FLOW_BOX (self->grid), child);
  g_ptr_array_set_size (self->pictures, 0);
  g_ptr_array_set_size (self->captions, 0);
  g_clear_pointer (&self->layer, g_free);

  if (result == NULL || dataset == NULL)
    {
      gtk_widget_set_visible (self->grid, FALSE);
      gtk_widget_set_visible (self->without_button, FALSE);
      return;
    }

  self->layer = g_strdup (layer);
  for (guint i = 0; i < result->images->len; i++)
    {
      const BsDominantImage *image = &g_array_index (result->images, BsDominantImage, i);
      g_autoptr(GdkTexture) texture = bs_dominant_images_thumbnail (dataset, image->index, THUMBNAIL_FACTOR);
      const char *klass = image->label < dataset->n_classes && dataset->class_names != NULL
                          ? dataset->class_names[image->label] : "?";
      GtkWidget *item = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      GtkWidget *picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
      g_autofree char *caption = g_strdup_printf ("%s\n%.2f", klass, image->score);
      g_autofree char *label = NULL;
      GtkWidget *text = gtk_label_new (caption);

      gtk_picture_set_can_shrink (GTK_PICTURE (picture), FALSE);
      gtk_widget_set_halign (picture, GTK_ALIGN_CENTER);
      /* Translators: a dominant image's accessible name: its index in the
       * test set, its class and its PC1 score. */
      label = g_strdup_printf (_("Test image %u, %s, PC1 score %.2f"), image->index, klass, image->score);
      bs_a11y_set_label (picture, label);
      gtk_widget_set_tooltip_text (picture, label);
      gtk_label_set_justify (GTK_LABEL (text), GTK_JUSTIFY_CENTER);
      gtk_label_set_max_width_chars (GTK_LABEL (text), 12);
      gtk_label_set_ellipsize (GTK_LABEL (text), PANGO_ELLIPSIZE_END);
      gtk_widget_add_css_class (text, "caption");
      gtk_widget_add_css_class (text, "numeric");
      gtk_box_append (GTK_BOX (item), picture);
      gtk_box_append (GTK_BOX (item), text);
      gtk_flow_box_append (GTK_FLOW_BOX (self->grid), item);
      g_ptr_array_add (self->pictures, picture);
      g_ptr_array_add (self->captions, text);
    }
  gtk_widget_set_visible (self->grid, result->images->len > 0);
  gtk_widget_set_visible (self->without_button, result->images->len > 0);
}

guint
bs_dominant_images_view_get_n_images (BsDominantImagesView *self)
{
  g_return_val_if_fail (BS_IS_DOMINANT_IMAGES_VIEW (self), 0);

  return self->pictures->len;
}

GtkWidget *
bs_dominant_images_view_get_picture (BsDominantImagesView *self,
                                     guint                 i)
{
  g_return_val_if_fail (BS_IS_DOMINANT_IMAGES_VIEW (self) && i < self->pictures->len, NULL);

  return g_ptr_array_index (self->pictures, i);
}

const char *
bs_dominant_images_view_get_caption (BsDominantImagesView *self,
                                     guint                 i)
{
  g_return_val_if_fail (BS_IS_DOMINANT_IMAGES_VIEW (self) && i < self->captions->len, NULL);

  return gtk_label_get_label (g_ptr_array_index (self->captions, i));
}

static void
bs_dominant_images_view_dispose (GObject *object)
{
  BsDominantImagesView *self = BS_DOMINANT_IMAGES_VIEW (object);

  g_clear_pointer (&self->box, gtk_widget_unparent);
  G_OBJECT_CLASS (bs_dominant_images_view_parent_class)->dispose (object);
}

static void
bs_dominant_images_view_finalize (GObject *object)
{
  BsDominantImagesView *self = BS_DOMINANT_IMAGES_VIEW (object);

  g_ptr_array_unref (self->pictures);
  g_ptr_array_unref (self->captions);
  g_free (self->layer);
  G_OBJECT_CLASS (bs_dominant_images_view_parent_class)->finalize (object);
}

static void
bs_dominant_images_view_class_init (BsDominantImagesViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_dominant_images_view_dispose;
  object_class->finalize = bs_dominant_images_view_finalize;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
bs_dominant_images_view_init (BsDominantImagesView *self)
{
  GtkWidget *heading;

  self->pictures = g_ptr_array_new ();
  self->captions = g_ptr_array_new ();

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 8);
  gtk_widget_set_margin_top (self->box, 12);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  heading = gtk_label_new (_("Dominant Images"));
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (self->box), heading);

  self->intro = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->intro), 0);
  gtk_label_set_wrap (GTK_LABEL (self->intro), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (self->intro), 36);
  gtk_widget_add_css_class (self->intro, "dim-label");
  gtk_box_append (GTK_BOX (self->box), self->intro);

  self->find_button = gtk_button_new_with_mnemonic (_("_Find Dominant Images"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->find_button), "win.find-dominant-images");
  gtk_widget_set_halign (self->find_button, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (self->box), self->find_button);

  self->status = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->status), 0);
  gtk_label_set_wrap (GTK_LABEL (self->status), TRUE);
  gtk_widget_set_visible (self->status, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->status);

  self->grid = gtk_flow_box_new ();
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (self->grid), GTK_SELECTION_NONE);
  gtk_flow_box_set_homogeneous (GTK_FLOW_BOX (self->grid), TRUE);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (self->grid), 3);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (self->grid), 6);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (self->grid), 6);
  gtk_widget_set_visible (self->grid, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->grid);

  self->without_button = gtk_button_new_with_mnemonic (_("Compute CKA _Without These Images"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->without_button), "win.cka-without-dominant-images");
  gtk_widget_set_halign (self->without_button, GTK_ALIGN_START);
  gtk_widget_set_visible (self->without_button, FALSE);
  gtk_box_append (GTK_BOX (self->box), self->without_button);

  bs_dominant_images_view_set_layer (self, NULL);
}

GtkWidget *
bs_dominant_images_view_new (void)
{
  return g_object_new (BS_TYPE_DOMINANT_IMAGES_VIEW, NULL);
}
