/* bs-window-weights.c: pretrained weights downloaded and imported in the window (see the header). */
#include "bs-config.h"

#include "bs-window-weights.h"

#include <glib/gi18n.h>

#include "bs-a11y.h"
#include "bs-model-catalog.h"
#include "bs-model-spec.h"
#include "bs-weights-fetch.h"
#include "bs-weights-guess.h"
#include "bs-weights-job.h"
#include "bs-window-private.h"

struct _BsWindowWeights
{
  BsWindow             *window;     /* owns this */
  GPtrArray            *jobs;       /* every job started here (BsJob), the newest last */

  /* The banner that offers a download */
  GtkInfoBar           *bar;
  GtkLabel             *label;
  GtkWidget            *download;
  char                 *offered;    /* the architecture it offers, or NULL */
  char                 *offered_key; /* the choice that asked: "model-a" or "model-b" */

  /* Import Weights… */
  GtkFileChooserNative *chooser;
  GCancellable         *guessing;   /* reading the chosen file's names */
  AdwMessageDialog     *question;
  char                 *import_file;
  char                 *import_architecture;
};

/* ---------------------------------------------------------------- jobs */

static void
on_job_finished (BsJob           *job,
                 BsWindowWeights *self)
{
  const char *key = g_object_get_data (G_OBJECT (job), "bs-model-key");
  gboolean import = g_object_get_data (G_OBJECT (job), "bs-import") != NULL;

  switch (bs_job_get_state (job))
    {
    case BS_JOB_SUCCEEDED:
      /* New weights in the folder: the menus say so, and the model is chosen. */
      bs_window_refresh_models (self->window);
      g_action_group_activate_action (G_ACTION_GROUP (self->window), key != NULL ? key : "model-a",
                                      g_variant_new_string (bs_weights_job_get_path (job)));
      bs_window_hide_error (self->window);
      break;
    case BS_JOB_FAILED:
      bs_window_show_error (self->window, import ? _("The weights could not be imported")
                                                 : _("The download failed"),
                            bs_job_get_error (job)->message);
      break;
    case BS_JOB_CANCELLED:
    default:
      break;
    }
}

static void
push_job (BsWindowWeights *self,
          BsJob           *job,
          const char      *key)
{
  g_object_set_data_full (G_OBJECT (job), "bs-model-key", g_strdup (key), g_free);
  g_signal_connect (job, "finished", G_CALLBACK (on_job_finished), self);
  g_ptr_array_add (self->jobs, job);
  bs_job_queue_push (bs_window_get_jobs (self->window), job);
}

/* ---------------------------------------------------------------- the banner */

static void
hide_banner (BsWindowWeights *self)
{
  gtk_info_bar_set_revealed (self->bar, FALSE);
  g_clear_pointer (&self->offered, g_free);
  g_clear_pointer (&self->offered_key, g_free);
}

static void
show_banner (BsWindowWeights *self,
             const char      *architecture,
             const char      *key)
{
  g_autofree char *name = bs_model_catalog_weights_display_name (architecture);
  g_autofree char *size = g_format_size (bs_model_catalog_weights_download_size (architecture));
  g_autofree char *dir = bs_weights_fetch_default_dir ();
  g_autofree char *primary = NULL;
  g_autofree char *detail = NULL;
  g_autofree char *markup = NULL;
  g_autofree char *button = NULL;
  /* Where from: BLOCKSCOPE_WEIGHTS_URL may name a mirror. */
  g_autofree char *url = bs_weights_fetch_url (architecture, NULL);
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *host = uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : url;

  /* Translators: a model ("ResNet-50 (ImageNet weights)"). */
  primary = g_strdup_printf (_("%s is not downloaded yet"), name);
  /* Translators: a host name ("download.pytorch.org"), then a folder. */
  detail = g_strdup_printf (_("torchvision's weights, trained on ImageNet, are downloaded from %s, "
                              "checked and kept in %s."), host, dir);
  markup = g_markup_printf_escaped ("<b>%s</b>\n%s", primary, detail);
  gtk_label_set_markup (self->label, markup);
  /* Translators: the button that downloads weights; %s is the size ("102.5 MB"). */
  button = g_strdup_printf (_("_Download (about %s)"), size);
  gtk_button_set_label (GTK_BUTTON (self->download), button);
  bs_a11y_fix_mnemonic_buttons (self->download);
  gtk_actionable_set_action_target_value (GTK_ACTIONABLE (self->download), g_variant_new_string (architecture));

  g_free (self->offered);
  self->offered = g_strdup (architecture);
  g_free (self->offered_key);
  self->offered_key = g_strdup (key);
  gtk_info_bar_set_revealed (self->bar, TRUE);
}

