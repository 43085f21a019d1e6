/* bs-heatmap-input.c: what pointer, touch and keys do to the heatmap.
 *
 * The pointer's motion keeps the hover cell and the label beside it that
 * names both layers and the value; the scroll wheel and pinches
 * zoom at the pointer; a drag pans; a click that did not move selects the
 * cell under it (a click that moved was a pan); +, -, 0 and the arrow keys
 * zoom, reset and move the selection through widget actions, Page Up and
 * Page Down jump it to the next stage of model A (rows), Ctrl+Page Up and
 * Ctrl+Page Down to that of model B (columns), Ctrl+Home and Ctrl+End to
 * the first and the last cell. */
#include "bs-config.h"

#include <glib/gi18n.h>

#include "bs-heatmap-private.h"

#include <math.h>

#define CLICK_SLOP   4.0   /* a press that moved farther is a drag, not a click */
#define WHEEL_ZOOM   1.2   /* per scroll step */
#define WHEEL_PAN    30.0  /* pixels per horizontal scroll step */
#define KEY_ZOOM     1.5

/* ---------------------------------------------------------------- hover */

static char *
describe_layer_markup (const char        *axis,
                       const BsLayerInfo *info,
                       guint              index)
{
  g_autofree char *name = g_markup_escape_text (info->name ? info->name : "?", -1);

  return g_strdup_printf ("<b>%s</b>  %s  <span alpha=\"70%%\">#%u</span>", axis, name, index);
}

/* "0.912 ± 0.004", "0.912" before two minibatches, "—" without a value. */
static char *
format_share (double share,
              double std_error)
{
  if (isnan (share))
    return g_strdup ("—");
  if (isnan (std_error))
    return g_strdup_printf ("%.3f", share);
  return g_strdup_printf ("%.3f ± %.3f", share, std_error);
}

/* The label over a PC1 share strip: the layer and its share. */
static char *
strip_markup (BsHeatmap *self)
{
  BsCkaSnapshot *source = self->source;
  gboolean cols = self->strip_axis == BS_FIGURE_AXIS_COLS;
  const BsLayerInfo *info = cols ? bs_cka_snapshot_get_col (source, self->strip_layer)
                                 : bs_cka_snapshot_get_row (source, self->strip_layer);
  g_autofree char *layer = describe_layer_markup (cols ? "B" : "A", info, self->strip_layer);
  g_autofree char *share = NULL;
  double se, value;

  value = cols ? bs_cka_snapshot_get_col_pc1_share (source, self->strip_layer, &se)
               : bs_cka_snapshot_get_row_pc1_share (source, self->strip_layer, &se);
  share = format_share (value, se);
  /* Translators: over the strip of PC1 shares: the fraction of a layer's
   * variance on its first principal component, e.g. "0.912 ± 0.004". */
  return g_strdup_printf ("%s\n<b>%s</b>  %s", layer, _("PC1 share"), share);
}

