/* bs-training-dialog.c: the settings of a new training run, and its estimate. */
#include "bs-config.h"

#include "bs-training-dialog.h"

#include <glib/gi18n.h>
#include <math.h>

#include "bs-a11y.h"
#include "bs-dataset.h"
#include "bs-dataset-locate.h"
#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-synthetic.h"
#include "bs-trainer.h"
#include "bs-training-start-from.h"

struct _BsTrainingDialog
{
  AdwWindow      parent_instance;

  GtkStringList *models;          /* model names */
  GtkStringList *datasets;        /* data set names, installed ones */
  BsRunSettings  base;            /* what the rows do not show */

  AdwComboRow   *model_row;
  GtkSpinButton *init_seed;
  BsStartFrom   *start_from;      /* random weights, or a checkpoint's (fine-tuning) */
  AdwComboRow   *dataset_row;
  GtkSpinButton *limit;
  GtkSpinButton *test_limit;
  GtkSpinButton *epochs;
  GtkSpinButton *batch;
  GtkSpinButton *lr;
  AdwComboRow   *schedule_row;
  GtkSpinButton *seed;
  GtkSwitch     *augment;
  GtkSwitch     *at_init;
  GtkSpinButton *every_epochs;
  GtkSpinButton *every_steps;
  GtkSpinButton *probe_images;
  GtkSpinButton *probe_batch;
  AdwWindowTitle *title;          /* its subtitle is the estimate */
  GtkWidget     *start_button;

  /* The speed measured last: seconds per training image of that network and batch. */
  char          *measured_model;
  char          *measured_dataset;
  guint          measured_batch;
  double         seconds_per_image;
  GCancellable  *measuring;
  guint          measure_source;
  char          *estimate;
};

G_DEFINE_FINAL_TYPE (BsTrainingDialog, bs_training_dialog, ADW_TYPE_WINDOW)

enum {
  START,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static const char *schedule_names[] = { "linear", "cosine", "constant" };

void
bs_training_demo_settings (BsRunSettings *settings)
{
  bs_run_settings_init (settings);
  g_free (settings->model);
  settings->model = g_strdup ("resnet56");
  g_free (settings->dataset);
  settings->dataset = g_strdup ("fashion-mnist");
  settings->recipe.limit = 3000;
  settings->recipe.epochs = 25;
  settings->recipe.test_limit = 1000;
  settings->recipe.augment = bs_train_default_augment ("fashion-mnist");
  settings->plan.at_init = TRUE;
  settings->plan.every_epochs = 1;
}

/* ---------------------------------------------------------------- rows */

static GtkSpinButton *
add_spin_row (AdwPreferencesGroup *group,
              const char          *title,
              const char          *subtitle,
              double               lower,
              double               upper,
              double               step,
              guint                digits)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *spin = gtk_spin_button_new_with_range (lower, upper, step);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_spin_button_set_digits (GTK_SPIN_BUTTON (spin), digits);
  gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
  gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (spin), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), spin);
  adw_preferences_group_add (group, row);
  return GTK_SPIN_BUTTON (spin);
}

static GtkSwitch *
add_switch_row (AdwPreferencesGroup *group,
                const char          *title,
                const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *sw = gtk_switch_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  if (subtitle != NULL)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_set_valign (sw, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (sw), GTK_ACCESSIBLE_PROPERTY_LABEL, title, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), sw);
  adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), sw);
  adw_preferences_group_add (group, row);
  return GTK_SWITCH (sw);
}

static AdwComboRow *
add_combo_row (AdwPreferencesGroup *group,
               const char          *title,
               GListModel          *model,
               GtkExpression       *expression)
{
  GtkWidget *row = adw_combo_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_underline (ADW_PREFERENCES_ROW (row), TRUE);
  if (expression != NULL)
    adw_combo_row_set_expression (ADW_COMBO_ROW (row), expression);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), model);
  adw_preferences_group_add (group, row);
  return ADW_COMBO_ROW (row);
}

