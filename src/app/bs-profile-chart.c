/* bs-profile-chart.c: row and column profiles of the selected cell, drawn
 * with cairo in the colours of the theme (bs-theme-palette.h): the row in
 * the accent colour, the column in orange; described in words for screen
 * readers (each line's range and the layers where it is lowest and
 * highest). */
#include "bs-config.h"

#include "bs-profile-chart.h"
#include "bs-theme-palette.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-a11y.h"
#include "bs-chart-draw.h"
#include "bs-model-spec.h"

struct _BsProfileChart
{
  GtkWidget      parent_instance;

  BsCkaSnapshot *snapshot;
  guint          row;
  guint          col;

  /* What the accessible description last said. */
  gboolean       described;
  int            described_progress;
  guint          described_row;
  guint          described_col;
};

G_DEFINE_FINAL_TYPE (BsProfileChart, bs_profile_chart, GTK_TYPE_WIDGET)

/* The inspector is a view: the chart is drawn on the view's background. */
#define BACKGROUND_NAME "view_bg_color"

#define PAD_LEFT   30.0
#define PAD_RIGHT  8.0
#define PAD_TOP    8.0
#define PAD_BOTTOM 20.0

typedef double (*ValueAt) (BsCkaSnapshot *snapshot, guint fixed, guint i);

static double
row_value (BsCkaSnapshot *s, guint row, guint i)
{
  return bs_cka_snapshot_get_value (s, row, i);
}

static double
col_value (BsCkaSnapshot *s, guint col, guint i)
{
  return bs_cka_snapshot_get_value (s, i, col);
}

static void
draw_profile (cairo_t             *cr,
              BsCkaSnapshot       *snapshot,
              ValueAt              value_at,
              guint                fixed,
              guint                n,
              guint                mark,
              const BsFigureColor *color,
              double               x0,
              double               y0,
              double               w,
              double               h)
{
  gboolean pen_down = FALSE;

  bs_chart_set_source (cr, color, 1);
  cairo_set_line_width (cr, 1.5);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  for (guint i = 0; i < n; i++)
    {
      double v = value_at (snapshot, fixed, i);
      double x = x0 + (n > 1 ? (double) i / (n - 1) : 0.5) * w;
      double y;

      /* Gaps where a value is missing, rather than a line through zero. */
      if (isnan (v))
        {
          pen_down = FALSE;
          continue;
        }
      y = y0 + h - CLAMP (v, 0.0, 1.0) * h;
      if (pen_down)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      pen_down = TRUE;
    }
  cairo_stroke (cr);

  /* The selected layer: a dot on its own line. */
  if (mark < n && !isnan (value_at (snapshot, fixed, mark)))
    {
      double x = x0 + (n > 1 ? (double) mark / (n - 1) : 0.5) * w;
      double y = y0 + h - CLAMP (value_at (snapshot, fixed, mark), 0.0, 1.0) * h;

      cairo_arc (cr, x, y, 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
    }
}

static void
bs_profile_chart_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  BsProfileChart *self = BS_PROFILE_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double x0 = PAD_LEFT, y0 = PAD_TOP;
  double w = width - PAD_LEFT - PAD_RIGHT, h = height - PAD_TOP - PAD_BOTTOM;
  BsFigurePalette palette;
  cairo_t *cr;

  if (w < 10 || h < 10)
    return;

  bs_theme_palette_read (widget, BACKGROUND_NAME, &palette);

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Grid at 0, 0.5 and 1, labelled; the zero line as strong as an axis. */
  bs_chart_draw_unit_grid (cr, widget, &palette, x0, y0, w, h);
  bs_chart_set_source (cr, &palette.text_secondary, 1);
  /* Translators: the first layer, at the left end of the profile chart's axis. */
  bs_chart_show_text (cr, widget, C_("profile axis", "input"), x0, y0 + h + 3, 0, 0);
  /* Translators: the last layer, at the right end of the profile chart's axis. */
  bs_chart_show_text (cr, widget, C_("profile axis", "output"), x0 + w, y0 + h + 3, 1, 0);

  if (self->snapshot != NULL)
    {
      guint n_rows = bs_cka_snapshot_get_n_rows (self->snapshot);
      guint n_cols = bs_cka_snapshot_get_n_cols (self->snapshot);

      draw_profile (cr, self->snapshot, col_value, self->col, n_rows, self->row,
                    &palette.series[1], x0, y0, w, h);
      draw_profile (cr, self->snapshot, row_value, self->row, n_cols, self->col,
                    &palette.series[0], x0, y0, w, h);
    }

  cairo_destroy (cr);
}

/* One line of the chart in a sentence: the row profile runs over the
 * layers of B (columns) at row fixed, the column profile over those of A. */