void
_bs_heatmap_update_hover_label (BsHeatmap *self)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_shown_snapshot (self);
  const char *measure;
  g_autofree char *a = NULL;
  g_autofree char *b = NULL;
  g_autofree char *value = NULL;
  g_autofree char *shares = NULL;
  g_autofree char *markup = NULL;
  double cka, se;

  if (self->has_strip_hover && self->source != NULL)
    {
      markup = strip_markup (self);
      gtk_label_set_markup (GTK_LABEL (self->hover_label), markup);
      gtk_widget_set_visible (self->hover_label, TRUE);
      gtk_widget_queue_allocate (GTK_WIDGET (self));
      return;
    }

  if (!self->has_hover || snapshot == NULL)
    {
      gtk_widget_set_visible (self->hover_label, FALSE);
      return;
    }

  measure = bs_cka_snapshot_get_label (snapshot);
  a = describe_layer_markup ("A", bs_cka_snapshot_get_row (snapshot, self->hover_row), self->hover_row);
  b = describe_layer_markup ("B", bs_cka_snapshot_get_col (snapshot, self->hover_col), self->hover_col);
  cka = bs_cka_snapshot_get_value (snapshot, self->hover_row, self->hover_col);
  se = bs_cka_snapshot_get_std_error (snapshot, self->hover_row, self->hover_col);

  if (isnan (cka))
    {
      const char *reason = bs_cka_snapshot_cell_reason (snapshot, self->hover_row, self->hover_col);

      value = g_markup_printf_escaped ("<b>%s</b>  <i>%s</i>", measure, reason ? reason : _("no value"));
    }
  else if (!isnan (se))
    value = g_markup_printf_escaped ("<b>%s</b>  %.3f ± %.3f", measure, cka, se);
  else
    value = g_markup_printf_escaped ("<b>%s</b>  %.3f", measure, cka);

  if (self->source != NULL && bs_cka_snapshot_has_pc1 (self->source))
    {
      double a_se, b_se;
      double a_share = bs_cka_snapshot_get_row_pc1_share (self->source, self->hover_row, &a_se);
      double b_share = bs_cka_snapshot_get_col_pc1_share (self->source, self->hover_col, &b_se);
      g_autofree char *a_text = format_share (a_share, a_se);
      g_autofree char *b_text = format_share (b_share, b_se);

      /* Translators: in the label beside the pointer: the PC1 shares of
       * the row (A) and the column (B) layer, e.g. "0.912 ± 0.004". */
      shares = g_strdup_printf (_("<b>PC1 share</b>  A %s · B %s"), a_text, b_text);
    }

  if (shares != NULL)
    markup = g_strdup_printf ("%s\n%s\n%s\n%s", a, b, value, shares);
  else
    markup = g_strdup_printf ("%s\n%s\n%s", a, b, value);
  gtk_label_set_markup (GTK_LABEL (self->hover_label), markup);
  gtk_widget_set_visible (self->hover_label, TRUE);
  gtk_widget_queue_allocate (GTK_WIDGET (self));
}

