/* test-weights.c: pretrained ImageNet weights in the window, against a server in the test.
 *
 * A ResNet-50 state dict is generated once (random weights in torchvision's
 * names, as safetensors, about 100 MB) and served by a libsoup server on
 * the loopback address under a name that carries its SHA-256 prefix, as
 * torchvision's do; BLOCKSCOPE_WEIGHTS_URL points there. The weights
 * folder is under a temporary XDG_DATA_HOME of this process.
 *
 * - The model menu lists "ResNet-50 (ImageNet weights)" with its download
 *   size while the file is missing; choosing it shows the banner, whose
 *   Download button (pressed with the keyboard) runs the job; a first
 *   attempt is cancelled while the body arrives and leaves the weights
 *   folder as it was; a second gets a file with a byte changed, which the
 *   hash check refuses (the banner says so, the folder is as it was); the
 *   third ends with the model chosen, its
 *   checkpoint holding the served weights, and the menu without the size.
 * - Import Weights… of the generated safetensors: the architecture is told
 *   from the names, replacing asked; of the same weights as a .pth (written
 *   as torch.save does) when none are there: nothing asked; of PyTorch's small .pth fixture: asked,
 *   then refused with the importer's message naming a parameter; of a
 *   .pth whose pickle calls os.system: refused, naming the global; of a
 *   damaged file: refused.
 * - New Training Run with Start from = ImageNet weights (after the
 *   download above) on the generated data set: the dialog says a new head
 *   replaces ImageNet's classes, refuses the weights for ResNet-20 and for
 *   Fashion-MNIST's one channel, and the run it starts has "init" in its
 *   run.json, the weights' parameters in its first checkpoint (but a head
 *   of 10 classes), and says it is fine-tuned. */
#include "bs-config.h"

#include <archive.h>
#include <archive_entry.h>
#include <libsoup/soup.h>
#include <glib/gstdio.h>
#include <string.h>

#include <json-glib/json-glib.h>
#include <math.h>

#include "bs-checkpoint.h"
#include "bs-model.h"
#include "bs-run.h"
#include "bs-training-dialog.h"
#include "bs-training-job.h"
#include "bs-model-catalog.h"
#include "bs-number-format.h"
#include "bs-safetensors.h"
#include "bs-test-util.h"
#include "bs-test-utils.h"
#include "bs-weights-fetch.h"
#include "bs-window-private.h"
#include "test-pth-writer.h"

static char              *tmp_dir;
static GBytes            *weights;        /* the served file */
static char              *weights_name;   /* resnet50-<sha8>.safetensors */
static char              *weights_path;   /* the same file on disk, for Import */
static char              *weights_pth;    /* the same weights as torch.save writes them */
static float              fc_bias_0;
static float              conv1_weight_0;
static gboolean           stall;          /* the next request hangs after its first chunk */
static gboolean           corrupt;        /* the next request gets the file with a byte changed */
static SoupServerMessage *stalled;

