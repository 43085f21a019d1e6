/* bs-a11y.h: small helpers for what the app's widgets tell screen readers.
 *
 * Labels and descriptions are set only when their text changes: GTK sends
 * every change over AT-SPI as an event, and a screen reader speaks a new
 * description of the widget that has the focus. Charts describe their data
 * in words from a summary of each series (range, and where it peaks). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

void     bs_a11y_set_label              (GtkWidget    *widget,
                                         const char   *label);
void     bs_a11y_set_description        (GtkWidget    *widget,
                                         const char   *description);

/* Buttons whose label has a mnemonic ("_Compute"): GTK 4.8 names them by
 * their label property, underscore and all, and by their label child
 * again ("_Compute Compute"). Drops the first, so the name is what the
 * button shows, on every such button in root (root included); one that
 * needs another name is better given a label without a mnemonic. Call it
 * once the buttons have their labels. */
void     bs_a11y_fix_mnemonic_buttons   (GtkWidget    *root);

/* A series of a chart in numbers: how many values, how many of them are
 * numbers (NaN is a value not computed), the smallest and the largest and
 * where they are (the first such index). */
typedef struct {
  guint  n;
  guint  n_finite;
  double min;
  guint  min_index;
  double max;
  guint  max_index;
} BsSeriesSummary;

/* values[0], values[stride], ... values[(n - 1) * stride]. FALSE when no
 * value is finite (min and max are then NaN). */
gboolean bs_a11y_summarize_series       (const double    *values,
                                         guint            n,
                                         gsize            stride,
                                         BsSeriesSummary *summary);

G_END_DECLS
