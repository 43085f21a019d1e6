/* bs-a11y.c: see bs-a11y.h. */
#include "bs-config.h"

#include "bs-a11y.h"

#include <math.h>

/* Remembers the text last set, under key; TRUE when text is new. */
static gboolean
remember_text (GtkWidget  *widget,
               const char *key,
               const char *text)
{
  if (g_strcmp0 (g_object_get_data (G_OBJECT (widget), key), text) == 0)
    return FALSE;

  g_object_set_data_full (G_OBJECT (widget), key, g_strdup (text), g_free);
  return TRUE;
}

void
bs_a11y_set_label (GtkWidget  *widget,
                   const char *label)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (remember_text (widget, "bs-a11y-label", label))
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

void
bs_a11y_set_description (GtkWidget  *widget,
                         const char *description)
{
  g_return_if_fail (GTK_IS_WIDGET (widget));

  if (remember_text (widget, "bs-a11y-description", description))
    gtk_accessible_update_property (GTK_ACCESSIBLE (widget), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    description, -1);
}

void
bs_a11y_fix_mnemonic_buttons (GtkWidget *root)
{
  g_return_if_fail (GTK_IS_WIDGET (root));

  if (GTK_IS_BUTTON (root) && gtk_button_get_use_underline (GTK_BUTTON (root)))
    gtk_accessible_reset_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL);

  for (GtkWidget *child = gtk_widget_get_first_child (root); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    bs_a11y_fix_mnemonic_buttons (child);
}

gboolean
bs_a11y_summarize_series (const double    *values,
                          guint            n,
                          gsize            stride,
                          BsSeriesSummary *summary)
{
  g_return_val_if_fail (values != NULL || n == 0, FALSE);
  g_return_val_if_fail (summary != NULL, FALSE);

  *summary = (BsSeriesSummary) { .n = n, .min = NAN, .max = NAN };
  for (guint i = 0; i < n; i++)
    {
      double v = values[i * stride];

      if (!isfinite (v))
        continue;
      if (summary->n_finite == 0 || v < summary->min)
        {
          summary->min = v;
          summary->min_index = i;
        }
      if (summary->n_finite == 0 || v > summary->max)
        {
          summary->max = v;
          summary->max_index = i;
        }
      summary->n_finite++;
    }

  return summary->n_finite > 0;
}