void
_bs_heatmap_update_hover (BsHeatmap *self)
{
  guint row = 0, col = 0, layer = 0;
  gboolean inside = FALSE, on_strip = FALSE;
  BsFigureAxis axis = BS_FIGURE_AXIS_ROWS;

  if (self->pointer_inside && _bs_heatmap_get_n_rows (self) > 0)
    {
      inside = bs_heatmap_view_point_to_cell (&self->view,
                                              self->pointer_x - self->layout.plot.x,
                                              self->pointer_y - self->layout.plot.y,
                                              &row, &col);
      if (!inside)
        on_strip = _bs_heatmap_pc1_strips_pick (self, self->pointer_x, self->pointer_y, &axis, &layer);
    }

  if (inside != self->has_hover || row != self->hover_row || col != self->hover_col ||
      on_strip != self->has_strip_hover || axis != self->strip_axis || layer != self->strip_layer)
    {
      self->has_hover = inside;
      self->hover_row = row;
      self->hover_col = col;
      self->has_strip_hover = on_strip;
      self->strip_axis = axis;
      self->strip_layer = layer;
      _bs_heatmap_update_hover_label (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
  else if (inside || on_strip)
    gtk_widget_queue_allocate (GTK_WIDGET (self));
}

void
_bs_heatmap_place_hover_label (BsHeatmap *self,
                               int        width,
                               int        height)
{
  GtkRequisition natural;
  double x, y;

  gtk_widget_get_preferred_size (self->hover_label, NULL, &natural);

  /* Beside the pointer, flipped to the other side near the edges. */
  x = self->pointer_x + 18;
  y = self->pointer_y + 18;
  if (x + natural.width > width - 4)
    x = self->pointer_x - 12 - natural.width;
  if (y + natural.height > height - 4)
    y = self->pointer_y - 12 - natural.height;
  x = MAX (x, 4);
  y = MAX (y, 4);

  gtk_widget_size_allocate (self->hover_label,
                            &(GtkAllocation) { (int) x, (int) y, natural.width, natural.height }, -1);
}

/* ---------------------------------------------------------------- pointer */

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           BsHeatmap                *self)
{
  self->pointer_inside = TRUE;
  self->pointer_x = x;
  self->pointer_y = y;
  _bs_heatmap_update_hover (self);
}

static void
on_leave (GtkEventControllerMotion *controller,
          BsHeatmap                *self)
{
  self->pointer_inside = FALSE;
  _bs_heatmap_update_hover (self);
}

/* Keys zoom at the pointer when it is over the plot, else at its middle. */
static void
keyboard_zoom_point (BsHeatmap *self,
                     double    *x,
                     double    *y)
{
  const BsFigureRect *p = &self->layout.plot;

  if (self->pointer_inside && _bs_heatmap_point_in_plot (self, self->pointer_x, self->pointer_y))
    {
      *x = self->pointer_x;
      *y = self->pointer_y;
    }
  else
    {
      *x = p->x + p->width / 2;
      *y = p->y + p->height / 2;
    }
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           BsHeatmap                *self)
{
  if (_bs_heatmap_get_n_rows (self) == 0 || !_bs_heatmap_point_in_plot (self, self->pointer_x, self->pointer_y))
    return FALSE;

  if (dy != 0)
    _bs_heatmap_zoom_at (self, pow (WHEEL_ZOOM, -dy), self->pointer_x, self->pointer_y);
  if (dx != 0)
    {
      bs_heatmap_view_pan (&self->view, -dx * WHEEL_PAN, 0);
      _bs_heatmap_view_changed (self);
    }

  return TRUE;
}

static void
on_pinch_begin (GtkGesture       *gesture,
                GdkEventSequence *sequence,
                BsHeatmap        *self)
{
  self->pinch_zoom = self->view.zoom;
  if (!gtk_gesture_get_bounding_box_center (gesture, &self->pinch_x, &self->pinch_y))
    keyboard_zoom_point (self, &self->pinch_x, &self->pinch_y);
}

static void
on_pinch_scale_changed (GtkGestureZoom *gesture,
                        double          scale,
                        BsHeatmap      *self)
{
  if (_bs_heatmap_get_n_rows (self) == 0)
    return;

  bs_heatmap_view_set_zoom_at (&self->view, self->pinch_zoom * scale,
                               self->pinch_x - self->layout.plot.x,
                               self->pinch_y - self->layout.plot.y);
  _bs_heatmap_view_changed (self);
}

/* One gesture for pans and clicks: a press that ends where it began
 * selects, one that travelled was a pan. (GtkGestureClick of GTK 4.8
 * drops a click that follows a press elsewhere within the double-click
 * time, such as the start of a quick pan.) */
static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               BsHeatmap      *self)
{
  self->press_x = x;
  self->press_y = y;
  self->drag_in_plot = _bs_heatmap_get_n_rows (self) > 0 && _bs_heatmap_point_in_plot (self, x, y);
  self->drag_moved = FALSE;
  self->drag_center_u = self->view.center_u;
  self->drag_center_v = self->view.center_v;
  gtk_widget_grab_focus (GTK_WIDGET (self));
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          offset_x,
                double          offset_y,
                BsHeatmap      *self)
{
  if (!self->drag_in_plot)
    return;

  if (!self->drag_moved && hypot (offset_x, offset_y) < CLICK_SLOP)
    return;

  if (!self->drag_moved)
    {
      self->drag_moved = TRUE;
      gtk_widget_set_cursor_from_name (GTK_WIDGET (self), "grabbing");
    }

  /* From where the drag began, so the content stays under the pointer. */
  self->view.center_u = self->drag_center_u;
  self->view.center_v = self->drag_center_v;
  bs_heatmap_view_pan (&self->view, offset_x, offset_y);
  _bs_heatmap_view_changed (self);
}