static AdwPreferencesGroup *
add_group (AdwPreferencesPage *page,
           const char         *title)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  adw_preferences_page_add (page, ADW_PREFERENCES_GROUP (group));
  return ADW_PREFERENCES_GROUP (group);
}

/* A model name shown as the menus show it ("ResNet-56 ×2"). */
static char *
model_display_name (GtkStringObject *item)
{
  return bs_model_spec_display_name (gtk_string_object_get_string (item));
}

static char *
dataset_display_name (GtkStringObject *item)
{
  const BsDatasetInfo *info = bs_dataset_info_lookup (gtk_string_object_get_string (item), NULL);

  return g_strdup (info != NULL ? bs_dataset_info_get_display_name (info) : gtk_string_object_get_string (item));
}

static char *
schedule_display_name (GtkStringObject *item)
{
  const char *name = gtk_string_object_get_string (item);

  if (g_str_equal (name, "linear"))
    return g_strdup (_("Warm-up, then linear decay"));
  if (g_str_equal (name, "cosine"))
    return g_strdup (_("Warm-up, then cosine decay"));
  return g_strdup (_("Constant"));
}

static guint
find_string (GtkStringList *list,
             const char    *text)
{
  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    if (g_strcmp0 (gtk_string_list_get_string (list, i), text) == 0)
      return i;
  return GTK_INVALID_LIST_POSITION;
}

static const char *
selected_string (AdwComboRow *row)
{
  GtkStringObject *item = adw_combo_row_get_selected_item (row);

  return item != NULL ? gtk_string_object_get_string (item) : NULL;
}

/* ---------------------------------------------------------------- the estimate */

typedef struct {
  char      *model;
  char      *dataset;
  guint      batch;
  gint64     first_us;   /* when the first (warm-up) step ended */
  guint      timed;      /* steps after it */
  gint64     last_us;
} Measurement;

static void
measurement_free (gpointer data)
{
  Measurement *m = data;

  g_free (m->model);
  g_free (m->dataset);
  g_free (m);
}

static void
on_measure_step (const BsTrainProgress *progress,
                 gpointer               user_data)
{
  Measurement *m = user_data;
  gint64 now = g_get_monotonic_time ();

  if (m->first_us == 0)
    m->first_us = now;
  else
    m->timed++;
  m->last_us = now;
}

#define MEASURE_STEPS 4

/* Seconds per training image, from steps 2 to 4 of a run on generated images. */
static void
measure_thread (GTask        *task,
                gpointer      source,
                gpointer      data,
                GCancellable *cancellable)
{
  Measurement *m = data;
  const BsDatasetInfo *info = bs_dataset_info_lookup (m->dataset, NULL);
  g_autoptr(BsDataset) dataset = NULL;
  g_autoptr(BsModel) model = NULL;
  g_autoptr(BsTrainer) trainer = NULL;
  g_autoptr(GError) error = NULL;
  BsTrainRecipe recipe;
  double *result;

  if (info == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "no data set");
      return;
    }
  dataset = bs_dataset_new_synthetic (m->batch * MEASURE_STEPS, 16, info->channels, info->height,
                                      info->width, info->n_classes, 0);
  model = bs_model_spec_build (m->model, info->channels, info->height, info->width, info->n_classes,
                               0, &error);
  if (dataset == NULL || model == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                               error != NULL ? error->message : "no data");
      return;
    }
  bs_train_recipe_init (&recipe);
  recipe.epochs = 1;
  recipe.batch_size = m->batch;
  recipe.augment = FALSE;
  recipe.test_limit = 16;
  trainer = bs_trainer_new (model, dataset, &recipe, NULL, &error);
  if (trainer == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  bs_trainer_set_progress_func (trainer, on_measure_step, m);
  if (!bs_trainer_run (trainer, cancellable, &error) || m->timed == 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED, "%s",
                               error != NULL ? error->message : "no steps");
      return;
    }
  result = g_new (double, 1);
  *result = (m->last_us - m->first_us) / 1e6 / (m->timed * (double) m->batch);
  g_task_return_pointer (task, result, g_free);
}