static void
on_bar_response (GtkInfoBar      *bar,
                 int              response,
                 BsWindowWeights *self)
{
  hide_banner (self);
}

gboolean
bs_window_weights_notice_choice (BsWindowWeights *self,
                                 const char      *key,
                                 const char      *spec)
{
  const char *architecture = bs_model_catalog_weights_architecture (spec);

  if (architecture == NULL || g_file_test (spec, G_FILE_TEST_IS_REGULAR))
    {
      /* The banner was for this choice, which has changed. */
      if (g_strcmp0 (self->offered_key, key) == 0)
        hide_banner (self);
      return FALSE;
    }
  show_banner (self, architecture, key);
  return TRUE;
}

static void
fetch_weights_action (GSimpleAction *action,
                      GVariant      *parameter,
                      gpointer       user_data)
{
  BsWindowWeights *self = user_data;
  const char *architecture = g_variant_get_string (parameter, NULL);
  g_autofree char *key = NULL;

  if (bs_model_catalog_weights_download_size (architecture) == 0)
    {
      g_autofree char *detail = NULL;
      g_autofree char *name = bs_model_spec_display_name (architecture);

      /* Translators: a model name ("ResNet-34 (ImageNet)"). */
      detail = g_strdup_printf (_("There are no official weights for %s."), name);
      bs_window_show_error (self->window, _("These weights cannot be downloaded"), detail);
      return;
    }
  /* The choice that asked for them gets them; else model A. */
  key = g_strdup (g_strcmp0 (self->offered, architecture) == 0 && self->offered_key != NULL
                  ? self->offered_key : "model-a");
  /* The job list shows the progress from here on. */
  hide_banner (self);
  push_job (self, bs_weights_job_new_fetch (architecture, NULL), key);
}

/* ---------------------------------------------------------------- Import Weights… */

static void
start_import (BsWindowWeights *self)
{
  BsJob *job = bs_weights_job_new_import (self->import_file, self->import_architecture, NULL);

  g_object_set_data (G_OBJECT (job), "bs-import", GINT_TO_POINTER (TRUE));
  push_job (self, job, "model-a");
  g_clear_pointer (&self->import_file, g_free);
  g_clear_pointer (&self->import_architecture, g_free);
}

static void
on_replace_response (AdwMessageDialog *dialog,
                     const char       *response,
                     BsWindowWeights  *self)
{
  self->question = NULL;
  if (g_strcmp0 (response, "replace") == 0)
    start_import (self);
  else
    {
      g_clear_pointer (&self->import_file, g_free);
      g_clear_pointer (&self->import_architecture, g_free);
    }
}