static void
make_weights (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autofree char *sha = NULL;
  BsModel *model = bs_model_new ("imagenet-resnet50", 3, 32, 32, 1000, &error);
  char *contents;
  gsize len;

  g_assert_no_error (error);
  bs_model_init_params (model, 50);
  for (guint i = 0; i < bs_model_get_n_params (model); i++)
    {
      BsParam *p = bs_model_get_param (model, i);

      bs_safetensors_writer_add (writer, p->name, BS_DTYPE_F32, p->ndim, p->shape, p->data, &error);
      g_assert_no_error (error);
    }
  {
    g_autoptr(GArray) tensors = g_array_new (FALSE, TRUE, sizeof (TestPthTensor));

    for (guint i = 0; i < bs_model_get_n_params (model); i++)
      {
        BsParam *p = bs_model_get_param (model, i);
        TestPthTensor t = { p->name, p->ndim, p->shape, p->data };

        g_array_append_val (tensors, t);
      }
    weights_pth = g_build_filename (tmp_dir, "resnet50-weights.pth", NULL);
    test_pth_write (weights_pth, (const TestPthTensor *) tensors->data, tensors->len);
  }
  weights_path = g_build_filename (tmp_dir, "resnet50-weights.safetensors", NULL);
  bs_safetensors_writer_save (writer, weights_path, &error);
  g_assert_no_error (error);
  fc_bias_0 = ((const float *) bs_model_find_param (model, "fc.bias")->data)[0];
  conv1_weight_0 = ((const float *) bs_model_find_param (model, "conv1.weight")->data)[0];
  bs_model_free (model);
  g_assert_true (g_file_get_contents (weights_path, &contents, &len, NULL));
  weights = g_bytes_new_take (contents, len);
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, weights);
  weights_name = g_strdup_printf ("resnet50-%.8s.safetensors", sha);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *message,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  if (path[0] != '/' || !g_str_equal (path + 1, weights_name))
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  if (stall)
    {
      /* A first megabyte, then nothing until the test lets go. */
      stall = FALSE;
      soup_message_headers_set_encoding (soup_server_message_get_response_headers (message),
                                         SOUP_ENCODING_CHUNKED);
      soup_message_body_append (soup_server_message_get_response_body (message), SOUP_MEMORY_COPY,
                                g_bytes_get_data (weights, NULL), 1 << 20);
      stalled = g_object_ref (message);
      return;
    }
  if (corrupt)
    {
      g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (weights, NULL), g_bytes_get_size (weights));

      corrupt = FALSE;
      copy[g_bytes_get_size (weights) / 2] ^= 0x40;
      soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_COPY,
                                        (const char *) copy, g_bytes_get_size (weights));
      return;
    }
  soup_server_message_set_response (message, "application/octet-stream", SOUP_MEMORY_STATIC,
                                    g_bytes_get_data (weights, NULL), g_bytes_get_size (weights));
}

/* ---- helpers ------------------------------------------------------------ */

static gboolean
job_finished (gpointer data)
{
  BsJob *job = bs_window_weights_get_job (bs_window_get_weights (data));

  return job != NULL && bs_job_is_finished (job);
}

static BsJob *previous_job;

static gboolean
new_job (gpointer data)
{
  return bs_window_weights_get_job (bs_window_get_weights (data)) != previous_job;
}

static gboolean
job_downloading (gpointer data)
{
  BsJob *job = bs_window_weights_get_job (bs_window_get_weights (data));
  const char *status = job != NULL ? bs_job_get_status (job) : NULL;

  return status != NULL && g_str_has_prefix (status, "Downloading");
}

static gboolean
has_question (gpointer data)
{
  return bs_window_weights_get_question (bs_window_get_weights (data)) != NULL;
}

static gboolean
has_error (gpointer data)
{
  return bs_window_get_error_text (data) != NULL;
}

/* Every path under root, one a line ("(absent)" when root is not there). */
static void
list_tree (const char *root,
           GString    *out)
{
  g_autoptr(GDir) dir = g_dir_open (root, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_string_append (out, "(absent)");
      return;
    }
  while ((name = g_dir_read_name (dir)) != NULL)
    g_string_append_printf (out, "%s\n", name);
}

static char *
tree_of (const char *root)
{
  GString *out = g_string_new (NULL);

  list_tree (root, out);
  return g_string_free (out, FALSE);
}

/* The label of the model menu's item whose target is spec, or NULL. */
static char *
menu_label_for (GMenuModel *menu,
                const char *spec)
{
  for (int i = 0; i < g_menu_model_get_n_items (menu); i++)
    {
      g_autoptr(GVariant) target = g_menu_model_get_item_attribute_value (menu, i, G_MENU_ATTRIBUTE_TARGET, NULL);
      g_autoptr(GMenuLinkIter) links = g_menu_model_iterate_item_links (menu, i);
      char *label = NULL;

      if (target != NULL && g_variant_is_of_type (target, G_VARIANT_TYPE_STRING) &&
          g_str_equal (g_variant_get_string (target, NULL), spec) &&
          g_menu_model_get_item_attribute (menu, i, G_MENU_ATTRIBUTE_LABEL, "s", &label))
        return label;
      while (g_menu_link_iter_next (links))
        {
          g_autoptr(GMenuModel) sub = g_menu_link_iter_get_value (links);

          label = menu_label_for (sub, spec);
          if (label != NULL)
            return label;
        }
    }
  return NULL;
}

