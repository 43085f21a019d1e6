/* bs-blocks-view.c: the detected blocks listed (see bs-blocks-view.h). */
#include "bs-config.h"

#include "bs-blocks-view.h"

#include <glib/gi18n.h>

#include "bs-blocks.h"
#include "bs-number-format.h"

struct _BsBlocksView
{
  GtkWidget   parent_instance;

  GtkWidget  *box;
  GtkListBox *list;
  BsHeatmap  *heatmap;          /* weak */
};

G_DEFINE_FINAL_TYPE (BsBlocksView, bs_blocks_view, GTK_TYPE_WIDGET)

static GtkWidget *
make_row (BsCkaSnapshot *shown,
          const BsBlock *block)
{
  const char *first = bs_cka_snapshot_get_row (shown, block->first)->name;
  const char *last = bs_cka_snapshot_get_row (shown, block->last)->name;
  g_autofree char *size = bs_format_count (block->size);
  g_autofree char *names = NULL;
  g_autofree char *numbers = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *title, *detail;

  /* Translators: a detected block in the inspector: its first and last layer. */
  names = g_strdup_printf (_("%s – %s"), first != NULL ? first : "?", last != NULL ? last : "?");
  /* Translators: a detected block: its number of layers (already formatted),
   * the mean CKA of its layers among themselves and with the layers outside it. */
  numbers = g_strdup_printf (g_dngettext (NULL, "%s layer, mean CKA %.3f inside, %.3f to the rest",
                                          "%s layers, mean CKA %.3f inside, %.3f to the rest", block->size),
                             size, block->mean_inside, block->mean_rest);

  title = gtk_label_new (names);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_MIDDLE);
  detail = gtk_label_new (numbers);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_label_set_wrap (GTK_LABEL (detail), TRUE);
  gtk_widget_add_css_class (detail, "caption");
  gtk_widget_add_css_class (detail, "dim-label");
  gtk_widget_add_css_class (detail, "numeric");
  gtk_box_append (GTK_BOX (box), title);
  gtk_box_append (GTK_BOX (box), detail);
  gtk_widget_set_margin_top (box, 4);
  gtk_widget_set_margin_bottom (box, 4);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_widget_set_tooltip_text (row, _("Zoom to this block"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, names,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, numbers, -1);
  return row;
}

static void
update (BsBlocksView *self)
{
  BsCkaSnapshot *shown;
  GArray *blocks;
  gboolean show;
  GtkWidget *child;

  if (self->heatmap == NULL)
    return;

  shown = bs_heatmap_get_shown_snapshot (self->heatmap);
  blocks = bs_heatmap_get_blocks (self->heatmap);
  g_object_get (self->heatmap, "show-blocks", &show, NULL);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->list))) != NULL)
    gtk_list_box_remove (self->list, child);
  if (shown != NULL && blocks != NULL)
    for (guint i = 0; i < blocks->len; i++)
      gtk_list_box_append (self->list, make_row (shown, &g_array_index (blocks, BsBlock, i)));

  gtk_widget_set_visible (GTK_WIDGET (self), show && blocks != NULL && blocks->len > 0);
}

static void
on_row_activated (GtkListBox    *list,
                  GtkListBoxRow *row,
                  BsBlocksView  *self)
{
  if (self->heatmap != NULL)
    bs_heatmap_show_block (self->heatmap, (guint) gtk_list_box_row_get_index (row));
}

GtkListBox *
bs_blocks_view_get_list (BsBlocksView *self)
{
  g_return_val_if_fail (BS_IS_BLOCKS_VIEW (self), NULL);

  return self->list;
}

static void
bs_blocks_view_dispose (GObject *object)
{
  BsBlocksView *self = BS_BLOCKS_VIEW (object);

  if (self->heatmap != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->heatmap, self);
      g_object_remove_weak_pointer (G_OBJECT (self->heatmap), (gpointer *) &self->heatmap);
      self->heatmap = NULL;
    }
  g_clear_pointer (&self->box, gtk_widget_unparent);

  G_OBJECT_CLASS (bs_blocks_view_parent_class)->dispose (object);
}

static void
bs_blocks_view_class_init (BsBlocksViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_blocks_view_dispose;
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
bs_blocks_view_init (BsBlocksView *self)
{
  GtkWidget *heading;

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));

  heading = gtk_label_new (_("Detected Blocks"));
  gtk_label_set_xalign (GTK_LABEL (heading), 0);
  gtk_widget_add_css_class (heading, "heading");
  gtk_box_append (GTK_BOX (self->box), heading);

  self->list = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->list, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->list), "boxed-list");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Detected Blocks"), -1);
  g_signal_connect (self->list, "row-activated", G_CALLBACK (on_row_activated), self);
  gtk_box_append (GTK_BOX (self->box), GTK_WIDGET (self->list));
}

GtkWidget *
bs_blocks_view_new (BsHeatmap *heatmap)
{
  BsBlocksView *self = g_object_new (BS_TYPE_BLOCKS_VIEW, NULL);

  g_return_val_if_fail (BS_IS_HEATMAP (heatmap), GTK_WIDGET (self));

  self->heatmap = heatmap;
  g_object_add_weak_pointer (G_OBJECT (heatmap), (gpointer *) &self->heatmap);
  g_signal_connect_swapped (heatmap, "blocks-changed", G_CALLBACK (update), self);
  g_signal_connect_swapped (heatmap, "notify::show-blocks", G_CALLBACK (update), self);
  update (self);
  return GTK_WIDGET (self);
}
