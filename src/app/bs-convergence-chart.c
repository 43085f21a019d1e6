/* bs-convergence-chart.c: every layer's CKA with its final self over the
 * checkpoints (see the header), drawn with cairo in the theme's colours. */
#include "bs-config.h"

#include "bs-convergence-chart.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-a11y.h"
#include "bs-chart-draw.h"
#include "bs-cka-snapshot.h"
#include "bs-number-format.h"
#include "bs-theme-palette.h"

struct _BsConvergenceChart
{
  GtkWidget  parent_instance;

  GArray    *layers;        /* BsLayerInfo (referenced from the result) */
  guint      n_checkpoints;
  double    *cka;           /* n_layers x n_checkpoints */
  guint     *epochs;

  double     hover_x;       /* widget coordinates; NaN: not hovering */
  double     hover_y;
  gint       hovered;       /* layer under the pointer, -1: none */
  gint       hovered_checkpoint;
  gint       selected;      /* layer kept by a click, -1: none */
  char      *readout;
};

G_DEFINE_FINAL_TYPE (BsConvergenceChart, bs_convergence_chart, GTK_TYPE_WIDGET)

#define BACKGROUND_NAME "window_bg_color"

#define PAD_LEFT   30.0
#define PAD_RIGHT  10.0
#define PAD_TOP    22.0
#define PAD_BOTTOM 20.0

/* A point is hovered when the pointer is this close to it, in pixels. */
#define HOVER_RADIUS 12.0

static guint
n_layers (BsConvergenceChart *self)
{
  return self->layers != NULL ? self->layers->len : 0;
}

static const BsLayerInfo *
layer (BsConvergenceChart *self,
       guint               l)
{
  return &g_array_index (self->layers, BsLayerInfo, l);
}

static gboolean
plot_area (BsConvergenceChart *self,
           double             *x0,
           double             *y0,
           double             *w,
           double             *h)
{
  *x0 = PAD_LEFT;
  *y0 = PAD_TOP;
  *w = gtk_widget_get_width (GTK_WIDGET (self)) - PAD_LEFT - PAD_RIGHT;
  *h = gtk_widget_get_height (GTK_WIDGET (self)) - PAD_TOP - PAD_BOTTOM;
  return *w >= 20 && *h >= 20;
}

/* x of checkpoint k: by its epoch, between the first and the last. */
static double
x_of (BsConvergenceChart *self,
      guint               k,
      double              x0,
      double              w)
{
  guint first = self->epochs[0], last = self->epochs[self->n_checkpoints - 1];

  if (last <= first)
    return x0 + (self->n_checkpoints > 1 ? (double) k / (self->n_checkpoints - 1) : 0.5) * w;
  return x0 + (double) (self->epochs[k] - first) / (last - first) * w;
}

static double
y_of (double v,
      double y0,
      double h)
{
  return y0 + h - CLAMP (v, 0.0, 1.0) * h;
}

static double
value (BsConvergenceChart *self,
       guint               l,
       guint               k)
{
  return self->cka[(gsize) l * self->n_checkpoints + k];
}

/* The line colour of a layer: by stage, from the palette. */
static const BsFigureColor *
stage_color (const BsFigurePalette *palette,
             const BsLayerInfo     *info)
{
  if (info->stage >= 1 && info->stage <= 4)
    return &palette->series[(info->stage - 1) % 2];
  return &palette->text_secondary;
}

static void
draw_layer (BsConvergenceChart    *self,
            cairo_t               *cr,
            const BsFigurePalette *palette,
            guint                  l,
            double                 alpha,
            double                 width,
            double                 x0,
            double                 y0,
            double                 w,
            double                 h)
{
  gboolean pen_down = FALSE;

  bs_chart_set_source (cr, stage_color (palette, layer (self, l)), alpha);
  cairo_set_line_width (cr, width);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
  for (guint k = 0; k < self->n_checkpoints; k++)
    {
      double v = value (self, l, k);

      if (!isfinite (v))
        {
          pen_down = FALSE;
          continue;
        }
      if (pen_down)
        cairo_line_to (cr, x_of (self, k, x0, w), y_of (v, y0, h));
      else
        cairo_move_to (cr, x_of (self, k, x0, w), y_of (v, y0, h));
      pen_down = TRUE;
    }
  cairo_stroke (cr);
}

