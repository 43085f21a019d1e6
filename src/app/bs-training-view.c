/* bs-training-view.c: timeline, state, buttons and charts of a training run. */
#include "bs-config.h"

#include "bs-training-view.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-training-chart.h"

#define N_CHARTS 4

struct _BsTrainingView
{
  GtkWidget           parent_instance;

  BsTrainingHistory  *history;
  guint               position;     /* shown snapshot; G_MAXUINT: none */
  guint               n_marks;
  gboolean            updating;     /* the slider is being set from code */
  guint               play_source;

  GtkWidget          *box;
  GtkWidget          *title_label;
  GtkWidget          *status_label;
  GtkWidget          *pause_button;
  GtkWidget          *continue_button;
  GtkWidget          *stop_button;
  GtkWidget          *resume_button;
  GtkWidget          *convergence_button;
  GtkWidget          *charts_box;
  GtkWidget          *play_button;
  GtkWidget          *scale;
  GtkWidget          *position_label;
  GtkWidget          *charts[N_CHARTS];
};

G_DEFINE_FINAL_TYPE (BsTrainingView, bs_training_view, GTK_TYPE_WIDGET)

enum {
  SNAPSHOT_SHOWN,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_HISTORY,
  N_PROPS
};

static GParamSpec *props[N_PROPS];

static void
bs_training_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  BsTrainingView *self = BS_TRAINING_VIEW (object);

  switch (prop_id)
    {
    case PROP_HISTORY:
      g_value_set_object (value, self->history);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static guint
n_snapshots (BsTrainingView *self)
{
  return self->history != NULL ? bs_training_history_get_n_snapshots (self->history) : 0;
}

/* Where a snapshot is on the charts' axis, in epochs. */
static double
snapshot_epochs (BsTrainingView                *self,
                 const BsTrainingSnapshotEntry *entry)
{
  guint64 total = bs_training_history_get_total_steps (self->history);
  guint n_epochs = bs_training_history_get_n_epochs (self->history);

  if (total > 0 && n_epochs > 0)
    return (double) entry->global_step * n_epochs / total;
  return entry->epoch;
}

static char *
snapshot_label (const BsTrainingSnapshotEntry *entry)
{
  if (entry->epoch == 0 && entry->global_step == 0)
    return g_strdup (_("Initialisation"));
  /* Translators: a snapshot taken after an epoch (first %u) at a global step (second %u). */
  return g_strdup_printf (_("Epoch %u · step %u"), entry->epoch, (guint) entry->global_step);
}

static void
update_position_label (BsTrainingView *self)
{
  const BsTrainingSnapshotEntry *entry;
  g_autofree char *label = NULL;
  g_autofree char *text = NULL;

  if (self->position >= n_snapshots (self))
    {
      gtk_label_set_label (GTK_LABEL (self->position_label), _("No snapshot yet"));
      for (guint i = 0; i < N_CHARTS; i++)
        bs_training_chart_set_marker (BS_TRAINING_CHART (self->charts[i]), NAN);
      return;
    }

  entry = bs_training_history_get_snapshot (self->history, self->position);
  label = snapshot_label (entry);
  if (entry->complete || entry->snapshot == NULL)
    text = g_strdup (label);
  else
    /* Translators: a snapshot's label, then minibatches done and in all. */
    text = g_strdup_printf (_("%s · minibatch %u of %u"), label,
                            bs_cka_snapshot_get_minibatches_done (entry->snapshot),
                            bs_cka_snapshot_get_minibatches_total (entry->snapshot));
  gtk_label_set_label (GTK_LABEL (self->position_label), text);
  for (guint i = 0; i < N_CHARTS; i++)
    bs_training_chart_set_marker (BS_TRAINING_CHART (self->charts[i]), snapshot_epochs (self, entry));
}

static void
emit_shown (BsTrainingView *self)
{
  BsCkaSnapshot *snapshot = bs_training_view_get_shown_snapshot (self);

  update_position_label (self);
  if (snapshot != NULL)
    g_signal_emit (self, signals[SNAPSHOT_SHOWN], 0, snapshot);
}

/* One mark per snapshot, labelled at epochs (every few when there are many). */
static void
rebuild_marks (BsTrainingView *self)
{
  guint n = n_snapshots (self);
  GtkAdjustment *adjustment = gtk_range_get_adjustment (GTK_RANGE (self->scale));
  guint every = n <= 12 ? 1 : n <= 30 ? 5 : 10;

  self->updating = TRUE;
  gtk_scale_clear_marks (GTK_SCALE (self->scale));
  gtk_adjustment_configure (adjustment, MIN (self->position, n > 0 ? n - 1 : 0),
                            0, MAX (n, 2) - 1, 1, 1, 0);
  for (guint i = 0; i < n; i++)
    {
      const BsTrainingSnapshotEntry *e = bs_training_history_get_snapshot (self->history, i);
      g_autofree char *label = NULL;

      if (e->global_step == 0)
        label = g_strdup ("0");
      else if (e->epoch % every == 0 || i == n - 1)
        label = g_strdup_printf ("%u", e->epoch);
      gtk_scale_add_mark (GTK_SCALE (self->scale), i, GTK_POS_BOTTOM, label);
    }
  self->n_marks = n;
  gtk_widget_set_sensitive (self->scale, n > 1);
  gtk_widget_set_sensitive (self->play_button, n > 1);
  self->updating = FALSE;
}

static void
on_value_changed (GtkRange       *range,
                  BsTrainingView *self)
{
  guint position;

  if (self->updating)
    return;
  position = (guint) lround (gtk_range_get_value (range));
  if (position >= n_snapshots (self) || position == self->position)
    return;
  self->position = position;
  emit_shown (self);
}

static void
on_snapshot_changed (BsTrainingHistory *history,
                     guint              position,
                     BsTrainingView    *self)
{
  guint n = n_snapshots (self);
  gboolean added = n != self->n_marks;
  /* At the newest snapshot (or none): follow the run. */
  gboolean following = self->position >= self->n_marks || self->position + 1 >= self->n_marks;

  if (added)
    {
      if (following && self->play_source == 0)
        self->position = n - 1;
      else if (position <= self->position && self->position < G_MAXUINT)
        self->position++;
      rebuild_marks (self);
    }
  if (position == self->position || added)
    emit_shown (self);
}

static gboolean
play_step (gpointer user_data)
{
  BsTrainingView *self = user_data;

  if (self->position + 1 >= n_snapshots (self))
    {
      self->play_source = 0;
      gtk_button_set_icon_name (GTK_BUTTON (self->play_button), "media-playback-start-symbolic");
      return G_SOURCE_REMOVE;
    }
  bs_training_view_set_position (self, self->position + 1);
  return G_SOURCE_CONTINUE;
}

static void
stop_playing (BsTrainingView *self)
{
  g_clear_handle_id (&self->play_source, g_source_remove);
  gtk_button_set_icon_name (GTK_BUTTON (self->play_button), "media-playback-start-symbolic");
}

static void
on_play_clicked (GtkButton      *button,
                 BsTrainingView *self)
{
  if (self->play_source != 0)
    stop_playing (self);
  else
    bs_training_view_play (self, 600);
}

static GtkWidget *
icon_button (const char *icon,
             const char *label,
             const char *action)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  if (action != NULL)
    gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  return button;
}