static char *
model_choice (BsWindow   *window,
              const char *key)
{
  g_autoptr(GVariant) state = g_action_group_get_action_state (G_ACTION_GROUP (window), key);

  return g_variant_dup_string (state, NULL);
}

/* ---- download ----------------------------------------------------------- */

static void
test_download (void)
{
  g_autoptr(BsApplication) app = bs_test_screenshot_app_new (1100, 700);
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowWeights *weights_ui = bs_window_get_weights (window);
  g_autofree char *dir = bs_weights_fetch_default_dir ();
  g_autofree char *path = bs_model_catalog_weights_path ("imagenet-resnet50");
  g_autofree char *before = tree_of (dir);
  g_autofree char *after = NULL;
  g_autofree char *label = NULL;
  g_autofree char *chosen = NULL;
  GtkMenuButton *button = bs_window_get_model_button (window, FALSE);
  GtkWidget *download;
  BsJob *job;

  g_assert_true (g_str_has_prefix (dir, tmp_dir));
  /* The menu offers the weights with their download size. */
  label = menu_label_for (gtk_menu_button_get_menu_model (button), path);
  g_assert_cmpstr (label, ==, "ResNet-50 (ImageNet weights) — download 102.5\u00a0MB");
  gtk_menu_button_popup (button);
  bs_test_drain ();
  g_object_unref (bs_test_screenshot (GTK_WIDGET (gtk_menu_button_get_popover (button)), "weights-menu"));
  gtk_menu_button_popdown (button);

  /* Chosen as the menu item does: the banner offers the download. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "model-a", g_variant_new_string (path));
  bs_test_drain ();
  download = bs_window_weights_get_download_button (weights_ui);
  g_assert_nonnull (download);
  g_assert_cmpstr (gtk_button_get_label (GTK_BUTTON (download)), ==, "_Download (about 102.5\u00a0MB)");
  g_assert_null (bs_window_get_error_text (window));
  g_object_unref (bs_test_screenshot (GTK_WIDGET (window), "weights-banner"));

  /* A download cancelled while its body arrives: nothing left behind. */
  stall = TRUE;
  bs_test_key_activate (download);
  g_assert_true (bs_test_wait_until (job_downloading, window, 60000));
  job = bs_window_weights_get_job (weights_ui);
  gtk_widget_activate_action (GTK_WIDGET (window), "win.cancel-job", "u", bs_job_get_id (job));
  g_assert_true (bs_test_wait_until (job_finished, window, 60000));
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_CANCELLED);
  g_assert_null (bs_window_get_error_text (window));
  after = tree_of (dir);
  g_assert_cmpstr (after, ==, before);
  g_assert_nonnull (stalled);
  soup_message_body_complete (soup_server_message_get_response_body (stalled));
  soup_server_message_unpause (stalled);
  g_clear_object (&stalled);

  /* A file that is not what its name promises: the banner says so, the
   * weights folder is as it was. */
  corrupt = TRUE;
  previous_job = job;
  gtk_widget_activate_action (GTK_WIDGET (window), "win.fetch-weights", "s", "imagenet-resnet50");
  g_assert_true (bs_test_wait_until (new_job, window, 10000));
  g_assert_true (bs_test_wait_until (job_finished, window, 120000));
  job = bs_window_weights_get_job (weights_ui);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_FAILED);
  g_assert_nonnull (bs_window_get_error_text (window));
  g_test_message ("%s", bs_window_get_error_text (window));
  g_assert_true (g_str_has_prefix (bs_window_get_error_text (window), "The download failed\n"));
  g_assert_nonnull (strstr (bs_window_get_error_text (window), "SHA-256"));
  g_free (after);
  after = tree_of (dir);
  g_assert_cmpstr (after, ==, before);
  bs_window_hide_error (window);

  /* Choosing it again offers it again; this time it arrives. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "model-a", g_variant_new_string ("resnet20"));
  bs_test_drain ();
  g_assert_null (bs_window_weights_get_download_button (weights_ui));
  g_action_group_activate_action (G_ACTION_GROUP (window), "model-a", g_variant_new_string (path));
  bs_test_drain ();
  download = bs_window_weights_get_download_button (weights_ui);
  g_assert_nonnull (download);
  gtk_test_widget_wait_for_draw (download);
  bs_test_key_activate (download);
  previous_job = job;
  g_assert_true (bs_test_wait_until (new_job, window, 10000));
  g_assert_true (bs_test_wait_until (job_finished, window, 120000));
  job = bs_window_weights_get_job (weights_ui);
  if (bs_job_get_error (job) != NULL)
    g_test_message ("download: %s", bs_job_get_error (job)->message);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  g_assert_null (bs_window_get_error_text (window));
  g_assert_null (bs_window_weights_get_download_button (weights_ui));
  chosen = model_choice (window, "model-a");
  g_assert_cmpstr (chosen, ==, path);

  /* The checkpoint holds the served weights, with ImageNet's normalisation. */
  {
    g_autoptr(GError) error = NULL;
    BsCheckpointInfo info;
    BsModel *model = bs_checkpoint_load (path, &info, &error);
    float mean[3], std[3];

    g_assert_no_error (error);
    g_assert_cmpstr (info.architecture, ==, "imagenet-resnet50");
    g_assert_cmpuint (info.n_classes, ==, 1000);
    g_assert_cmpfloat (((const float *) bs_model_find_param (model, "fc.bias")->data)[0], ==, fc_bias_0);
    g_assert_cmpfloat (((const float *) bs_model_find_param (model, "conv1.weight")->data)[0], ==, conv1_weight_0);
    g_assert_true (bs_model_get_input_normalization (model, mean, std));
    g_assert_cmpfloat_with_epsilon (mean[0], 0.485, 1e-6);
    bs_model_free (model);
    bs_checkpoint_info_clear (&info);
  }

  /* The menus know: no size any more; the button names the weights. */
  g_clear_pointer (&label, g_free);
  label = menu_label_for (gtk_menu_button_get_menu_model (button), path);
  g_assert_cmpstr (label, ==, "ResNet-50 (ImageNet weights)");
  g_clear_pointer (&label, g_free);
  label = menu_label_for (gtk_menu_button_get_menu_model (bs_window_get_model_button (window, TRUE)), path);
  g_assert_cmpstr (label, ==, "ResNet-50 (ImageNet weights)");

  bs_test_app_quit (app);
}

