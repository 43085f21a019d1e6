/* bs-training-chart.c: training curves drawn with cairo in the theme's
 * colours (bs-theme-palette.h), with axes in units, a hover read-out, the
 * timeline's mark, and a description in words for screen readers. */
#include "bs-config.h"

#include "bs-training-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-a11y.h"
#include "bs-chart-draw.h"
#include "bs-number-format.h"
#include "bs-theme-palette.h"

struct _BsTrainingChart
{
  GtkWidget            parent_instance;

  BsTrainingChartKind  kind;
  BsTrainingHistory   *history;
  double               marker;       /* epochs; NaN: none */
  guint                row;
  guint                col;

  double               hover_x;      /* widget x; NaN: not hovering */
  char                *readout;

  /* What the description said last: it follows epochs and snapshots, not steps. */
  guint                described_epochs;
  guint                described_snapshots;
  gboolean             described;
};

G_DEFINE_FINAL_TYPE (BsTrainingChart, bs_training_chart, GTK_TYPE_WIDGET)

/* The window's background; the cell's chart is in the inspector, a view. */
#define BACKGROUND_NAME(self) ((self)->kind == BS_TRAINING_CHART_CELL ? "view_bg_color" : "window_bg_color")

#define PAD_LEFT   44.0
#define PAD_RIGHT  10.0
#define PAD_TOP    22.0
#define PAD_BOTTOM 20.0

/* Smoothing of the loss: an exponential moving average over a quarter of
 * an epoch (at least 2 steps, at most 50), so that it follows a short run
 * and calms a long one. */
static double
smoothing (double steps_per_epoch)
{
  double span = CLAMP (steps_per_epoch / 4, 2, 50);

  return 2 / (span + 1);
}

/* A point of a line, in data units (x in epochs). */
typedef struct {
  double x;
  double y;
} Point;

static double
steps_per_epoch (BsTrainingHistory *history)
{
  guint64 total = bs_training_history_get_total_steps (history);
  guint epochs = bs_training_history_get_n_epochs (history);
  GArray *steps = bs_training_history_get_steps (history);

  if (total > 0 && epochs > 0)
    return (double) total / epochs;
  /* Not known yet: the first epoch's steps so far. */
  return steps->len > 0 ? MAX (1, g_array_index (steps, BsRunStep, steps->len - 1).step) : 1;
}

/* The chart's lines: [0] the main one, [1] the second (smoothed loss, test
 * accuracy), as points in data units. */
