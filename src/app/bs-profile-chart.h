/* bs-profile-chart.h: a small line chart of one row and one column of the CKA matrix.
 *
 * The row profile is the similarity of the selected layer of model A to
 * every layer of model B; the column profile that of every layer of A to the
 * selected layer of B. Both are drawn over relative depth (0 = input, 1 =
 * logits), so models of different depth share the axis. */
#pragma once

#include <gtk/gtk.h>

#include "bs-cka-snapshot.h"

G_BEGIN_DECLS

#define BS_TYPE_PROFILE_CHART (bs_profile_chart_get_type ())

G_DECLARE_FINAL_TYPE (BsProfileChart, bs_profile_chart, BS, PROFILE_CHART, GtkWidget)

GtkWidget *bs_profile_chart_new (void);

/* Shows row `row` and column `col` of snapshot (referenced); NULL clears. */
void       bs_profile_chart_set (BsProfileChart *self,
                                 BsCkaSnapshot  *snapshot,
                                 guint           row,
                                 guint           col);

/* The colours of the two lines in the current theme, for a legend. */
void       bs_profile_chart_get_colors (BsProfileChart *self,
                                        GdkRGBA        *row_color,
                                        GdkRGBA        *col_color);

G_END_DECLS