/* ---- import ------------------------------------------------------------- */

/* A zip holding one pickle, as a .pth file at path. */
static void
write_pickle_zip (const char *path,
                  const char *pickle,
                  gsize       len)
{
  struct archive *a = archive_write_new ();
  struct archive_entry *entry = archive_entry_new ();

  archive_write_set_format_zip (a);
  archive_write_zip_set_compression_store (a);
  g_assert_cmpint (archive_write_open_filename (a, path), ==, ARCHIVE_OK);
  archive_entry_set_pathname (entry, "archive/data.pkl");
  archive_entry_set_filetype (entry, AE_IFREG);
  archive_entry_set_perm (entry, 0644);
  archive_entry_set_size (entry, (la_int64_t) len);
  g_assert_cmpint (archive_write_header (a, entry), ==, ARCHIVE_OK);
  g_assert_cmpint (archive_write_data (a, pickle, len), ==, (la_ssize_t) len);
  archive_entry_free (entry);
  g_assert_cmpint (archive_write_close (a), ==, ARCHIVE_OK);
  archive_write_free (a);
}

/* Imports path and waits for the banner's error; returns its text. */
static char *
import_expecting_error (BsWindow   *window,
                        const char *path)
{
  bs_window_weights_import_file (bs_window_get_weights (window), path);
  g_assert_true (bs_test_wait_until (has_error, window, 60000));
  return g_strdup (bs_window_get_error_text (window));
}