/* Weights of that architecture there already: ask before replacing them. */
static void
import_or_ask (BsWindowWeights *self)
{
  g_autofree char *target = bs_model_catalog_weights_path (self->import_architecture);
  g_autofree char *name = NULL;
  g_autofree char *heading = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (!g_file_test (target, G_FILE_TEST_EXISTS))
    {
      start_import (self);
      return;
    }
  name = bs_model_catalog_weights_display_name (self->import_architecture);
  /* Translators: a model ("ResNet-50 (ImageNet weights)"). */
  heading = g_strdup_printf (_("Replace %s?"), name);
  /* Translators: a file. */
  body = g_strdup_printf (_("The weights in %s are replaced by those imported. Runs and results "
                            "made from them keep what they have."), target);
  dialog = adw_message_dialog_new (GTK_WINDOW (self->window), heading, body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "replace", _("_Replace"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "replace", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_replace_response), self);
  self->question = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_architecture_response (AdwMessageDialog *dialog,
                          const char       *response,
                          BsWindowWeights  *self)
{
  self->question = NULL;
  if (bs_model_catalog_weights_download_size (response) == 0)
    {
      g_clear_pointer (&self->import_file, g_free);
      return;
    }
  g_free (self->import_architecture);
  self->import_architecture = g_strdup (response);
  import_or_ask (self);
}

/* The names do not tell: the user does. */
static void
ask_architecture (BsWindowWeights *self)
{
  g_autofree char *base = g_path_get_basename (self->import_file);
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  /* Translators: a file name. */
  body = g_strdup_printf (_("The names in %s do not tell which ImageNet ResNet these weights are "
                            "for. Every parameter is checked against the one you choose."), base);
  dialog = adw_message_dialog_new (GTK_WINDOW (self->window), _("Which Network?"), body);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"));
  for (guint i = 0; bs_model_catalog_imagenet_depths[i] != 0; i++)
    {
      g_autofree char *architecture = g_strdup_printf ("imagenet-resnet%u", bs_model_catalog_imagenet_depths[i]);
      /* Translators: a button; %u is a ResNet's depth (50, 101, 152). */
      g_autofree char *label = g_strdup_printf (_("ResNet-%u"), bs_model_catalog_imagenet_depths[i]);

      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), architecture, label);
    }
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (on_architecture_response), self);
  self->question = ADW_MESSAGE_DIALOG (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
guess_thread (GTask        *task,
              gpointer      source,
              gpointer      data,
              GCancellable *cancellable)
{
  GError *error = NULL;
  char *architecture = NULL;

  if (bs_weights_import_guess_architecture (data, &architecture, &error))
    /* "" when the names do not tell. */
    g_task_return_pointer (task, architecture != NULL ? architecture : g_strdup (""), g_free);
  else
    g_task_return_error (task, error);
}

static void
on_guessed (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *architecture = g_task_propagate_pointer (G_TASK (result), &error);
  BsWindowWeights *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the window is gone */
  self = user_data;
  g_clear_object (&self->guessing);
  if (architecture == NULL)
    {
      bs_window_show_error (self->window, _("The weights could not be imported"), error->message);
      g_clear_pointer (&self->import_file, g_free);
      return;
    }
  if (architecture[0] == '\0')
    {
      ask_architecture (self);
      return;
    }
  g_free (self->import_architecture);
  self->import_architecture = g_steal_pointer (&architecture);
  import_or_ask (self);
}

void
bs_window_weights_import_file (BsWindowWeights *self,
                               const char      *path)
{
  g_autoptr(GTask) task = NULL;

  /* One import asked about at a time. */
  if (self->guessing != NULL || self->question != NULL)
    return;
  g_free (self->import_file);
  self->import_file = g_strdup (path);
  bs_window_hide_error (self->window);
  self->guessing = g_cancellable_new ();
  /* Reading a 230 MB file's names takes a second or two; the window's
   * queue may be busy training for hours, so not there. */
  task = g_task_new (NULL, self->guessing, on_guessed, self);
  g_task_set_check_cancellable (task, TRUE);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, guess_thread);
}

static void
on_chooser_response (GtkNativeDialog *dialog,
                     int              response,
                     BsWindowWeights *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path == NULL)
        bs_window_show_error (self->window, _("The weights could not be imported"),
                              _("Only files on this computer can be used."));
      else
        bs_window_weights_import_file (self, path);
    }
  g_clear_object (&self->chooser);
}