static char *
describe_profile (BsCkaSnapshot *snapshot,
                  gboolean       row_profile,
                  guint          fixed)
{
  const double *values = bs_cka_snapshot_get_values (snapshot);
  guint n_rows = bs_cka_snapshot_get_n_rows (snapshot);
  guint n_cols = bs_cka_snapshot_get_n_cols (snapshot);
  g_autofree char *a = bs_model_spec_display_name (bs_cka_snapshot_get_model_a (snapshot));
  g_autofree char *b = bs_model_spec_display_name (bs_cka_snapshot_get_model_b (snapshot));
  g_autofree char *range = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *no_value = NULL;
  BsSeriesSummary summary;
  const BsLayerInfo *low, *high;
  guint missing;

  if (row_profile)
    {
      bs_a11y_summarize_series (values + (gsize) fixed * n_cols, n_cols, 1, &summary);
      /* Translators: the row profile: one layer of model A against every layer of B. */
      subject = g_strdup_printf (_("%s of %s against every layer of %s"),
                                 bs_cka_snapshot_get_row (snapshot, fixed)->name, a, b);
    }
  else
    {
      bs_a11y_summarize_series (values + fixed, n_rows, n_cols, &summary);
      /* Translators: the column profile: every layer of model A against one layer of B. */
      subject = g_strdup_printf (_("Every layer of %s against %s of %s"),
                                 a, bs_cka_snapshot_get_col (snapshot, fixed)->name, b);
    }

  if (summary.n_finite == 0)
    /* Translators: %s is one of the two profiles above. */
    return g_strdup_printf (_("%s: not computed yet."), subject);

  low = row_profile ? bs_cka_snapshot_get_col (snapshot, summary.min_index)
                    : bs_cka_snapshot_get_row (snapshot, summary.min_index);
  high = row_profile ? bs_cka_snapshot_get_col (snapshot, summary.max_index)
                     : bs_cka_snapshot_get_row (snapshot, summary.max_index);
  /* Translators: a profile, its lowest CKA and that layer, its highest and that layer. */
  range = g_strdup_printf (_("%s: CKA from %.3f at %s to %.3f at %s."),
                           subject, summary.min, low->name, summary.max, high->name);

  missing = summary.n - summary.n_finite;
  if (missing == 0)
    return g_steal_pointer (&range);

  no_value = g_strdup_printf (ngettext ("%u layer has no value.", "%u layers have no value.", missing),
                              missing);
  return g_strdup_printf ("%s %s", range, no_value);
}

/* How far the values shown are: the description follows a new cell and
 * the first and the last minibatch, not every minibatch between (each new
 * description of a focused widget is spoken; see bs-heatmap-a11y.c). */
static int
progress_of (BsCkaSnapshot *snapshot)
{
  guint done;

  if (snapshot == NULL)
    return 0;
  done = bs_cka_snapshot_get_minibatches_done (snapshot);
  return done == 0 ? 1 : done < bs_cka_snapshot_get_minibatches_total (snapshot) ? 2 : 3;
}

static void
update_description (BsProfileChart *self)
{
  g_autofree char *row_text = NULL;
  g_autofree char *col_text = NULL;
  g_autofree char *description = NULL;
  int progress = progress_of (self->snapshot);

  if (self->described && progress == self->described_progress &&
      self->row == self->described_row && self->col == self->described_col)
    return;
  self->described = TRUE;
  self->described_progress = progress;
  self->described_row = self->row;
  self->described_col = self->col;

  if (self->snapshot == NULL)
    {
      bs_a11y_set_description (GTK_WIDGET (self), _("No cell selected."));
      return;
    }

  row_text = describe_profile (self->snapshot, TRUE, self->row);
  col_text = describe_profile (self->snapshot, FALSE, self->col);
  description = g_strdup_printf ("%s %s", row_text, col_text);
  bs_a11y_set_description (GTK_WIDGET (self), description);
}

static void
bs_profile_chart_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 120 : 100;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 260 : 140;
}

static void
bs_profile_chart_dispose (GObject *object)
{
  BsProfileChart *self = BS_PROFILE_CHART (object);

  g_clear_pointer (&self->snapshot, bs_cka_snapshot_unref);

  G_OBJECT_CLASS (bs_profile_chart_parent_class)->dispose (object);
}

static void
bs_profile_chart_class_init (BsProfileChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_profile_chart_dispose;
  widget_class->snapshot = bs_profile_chart_snapshot;
  widget_class->measure = bs_profile_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "profilechart");
  /* A picture with a name and a description, as the heatmap (see
   * bs-heatmap-a11y.c): a screen reader reads both on focus. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bs_profile_chart_init (BsProfileChart *self)
{
  /* Focusable only so that keyboard and screen reader users reach its
   * description; it takes no input. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  bs_a11y_set_label (GTK_WIDGET (self), _("Row and column profiles"));
  update_description (self);
  /* High contrast strengthens the grid without changing this widget's style. */
  bs_theme_palette_watch (GTK_WIDGET (self), gtk_widget_queue_draw);
}

GtkWidget *
bs_profile_chart_new (void)
{
  return g_object_new (BS_TYPE_PROFILE_CHART, NULL);
}

void
bs_profile_chart_set (BsProfileChart *self,
                      BsCkaSnapshot  *snapshot,
                      guint           row,
                      guint           col)
{
  g_return_if_fail (BS_IS_PROFILE_CHART (self));

  if (snapshot != NULL)
    bs_cka_snapshot_ref (snapshot);
  g_clear_pointer (&self->snapshot, bs_cka_snapshot_unref);
  self->snapshot = snapshot;
  self->row = row;
  self->col = col;
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bs_profile_chart_get_colors (BsProfileChart *self,
                             GdkRGBA        *row_color,
                             GdkRGBA        *col_color)
{
  BsFigurePalette palette;

  g_return_if_fail (BS_IS_PROFILE_CHART (self));

  bs_theme_palette_read (GTK_WIDGET (self), BACKGROUND_NAME, &palette);
  *row_color = bs_theme_palette_rgba (&palette.series[0]);
  *col_color = bs_theme_palette_rgba (&palette.series[1]);
}