static void
test_import (void)
{
  g_autoptr(BsApplication) app = bs_test_app_new ();
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowWeights *weights_ui = bs_window_get_weights (window);
  g_autofree char *path = bs_model_catalog_weights_path ("imagenet-resnet50");
  g_autofree char *fixture = g_test_build_filename (G_TEST_DIST, "..", "fixtures", "torch-activations.pth", NULL);
  g_autofree char *evil = g_build_filename (tmp_dir, "evil.pth", NULL);
  g_autofree char *damaged = g_build_filename (tmp_dir, "damaged.safetensors", NULL);
  g_autofree char *text = NULL;
  g_autofree char *chosen = NULL;
  static const char evil_pickle[] = "\x80\x02" "cos\nsystem\n" "X\x02\x00\x00\x00ls" "\x85R.";
  AdwMessageDialog *question;
  BsJob *job;

  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "import-weights"));
  /* The weights are there from the download: the names say ResNet-50, and
   * replacing them is asked. */
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));
  g_action_group_activate_action (G_ACTION_GROUP (window), "model-a", g_variant_new_string ("resnet20"));
  bs_window_weights_import_file (weights_ui, weights_path);
  g_assert_true (bs_test_wait_until (has_question, window, 60000));
  question = bs_window_weights_get_question (weights_ui);
  g_assert_cmpstr (adw_message_dialog_get_heading (question), ==, "Replace ResNet-50 (ImageNet weights)?");
  g_object_unref (bs_test_screenshot (GTK_WIDGET (question), "weights-replace"));
  adw_message_dialog_response (question, "replace");
  g_assert_true (bs_test_wait_until (job_finished, window, 120000));
  job = bs_window_weights_get_job (weights_ui);
  if (bs_job_get_error (job) != NULL)
    g_test_message ("import: %s", bs_job_get_error (job)->message);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  chosen = model_choice (window, "model-a");
  g_assert_cmpstr (chosen, ==, path);
  {
    g_autoptr(GError) error = NULL;
    BsModel *model = bs_checkpoint_load (path, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpfloat (((const float *) bs_model_find_param (model, "fc.bias")->data)[0], ==, fc_bias_0);
    bs_model_free (model);
  }

  /* The same weights as torch.save writes them: the same checkpoint. */
  g_action_group_activate_action (G_ACTION_GROUP (window), "model-a", g_variant_new_string ("resnet20"));
  g_unlink (path);
  bs_window_weights_import_file (weights_ui, weights_pth);
  previous_job = job;
  g_assert_true (bs_test_wait_until (new_job, window, 60000));
  g_assert_null (bs_window_weights_get_question (weights_ui));
  g_assert_true (bs_test_wait_until (job_finished, window, 120000));
  job = bs_window_weights_get_job (weights_ui);
  if (bs_job_get_error (job) != NULL)
    g_test_message ("import: %s", bs_job_get_error (job)->message);
  g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  g_free (chosen);
  chosen = model_choice (window, "model-a");
  g_assert_cmpstr (chosen, ==, path);
  {
    g_autoptr(GError) error = NULL;
    BsModel *model = bs_checkpoint_load (path, NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpfloat (((const float *) bs_model_find_param (model, "fc.bias")->data)[0], ==, fc_bias_0);
    g_assert_cmpfloat (((const float *) bs_model_find_param (model, "conv1.weight")->data)[0], ==, conv1_weight_0);
    bs_model_free (model);
  }

  /* PyTorch's .pth of a small two-stage network: the names do not tell, so
   * the window asks; as ResNet-50 it is refused, naming a parameter. */
  bs_window_weights_import_file (weights_ui, fixture);
  g_assert_true (bs_test_wait_until (has_question, window, 60000));
  question = bs_window_weights_get_question (weights_ui);
  g_assert_cmpstr (adw_message_dialog_get_heading (question), ==, "Which Network?");
  g_assert_true (adw_message_dialog_has_response (question, "imagenet-resnet152"));
  g_object_unref (bs_test_screenshot (GTK_WIDGET (question), "weights-which"));
  adw_message_dialog_response (question, "imagenet-resnet50");
  /* Replacing is asked again. */
  g_assert_true (bs_test_wait_until (has_question, window, 60000));
  adw_message_dialog_response (bs_window_weights_get_question (weights_ui), "replace");
  g_assert_true (bs_test_wait_until (has_error, window, 120000));
  text = g_strdup (bs_window_get_error_text (window));
  g_test_message ("%s", text);
  g_assert_true (g_str_has_prefix (text, "The weights could not be imported\n"));
  g_assert_nonnull (strstr (text, "torch-activations.pth"));
  /* The weights there before are still whole. */
  {
    g_autoptr(GError) error = NULL;
    BsModel *model = bs_checkpoint_load (path, NULL, &error);

    g_assert_no_error (error);
    bs_model_free (model);
  }

  /* A pickle that calls os.system: refused before anything is asked. */
  bs_window_hide_error (window);
  write_pickle_zip (evil, evil_pickle, sizeof evil_pickle - 1);
  g_free (text);
  text = import_expecting_error (window, evil);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "os.system"));
  g_assert_null (bs_window_weights_get_question (weights_ui));

  /* A damaged file. */
  bs_window_hide_error (window);
  g_assert_true (g_file_set_contents (damaged, "\x10\0\0\0\0\0\0\0{\"a\":", 13, NULL));
  g_free (text);
  text = import_expecting_error (window, damaged);
  g_test_message ("%s", text);
  g_assert_nonnull (strstr (text, "damaged.safetensors"));

  bs_test_app_quit (app);
}