static void
bs_training_view_dispose (GObject *object)
{
  BsTrainingView *self = BS_TRAINING_VIEW (object);

  g_clear_handle_id (&self->play_source, g_source_remove);
  bs_training_view_set_history (self, NULL);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->charts[BS_TRAINING_CHART_CELL]);

  G_OBJECT_CLASS (bs_training_view_parent_class)->dispose (object);
}

static void
bs_training_view_class_init (BsTrainingViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_training_view_dispose;
  object_class->get_property = bs_training_view_get_property;

  /* The run shown (bs_training_view_set_history ()). */
  props[PROP_HISTORY] = g_param_spec_object ("history", NULL, NULL, BS_TYPE_TRAINING_HISTORY,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS | G_PARAM_EXPLICIT_NOTIFY);
  g_object_class_install_properties (object_class, N_PROPS, props);

  /* The snapshot to show in the heatmap: another position, or a newer
   * state of the one shown. */
  signals[SNAPSHOT_SHOWN] =
    g_signal_new ("snapshot-shown", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, BS_TYPE_CKA_SNAPSHOT);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "trainingview");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
bs_training_view_init (BsTrainingView *self)
{
  GtkWidget *timeline = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *state = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *charts = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);

  self->position = G_MAXUINT;
  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
  gtk_widget_set_margin_start (self->box, 6);
  gtk_widget_set_margin_end (self->box, 6);
  gtk_widget_set_margin_bottom (self->box, 6);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Training run"), -1);

  /* The timeline. */
  self->play_button = icon_button ("media-playback-start-symbolic", _("Play the Snapshots"), NULL);
  gtk_widget_set_valign (self->play_button, GTK_ALIGN_START);
  g_signal_connect (self->play_button, "clicked", G_CALLBACK (on_play_clicked), self);
  gtk_box_append (GTK_BOX (timeline), self->play_button);
  self->scale = gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, 0, 1, 1);
  gtk_scale_set_draw_value (GTK_SCALE (self->scale), FALSE);
  gtk_range_set_round_digits (GTK_RANGE (self->scale), 0);
  gtk_widget_set_hexpand (self->scale, TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->scale), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Snapshot timeline"), -1);
  gtk_widget_set_tooltip_text (self->scale, _("Snapshot timeline: drag to show the similarity at another epoch"));
  g_signal_connect (self->scale, "value-changed", G_CALLBACK (on_value_changed), self);
  gtk_box_append (GTK_BOX (timeline), self->scale);
  self->position_label = gtk_label_new (NULL);
  gtk_label_set_width_chars (GTK_LABEL (self->position_label), 22);
  gtk_label_set_xalign (GTK_LABEL (self->position_label), 0);
  gtk_widget_set_valign (self->position_label, GTK_ALIGN_START);
  gtk_widget_set_margin_top (self->position_label, 6);
  gtk_widget_add_css_class (self->position_label, "numeric");
  gtk_box_append (GTK_BOX (timeline), self->position_label);
  gtk_box_append (GTK_BOX (self->box), timeline);

  /* The run and its buttons. */
  self->title_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->title_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->title_label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (self->title_label, "heading");
  self->status_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (self->status_label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (self->status_label), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (self->status_label, "dim-label");
  gtk_widget_add_css_class (self->status_label, "numeric");
  gtk_box_append (GTK_BOX (texts), self->title_label);
  gtk_box_append (GTK_BOX (texts), self->status_label);
  gtk_widget_set_hexpand (texts, TRUE);
  gtk_box_append (GTK_BOX (state), texts);
  self->pause_button = icon_button ("media-playback-pause-symbolic", _("Pause Training"), "win.pause-training");
  self->continue_button = icon_button ("media-playback-start-symbolic", _("Continue Training"),
                                       "win.continue-training");
  self->stop_button = icon_button ("media-playback-stop-symbolic", _("Stop Training"), "win.stop-training");
  self->resume_button = gtk_button_new_with_mnemonic (_("_Resume Training"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->resume_button), "win.resume-run");
  gtk_widget_add_css_class (self->resume_button, "suggested-action");
  gtk_box_append (GTK_BOX (state), self->pause_button);
  gtk_box_append (GTK_BOX (state), self->continue_button);
  gtk_box_append (GTK_BOX (state), self->stop_button);
  gtk_box_append (GTK_BOX (state), self->resume_button);
  self->convergence_button = gtk_button_new_with_mnemonic (_("Layer Con_vergence"));
  gtk_widget_set_tooltip_text (self->convergence_button,
                               _("Each layer's CKA with the final model at every checkpoint: which layers settle first"));
  gtk_actionable_set_action_name (GTK_ACTIONABLE (self->convergence_button), "win.layer-convergence");
  gtk_box_append (GTK_BOX (state), self->convergence_button);
  gtk_box_append (GTK_BOX (self->box), state);

  /* The charts; that of the selected cell goes where the window puts it
   * (the inspector), so the view keeps a reference of its own. */
  gtk_box_set_homogeneous (GTK_BOX (charts), TRUE);
  for (guint i = 0; i < N_CHARTS; i++)
    {
      self->charts[i] = bs_training_chart_new (i);
      if (i != BS_TRAINING_CHART_CELL)
        gtk_box_append (GTK_BOX (charts), self->charts[i]);
    }
  g_object_ref_sink (self->charts[BS_TRAINING_CHART_CELL]);
  gtk_widget_set_visible (self->charts[BS_TRAINING_CHART_CELL], FALSE);
  gtk_box_append (GTK_BOX (self->box), charts);
  self->charts_box = charts;

  bs_training_view_set_state (self, BS_TRAINING_VIEW_DONE);
  rebuild_marks (self);
  update_position_label (self);
}