static void update_estimate (BsTrainingDialog *self);

static void
on_measured (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autofree double *seconds = g_task_propagate_pointer (G_TASK (result), NULL);
  Measurement *m = g_task_get_task_data (G_TASK (result));
  BsTrainingDialog *self;

  if (seconds == NULL)
    return;   /* cancelled, or the network cannot be built: no estimate */
  self = BS_TRAINING_DIALOG (source);
  g_clear_object (&self->measuring);
  g_free (self->measured_model);
  g_free (self->measured_dataset);
  self->measured_model = g_strdup (m->model);
  self->measured_dataset = g_strdup (m->dataset);
  self->measured_batch = m->batch;
  self->seconds_per_image = *seconds;
  update_estimate (self);
}

static gboolean
start_measuring (gpointer user_data)
{
  BsTrainingDialog *self = user_data;
  g_autoptr(GTask) task = NULL;
  Measurement *m = g_new0 (Measurement, 1);

  self->measure_source = 0;
  m->model = g_strdup (selected_string (self->model_row));
  m->dataset = g_strdup (selected_string (self->dataset_row));
  m->batch = gtk_spin_button_get_value_as_int (self->batch);

  if (self->measuring != NULL)
    g_cancellable_cancel (self->measuring);
  g_clear_object (&self->measuring);
  self->measuring = g_cancellable_new ();
  task = g_task_new (self, self->measuring, on_measured, NULL);
  g_task_set_task_data (task, m, measurement_free);
  g_task_run_in_thread (task, measure_thread);
  return G_SOURCE_REMOVE;
}

static void
set_estimate (BsTrainingDialog *self,
              char             *text)
{
  g_free (self->estimate);
  self->estimate = text;
  adw_window_title_set_subtitle (self->title, text);
}

static void
update_estimate (BsTrainingDialog *self)
{
  const char *model = selected_string (self->model_row);
  const char *dataset = selected_string (self->dataset_row);
  const BsDatasetInfo *info = dataset != NULL ? bs_dataset_info_lookup (dataset, NULL) : NULL;
  guint batch = gtk_spin_button_get_value_as_int (self->batch);
  guint epochs, limit, test_limit, probe, snapshots, every;
  double train_images, seconds;

  if (model == NULL || info == NULL)
    return;

  if (g_strcmp0 (model, self->measured_model) != 0 || g_strcmp0 (dataset, self->measured_dataset) != 0 ||
      batch != self->measured_batch)
    {
      set_estimate (self, g_strdup (_("Measuring the speed of this computer…")));
      /* Wait for the spin buttons to settle before training a few steps. */
      g_clear_handle_id (&self->measure_source, g_source_remove);
      self->measure_source = g_timeout_add (400, start_measuring, self);
      return;
    }

  epochs = gtk_spin_button_get_value_as_int (self->epochs);
  limit = gtk_spin_button_get_value_as_int (self->limit);
  test_limit = gtk_spin_button_get_value_as_int (self->test_limit);
  probe = gtk_spin_button_get_value_as_int (self->probe_images);
  every = gtk_spin_button_get_value_as_int (self->every_epochs);
  train_images = limit > 0 ? MIN (limit, info->n_train) : info->n_train;
  test_limit = test_limit > 0 ? MIN (test_limit, info->n_test) : info->n_test;
  snapshots = (gtk_switch_get_active (self->at_init) ? 1 : 0) + (every > 0 ? (epochs + every - 1) / every : 0);
  if (gtk_spin_button_get_value_as_int (self->every_steps) > 0)
    snapshots += (guint) (epochs * ceil (train_images / batch) / gtk_spin_button_get_value_as_int (self->every_steps));

  /* A forward pass costs about a third of a training step; a snapshot
   * adds the Grams, about twice the forward pass (DESIGN.md). */
  seconds = self->seconds_per_image * (epochs * (train_images + test_limit / 3.0) +
                                       snapshots * MIN (probe, info->n_test));
  if (seconds < 90)
    set_estimate (self, g_strdup (_("About a minute on this computer")));
  else if (seconds < 90 * 60)
    {
      guint minutes = (guint) round (seconds / 60);

      set_estimate (self, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "About %u minute on this computer",
                                                        "About %u minutes on this computer", minutes), minutes));
    }
  else
    {
      guint hours = (guint) round (seconds / 3600);

      set_estimate (self, g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "About %u hour on this computer",
                                                        "About %u hours on this computer", hours), hours));
    }
}