static char *
point_text (BsConvergenceChart *self,
            guint               l,
            guint               k)
{
  const BsLayerInfo *info = layer (self, l);
  g_autofree char *epoch = bs_format_count (self->epochs[k]);

  /* Translators: the convergence chart's read-out: a layer, its stage
   * ("stage 2"), a checkpoint's epoch and the layer's CKA there with the
   * same layer of the final model. */
  return g_strdup_printf (_("%s · %s · epoch %s · CKA %.3f"), info->name, bs_layer_stage_name (info->stage, FALSE),
                          epoch, value (self, l, k));
}

/* The layer and checkpoint nearest to (x, y) within the hover radius. */
static gboolean
nearest (BsConvergenceChart *self,
         double              x,
         double              y,
         gint               *l_out,
         gint               *k_out)
{
  double x0, y0, w, h, best = HOVER_RADIUS * HOVER_RADIUS;
  gboolean found = FALSE;

  if (!isfinite (x) || n_layers (self) == 0 || !plot_area (self, &x0, &y0, &w, &h))
    return FALSE;
  for (guint l = 0; l < n_layers (self); l++)
    for (guint k = 0; k < self->n_checkpoints; k++)
      {
        double v = value (self, l, k), dx, dy;

        if (!isfinite (v))
          continue;
        dx = x_of (self, k, x0, w) - x;
        dy = y_of (v, y0, h) - y;
        /* Ties (layers with the same value) go to the first layer. */
        if (dx * dx + dy * dy < best)
          {
            best = dx * dx + dy * dy;
            *l_out = l;
            *k_out = k;
            found = TRUE;
          }
      }
  return found;
}

static void
bs_convergence_chart_snapshot (GtkWidget   *widget,
                               GtkSnapshot *snapshot)
{
  BsConvergenceChart *self = BS_CONVERGENCE_CHART (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  double x0, y0, w, h;
  BsFigurePalette palette;
  gint front;
  cairo_t *cr;

  if (!plot_area (self, &x0, &y0, &w, &h))
    return;

  bs_theme_palette_read (widget, BACKGROUND_NAME, &palette);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));

  bs_chart_draw_unit_grid (cr, widget, &palette, x0, y0, w, h);

  /* Title, or the read-out of the point under the pointer (or kept). */
  bs_chart_set_source (cr, &palette.text, 1);
  bs_chart_show_text (cr, widget, self->readout != NULL ? self->readout : _("Each layer's CKA with the final model"),
                      4, 3, 0, 0);

  if (n_layers (self) > 0 && self->n_checkpoints > 0)
    {
      g_autofree char *first = bs_format_count (self->epochs[0]);
      g_autofree char *last_epoch = bs_format_count (self->epochs[self->n_checkpoints - 1]);
      /* Translators: the x axis of the convergence chart ends at this epoch. */
      g_autofree char *last = g_strdup_printf (_("epoch %s"), last_epoch);

      /* A tick at every checkpoint. */
      bs_chart_set_source (cr, &palette.line, 1);
      cairo_set_line_width (cr, 1);
      for (guint k = 0; k < self->n_checkpoints; k++)
        {
          double x = round (x_of (self, k, x0, w)) + 0.5;

          cairo_move_to (cr, x, y0 + h);
          cairo_line_to (cr, x, y0 + h + 3);
        }
      cairo_stroke (cr);
      bs_chart_set_source (cr, &palette.text_secondary, 1);
      bs_chart_show_text (cr, widget, first, x0, y0 + h + 3, 0, 0);
      bs_chart_show_text (cr, widget, last, x0 + w, y0 + h + 3, 1, 0);

      front = self->hovered >= 0 ? self->hovered : self->selected;
      cairo_save (cr);
      cairo_rectangle (cr, x0 - 2, y0 - 2, w + 4, h + 4);
      cairo_clip (cr);
      for (guint l = 0; l < n_layers (self); l++)
        if ((gint) l != front)
          draw_layer (self, cr, &palette, l, front >= 0 ? 0.35 : 1, layer (self, l)->block_output ? 2 : 1,
                      x0, y0, w, h);
      if (front >= 0)
        {
          draw_layer (self, cr, &palette, front, 1, 3, x0, y0, w, h);
          for (guint k = 0; k < self->n_checkpoints; k++)
            if (isfinite (value (self, front, k)))
              {
                cairo_arc (cr, x_of (self, k, x0, w), y_of (value (self, front, k), y0, h),
                           (gint) k == self->hovered_checkpoint && self->hovered == front ? 4 : 2.5, 0, 2 * G_PI);
                cairo_fill (cr);
              }
        }
      cairo_restore (cr);
    }
  cairo_destroy (cr);
}