static guint
collect_lines (BsTrainingChart *self,
               GArray          *lines[2])
{
  BsTrainingHistory *h = self->history;

  lines[0] = g_array_new (FALSE, FALSE, sizeof (Point));
  lines[1] = g_array_new (FALSE, FALSE, sizeof (Point));
  if (h == NULL)
    return 0;

  switch (self->kind)
    {
    case BS_TRAINING_CHART_LOSS:
    case BS_TRAINING_CHART_LEARNING_RATE:
      {
        GArray *steps = bs_training_history_get_steps (h);
        double per = steps_per_epoch (h);
        double alpha = smoothing (per);
        double smooth = NAN;

        for (guint i = 0; i < steps->len; i++)
          {
            const BsRunStep *s = &g_array_index (steps, BsRunStep, i);
            Point p = { s->global_step / per, self->kind == BS_TRAINING_CHART_LOSS ? s->loss : s->lr };

            g_array_append_val (lines[0], p);
            if (self->kind == BS_TRAINING_CHART_LOSS && isfinite (p.y))
              {
                smooth = isnan (smooth) ? p.y : smooth + alpha * (p.y - smooth);
                p.y = smooth;
                g_array_append_val (lines[1], p);
              }
          }
        return 2;
      }

    case BS_TRAINING_CHART_ACCURACY:
      {
        GArray *epochs = bs_training_history_get_epochs (h);

        for (guint i = 0; i < epochs->len; i++)
          {
            const BsRunEpoch *e = &g_array_index (epochs, BsRunEpoch, i);
            Point train = { e->epoch, e->train_accuracy };
            Point test = { e->epoch, e->test_accuracy };

            g_array_append_val (lines[0], train);
            g_array_append_val (lines[1], test);
          }
        return 2;
      }

    case BS_TRAINING_CHART_CELL:
      {
        double per = steps_per_epoch (h);

        for (guint i = 0; i < bs_training_history_get_n_snapshots (h); i++)
          {
            const BsTrainingSnapshotEntry *e = bs_training_history_get_snapshot (h, i);
            Point p = { e->global_step / per, NAN };

            if (e->snapshot != NULL && self->row < bs_cka_snapshot_get_n_rows (e->snapshot) &&
                self->col < bs_cka_snapshot_get_n_cols (e->snapshot))
              p.y = bs_cka_snapshot_get_value (e->snapshot, self->row, self->col);
            g_array_append_val (lines[0], p);
          }
        return 1;
      }

    default:
      g_assert_not_reached ();
    }
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

/* The y range: [0, 1] for fractions, [0, a round maximum] otherwise. */
static double
y_maximum (BsTrainingChart *self,
           GArray          *line)
{
  double max = 0;
  double magnitude, step;

  if (self->kind == BS_TRAINING_CHART_ACCURACY || self->kind == BS_TRAINING_CHART_CELL)
    return 1;

  if (self->kind == BS_TRAINING_CHART_LOSS && line->len >= 20)
    {
      /* A few huge losses early on (a run that nearly diverges and
       * recovers) would flatten the rest of the curve: span 1.2 times the
       * 95th percentile; what lies above runs along the top. */
      g_autoptr(GArray) values = g_array_sized_new (FALSE, FALSE, sizeof (double), line->len);

      for (guint i = 0; i < line->len; i++)
        {
          double y = g_array_index (line, Point, i).y;

          if (isfinite (y))
            g_array_append_val (values, y);
        }
      g_array_sort (values, compare_doubles);
      if (values->len > 0)
        max = 1.2 * g_array_index (values, double, (guint) (0.95 * (values->len - 1)));
    }
  else
    for (guint i = 0; i < line->len; i++)
      {
        double y = g_array_index (line, Point, i).y;

        if (isfinite (y) && y > max)
          max = y;
      }
  if (max <= 0)
    return 1;

  /* The maximum rounded up to one significant digit (2.6 -> 3). */
  magnitude = pow (10, floor (log10 (max)));
  step = ceil (max / magnitude - 1e-9);
  return step * magnitude;
}

static char *
format_y (BsTrainingChart *self,
          double           y,
          double           max)
{
  switch (self->kind)
    {
    case BS_TRAINING_CHART_ACCURACY:
      /* Translators: a percentage on the accuracy chart's axis. */
      return g_strdup_printf (_("%.0f %%"), y * 100);
    case BS_TRAINING_CHART_CELL:
      return g_strdup_printf ("%.1f", y);
    case BS_TRAINING_CHART_LEARNING_RATE:
      return max < 0.01 ? g_strdup_printf ("%.0e", y) : g_strdup_printf ("%g", y);
    case BS_TRAINING_CHART_LOSS:
    default:
      return g_strdup_printf ("%g", y);
    }
}

static const char *
chart_title (BsTrainingChartKind kind)
{
  switch (kind)
    {
    case BS_TRAINING_CHART_LOSS:
      return _("Training loss");
    case BS_TRAINING_CHART_ACCURACY:
      return _("Accuracy");
    case BS_TRAINING_CHART_LEARNING_RATE:
      return _("Learning rate");
    case BS_TRAINING_CHART_CELL:
    default:
      return _("CKA of this cell over training");
    }
}

/* A line in data units; many more points than pixels are drawn as one
 * vertical span per pixel column (their range), which costs the same at any
 * length. */
static void
draw_line (cairo_t             *cr,
           GArray              *line,
           double               x0,
           double               y0,
           double               w,
           double               h,
           double               x_max,
           double               y_max,
           const BsFigureColor *color,
           double               alpha,
           double               width,
           gboolean             dots)
{
  gboolean pen_down = FALSE;
  int column = G_MININT;
  double col_min = 0, col_max = 0;

  bs_chart_set_source (cr, color, alpha);
  cairo_set_line_width (cr, width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  for (guint i = 0; i < line->len; i++)
    {
      const Point *p = &g_array_index (line, Point, i);
      double x = x0 + p->x / x_max * w;
      double y;

      if (!isfinite (p->y))
        {
          pen_down = FALSE;
          continue;
        }
      y = y0 + h - CLAMP (p->y / y_max, 0.0, 1.0) * h;

      if (line->len > 2 * w)
        {
          /* Bin into pixel columns. */
          if ((int) x == column)
            {
              col_min = MIN (col_min, y);
              col_max = MAX (col_max, y);
              continue;
            }
          if (column != G_MININT)
            {
              cairo_line_to (cr, column + 0.5, col_min);
              cairo_line_to (cr, column + 0.5, col_max);
            }
          column = (int) x;
          col_min = col_max = y;
        }

      if (pen_down)
        cairo_line_to (cr, x, y);
      else
        cairo_move_to (cr, x, y);
      pen_down = TRUE;
    }
  cairo_stroke (cr);

  if (dots)
    for (guint i = 0; i < line->len; i++)
      {
        const Point *p = &g_array_index (line, Point, i);

        if (!isfinite (p->y))
          continue;
        cairo_arc (cr, x0 + p->x / x_max * w, y0 + h - CLAMP (p->y / y_max, 0.0, 1.0) * h, 2.5, 0, 2 * G_PI);
        cairo_fill (cr);
      }
}

/* The nearest point of line to epoch position x, or -1. */
static int
nearest (GArray *line,
         double  x)
{
  int best = -1;
  double best_d = INFINITY;

  for (guint i = 0; i < line->len; i++)
    {
      double d = fabs (g_array_index (line, Point, i).x - x);

      if (d < best_d && isfinite (g_array_index (line, Point, i).y))
        {
          best_d = d;
          best = i;
        }
    }
  return best;
}

static char *
readout_text (BsTrainingChart *self,
              GArray          *lines[2],
              int              i)
{
  switch (self->kind)
    {
    case BS_TRAINING_CHART_LOSS:
      {
        const BsRunStep *s = &g_array_index (bs_training_history_get_steps (self->history), BsRunStep, i);

        /* Translators: the hover read-out of the loss chart: step, raw loss, smoothed loss. */
        return g_strdup_printf (_("Step %u · loss %.3f (smoothed %.3f)"), (guint) s->global_step,
                                s->loss, i < (int) lines[1]->len ? g_array_index (lines[1], Point, i).y : NAN);
      }
    case BS_TRAINING_CHART_LEARNING_RATE:
      {
        const BsRunStep *s = &g_array_index (bs_training_history_get_steps (self->history), BsRunStep, i);

        /* Translators: the hover read-out of the learning-rate chart. */
        return g_strdup_printf (_("Step %u · learning rate %.4g"), (guint) s->global_step, s->lr);
      }
    case BS_TRAINING_CHART_ACCURACY:
      {
        const BsRunEpoch *e = &g_array_index (bs_training_history_get_epochs (self->history), BsRunEpoch, i);

        /* Translators: the hover read-out of the accuracy chart: epoch, training and test accuracy in %. */
        return g_strdup_printf (_("Epoch %u · training %.1f %% · test %.1f %%"), e->epoch,
                                e->train_accuracy * 100, e->test_accuracy * 100);
      }
    case BS_TRAINING_CHART_CELL:
    default:
      {
        const BsTrainingSnapshotEntry *e = bs_training_history_get_snapshot (self->history, i);

        /* Translators: the hover read-out of a cell's CKA over training: epoch, value. */
        return g_strdup_printf (_("Epoch %u · CKA %.3f"), e->epoch, g_array_index (lines[0], Point, i).y);
      }
    }
}

static void
bs_training_chart_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  BsTrainingChart *self = BS_TRAINING_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double x0 = PAD_LEFT, y0 = PAD_TOP;
  double w = width - PAD_LEFT - PAD_RIGHT, h = height - PAD_TOP - PAD_BOTTOM;
  GArray *lines[2];
  BsFigurePalette palette;
  double x_max, y_max;
  guint n_epochs;
  cairo_t *cr;

  if (w < 20 || h < 20)
    return;

  bs_theme_palette_read (widget, BACKGROUND_NAME (self), &palette);
  collect_lines (self, lines);
  n_epochs = self->history != NULL ? MAX (1, bs_training_history_get_n_epochs (self->history)) : 1;
  x_max = n_epochs;
  y_max = y_maximum (self, lines[0]);

  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  /* Title, top left; the hover read-out takes its place. */
  g_clear_pointer (&self->readout, g_free);
  if (isfinite (self->hover_x) && self->history != NULL)
    {
      int i = nearest (lines[0], (self->hover_x - x0) / w * x_max);

      if (i >= 0)
        {
          const Point *p = &g_array_index (lines[0], Point, i);
          double x = round (x0 + p->x / x_max * w) + 0.5;

          bs_chart_set_source (cr, &palette.line, 0.6);
          cairo_set_line_width (cr, 1);
          cairo_move_to (cr, x, y0);
          cairo_line_to (cr, x, y0 + h);
          cairo_stroke (cr);
          self->readout = readout_text (self, lines, i);
        }
    }
  bs_chart_set_source (cr, &palette.text, 1);
  bs_chart_show_text (cr, widget, self->readout != NULL ? self->readout : chart_title (self->kind), 4, 3, 0, 0);

  /* Grid and y labels at 0, half and the maximum. */
  {
    g_autofree char *low = format_y (self, 0, y_max);
    g_autofree char *half = format_y (self, 0.5 * y_max, y_max);
    g_autofree char *high = format_y (self, y_max, y_max);
    const char *const labels[3] = { low, half, high };

    bs_chart_draw_y_grid (cr, widget, &palette, x0, y0, w, h, labels);
  }

  /* x: epochs, a tick at each (or every few), labelled at the ends. */
  {
    guint every = n_epochs <= 10 ? 1 : n_epochs <= 50 ? 5 : 10;
    g_autofree char *last = NULL;

    bs_chart_set_source (cr, &palette.line, 1);
    for (guint e = 0; e <= n_epochs; e += every)
      {
        double x = round (x0 + e / x_max * w) + 0.5;

        cairo_move_to (cr, x, y0 + h);
        cairo_line_to (cr, x, y0 + h + 3);
      }
    cairo_stroke (cr);
    bs_chart_set_source (cr, &palette.text_secondary, 1);
    bs_chart_show_text (cr, widget, "0", x0, y0 + h + 3, 0, 0);
    /* Translators: the x axis of the training charts ends at this epoch. */
    last = g_strdup_printf (_("epoch %u"), n_epochs);
    bs_chart_show_text (cr, widget, last, x0 + w, y0 + h + 3, 1, 0);
  }

  /* The timeline's position. */
  if (isfinite (self->marker))
    {
      double x = round (x0 + CLAMP (self->marker / x_max, 0, 1) * w) + 0.5;

      bs_chart_set_source (cr, &palette.accent, 0.8);
      cairo_set_line_width (cr, 1);
      cairo_move_to (cr, x, y0);
      cairo_line_to (cr, x, y0 + h);
      cairo_stroke (cr);
    }

  cairo_save (cr);
  cairo_rectangle (cr, x0, y0 - 2, w, h + 4);
  cairo_clip (cr);
  switch (self->kind)
    {
    case BS_TRAINING_CHART_LOSS:
      draw_line (cr, lines[0], x0, y0, w, h, x_max, y_max, &palette.series[0], 0.3, 1, FALSE);
      draw_line (cr, lines[1], x0, y0, w, h, x_max, y_max, &palette.series[0], 1, 2, FALSE);
      break;
    case BS_TRAINING_CHART_ACCURACY:
      draw_line (cr, lines[0], x0, y0, w, h, x_max, y_max, &palette.series[0], 1, 2, TRUE);
      draw_line (cr, lines[1], x0, y0, w, h, x_max, y_max, &palette.series[1], 1, 2, TRUE);
      break;
    case BS_TRAINING_CHART_LEARNING_RATE:
      draw_line (cr, lines[0], x0, y0, w, h, x_max, y_max, &palette.series[0], 1, 1.5, FALSE);
      break;
    case BS_TRAINING_CHART_CELL:
      draw_line (cr, lines[0], x0, y0, w, h, x_max, y_max, &palette.series[0], 1, 1.5, TRUE);
      break;
    default:
      break;
    }
  cairo_restore (cr);

  /* Legend of the accuracy chart, top right. */
  if (self->kind == BS_TRAINING_CHART_ACCURACY && self->readout == NULL)
    {
      bs_chart_set_source (cr, &palette.series[1], 1);
      bs_chart_show_text (cr, widget, C_("accuracy chart", "test"), x0 + w, 3, 1, 0);
      bs_chart_set_source (cr, &palette.series[0], 1);
      bs_chart_show_text (cr, widget, C_("accuracy chart", "training"), x0 + w - 40, 3, 1, 0);
    }

  cairo_destroy (cr);
  g_array_unref (lines[0]);
  g_array_unref (lines[1]);
}

/* In words: the range of the main line and where it is lowest and highest. */
static void
update_description (BsTrainingChart *self,
                    gboolean         force)
{
  GArray *lines[2];
  g_autofree double *values = NULL;
  g_autofree char *description = NULL;
  BsSeriesSummary summary;
  guint n_epochs = 0, n_snapshots = 0;

  if (self->history != NULL)
    {
      n_epochs = bs_training_history_get_epochs (self->history)->len;
      n_snapshots = bs_training_history_get_n_snapshots (self->history);
    }
  if (!force && self->described && n_epochs == self->described_epochs &&
      n_snapshots == self->described_snapshots)
    return;
  self->described = TRUE;
  self->described_epochs = n_epochs;
  self->described_snapshots = n_snapshots;

  collect_lines (self, lines);
  values = g_new (double, MAX (1, lines[0]->len));
  for (guint i = 0; i < lines[0]->len; i++)
    values[i] = g_array_index (lines[0], Point, i).y;

  if (!bs_a11y_summarize_series (values, lines[0]->len, 1, &summary))
    description = g_strdup (_("No values yet."));
  else
    {
      double at_min = g_array_index (lines[0], Point, summary.min_index).x;
      double at_max = g_array_index (lines[0], Point, summary.max_index).x;

      switch (self->kind)
        {
        case BS_TRAINING_CHART_ACCURACY:
          /* Translators: the accuracy chart in words; lowest % and its epoch, highest % and its epoch. */
          description = g_strdup_printf (_("Training accuracy per epoch from %.1f %% at epoch %.0f to "
                                           "%.1f %% at epoch %.0f."),
                                         summary.min * 100, at_min, summary.max * 100, at_max);
          if (lines[1]->len > 0)
            {
              const Point *last = &g_array_index (lines[1], Point, lines[1]->len - 1);
              /* Translators: the last epoch's test accuracy; %.0f is the epoch. */
              g_autofree char *test = g_strdup_printf (_("Test accuracy %.1f %% after epoch %.0f."),
                                                       last->y * 100, last->x);
              char *both = g_strdup_printf ("%s %s", description, test);

              g_free (description);
              description = both;
            }
          break;
        default:
          /* Translators: a training chart in words: its name, number of points,
           * lowest value and where (in epochs), highest value and where. */
          description = g_strdup_printf (_("%s: %u points, from %.4g at epoch %.2f to %.4g at epoch %.2f."),
                                         chart_title (self->kind), summary.n, summary.min, at_min,
                                         summary.max, at_max);
          break;
        }
    }
  bs_a11y_set_description (GTK_WIDGET (self), description);
  g_array_unref (lines[0]);
  g_array_unref (lines[1]);
}

static void
on_history_changed (BsTrainingChart *self)
{
  update_description (self, FALSE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_snapshot_changed (BsTrainingHistory *history,
                     guint              position,
                     BsTrainingChart   *self)
{
  if (self->kind != BS_TRAINING_CHART_CELL)
    return;
  on_history_changed (self);
}

static void
on_motion (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           BsTrainingChart          *self)
{
  self->hover_x = x;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *motion,
          BsTrainingChart          *self)
{
  self->hover_x = NAN;
  g_clear_pointer (&self->readout, g_free);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
bs_training_chart_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 160 : 110;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 300 : 150;
}

static void
bs_training_chart_dispose (GObject *object)
{
  BsTrainingChart *self = BS_TRAINING_CHART (object);

  bs_training_chart_set_history (self, NULL);
  g_clear_pointer (&self->readout, g_free);

  G_OBJECT_CLASS (bs_training_chart_parent_class)->dispose (object);
}

static void
bs_training_chart_class_init (BsTrainingChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_training_chart_dispose;
  widget_class->snapshot = bs_training_chart_snapshot;
  widget_class->measure = bs_training_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "trainingchart");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bs_training_chart_init (BsTrainingChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->marker = NAN;
  self->hover_x = NAN;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  /* Focusable so that keyboard and screen reader users reach its description. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  bs_theme_palette_watch (GTK_WIDGET (self), gtk_widget_queue_draw);
}

GtkWidget *
bs_training_chart_new (BsTrainingChartKind kind)
{
  BsTrainingChart *self = g_object_new (BS_TYPE_TRAINING_CHART, NULL);

  self->kind = kind;
  bs_a11y_set_label (GTK_WIDGET (self), chart_title (kind));
  update_description (self, TRUE);
  return GTK_WIDGET (self);
}

void
bs_training_chart_set_history (BsTrainingChart   *self,
                               BsTrainingHistory *history)
{
  g_return_if_fail (BS_IS_TRAINING_CHART (self));

  if (self->history == history)
    return;
  if (self->history != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->history, self);
      g_clear_object (&self->history);
    }
  if (history != NULL)
    {
      self->history = g_object_ref (history);
      g_signal_connect_swapped (history, "changed", G_CALLBACK (on_history_changed), self);
      g_signal_connect (history, "snapshot-changed", G_CALLBACK (on_snapshot_changed), self);
    }
  update_description (self, TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bs_training_chart_set_marker (BsTrainingChart *self,
                              double           epoch)
{
  g_return_if_fail (BS_IS_TRAINING_CHART (self));

  if (self->marker == epoch || (isnan (self->marker) && isnan (epoch)))
    return;
  self->marker = epoch;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bs_training_chart_set_cell (BsTrainingChart *self,
                            guint            row,
                            guint            col)
{
  g_return_if_fail (BS_IS_TRAINING_CHART (self));

  self->row = row;
  self->col = col;
  update_description (self, TRUE);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
bs_training_chart_get_n_points (BsTrainingChart *self)
{
  GArray *lines[2];
  guint n;

  g_return_val_if_fail (BS_IS_TRAINING_CHART (self), 0);

  collect_lines (self, lines);
  n = lines[0]->len;
  g_array_unref (lines[0]);
  g_array_unref (lines[1]);
  return n;
}

const char *
bs_training_chart_get_readout (BsTrainingChart *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_CHART (self), NULL);
  return self->readout;
}