static void
on_start_from_changed (gpointer user_data)
{
  BsTrainingDialog *self = user_data;
  gboolean ok = FALSE;

  bs_start_from_get_note (self->start_from, &ok, NULL);
  gtk_widget_set_sensitive (self->start_button, ok);
}

static void
on_target_changed (BsTrainingDialog *self)
{
  /* Not while the dialog is being torn down. */
  if (self->start_from == NULL)
    return;
  bs_start_from_set_target (self->start_from, selected_string (self->model_row), selected_string (self->dataset_row));
}

/* ---------------------------------------------------------------- dialog */

static void
on_start_clicked (GtkButton        *button,
                  BsTrainingDialog *self)
{
  bs_training_dialog_start (self);
}

static void
on_cancel_clicked (GtkButton        *button,
                   BsTrainingDialog *self)
{
  gtk_window_close (GTK_WINDOW (self));
}

static void
bs_training_dialog_dispose (GObject *object)
{
  BsTrainingDialog *self = BS_TRAINING_DIALOG (object);

  if (self->measuring != NULL)
    g_cancellable_cancel (self->measuring);
  g_clear_object (&self->measuring);
  g_clear_handle_id (&self->measure_source, g_source_remove);
  g_clear_pointer (&self->start_from, bs_start_from_free);

  G_OBJECT_CLASS (bs_training_dialog_parent_class)->dispose (object);
}

static void
bs_training_dialog_finalize (GObject *object)
{
  BsTrainingDialog *self = BS_TRAINING_DIALOG (object);

  g_clear_object (&self->models);
  g_clear_object (&self->datasets);
  bs_run_settings_clear (&self->base);
  g_free (self->measured_model);
  g_free (self->measured_dataset);
  g_free (self->estimate);

  G_OBJECT_CLASS (bs_training_dialog_parent_class)->finalize (object);
}

static void
bs_training_dialog_class_init (BsTrainingDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bs_training_dialog_dispose;
  object_class->finalize = bs_training_dialog_finalize;

  /* Start was pressed; the settings are what bs_training_dialog_get_settings () gives. */
  signals[START] =
    g_signal_new ("start", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 0);
}

static void
fill_models (BsTrainingDialog *self)
{
  self->models = gtk_string_list_new (NULL);
  for (guint w = 0; bs_model_catalog_widths[w] != 0; w++)
    for (guint i = 0; bs_model_catalog_depths[i] != 0; i++)
      {
        g_autofree char *name = bs_model_catalog_widths[w] == 1
          ? g_strdup_printf ("resnet%u", bs_model_catalog_depths[i])
          : g_strdup_printf ("resnet%ux%u", bs_model_catalog_depths[i], bs_model_catalog_widths[w]);

        gtk_string_list_append (self->models, name);
      }
  for (guint i = 0; bs_model_catalog_imagenet_depths[i] != 0; i++)
    {
      g_autofree char *name = g_strdup_printf ("imagenet-resnet%u", bs_model_catalog_imagenet_depths[i]);

      gtk_string_list_append (self->models, name);
    }
}