/* The read-out follows the hovered point, else the kept layer at the last checkpoint. */
static void
update_readout (BsConvergenceChart *self)
{
  g_clear_pointer (&self->readout, g_free);
  if (self->hovered >= 0)
    self->readout = point_text (self, self->hovered, self->hovered_checkpoint);
  else if (self->selected >= 0 && self->n_checkpoints > 0)
    self->readout = point_text (self, self->selected, 0);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
update_hover (BsConvergenceChart *self)
{
  gint l = -1, k = -1;

  if (!nearest (self, self->hover_x, self->hover_y, &l, &k))
    l = k = -1;
  if (l == self->hovered && k == self->hovered_checkpoint)
    return;
  self->hovered = l;
  self->hovered_checkpoint = k;
  update_readout (self);
}

static void
on_motion (GtkEventControllerMotion *motion,
           double                    x,
           double                    y,
           BsConvergenceChart       *self)
{
  self->hover_x = x;
  self->hover_y = y;
  update_hover (self);
}

static void
on_leave (GtkEventControllerMotion *motion,
          BsConvergenceChart       *self)
{
  self->hover_x = self->hover_y = NAN;
  update_hover (self);
}

static void
on_pressed (GtkGestureClick    *click,
            int                 n_press,
            double              x,
            double              y,
            BsConvergenceChart *self)
{
  gint l = -1, k = -1;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (!nearest (self, x, y, &l, &k) || l == self->selected)
    self->selected = -1;
  else
    self->selected = l;
  update_readout (self);
}

/* In words: when each block output (and the input and the last layer)
 * settles, as `blockscope-cli convergence` prints it. */
static void
update_description (BsConvergenceChart *self)
{
  g_autoptr(GString) text = NULL;
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  g_autofree char *count = NULL;

  if (n_layers (self) == 0 || self->n_checkpoints == 0)
    {
      bs_a11y_set_description (GTK_WIDGET (self),
                               _("No layer convergence yet: Layer Convergence computes it for the training run shown."));
      return;
    }

  first = bs_format_count (self->epochs[0]);
  last = bs_format_count (self->epochs[self->n_checkpoints - 1]);
  count = bs_format_count (n_layers (self));
  text = g_string_new (NULL);
  /* Translators: the start of the convergence chart's description: layers,
   * first and last epoch (numbers formatted), the threshold; a list follows. */
  g_string_append_printf (text, _("CKA of %s layers with the final model from epoch %s to epoch %s. "
                                  "Where each block output stays at %.1f or above:"),
                          count, first, last, BS_CONVERGENCE_SETTLED);
  for (guint l = 0; l < n_layers (self); l++)
    {
      const BsLayerInfo *info = layer (self, l);
      gint from = -1;

      if (!info->block_output && info->kind != BS_LAYER_INPUT && l + 1 != n_layers (self))
        continue;
      for (gint k = (gint) self->n_checkpoints - 1; k >= 0 && value (self, l, k) >= BS_CONVERGENCE_SETTLED; k--)
        from = k;
      g_string_append_c (text, ' ');
      if (from >= 0)
        {
          g_autofree char *epoch = bs_format_count (self->epochs[from]);

          /* Translators: one layer in the convergence chart's description: it settles from this epoch. */
          g_string_append_printf (text, _("%s from epoch %s;"), info->name, epoch);
        }
      else
        /* Translators: one layer in the convergence chart's description: it has not settled. */
        g_string_append_printf (text, _("%s not settled;"), info->name);
    }
  bs_a11y_set_description (GTK_WIDGET (self), text->str);
}

void
bs_convergence_chart_set_result (BsConvergenceChart     *self,
                                 const BsCkaConvergence *result,
                                 const guint            *epochs)
{
  g_return_if_fail (BS_IS_CONVERGENCE_CHART (self));

  g_clear_pointer (&self->layers, g_array_unref);
  g_clear_pointer (&self->cka, g_free);
  g_clear_pointer (&self->epochs, g_free);
  self->n_checkpoints = 0;
  self->hovered = self->hovered_checkpoint = self->selected = -1;
  if (result != NULL && result->layers != NULL && result->n_checkpoints > 0)
    {
      g_return_if_fail (epochs != NULL);
      self->layers = g_array_ref (result->layers);
      self->n_checkpoints = result->n_checkpoints;
      self->cka = g_memdup2 (result->cka, (gsize) result->layers->len * result->n_checkpoints * sizeof (double));
      self->epochs = g_memdup2 (epochs, result->n_checkpoints * sizeof (guint));
    }
  update_description (self);
  update_hover (self);
  update_readout (self);
}

guint
bs_convergence_chart_get_n_layers (BsConvergenceChart *self)
{
  g_return_val_if_fail (BS_IS_CONVERGENCE_CHART (self), 0);
  return n_layers (self);
}

guint
bs_convergence_chart_get_n_checkpoints (BsConvergenceChart *self)
{
  g_return_val_if_fail (BS_IS_CONVERGENCE_CHART (self), 0);
  return self->n_checkpoints;
}

double
bs_convergence_chart_get_value (BsConvergenceChart *self,
                                guint               l,
                                guint               k)
{
  g_return_val_if_fail (BS_IS_CONVERGENCE_CHART (self), NAN);
  return l < n_layers (self) && k < self->n_checkpoints ? value (self, l, k) : NAN;
}

gboolean
bs_convergence_chart_get_point (BsConvergenceChart *self,
                                guint               l,
                                guint               k,
                                double             *x,
                                double             *y)
{
  double x0, y0, w, h;

  g_return_val_if_fail (BS_IS_CONVERGENCE_CHART (self), FALSE);
  if (l >= n_layers (self) || k >= self->n_checkpoints || !plot_area (self, &x0, &y0, &w, &h))
    return FALSE;
  *x = x_of (self, k, x0, w);
  *y = y_of (value (self, l, k), y0, h);
  return TRUE;
}

const char *
bs_convergence_chart_get_readout (BsConvergenceChart *self)
{
  g_return_val_if_fail (BS_IS_CONVERGENCE_CHART (self), NULL);
  return self->readout;
}

gint
bs_convergence_chart_get_selected (BsConvergenceChart *self)
{
  g_return_val_if_fail (BS_IS_CONVERGENCE_CHART (self), -1);
  return self->selected;
}

static void
bs_convergence_chart_measure (GtkWidget      *widget,
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
bs_convergence_chart_dispose (GObject *object)
{
  BsConvergenceChart *self = BS_CONVERGENCE_CHART (object);

  g_clear_pointer (&self->layers, g_array_unref);
  g_clear_pointer (&self->cka, g_free);
  g_clear_pointer (&self->epochs, g_free);
  g_clear_pointer (&self->readout, g_free);

  G_OBJECT_CLASS (bs_convergence_chart_parent_class)->dispose (object);
}

static void
bs_convergence_chart_class_init (BsConvergenceChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_convergence_chart_dispose;
  widget_class->snapshot = bs_convergence_chart_snapshot;
  widget_class->measure = bs_convergence_chart_measure;

  gtk_widget_class_set_css_name (widget_class, "convergencechart");
  /* A picture with a name and a description, as the other charts. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bs_convergence_chart_init (BsConvergenceChart *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkGesture *click = gtk_gesture_click_new ();

  self->hover_x = self->hover_y = NAN;
  self->hovered = self->hovered_checkpoint = self->selected = -1;
  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);
  g_signal_connect (click, "pressed", G_CALLBACK (on_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  /* Focusable so that keyboard and screen reader users reach its description. */
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  bs_a11y_set_label (GTK_WIDGET (self), _("Each layer's CKA with the same layer of the final model, over the checkpoints"));
  update_description (self);
  bs_theme_palette_watch (GTK_WIDGET (self), gtk_widget_queue_draw);
}

GtkWidget *
bs_convergence_chart_new (void)
{
  return g_object_new (BS_TYPE_CONVERGENCE_CHART, NULL);
}