/* ---- fine-tuning -------------------------------------------------------- */

static gboolean
init_checked (gpointer data)
{
  gboolean checking = TRUE;

  bs_training_dialog_get_init_note (data, NULL, &checking);
  return !checking;
}

static gboolean
training_finished (gpointer data)
{
  return bs_job_is_finished (bs_training_job_get_job (data));
}

/* Fills the dialog and waits for its verdict on the weights. */
static const char *
dialog_note (BsTrainingDialog    *dialog,
             const BsRunSettings *settings,
             gboolean            *ok)
{
  bs_training_dialog_set_settings (dialog, settings);
  g_assert_true (bs_test_wait_until (init_checked, dialog, 60000));
  return bs_training_dialog_get_init_note (dialog, ok, NULL);
}

static void
test_fine_tune (void)
{
  g_autoptr(BsApplication) app = bs_test_screenshot_app_new (1100, 800);
  BsWindow *window = bs_test_app_get_window (app);
  BsWindowTraining *training = bs_window_get_training (window);
  g_autofree char *weights_ckpt = bs_model_catalog_weights_path ("imagenet-resnet50");
  g_autofree char *run_json = NULL;
  g_autofree char *description = NULL;
  g_autoptr(BsRun) run = NULL;
  GArray *epochs;
  BsTrainingDialog *dialog;
  BsTrainingJob *job;
  BsRunSettings settings, chosen;
  const char *note;
  gboolean ok = FALSE;

  /* The download test left the weights. */
  g_assert_true (g_file_test (weights_ckpt, G_FILE_TEST_IS_REGULAR));
  bs_run_settings_init (&settings);
  g_free (settings.model);
  settings.model = g_strdup ("imagenet-resnet50");
  g_free (settings.dataset);
  settings.dataset = g_strdup ("synthetic");
  settings.init = g_strdup (weights_ckpt);
  settings.recipe.epochs = 1;
  settings.recipe.batch_size = 8;
  settings.recipe.limit = 16;
  settings.recipe.test_limit = 16;
  settings.recipe.augment = FALSE;
  settings.recipe.threads = 1;
  settings.plan.at_init = FALSE;
  settings.plan.every_epochs = 0;

  g_action_group_activate_action (G_ACTION_GROUP (window), "new-training-run", NULL);
  dialog = bs_window_training_get_dialog (training);
  g_assert_nonnull (dialog);

  /* Weights of another network, and for images of other channels: refused. */
  g_free (settings.model);
  settings.model = g_strdup ("resnet20");
  bs_training_dialog_set_settings (dialog, &settings);
  bs_training_dialog_set_init_file (dialog, weights_ckpt);
  g_assert_true (bs_test_wait_until (init_checked, dialog, 60000));
  note = bs_training_dialog_get_init_note (dialog, &ok, NULL);
  g_test_message ("%s", note);
  g_assert_false (ok);
  g_assert_cmpstr (note, ==, "Cannot start from these weights: imagenet-resnet50.safetensors holds weights of "
                             "ResNet-50 (ImageNet), which cannot start ResNet-20.");
  g_object_unref (bs_test_screenshot (GTK_WIDGET (dialog), "weights-fine-tune-refused"));
  bs_training_dialog_start (dialog);
  g_assert_null (bs_window_training_get_job (training));
  g_free (settings.model);
  settings.model = g_strdup ("imagenet-resnet50");
  g_free (settings.dataset);
  settings.dataset = g_strdup ("fashion-mnist");
  note = dialog_note (dialog, &settings, &ok);
  g_test_message ("%s", note);
  g_assert_false (ok);
  g_assert_cmpstr (note, ==, "Cannot start from these weights: imagenet-resnet50.safetensors holds weights for "
                             "images of 3 channels, but the images of Fashion-MNIST have 1.");

  /* The ImageNet weights on 10 classes: a new head, said before Start. */
  g_free (settings.dataset);
  settings.dataset = g_strdup ("synthetic");
  note = dialog_note (dialog, &settings, &ok);
  g_assert_true (ok);
  {
    /* 1,000 as the locale groups it (C.UTF-8 does not). */
    g_autofree char *thousand = bs_format_count (1000);
    g_autofree char *want = g_strdup_printf ("A new head for the 10 classes of Synthetic replaces the %s "
                                             "classes of ImageNet.", thousand);

    g_assert_cmpstr (note, ==, want);
  }
  bs_training_dialog_get_settings (dialog, &chosen);
  g_assert_cmpstr (chosen.init, ==, weights_ckpt);
  g_object_unref (bs_test_screenshot (GTK_WIDGET (dialog), "weights-fine-tune-dialog"));

  /* What Start would train, at a rate the dialog's spin button does not go
   * down to: one epoch then leaves the weights as they were but for
   * rounding, which is what the checkpoint is compared with. */
  chosen.recipe.lr = 1e-12;
  g_assert_true (bs_window_training_start (training, &chosen));
  bs_run_settings_clear (&chosen);
  gtk_window_close (GTK_WINDOW (dialog));
  job = bs_window_training_get_job (training);
  g_assert_nonnull (job);
  g_assert_true (bs_test_wait_until (training_finished, job, 240000));
  if (bs_job_get_error (bs_training_job_get_job (job)) != NULL)
    g_test_message ("training: %s", bs_job_get_error (bs_training_job_get_job (job))->message);
  g_assert_cmpint (bs_job_get_state (bs_training_job_get_job (job)), ==, BS_JOB_SUCCEEDED);

  /* run.json names the weights it started from. */
  run_json = g_build_filename (bs_training_job_get_run_dir (job), "run.json", NULL);
  {
    g_autoptr(JsonParser) parser = json_parser_new ();
    g_autoptr(GError) error = NULL;
    JsonObject *root;

    json_parser_load_from_file (parser, run_json, &error);
    g_assert_no_error (error);
    root = json_node_get_object (json_parser_get_root (parser));
    g_assert_true (json_object_has_member (root, "init"));
    g_assert_cmpstr (json_object_get_string_member (root, "init"), ==, weights_ckpt);
  }

  /* Its first checkpoint: the weights' parameters after two steps at a rate
   * of 1e-12 (the running statistics of the batch norms move), a new head of
   * 10 classes. */
  run = bs_run_open (bs_training_job_get_run_dir (job), NULL);
  g_assert_nonnull (run);
  epochs = bs_run_get_checkpoint_epochs (run);
  g_assert_cmpuint (epochs->len, >=, 1);
  {
    g_autofree char *first = bs_run_get_checkpoint_path (run, g_array_index (epochs, guint, 0));
    g_autoptr(GError) error = NULL;
    BsModel *tuned = bs_checkpoint_load (first, NULL, &error);
    BsModel *start = bs_checkpoint_load (weights_ckpt, NULL, &error);
    guint compared = 0;

    g_assert_no_error (error);
    g_assert_nonnull (tuned);
    g_assert_cmpuint (bs_model_get_n_classes (tuned), ==, 10);
    for (guint i = 0; i < bs_model_get_n_params (tuned); i++)
      {
        BsParam *p = bs_model_get_param (tuned, i);
        BsParam *q = bs_model_find_param (start, p->name);
        const float *a = p->data, *b = q->data;

        if (g_str_has_prefix (p->name, "fc."))
          {
            g_assert_cmpuint (p->shape[0], ==, 10);
            g_assert_cmpuint (q->shape[0], ==, 1000);
            continue;
          }
        if (g_str_has_suffix (p->name, "running_mean") || g_str_has_suffix (p->name, "running_var"))
          continue;
        g_assert_cmpuint (p->n_elements, ==, q->n_elements);
        for (gsize j = 0; j < p->n_elements; j++)
          if (fabsf (a[j] - b[j]) > 1e-6f + 1e-6f * fabsf (b[j]))
            g_error ("%s[%" G_GSIZE_FORMAT "]: %g after fine-tuning, %g in the weights", p->name, j, a[j], b[j]);
        compared++;
      }
    g_assert_cmpuint (compared, >, 100);
    bs_model_free (tuned);
    bs_model_free (start);
  }

  /* The run says what it started from. */
  description = bs_model_catalog_describe_run (run);
  g_assert_nonnull (strstr (description, ", fine-tuned from ResNet-50 (ImageNet weights)"));
  g_assert_cmpstr (bs_training_job_get_description (job), ==, description);

  bs_run_settings_clear (&settings);
  bs_test_app_quit (app);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(SoupServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data_home = NULL;
  g_autofree char *url = NULL;
  GSList *uris;
  int status;

  /* Before anything reads XDG_DATA_HOME (GLib keeps the first answer). */
  tmp_dir = g_dir_make_tmp ("blockscope-weights-XXXXXX", NULL);
  data_home = g_build_filename (tmp_dir, "data-home", NULL);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  g_unsetenv ("BLOCKSCOPE_RUNS_DIR");

  make_weights ();
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  url = g_strdup_printf ("http://127.0.0.1:%u/%s", g_uri_get_port (uris->data), weights_name);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  /* Set before the app and its threads exist. */
  g_setenv ("BLOCKSCOPE_WEIGHTS_URL", url, TRUE);
  bs_test_init (&argc, &argv);

  g_test_add_func ("/weights/download", test_download);
  g_test_add_func ("/weights/import", test_import);
  /* After the download, whose weights it fine-tunes. */
  g_test_add_func ("/weights/fine-tune", test_fine_tune);

  status = g_test_run ();

  g_bytes_unref (weights);
  g_free (weights_name);
  g_free (weights_path);
  g_free (weights_pth);
  bs_test_remove_tree (tmp_dir);
  g_free (tmp_dir);
  return status;
}
