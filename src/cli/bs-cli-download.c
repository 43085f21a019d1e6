/* bs-cli-download.c: `blockscope-cli download`: a data set fetched into the data folder.
 *
 * The work is bs_dataset_fetch() on a worker thread; this thread waits for
 * SIGINT/SIGTERM, which cancel it (the data folder is left as it was), and
 * the progress goes to stderr. */
#include <glib-unix.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

#include "bs-cli.h"
#include "bs-dataset-fetch.h"
#include "bs-dataset-locate.h"
#include "bs-error.h"
#include "bs-weights-fetch.h"

typedef struct {
  const char            *name;
  const char            *architecture;  /* `download weights ARCH`, else NULL */
  const char            *weights_dir;
  char                  *url;           /* of the weights */
  const BsDatasetSource *source;
  const char            *data_dir;
  GCancellable          *cancellable;
  GMainLoop             *loop;
  gboolean               quiet;
  gboolean               tty;
  gboolean               line_open;
  gint64                 last_print;
  guint64                file_bytes[8]; /* downloaded, per file */
  guint                  n_signals;
  /* results */
  char                  *folder;
  gboolean               already;
  GError                *error;
  gint                   done;        /* set by the worker when it ends */
} Download;

static void
end_line (Download *d)
{
  if (d->line_open)
    fputc ('\n', stderr);
  d->line_open = FALSE;
}

static void
on_progress (BsDatasetFetchStage  stage,
             const char          *file,
             guint                index,
             guint                n_files,
             guint64              done,
             guint64              total,
             double               bytes_per_second,
             gpointer             user_data)
{
  Download *d = user_data;
  gint64 now = g_get_monotonic_time ();
  gboolean last = total != 0 && done == total;
  g_autofree char *line = NULL;

  if (stage == BS_DATASET_FETCH_DOWNLOAD && index < G_N_ELEMENTS (d->file_bytes))
    d->file_bytes[index] = done;
  if (d->quiet || (!last && now - d->last_print < (d->tty ? 200 : 5000) * G_TIME_SPAN_MILLISECOND))
    return;
  d->last_print = now;

  if (stage == BS_DATASET_FETCH_UNPACK)
    /* Translators: progress on stderr: an archive's name, percent unpacked. */
    line = g_strdup_printf (_("unpacking %s: %.0f %%"), file,
                            total ? 100.0 * (double) done / (double) total : 0.0);
  else if (total != 0)
    {
      double left = bytes_per_second > 0 ? (double) (total - done) / bytes_per_second : 0;

      /* Translators: progress on stderr: file number, files, file name, megabytes
       * done, megabytes in all, percent, speed in megabytes a second, seconds left. */
      line = g_strdup_printf (_("download %u/%u %s: %.1f of %.1f MB (%.0f %%), %.2f MB/s, %.0f s left"),
                              index + 1, n_files, file, done / 1e6, total / 1e6,
                              100.0 * (double) done / (double) total, bytes_per_second / 1e6, left);
    }
  else
    /* Translators: progress on stderr: file number, files, file name,
     * megabytes done, speed in megabytes a second. */
    line = g_strdup_printf (_("download %u/%u %s: %.1f MB, %.2f MB/s"),
                            index + 1, n_files, file, done / 1e6, bytes_per_second / 1e6);

  fputs (d->tty && d->line_open ? "\r" : "", stderr);
  fputs (line, stderr);
  if (d->tty)
    {
      fputs ("   ", stderr);
      d->line_open = TRUE;
      if (last)
        end_line (d);
    }
  else
    fputc ('\n', stderr);
  fflush (stderr);
}

static void
on_weights_progress (guint64  done,
                     guint64  total,
                     double   bytes_per_second,
                     gpointer user_data)
{
  Download *d = user_data;
  g_autofree char *file = g_path_get_basename (d->url);

  on_progress (BS_DATASET_FETCH_DOWNLOAD, file, 0, 1, done, total, bytes_per_second, d);
}

static gboolean
quit_loop (gpointer user_data)
{
  Download *d = user_data;

  g_main_loop_quit (d->loop);
  return G_SOURCE_REMOVE;
}

static gpointer
download_thread (gpointer user_data)
{
  Download *d = user_data;

  if (d->architecture != NULL)
    d->folder = bs_weights_fetch (d->architecture, d->weights_dir, NULL, on_weights_progress, d,
                                  &d->already, d->cancellable, &d->error);
  else
    d->folder = bs_dataset_fetch (d->source, d->data_dir, on_progress, d, &d->already,
                                  d->cancellable, &d->error);
  /* An idle rather than g_main_context_invoke(): that would run quit_loop
   * here, at once, when the download ends before the loop started. */
  g_atomic_int_set (&d->done, 1);
  g_idle_add (quit_loop, d);
  return NULL;
}

static gboolean
on_signal (gpointer user_data)
{
  Download *d = user_data;

  if (d->n_signals++ == 0)
    {
      g_cancellable_cancel (d->cancellable);
      return G_SOURCE_CONTINUE;
    }
  signal (SIGINT, SIG_DFL);
  raise (SIGINT);
  _exit (BS_CLI_EXIT_FAILURE);
}