/* The data sets that are installed, and the generated one. */
static void
fill_datasets (BsTrainingDialog *self)
{
  const BsDatasetInfo *infos;
  guint n;

  self->datasets = gtk_string_list_new (NULL);
  infos = bs_dataset_info_list (&n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *folder = NULL;

      if (infos[i].format != BS_DATASET_FORMAT_SYNTHETIC &&
          (folder = bs_dataset_find (infos[i].name, NULL, NULL)) == NULL)
        continue;
      gtk_string_list_append (self->datasets, infos[i].name);
    }
}

static void
bs_training_dialog_init (BsTrainingDialog *self)
{
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *cancel = gtk_button_new_with_mnemonic (_("_Cancel"));
  GtkWidget *page = adw_preferences_page_new ();
  g_autoptr(GtkStringList) schedules = gtk_string_list_new (schedule_names);
  AdwPreferencesGroup *group;

  gtk_window_set_title (GTK_WINDOW (self), _("New Training Run"));
  gtk_window_set_default_size (GTK_WINDOW (self), 560, 720);
  gtk_window_set_modal (GTK_WINDOW (self), TRUE);
  gtk_window_set_destroy_with_parent (GTK_WINDOW (self), TRUE);

  self->title = ADW_WINDOW_TITLE (adw_window_title_new (_("New Training Run"), NULL));
  adw_header_bar_set_title_widget (ADW_HEADER_BAR (header), GTK_WIDGET (self->title));
  adw_header_bar_set_show_end_title_buttons (ADW_HEADER_BAR (header), FALSE);
  adw_header_bar_set_show_start_title_buttons (ADW_HEADER_BAR (header), FALSE);
  g_signal_connect (cancel, "clicked", G_CALLBACK (on_cancel_clicked), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), cancel);
  self->start_button = gtk_button_new_with_mnemonic (_("_Start"));
  gtk_widget_add_css_class (self->start_button, "suggested-action");
  g_signal_connect (self->start_button, "clicked", G_CALLBACK (on_start_clicked), self);
  adw_header_bar_pack_end (ADW_HEADER_BAR (header), self->start_button);
  gtk_box_append (GTK_BOX (content), header);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (content), page);
  adw_window_set_content (ADW_WINDOW (self), content);

  fill_models (self);
  fill_datasets (self);

  group = add_group (ADW_PREFERENCES_PAGE (page), _("Network and Data"));
  self->model_row = add_combo_row (group, _("_Architecture"), G_LIST_MODEL (self->models),
                                   gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                                G_CALLBACK (model_display_name), NULL, NULL));
  self->init_seed = add_spin_row (group, _("_Initialisation seed"), NULL, 0, G_MAXUINT32, 1, 0);
  self->start_from = bs_start_from_new (group, GTK_WINDOW (self), on_start_from_changed, self);
  self->dataset_row = add_combo_row (group, _("_Data set"), G_LIST_MODEL (self->datasets),
                                     gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                                  G_CALLBACK (dataset_display_name), NULL, NULL));
  self->limit = add_spin_row (group, _("_Training images"),
                              _("The first N; 0 uses them all. Block structure shows sooner on less data."),
                              0, 10000000, 500, 0);
  self->test_limit = add_spin_row (group, _("T_est images per evaluation"), _("0 uses them all"),
                                   0, 10000000, 500, 0);

  group = add_group (ADW_PREFERENCES_PAGE (page), _("Recipe"));
  self->epochs = add_spin_row (group, _("_Epochs"), NULL, 1, 10000, 1, 0);
  self->batch = add_spin_row (group, _("_Batch size"), NULL, 1, 4096, 16, 0);
  self->lr = add_spin_row (group, _("_Learning rate"), _("The peak, after the warm-up"), 0.0001, 10, 0.01, 4);
  self->schedule_row = add_combo_row (group, _("_Schedule"), G_LIST_MODEL (schedules),
                                      gtk_cclosure_expression_new (G_TYPE_STRING, NULL, 0, NULL,
                                                                   G_CALLBACK (schedule_display_name), NULL, NULL));
  self->seed = add_spin_row (group, _("Shuffling s_eed"), NULL, 0, G_MAXUINT32, 1, 0);
  self->augment = add_switch_row (group, _("A_ugmentation"), _("Random crops and flips"));

  group = add_group (ADW_PREFERENCES_PAGE (page), _("Similarity Snapshots"));
  adw_preferences_group_set_description (group, _("CKA of the network against itself on the first test "
                                                  "images, the same images every time."));
  self->at_init = add_switch_row (group, _("At _initialisation"), NULL);
  self->every_epochs = add_spin_row (group, _("Every _K epochs"), _("And after the last; 0: never"), 0, 10000, 1, 0);
  self->every_steps = add_spin_row (group, _("Every _N steps as well"), _("0: off"), 0, 10000000, 50, 0);
  self->probe_images = add_spin_row (group, _("_Probe images"), NULL, 1, 100000, 256, 0);
  self->probe_batch = add_spin_row (group, _("Probe _minibatch size"), NULL, 2, 4096, 16, 0);


  bs_run_settings_init (&self->base);
  bs_training_dialog_set_settings (self, &self->base);

  g_signal_connect_swapped (self->model_row, "notify::selected", G_CALLBACK (update_estimate), self);
  g_signal_connect_swapped (self->dataset_row, "notify::selected", G_CALLBACK (update_estimate), self);
  g_signal_connect_swapped (self->model_row, "notify::selected", G_CALLBACK (on_target_changed), self);
  g_signal_connect_swapped (self->dataset_row, "notify::selected", G_CALLBACK (on_target_changed), self);
  {
    GtkSpinButton *spins[] = { self->limit, self->test_limit, self->epochs, self->batch,
                               self->every_epochs, self->every_steps, self->probe_images };

    for (guint i = 0; i < G_N_ELEMENTS (spins); i++)
      g_signal_connect_swapped (spins[i], "value-changed", G_CALLBACK (update_estimate), self);
  }
  g_signal_connect_swapped (self->at_init, "notify::active", G_CALLBACK (update_estimate), self);
  bs_a11y_fix_mnemonic_buttons (GTK_WIDGET (self));
}