static void
on_drag_end (GtkGestureDrag *gesture,
             double          offset_x,
             double          offset_y,
             BsHeatmap      *self)
{
  double x = self->press_x + offset_x, y = self->press_y + offset_y;
  guint row, col;

  gtk_widget_set_cursor (GTK_WIDGET (self), NULL);

  /* A press that travelled was a pan, not a pick. */
  if (!self->drag_in_plot || self->drag_moved || hypot (offset_x, offset_y) >= CLICK_SLOP)
    return;

  if (bs_heatmap_view_point_to_cell (&self->view, x - self->layout.plot.x, y - self->layout.plot.y,
                                     &row, &col))
    bs_heatmap_select (self, row, col);
}

/* Selects a cell by keyboard and scrolls it into view. */
static void
select_and_show (BsHeatmap *self,
                 guint      row,
                 guint      col)
{
  bs_heatmap_view_ensure_visible (&self->view, row, col);
  bs_heatmap_select (self, row, col);
  _bs_heatmap_view_changed (self);
}

static void
move_selection (BsHeatmap *self,
                int        d_row,
                int        d_col)
{
  guint n_rows = _bs_heatmap_get_n_rows (self);
  guint n_cols = _bs_heatmap_get_n_cols (self);
  gint64 row, col;

  if (n_rows == 0)
    return;

  if (!self->has_selection)
    {
      select_and_show (self, 0, 0);
      return;
    }

  row = CLAMP ((gint64) self->sel_row + d_row, 0, (gint64) n_rows - 1);
  col = CLAMP ((gint64) self->sel_col + d_col, 0, (gint64) n_cols - 1);
  select_and_show (self, (guint) row, (guint) col);
}

/* To the first layer of the next (direction > 0) or this or the previous
 * stage of model A (rows) or B (columns): see bs_layer_stage_jump (). */
static void
jump_stage (BsHeatmap *self,
            int        row_direction,
            int        col_direction)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_shown_snapshot (self);
  guint n_rows = _bs_heatmap_get_n_rows (self);
  guint n_cols = _bs_heatmap_get_n_cols (self);

  if (n_rows == 0 || snapshot == NULL)
    return;

  /* The first press selects, as the arrow keys do. */
  if (!self->has_selection)
    {
      select_and_show (self, 0, 0);
      return;
    }

  select_and_show (self,
                   bs_layer_stage_jump (bs_cka_snapshot_get_rows (snapshot), n_rows, self->sel_row, row_direction),
                   bs_layer_stage_jump (bs_cka_snapshot_get_cols (snapshot), n_cols, self->sel_col, col_direction));
}

static void
move_selection_action (GtkWidget  *widget,
                       const char *action_name,
                       GVariant   *parameter)
{
  int d_row, d_col;

  g_variant_get (parameter, "(ii)", &d_row, &d_col);
  move_selection (BS_HEATMAP (widget), d_row, d_col);
}

static void
jump_stage_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  int row_direction, col_direction;

  g_variant_get (parameter, "(ii)", &row_direction, &col_direction);
  jump_stage (BS_HEATMAP (widget), row_direction, col_direction);
}

/* FALSE: the first cell (bottom left), TRUE: the last (top right). */
static void
select_end_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  guint n_rows = _bs_heatmap_get_n_rows (self);
  guint n_cols = _bs_heatmap_get_n_cols (self);

  if (n_rows == 0)
    return;

  if (g_variant_get_boolean (parameter))
    select_and_show (self, n_rows - 1, n_cols - 1);
  else
    select_and_show (self, 0, 0);
}

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  double x, y;

  keyboard_zoom_point (self, &x, &y);
  _bs_heatmap_zoom_at (self, KEY_ZOOM, x, y);
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  BsHeatmap *self = BS_HEATMAP (widget);
  double x, y;

  keyboard_zoom_point (self, &x, &y);
  _bs_heatmap_zoom_at (self, 1 / KEY_ZOOM, x, y);
}

