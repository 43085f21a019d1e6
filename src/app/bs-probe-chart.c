/* bs-probe-chart.c: linear probe accuracy along the layers (see the
 * header), drawn with cairo in the colours of the theme. */
#include "bs-config.h"

#include "bs-probe-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-a11y.h"
#include "bs-chart-draw.h"
#include "bs-blocks.h"
#include "bs-probe.h"
#include "bs-theme-palette.h"

struct _BsProbeChart
{
  GtkWidget  parent_instance;

  GArray    *results;     /* BsProbeResult */
  GArray    *in_block;    /* gboolean per result */
};

G_DEFINE_FINAL_TYPE (BsProbeChart, bs_probe_chart, GTK_TYPE_WIDGET)

#define BACKGROUND_NAME "view_bg_color"

#define PAD_LEFT   30.0
#define PAD_RIGHT  8.0
#define PAD_TOP    8.0
#define PAD_BOTTOM 20.0

static double
x_of (guint  i,
      guint  n,
      double x0,
      double w)
{
  return x0 + (n > 1 ? (double) i / (n - 1) : 0.5) * w;
}

static void
draw_line (cairo_t             *cr,
           GArray              *results,
           gboolean             validation,
           const BsFigureColor *color,
           double               x0,
           double               y0,
           double               w,
           double               h)
{
  const double dash[] = { 4.0, 3.0 };

  bs_chart_set_source (cr, color, 1);
  cairo_set_line_width (cr, validation ? 1.25 : 1.75);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_dash (cr, dash, validation ? 2 : 0, 0);
  for (guint i = 0; i < results->len; i++)
    {
      const BsProbeResult *r = &g_array_index (results, BsProbeResult, i);
      double v = validation ? r->validation_accuracy : r->test_accuracy;
      double x = x_of (i, results->len, x0, w);
      double y = y0 + h - CLAMP (v, 0.0, 1.0) * h;

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  cairo_stroke (cr);
  cairo_set_dash (cr, NULL, 0, 0);
  if (!validation)
    for (guint i = 0; i < results->len; i++)
      {
        const BsProbeResult *r = &g_array_index (results, BsProbeResult, i);

        cairo_arc (cr, x_of (i, results->len, x0, w), y0 + h - CLAMP (r->test_accuracy, 0.0, 1.0) * h,
                   2.5, 0, 2 * G_PI);
        cairo_fill (cr);
      }
}

static void
bs_probe_chart_snapshot (GtkWidget   *widget,
                         GtkSnapshot *snapshot)
{
  BsProbeChart *self = BS_PROBE_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double x0 = PAD_LEFT, y0 = PAD_TOP;
  double w = width - PAD_LEFT - PAD_RIGHT, h = height - PAD_TOP - PAD_BOTTOM;
  BsFigurePalette palette;
  guint n;
  cairo_t *cr;

  if (w < 10 || h < 10)
    return;

  bs_theme_palette_read (widget, BACKGROUND_NAME, &palette);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  n = self->results != NULL ? self->results->len : 0;

  /* The blocks: each run of probed layers inside one, half a step wider
   * on both sides. */
  if (n > 0 && self->in_block != NULL)
    {
      double step = n > 1 ? w / (n - 1) : w;

      bs_chart_set_source (cr, &palette.band[1], 1);
      for (guint i = 0; i < n; i++)
        {
          guint j = i;

          if (!g_array_index (self->in_block, gboolean, i))
            continue;
          while (j + 1 < n && g_array_index (self->in_block, gboolean, j + 1))
            j++;
          cairo_rectangle (cr, MAX (x_of (i, n, x0, w) - step / 2, x0), y0,
                           MIN (x_of (j, n, x0, w) + step / 2, x0 + w) - MAX (x_of (i, n, x0, w) - step / 2, x0), h);
          cairo_fill (cr);
          i = j;
        }
    }

  /* Grid at 0, 0.5 and 1, labelled. */
  bs_chart_draw_unit_grid (cr, widget, &palette, x0, y0, w, h);

  /* Stage marks: where the residual stage changes, half-way between. */
  for (guint i = 1; i < n; i++)
    if (g_array_index (self->results, BsProbeResult, i).info.stage !=
        g_array_index (self->results, BsProbeResult, i - 1).info.stage)
      {
        double x = round ((x_of (i - 1, n, x0, w) + x_of (i, n, x0, w)) / 2) + 0.5;

        bs_chart_set_source (cr, &palette.stage_line, 1);
        cairo_set_line_width (cr, 1);
        cairo_move_to (cr, x, y0);
        cairo_line_to (cr, x, y0 + h);
        cairo_stroke (cr);
      }

  {
    /* Translators: the legend of the linear probe chart: the solid line is
     * the test accuracy, the dashed one the validation accuracy. */
    const char *legend = _("— test   - - validation");

    bs_chart_set_source (cr, &palette.text_secondary, 1);
    bs_chart_show_text (cr, widget, legend, x0, y0 + h + 3, 0, 0);
  }

  if (n > 0)
    {
      draw_line (cr, self->results, TRUE, &palette.series[1], x0, y0, w, h);
      draw_line (cr, self->results, FALSE, &palette.series[0], x0, y0, w, h);
    }
  cairo_destroy (cr);
}

static void
update_description (BsProbeChart *self)
{
  g_autoptr(GString) text = NULL;

  if (self->results == NULL || self->results->len == 0)
    {
      bs_a11y_set_description (GTK_WIDGET (self), _("No linear probes yet: Linear Probes in the main menu runs them for model A."));
      return;
    }

  text = g_string_new (NULL);
  /* Translators: the start of the linear probe chart's description; %u
   * is the number of probed layers, the list of their accuracies follows. */
  g_string_append_printf (text, g_dngettext (NULL, "Linear probe accuracy on %u layer, test and validation:",
                                             "Linear probe accuracy on %u layers, test and validation:",
                                             self->results->len),
                          self->results->len);
  for (guint i = 0; i < self->results->len; i++)
    {
      const BsProbeResult *r = &g_array_index (self->results, BsProbeResult, i);
      gboolean inside = self->in_block != NULL && g_array_index (self->in_block, gboolean, i);

      g_string_append_c (text, ' ');
      if (inside)
        /* Translators: one layer of the linear probe chart's description,
         * inside a detected block: its name, test and validation accuracy
         * in per cent. */
        g_string_append_printf (text, _("%s %.1f %% and %.1f %% (in a block);"), r->info.name,
                                100 * r->test_accuracy, 100 * r->validation_accuracy);
      else
        /* Translators: as above, for a layer outside the detected blocks. */
        g_string_append_printf (text, _("%s %.1f %% and %.1f %%;"), r->info.name,
                                100 * r->test_accuracy, 100 * r->validation_accuracy);
    }
  bs_a11y_set_description (GTK_WIDGET (self), text->str);
}

void
bs_probe_chart_set_results (BsProbeChart *self,
                            GArray       *results)
{
  g_return_if_fail (BS_IS_PROBE_CHART (self));

  if (results != NULL)
    g_array_ref (results);
  g_clear_pointer (&self->results, g_array_unref);
  g_clear_pointer (&self->in_block, g_array_unref);
  self->results = results;
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

GArray *
bs_probe_chart_get_results (BsProbeChart *self)
{
  g_return_val_if_fail (BS_IS_PROBE_CHART (self), NULL);

  return self->results;
}

void
bs_probe_chart_set_blocks (BsProbeChart  *self,
                           GArray        *blocks,
                           BsCkaSnapshot *shown)
{
  g_return_if_fail (BS_IS_PROBE_CHART (self));

  g_clear_pointer (&self->in_block, g_array_unref);
  if (self->results != NULL && blocks != NULL && shown != NULL)
    {
      guint n_rows = bs_cka_snapshot_get_n_rows (shown);

      self->in_block = g_array_sized_new (FALSE, TRUE, sizeof (gboolean), self->results->len);
      g_array_set_size (self->in_block, self->results->len);
      for (guint i = 0; i < self->results->len; i++)
        {
          const char *name = g_array_index (self->results, BsProbeResult, i).info.name;

          for (guint r = 0; r < n_rows; r++)
            if (g_strcmp0 (bs_cka_snapshot_get_row (shown, r)->name, name) == 0)
              for (guint b = 0; b < blocks->len; b++)
                if (r >= g_array_index (blocks, BsBlock, b).first && r <= g_array_index (blocks, BsBlock, b).last)
                  g_array_index (self->in_block, gboolean, i) = TRUE;
        }
    }
  update_description (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
bs_probe_chart_in_block (BsProbeChart *self,
                         guint         i)
{
  g_return_val_if_fail (BS_IS_PROBE_CHART (self), FALSE);

  return self->in_block != NULL && i < self->in_block->len && g_array_index (self->in_block, gboolean, i);
}

static void
bs_probe_chart_measure (GtkWidget      *widget,
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
bs_probe_chart_dispose (GObject *object)
{
  BsProbeChart *self = BS_PROBE_CHART (object);

  g_clear_pointer (&self->results, g_array_unref);
  g_clear_pointer (&self->in_block, g_array_unref);

  G_OBJECT_CLASS (bs_probe_chart_parent_class)->dispose (object);
}

static void
bs_probe_chart_class_init (BsProbeChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_probe_chart_dispose;
  widget_class->snapshot = bs_probe_chart_snapshot;
  widget_class->measure = bs_probe_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "probechart");
  /* A picture with a name and a description, as the other charts. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bs_probe_chart_init (BsProbeChart *self)
{
  /* Focusable so that keyboard and screen reader users reach its description. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  bs_a11y_set_label (GTK_WIDGET (self), _("Linear probe accuracy along model A's layers"));
  update_description (self);
  bs_theme_palette_watch (GTK_WIDGET (self), gtk_widget_queue_draw);
}

GtkWidget *
bs_probe_chart_new (void)
{
  return g_object_new (BS_TYPE_PROBE_CHART, NULL);
}