static void
import_weights_action (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  BsWindowWeights *self = user_data;
  g_autoptr(GtkFileFilter) weights = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) pth = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) safetensors = gtk_file_filter_new ();
  g_autoptr(GtkFileFilter) all = gtk_file_filter_new ();

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Import Weights"), GTK_WINDOW (self->window),
                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Import"), _("_Cancel"));
  gtk_file_filter_set_name (weights, _("PyTorch and safetensors weights"));
  gtk_file_filter_add_pattern (weights, "*.pth");
  gtk_file_filter_add_pattern (weights, "*.pt");
  gtk_file_filter_add_pattern (weights, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), weights);
  gtk_file_filter_set_name (pth, _("PyTorch state dicts (.pth)"));
  gtk_file_filter_add_pattern (pth, "*.pth");
  gtk_file_filter_add_pattern (pth, "*.pt");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), pth);
  gtk_file_filter_set_name (safetensors, _("safetensors"));
  gtk_file_filter_add_pattern (safetensors, "*.safetensors");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), safetensors);
  gtk_file_filter_set_name (all, _("All Files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (self->chooser), all);
  g_signal_connect (self->chooser, "response", G_CALLBACK (on_chooser_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* ---------------------------------------------------------------- life */

static const GActionEntry actions[] = {
  { "fetch-weights", fetch_weights_action, "s" },
  { "import-weights", import_weights_action },
};

BsWindowWeights *
bs_window_weights_new (BsWindow *window)
{
  BsWindowWeights *self = g_new0 (BsWindowWeights, 1);
  GtkWidget *close = gtk_button_new_from_icon_name ("window-close-symbolic");

  self->window = window;
  self->jobs = g_ptr_array_new_with_free_func (g_object_unref);
  g_action_map_add_action_entries (G_ACTION_MAP (window), actions, G_N_ELEMENTS (actions), self);

  self->bar = GTK_INFO_BAR (gtk_info_bar_new ());
  gtk_info_bar_set_message_type (self->bar, GTK_MESSAGE_QUESTION);
  gtk_info_bar_set_revealed (self->bar, FALSE);
  self->label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->label, TRUE);
  gtk_label_set_xalign (self->label, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->label), TRUE);
  gtk_info_bar_add_child (self->bar, GTK_WIDGET (self->label));
  self->download = gtk_button_new_with_mnemonic (_("_Download"));
  bs_a11y_fix_mnemonic_buttons (self->download);
  gtk_widget_set_valign (self->download, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (self->download, "suggested-action");
  gtk_widget_set_tooltip_text (self->download, _("Download the weights, check them and import them"));
  /* A target before the action, which takes a string; show_banner () sets the real one. */
  gtk_actionable_set_detailed_action_name (GTK_ACTIONABLE (self->download), "win.fetch-weights::imagenet-resnet50");
  gtk_info_bar_add_action_widget (self->bar, self->download, GTK_RESPONSE_NONE);
  /* Its own close button: GtkInfoBar's built-in one has no accessible name in GTK 4.8. */
  gtk_widget_set_valign (close, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (close, _("Close"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (close), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Close"), -1);
  gtk_widget_add_css_class (close, "flat");
  gtk_widget_add_css_class (close, "circular");
  gtk_info_bar_add_action_widget (self->bar, close, GTK_RESPONSE_CLOSE);
  g_signal_connect (self->bar, "response", G_CALLBACK (on_bar_response), self);
  bs_window_add_banner (window, GTK_WIDGET (self->bar));
  return self;
}

void
bs_window_weights_free (BsWindowWeights *self)
{
  if (self == NULL)
    return;
  for (guint i = 0; i < self->jobs->len; i++)
    g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->jobs, i), self);
  g_ptr_array_unref (self->jobs);
  if (self->guessing != NULL)
    {
      /* on_guessed then returns before it looks at self. */
      g_cancellable_cancel (self->guessing);
      g_clear_object (&self->guessing);
    }
  if (self->question != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->question, self);
      gtk_window_destroy (GTK_WINDOW (self->question));
    }
  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_free (self->offered);
  g_free (self->offered_key);
  g_free (self->import_file);
  g_free (self->import_architecture);
  g_free (self);
}

BsJob *
bs_window_weights_get_job (BsWindowWeights *self)
{
  return self->jobs->len > 0 ? g_ptr_array_index (self->jobs, self->jobs->len - 1) : NULL;
}

GtkWidget *
bs_window_weights_get_download_button (BsWindowWeights *self)
{
  return gtk_info_bar_get_revealed (self->bar) ? self->download : NULL;
}

AdwMessageDialog *
bs_window_weights_get_question (BsWindowWeights *self)
{
  return self->question;
}