static void
reset_view_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  bs_heatmap_reset_view (BS_HEATMAP (widget));
}

void
_bs_heatmap_input_class_init (GtkWidgetClass *widget_class)
{
  static const struct { guint key; int d_row, d_col; } arrows[] = {
    { GDK_KEY_Up, 1, 0 }, { GDK_KEY_KP_Up, 1, 0 },
    { GDK_KEY_Down, -1, 0 }, { GDK_KEY_KP_Down, -1, 0 },
    { GDK_KEY_Left, 0, -1 }, { GDK_KEY_KP_Left, 0, -1 },
    { GDK_KEY_Right, 0, 1 }, { GDK_KEY_KP_Right, 0, 1 },
  };
  static const struct { guint key; GdkModifierType mods; int row_direction, col_direction; } stage_keys[] = {
    { GDK_KEY_Page_Up, 0, 1, 0 }, { GDK_KEY_KP_Page_Up, 0, 1, 0 },
    { GDK_KEY_Page_Down, 0, -1, 0 }, { GDK_KEY_KP_Page_Down, 0, -1, 0 },
    { GDK_KEY_Page_Down, GDK_CONTROL_MASK, 0, 1 }, { GDK_KEY_KP_Page_Down, GDK_CONTROL_MASK, 0, 1 },
    { GDK_KEY_Page_Up, GDK_CONTROL_MASK, 0, -1 }, { GDK_KEY_KP_Page_Up, GDK_CONTROL_MASK, 0, -1 },
  };

  gtk_widget_class_install_action (widget_class, "heatmap.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "heatmap.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "heatmap.reset-view", NULL, reset_view_action);
  gtk_widget_class_install_action (widget_class, "heatmap.move-selection", "(ii)", move_selection_action);
  gtk_widget_class_install_action (widget_class, "heatmap.jump-stage", "(ii)", jump_stage_action);
  gtk_widget_class_install_action (widget_class, "heatmap.select-end", "b", select_end_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Add, 0, "heatmap.zoom-in", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, 0, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Subtract, 0, "heatmap.zoom-out", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, 0, "heatmap.reset-view", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_0, 0, "heatmap.reset-view", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, 0, "heatmap.reset-view", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (arrows); i++)
    gtk_widget_class_add_binding_action (widget_class, arrows[i].key, 0, "heatmap.move-selection",
                                         "(ii)", arrows[i].d_row, arrows[i].d_col);
  /* Up the screen is up the rows; Ctrl+Page Down goes right, to the next
   * stage of B, as it goes to the next tab of a notebook. */
  for (guint i = 0; i < G_N_ELEMENTS (stage_keys); i++)
    gtk_widget_class_add_binding_action (widget_class, stage_keys[i].key, stage_keys[i].mods,
                                         "heatmap.jump-stage", "(ii)",
                                         stage_keys[i].row_direction, stage_keys[i].col_direction);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, GDK_CONTROL_MASK, "heatmap.select-end", "b", FALSE);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Home, GDK_CONTROL_MASK, "heatmap.select-end", "b", FALSE);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_End, GDK_CONTROL_MASK, "heatmap.select-end", "b", TRUE);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_End, GDK_CONTROL_MASK, "heatmap.select-end", "b", TRUE);
}

void
_bs_heatmap_input_init (BsHeatmap *self)
{
  GtkEventController *controller;
  GtkGesture *gesture;

  controller = gtk_event_controller_motion_new ();
  g_signal_connect (controller, "enter", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (controller, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  controller = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  g_signal_connect (controller, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), controller);

  gesture = gtk_gesture_zoom_new ();
  g_signal_connect (gesture, "begin", G_CALLBACK (on_pinch_begin), self);
  g_signal_connect (gesture, "scale-changed", G_CALLBACK (on_pinch_scale_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));

  gesture = gtk_gesture_drag_new ();
  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (gesture), GDK_BUTTON_PRIMARY);
  g_signal_connect (gesture, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (gesture, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (gesture, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (gesture));
}
