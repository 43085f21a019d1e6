/* bs-dataset-row.c */
#include "bs-config.h"

#include "bs-dataset-row.h"

#include <glib/gi18n.h>

#include "bs-dataset-fetch.h"
#include "bs-number-format.h"

GtkWidget *
bs_dataset_row_new (const BsDatasetInfo *info,
                    gboolean             current)
{
  g_autofree char *folder = NULL;
  g_autofree char *subtitle = NULL;
  g_autofree char *accessible_name = NULL;
  GtkWidget *row, *box, *text, *title, *sub, *check;
  gboolean available;

  if (info->format == BS_DATASET_FORMAT_SYNTHETIC)
    {
      available = TRUE;
      subtitle = g_strdup (_("Generated in memory: striped test patterns, always available"));
    }
  else
    {
      folder = bs_dataset_find (info->name, NULL, NULL);
      available = folder != NULL;
      if (available)
        {
          g_autofree char *count = bs_format_count (info->n_test);

          /* Translators: the number of test images, their channels × height × width, a folder. */
          subtitle = g_strdup_printf (_("%s test images of %u × %u × %u, in %s"), count,
                                      info->channels, info->height, info->width, folder);
        }
      else if (bs_dataset_can_download (info->name))
        {
          g_autoptr(BsDatasetSource) source = bs_dataset_source_new (info->name, NULL);
          g_autoptr(GUri) uri = source != NULL ? g_uri_parse (bs_dataset_source_get_url (source), G_URI_FLAGS_NONE,
                                                              NULL)
                                               : NULL;
          g_autofree char *dir = bs_dataset_fetch_default_dir (NULL);

          if (uri != NULL && g_uri_get_host (uri) != NULL)
            /* Translators: a server's name and a folder. */
            subtitle = g_strdup_printf (_("From %s, checked and unpacked into %s"), g_uri_get_host (uri), dir);
          else
            subtitle = bs_dataset_how_to_get (info, NULL);
        }
      else
        subtitle = bs_dataset_how_to_get (info, NULL);
    }

  row = gtk_list_box_row_new ();
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), available);
  /* Rows are GtkActionable: activating one sets the win.dataset action. */
  if (available)
    {
      gtk_actionable_set_action_name (GTK_ACTIONABLE (row), "win.dataset");
      gtk_actionable_set_action_target_value (GTK_ACTIONABLE (row), g_variant_new_string (info->name));
    }

  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_margin_start (box, 6);
  gtk_widget_set_margin_end (box, 6);
  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);

  text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  gtk_widget_set_hexpand (text, TRUE);
  title = gtk_label_new (available ? bs_dataset_info_get_display_name (info) : NULL);
  if (!available)
    {
      /* Translators: %s is a data set's name; keep the markup. */
      g_autofree char *markup = g_markup_printf_escaped (_("%s <span alpha=\"60%%\">(not installed)</span>"),
                                                         bs_dataset_info_get_display_name (info));
      gtk_label_set_markup (GTK_LABEL (title), markup);
    }
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  sub = gtk_label_new (subtitle);
  gtk_label_set_xalign (GTK_LABEL (sub), 0);
  gtk_label_set_wrap (GTK_LABEL (sub), TRUE);
  gtk_label_set_max_width_chars (GTK_LABEL (sub), 44);
  gtk_label_set_selectable (GTK_LABEL (sub), !available);
  gtk_widget_add_css_class (sub, "caption");
  gtk_widget_add_css_class (sub, "dim-label");
  gtk_box_append (GTK_BOX (text), title);
  gtk_box_append (GTK_BOX (text), sub);
  gtk_box_append (GTK_BOX (box), text);

  /* A missing data set that can be fetched: one click does it. */
  if (!available && bs_dataset_can_download (info->name))
    {
      g_autoptr(BsDatasetSource) source = bs_dataset_source_new (info->name, NULL);

      if (source != NULL)
        {
          g_autofree char *size = g_format_size (bs_dataset_source_get_size (source));
          /* Translators: the button of a missing data set; %s is its download size ("170.5 MB"). */
          g_autofree char *label = g_strdup_printf (_("Download (about %s)"), size);
          /* Translators: %s is a data set's name. */
          g_autofree char *tooltip = g_strdup_printf (_("Download %s, check it and unpack it"),
                                                      bs_dataset_info_get_display_name (info));
          GtkWidget *download = gtk_button_new_with_label (label);

          gtk_widget_set_valign (download, GTK_ALIGN_CENTER);
          gtk_widget_set_tooltip_text (download, tooltip);
          gtk_actionable_set_action_name (GTK_ACTIONABLE (download), "win.download-dataset");
          gtk_actionable_set_action_target_value (GTK_ACTIONABLE (download), g_variant_new_string (info->name));
          gtk_widget_add_css_class (download, "dataset-download");
          gtk_box_append (GTK_BOX (box), download);
        }
    }

  check = gtk_image_new_from_icon_name ("object-select-symbolic");
  gtk_widget_set_valign (check, GTK_ALIGN_CENTER);
  gtk_widget_set_opacity (check, current ? 1.0 : 0.0);
  gtk_box_append (GTK_BOX (box), check);

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);

  /* For screen readers: the row's name and details, and the check mark
   * as the selected state of the chosen row. */
  if (available)
    accessible_name = g_strdup (info->display_name);
  else
    accessible_name = g_strdup_printf (_("%s, not installed"), info->display_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible_name,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, subtitle,
                                  -1);
  gtk_accessible_update_state (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_STATE_SELECTED, current, -1);
  if (!available)
    gtk_widget_add_css_class (row, "dataset-missing");

  return row;
}