BsTrainingDialog *
bs_training_dialog_new (GtkWindow *parent)
{
  return g_object_new (BS_TYPE_TRAINING_DIALOG, "transient-for", parent, NULL);
}

void
bs_training_dialog_set_settings (BsTrainingDialog    *self,
                                 const BsRunSettings *settings)
{
  guint model, dataset;

  g_return_if_fail (BS_IS_TRAINING_DIALOG (self));

  if (settings != &self->base)
    {
      bs_run_settings_clear (&self->base);
      bs_run_settings_copy (settings, &self->base);
    }
  settings = &self->base;

  model = find_string (self->models, settings->model);
  if (model == GTK_INVALID_LIST_POSITION)
    {
      gtk_string_list_append (self->models, settings->model);
      model = g_list_model_get_n_items (G_LIST_MODEL (self->models)) - 1;
    }
  adw_combo_row_set_selected (self->model_row, model);
  dataset = find_string (self->datasets, settings->dataset);
  if (dataset == GTK_INVALID_LIST_POSITION)
    {
      /* Not installed: listed anyway, Start says so. */
      gtk_string_list_append (self->datasets, settings->dataset);
      dataset = g_list_model_get_n_items (G_LIST_MODEL (self->datasets)) - 1;
    }
  adw_combo_row_set_selected (self->dataset_row, dataset);
  bs_start_from_set_target (self->start_from, settings->model, settings->dataset);
  bs_start_from_set_checkpoint (self->start_from, settings->model, settings->init);
  gtk_spin_button_set_value (self->init_seed, settings->init_seed);
  gtk_spin_button_set_value (self->limit, settings->recipe.limit);
  gtk_spin_button_set_value (self->test_limit, settings->recipe.test_limit);
  gtk_spin_button_set_value (self->epochs, settings->recipe.epochs);
  gtk_spin_button_set_value (self->batch, settings->recipe.batch_size);
  gtk_spin_button_set_value (self->lr, settings->recipe.lr);
  adw_combo_row_set_selected (self->schedule_row, MIN ((guint) settings->recipe.schedule, 2));
  gtk_spin_button_set_value (self->seed, settings->recipe.seed);
  gtk_switch_set_active (self->augment, settings->recipe.augment);
  gtk_switch_set_active (self->at_init, settings->plan.at_init);
  gtk_spin_button_set_value (self->every_epochs, settings->plan.every_epochs);
  gtk_spin_button_set_value (self->every_steps, settings->plan.every_steps);
  gtk_spin_button_set_value (self->probe_images, settings->plan.probe_images);
  gtk_spin_button_set_value (self->probe_batch, settings->plan.probe_batch);
  update_estimate (self);
}