static void
print_json (Download *d,
            double    seconds)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint64 bytes = 0;

  for (guint i = 0; i < G_N_ELEMENTS (d->file_bytes); i++)
    bytes += d->file_bytes[i];
  json_builder_begin_object (builder);
  bs_cli_json_add_string (builder, d->architecture ? "weights" : "dataset", d->name);
  bs_cli_json_add_string (builder, d->architecture ? "checkpoint" : "folder", d->folder);
  json_builder_set_member_name (builder, "already");
  json_builder_add_boolean_value (builder, d->already);
  bs_cli_json_add_string (builder, "url", d->already ? NULL
                          : d->architecture ? d->url : bs_dataset_source_get_url (d->source));
  json_builder_set_member_name (builder, "bytes");
  json_builder_add_int_value (builder, (gint64) bytes);
  bs_cli_json_add_double (builder, "seconds", seconds);
  json_builder_end_object (builder);
  bs_cli_print_json (builder);
}

int
bs_cli_download (int    argc,
                 char **argv)
{
  g_autofree char *data_dir = NULL;
  g_autofree char *weights_dir = NULL;
  gboolean json = FALSE, quiet = FALSE;
  const GOptionEntry entries[] = {
    { "data-dir", 0, 0, G_OPTION_ARG_FILENAME, &data_dir, N_("Folder to download into (default: $BLOCKSCOPE_DATA_DIR, else ~/.local/share/blockscope/datasets)"), "DIR" },
    { "weights-dir", 0, 0, G_OPTION_ARG_FILENAME, &weights_dir, N_("Folder for downloaded weights (default ~/.local/share/blockscope/weights)"), "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, N_("No progress on stderr"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDatasetSource) source = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  Download d = { 0 };
  GThread *thread;
  guint sigint_id, sigterm_id;
  gint64 start;
  int status;

  if (!bs_cli_parse ("download", N_("cifar10|cifar100|mnist|weights ARCHITECTURE"),
                     N_("Download a data set into the data folder, check its MD5 checksums and "
                        "unpack it.\n\n"
                        "BLOCKSCOPE_CIFAR10_URL, BLOCKSCOPE_CIFAR100_URL and BLOCKSCOPE_MNIST_URL "
                        "(a folder address for MNIST's four files) replace the official addresses, "
                        "for a mirror; BLOCKSCOPE_CIFAR10_MD5, BLOCKSCOPE_CIFAR100_MD5 and "
                        "BLOCKSCOPE_MNIST_MD5 (four checksums, comma-separated) the expected "
                        "checksums, for a mirror that repackages.\n\n"
                        "“download weights imagenet-resnet50” (or -101, -152) fetches torchvision's "
                        "ImageNet weights, checks the SHA-256 prefix in the file's name and imports "
                        "them as a checkpoint; BLOCKSCOPE_WEIGHTS_URL replaces the address (a file, "
                        "or a folder with the official file names)."),
                     entries, &argc, &argv, &status))
    return status;
  if (argc < 2)
    return bs_cli_usage_error ("download", _("give the data set to download: cifar10, cifar100 or mnist"));
  if (g_strcmp0 (argv[1], "weights") == 0)
    {
      if (argc < 3)
        return bs_cli_usage_error ("download", _("give the architecture whose weights to download: "
                                                 "imagenet-resnet50, imagenet-resnet101 or imagenet-resnet152"));
      if (argc > 3)
        return bs_cli_usage_error ("download", _("unexpected argument '%s'"), argv[3]);
      if (!bs_weights_fetch_known (argv[2]))
        /* Translators: a model name. */
        return bs_cli_usage_error ("download", _("there are no official weights for '%s' (these have: "
                                                 "imagenet-resnet50, imagenet-resnet101, imagenet-resnet152)"),
                                   argv[2]);
      d.architecture = argv[2];
      d.name = argv[2];
      d.weights_dir = weights_dir;
      d.url = bs_weights_fetch_url (argv[2], NULL);
    }
  else if (argc > 2)
    return bs_cli_usage_error ("download", _("unexpected argument '%s'"), argv[2]);
  else if (!bs_dataset_can_download (argv[1]))
    {
      if (bs_dataset_info_lookup (argv[1], &error) != NULL)
        /* Translators: a data set's name. */
        return bs_cli_usage_error ("download", _("the data set '%s' cannot be downloaded (these can: cifar10, cifar100, mnist)"),
                                   argv[1]);
      return bs_cli_usage_error ("download", "%s", error->message);
    }
  if (d.architecture == NULL)
    {
      source = bs_dataset_source_new (argv[1], &error);
      if (source == NULL)
        return bs_cli_usage_error ("download", "%s", error->message);
      d.name = argv[1];
      d.source = source;
    }
  d.data_dir = data_dir;
  d.cancellable = cancellable;
  d.loop = loop;
  d.quiet = quiet;
  d.tty = isatty (fileno (stderr));
  start = g_get_monotonic_time ();

  sigint_id = g_unix_signal_add (SIGINT, on_signal, &d);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, &d);
  thread = g_thread_new ("download", download_thread, &d);
  bs_cli_run_until_done (loop, &d.done);
  g_thread_join (thread);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  end_line (&d);

  if (d.folder == NULL)
    {
      status = bs_cli_fail (d.error);
      g_clear_error (&d.error);
      g_free (d.url);
      return status;
    }
  if (json)
    print_json (&d, (g_get_monotonic_time () - start) / 1e6);
  else if (d.already)
    /* Translators: a data set's name, then its folder. */
    printf (_("%s is already there: %s\n"), d.name, d.folder);
  else
    /* Translators: a data set's name, then its folder. */
    printf (_("%s downloaded into %s\n"), d.name, d.folder);
  g_free (d.folder);
  g_free (d.url);
  return BS_CLI_EXIT_OK;
}