GtkWidget *
bs_training_view_new (void)
{
  return g_object_new (BS_TYPE_TRAINING_VIEW, NULL);
}

void
bs_training_view_set_history (BsTrainingView    *self,
                              BsTrainingHistory *history)
{
  g_return_if_fail (BS_IS_TRAINING_VIEW (self));

  if (self->history == history)
    return;
  if (self->play_button != NULL)
    stop_playing (self);
  if (self->history != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->history, self);
      g_clear_object (&self->history);
    }
  if (history != NULL)
    {
      self->history = g_object_ref (history);
      g_signal_connect (history, "snapshot-changed", G_CALLBACK (on_snapshot_changed), self);
    }
  for (guint i = 0; i < N_CHARTS; i++)
    if (self->charts[i] != NULL)
      bs_training_chart_set_history (BS_TRAINING_CHART (self->charts[i]), history);
  g_object_notify_by_pspec (G_OBJECT (self), props[PROP_HISTORY]);

  if (self->scale == NULL)
    return;
  self->position = n_snapshots (self) > 0 ? n_snapshots (self) - 1 : G_MAXUINT;
  rebuild_marks (self);
  emit_shown (self);
}

BsTrainingHistory *
bs_training_view_get_history (BsTrainingView *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_VIEW (self), NULL);
  return self->history;
}