void
bs_training_dialog_get_settings (BsTrainingDialog *self,
                                 BsRunSettings    *settings)
{
  g_return_if_fail (BS_IS_TRAINING_DIALOG (self));

  bs_run_settings_copy (&self->base, settings);
  g_free (settings->model);
  settings->model = g_strdup (selected_string (self->model_row));
  g_free (settings->dataset);
  settings->dataset = g_strdup (selected_string (self->dataset_row));
  settings->init_seed = gtk_spin_button_get_value_as_int (self->init_seed);
  g_free (settings->init);
  settings->init = bs_start_from_get_checkpoint (self->start_from);
  settings->recipe.limit = gtk_spin_button_get_value_as_int (self->limit);
  settings->recipe.test_limit = gtk_spin_button_get_value_as_int (self->test_limit);
  settings->recipe.epochs = gtk_spin_button_get_value_as_int (self->epochs);
  settings->recipe.batch_size = gtk_spin_button_get_value_as_int (self->batch);
  settings->recipe.lr = gtk_spin_button_get_value (self->lr);
  bs_schedule_kind_from_string (selected_string (self->schedule_row), &settings->recipe.schedule);
  settings->recipe.seed = (guint64) gtk_spin_button_get_value (self->seed);
  settings->recipe.augment = gtk_switch_get_active (self->augment);
  settings->plan.at_init = gtk_switch_get_active (self->at_init);
  settings->plan.every_epochs = gtk_spin_button_get_value_as_int (self->every_epochs);
  settings->plan.every_steps = gtk_spin_button_get_value_as_int (self->every_steps);
  settings->plan.probe_images = gtk_spin_button_get_value_as_int (self->probe_images);
  settings->plan.probe_batch = gtk_spin_button_get_value_as_int (self->probe_batch);
}

void
bs_training_dialog_start (BsTrainingDialog *self)
{
  gboolean ok = FALSE;

  g_return_if_fail (BS_IS_TRAINING_DIALOG (self));
  /* As the insensitive button: not before the weights are known to fit. */
  bs_start_from_get_note (self->start_from, &ok, NULL);
  if (!ok)
    return;
  g_signal_emit (self, signals[START], 0);
}

const char *
bs_training_dialog_get_init_note (BsTrainingDialog *self,
                                  gboolean         *ok,
                                  gboolean         *checking)
{
  g_return_val_if_fail (BS_IS_TRAINING_DIALOG (self), NULL);
  return bs_start_from_get_note (self->start_from, ok, checking);
}

void
bs_training_dialog_set_init_file (BsTrainingDialog *self,
                                  const char       *path)
{
  g_return_if_fail (BS_IS_TRAINING_DIALOG (self));
  bs_start_from_choose_file (self->start_from, path);
}

const char *
bs_training_dialog_get_estimate (BsTrainingDialog *self)
{
  g_return_val_if_fail (BS_IS_TRAINING_DIALOG (self), NULL);
  return self->estimate;
}
