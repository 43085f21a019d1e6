/* test-download.c: a data set downloaded from the chooser, against a server in the test.
 *
 * A libsoup server on the loopback address serves a CIFAR-10 archive in
 * the real layout (test-archives.h) and answers 404 for CIFAR-100; the
 * addresses and checksums reach the app through the environment, as for a
 * mirror. The chooser's Download button, pressed with the keyboard, runs a
 * job on the window's queue; when it ends the data set is in the data
 * folder and chosen, and its row offers no download any more. The 404
 * ends in the banner, and the data folder is as it was. */
#include "bs-config.h"

#include <libsoup/soup.h>
#include <string.h>

#include "bs-test-util.h"
#include "bs-test-utils.h"
#include "bs-window-private.h"
#include "test-archives.h"

static GBytes *archive;

static void
handle (SoupServer        *server,
        SoupServerMessage *message,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  if (g_str_equal (path, "/cifar-10-binary.tar.gz"))
    {
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_server_message_set_response (message, "application/gzip", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (archive, NULL), g_bytes_get_size (archive));
    }
  else
    soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
}

/* The Download button of the named data set among widget and its descendants. */
static GtkWidget *
find_download (GtkWidget  *widget,
               const char *name)
{
  if (GTK_IS_BUTTON (widget) && gtk_widget_has_css_class (widget, "dataset-download"))
    {
      GVariant *target = gtk_actionable_get_action_target_value (GTK_ACTIONABLE (widget));

      if (target != NULL && g_str_equal (g_variant_get_string (target, NULL), name))
        return widget;
    }
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_download (child, name);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static gboolean
job_finished (gpointer data)
{
  BsJob *job = bs_window_downloads_get_job (bs_window_get_downloads (data));

  return job != NULL && bs_job_is_finished (job);
}

static gboolean
popover_hidden (gpointer data)
{
  return !gtk_widget_get_visible (data);
}

static guint
count_entries (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  guint n = 0;

  while (d != NULL && g_dir_read_name (d) != NULL)
    n++;
  return n;
}

static void
test_download (void)
{
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsApplication) app = NULL;
  g_autofree char *data_dir = g_dir_make_tmp ("blockscope-download-XXXXXX", NULL);
  g_autofree char *md5 = NULL, *url = NULL, *missing_url = NULL, *folder = NULL, *dataset = NULL;
  GSList *uris;
  GtkPopover *popover;
  GtkWidget *download;
  BsWindow *window;
  guint port;

  archive = test_cifar10_archive (3, NULL, NULL);
  md5 = g_compute_checksum_for_bytes (G_CHECKSUM_MD5, archive);
  soup_server_add_handler (server, NULL, handle, NULL, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  port = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  url = g_strdup_printf ("http://127.0.0.1:%u/cifar-10-binary.tar.gz", port);
  missing_url = g_strdup_printf ("http://127.0.0.1:%u/missing.tar.gz", port);

  /* Set before the app and its threads exist. */
  g_setenv ("BLOCKSCOPE_DATA_DIR", data_dir, TRUE);
  g_setenv ("BLOCKSCOPE_CIFAR10_URL", url, TRUE);
  g_setenv ("BLOCKSCOPE_CIFAR10_MD5", md5, TRUE);
  g_setenv ("BLOCKSCOPE_CIFAR100_URL", missing_url, TRUE);

  app = bs_test_app_new ();
  window = bs_test_app_get_window (app);

  /* The chooser offers the download; Return on the button starts it. */
  popover = gtk_menu_button_get_popover (bs_window_get_dataset_button (window));
  gtk_menu_button_popup (bs_window_get_dataset_button (window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (popover));
  download = find_download (GTK_WIDGET (popover), "cifar10");
  g_assert_nonnull (download);
  g_assert_nonnull (strstr (gtk_button_get_label (GTK_BUTTON (download)), "Download"));
  bs_test_key_activate (download);
  /* The chooser closes (the job list shows the progress), the job ends. */
  g_assert_true (bs_test_wait_until (popover_hidden, popover, 10000));
  g_assert_true (bs_test_wait_until (job_finished, window, 60000));
  {
    BsJob *job = bs_window_downloads_get_job (bs_window_get_downloads (window));

    if (bs_job_get_error (job) != NULL)
      g_test_message ("download: %s", bs_job_get_error (job)->message);
    g_assert_cmpint (bs_job_get_state (job), ==, BS_JOB_SUCCEEDED);
  }

  /* In the data folder, complete, and chosen; its row offers no download now. */
  folder = g_build_filename (data_dir, "cifar-10-batches-bin", "data_batch_5.bin", NULL);
  g_assert_true (g_file_test (folder, G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_entries (data_dir), ==, 1);
  dataset = bs_window_resolve_dataset (window);
  g_assert_cmpstr (dataset, ==, "cifar10");
  g_assert_null (bs_window_get_error_text (window));
  gtk_menu_button_popup (bs_window_get_dataset_button (window));
  gtk_test_widget_wait_for_draw (GTK_WIDGET (popover));
  g_assert_null (find_download (GTK_WIDGET (popover), "cifar10"));
  g_assert_nonnull (find_download (GTK_WIDGET (popover), "cifar100"));
  gtk_menu_button_popdown (bs_window_get_dataset_button (window));

  /* A 404: the banner says so, the data folder is as it was. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.download-dataset", "s", "cifar100");
  g_assert_true (bs_test_wait_until (job_finished, window, 60000));
  g_assert_cmpint (bs_job_get_state (bs_window_downloads_get_job (bs_window_get_downloads (window))), ==,
                   BS_JOB_FAILED);
  g_assert_nonnull (bs_window_get_error_text (window));
  g_assert_nonnull (strstr (bs_window_get_error_text (window), "404"));
  g_assert_cmpuint (count_entries (data_dir), ==, 1);

  bs_test_app_quit (app);
  g_bytes_unref (archive);
  bs_test_remove_tree (data_dir);
}

int
main (int    argc,
      char **argv)
{
  bs_test_init (&argc, &argv);

  g_test_add_func ("/download/chooser", test_download);

  return g_test_run ();
}