void
bs_training_view_set_text (BsTrainingView *self,
                           const char     *title,
                           const char     *status)
{
  g_return_if_fail (BS_IS_TRAINING_VIEW (self));

  gtk_label_set_label (GTK_LABEL (self->title_label), title);
  gtk_label_set_label (GTK_LABEL (self->status_label), status);
}

void
bs_training_view_set_state (BsTrainingView      *self,
                            BsTrainingViewState  state)
{
  g_return_if_fail (BS_IS_TRAINING_VIEW (self));

  gtk_widget_set_visible (self->pause_button, state == BS_TRAINING_VIEW_TRAINING);
  gtk_widget_set_visible (self->continue_button, state == BS_TRAINING_VIEW_PAUSED);
  gtk_widget_set_visible (self->stop_button, state <= BS_TRAINING_VIEW_WAITING);
  gtk_widget_set_visible (self->resume_button, state == BS_TRAINING_VIEW_RESUMABLE);
}

guint
bs_training_view_get_position (BsTrainingView *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_VIEW (self), G_MAXUINT);
  return self->position;
}

void
bs_training_view_set_position (BsTrainingView *self,
                               guint           position)
{
  g_return_if_fail (BS_IS_TRAINING_VIEW (self));
  g_return_if_fail (position < n_snapshots (self));

  /* Through the slider, as a user's drag would go. */
  gtk_range_set_value (GTK_RANGE (self->scale), position);
}

BsCkaSnapshot *
bs_training_view_get_shown_snapshot (BsTrainingView *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_VIEW (self), NULL);

  if (self->position >= n_snapshots (self))
    return NULL;
  return bs_training_history_get_snapshot (self->history, self->position)->snapshot;
}

guint
bs_training_view_get_n_marks (BsTrainingView *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_VIEW (self), 0);
  return self->n_marks;
}

void
bs_training_view_play (BsTrainingView *self,
                       guint           interval_ms)
{
  g_return_if_fail (BS_IS_TRAINING_VIEW (self));

  stop_playing (self);
  if (n_snapshots (self) < 2)
    return;
  bs_training_view_set_position (self, 0);
  self->play_source = g_timeout_add (interval_ms, play_step, self);
  gtk_button_set_icon_name (GTK_BUTTON (self->play_button), "media-playback-pause-symbolic");
}

void
bs_training_view_set_cell (BsTrainingView *self,
                           gboolean        selected,
                           guint           row,
                           guint           col)
{
  g_return_if_fail (BS_IS_TRAINING_VIEW (self));

  bs_training_chart_set_cell (BS_TRAINING_CHART (self->charts[BS_TRAINING_CHART_CELL]), row, col);
  gtk_widget_set_visible (self->charts[BS_TRAINING_CHART_CELL], selected && self->history != NULL);
}

void
bs_training_view_add_chart (BsTrainingView *self,
                            GtkWidget      *chart)
{
  g_return_if_fail (BS_IS_TRAINING_VIEW (self));
  gtk_box_append (GTK_BOX (self->charts_box), chart);
}

GtkRange *
bs_training_view_get_timeline (BsTrainingView *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_VIEW (self), NULL);
  return GTK_RANGE (self->scale);
}

GtkWidget *
bs_training_view_get_chart (BsTrainingView *self,
                            guint           kind)
{
  g_return_val_if_fail (BS_IS_TRAINING_VIEW (self), NULL);
  g_return_val_if_fail (kind < N_CHARTS, NULL);
  return self->charts[kind];
}
