/* test-dataset-download.c: data sets downloaded from a local server.
 *
 * A libsoup SoupServer on the loopback address, in a thread of this test,
 * serves archives generated here in the real CIFAR-10 and CIFAR-100 binary
 * layout (a few images each) and MNIST's four .gz files. Each download is
 * checked end to end: the data set reader opens what was unpacked. The
 * failures (wrong checksum, cut-off body, 404, 500, redirect loop, refused
 * connection, TLS, damaged archive, cancel) each give their own message and
 * leave the data folder exactly as it was. A few cases run through
 * blockscope-cli download, with the environment's overrides. */
#include <archive.h>
#include <archive_entry.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bs-dataset-fetch.h"
#include "bs-dataset.h"
#include "bs-download.h"
#include "bs-checkpoint.h"
#include "bs-error.h"
#include "bs-model.h"
#include "bs-safetensors.h"
#include "bs-sync.h"
#include "bs-weights-fetch.h"
#include "test-archives.h"
#include "test-dataset-files.h"

#define N_PER_FILE 3   /* images per CIFAR batch file */
#define N_MNIST 5

/* ---- The server ------------------------------------------------------- */

typedef struct {
  GThread      *thread;
  GMainContext *context;
  GMainLoop    *loop;
  SoupServer   *server;
  GMutex        lock;
  GCond         cond;
  gboolean      ready;
  guint         port;
  GHashTable   *files;      /* name -> GBytes; fixed before the server starts */
  GHashTable   *requests;   /* path -> GUINT_TO_POINTER (count), under lock */
  GPtrArray    *ranges;     /* "path start" of every Range request, under lock */
} Server;

static Server server;

static void
serve_bytes (SoupServerMessage *msg,
             GBytes            *bytes)
{
  SoupMessageHeaders *request = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response = soup_server_message_get_response_headers (msg);
  SoupRange *ranges = NULL;
  int n_ranges;
  gsize len = g_bytes_get_size (bytes);

  if (soup_message_headers_get_ranges (request, len, &ranges, &n_ranges) && n_ranges == 1)
    {
      goffset start = ranges[0].start, end = ranges[0].end;
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (bytes, start, end - start + 1);

      bs_mutex_lock (&server.lock);
      g_ptr_array_add (server.ranges,
                       g_strdup_printf ("%s %" G_GOFFSET_FORMAT,
                                        g_uri_get_path (soup_server_message_get_uri (msg)), start));
      bs_mutex_unlock (&server.lock);
      soup_message_headers_free_ranges (request, ranges);
      soup_message_headers_set_content_range (response, start, end, len);
      soup_server_message_set_status (msg, SOUP_STATUS_PARTIAL_CONTENT, NULL);
      soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                        g_bytes_get_data (part, NULL), g_bytes_get_size (part));
      return;
    }
  soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (msg, "application/octet-stream", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (bytes, NULL), len);
}

/* Announces the whole file, sends the first half and closes the connection. */
static void
serve_cut_off (SoupServerMessage *msg,
               GBytes            *bytes)
{
  g_autoptr(GIOStream) io = soup_server_message_steal_connection (msg);
  GOutputStream *out = g_io_stream_get_output_stream (io);
  gsize len = g_bytes_get_size (bytes);
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %" G_GSIZE_FORMAT
                                           "\r\nConnection: close\r\n\r\n", len);

  g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
  g_output_stream_write_all (out, g_bytes_get_data (bytes, NULL), len / 2, NULL, NULL, NULL);
  g_io_stream_close (io, NULL, NULL);
}

static void
handle (SoupServer        *soup_server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  g_auto(GStrv) parts = g_strsplit (path + 1, "/", 2);
  GBytes *bytes = parts[0] && parts[1] ? g_hash_table_lookup (server.files, parts[1]) : NULL;
  guint count;

  bs_mutex_lock (&server.lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (server.requests, path)) + 1;
  g_hash_table_insert (server.requests, g_strdup (path), GUINT_TO_POINTER (count));
  bs_mutex_unlock (&server.lock);

  if (strcmp (path, "/error") == 0)
    soup_server_message_set_status (msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, NULL);
  else if (strcmp (path, "/loop") == 0)
    soup_server_message_set_redirect (msg, SOUP_STATUS_FOUND, "/loop");
  else if (bytes == NULL)
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  else if (strcmp (parts[0], "files") == 0)
    serve_bytes (msg, bytes);
  else if (strcmp (parts[0], "drop-once") == 0 && count == 1)
    serve_cut_off (msg, bytes);
  else if (strcmp (parts[0], "drop-once") == 0)
    serve_bytes (msg, bytes);
  else if (strcmp (parts[0], "drop-always") == 0)
    serve_cut_off (msg, bytes);
  else
    soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
}

static gpointer
server_thread (gpointer data)
{
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (server.context);
  server.server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server.server, NULL, handle, NULL, NULL);
  soup_server_listen_local (server.server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server.server);
  bs_mutex_lock (&server.lock);
  server.port = (guint) g_uri_get_port (uris->data);
  server.ready = TRUE;
  g_cond_signal (&server.cond);
  bs_mutex_unlock (&server.lock);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (server.loop);
  soup_server_disconnect (server.server);
  g_clear_object (&server.server);
  g_main_context_pop_thread_default (server.context);
  return NULL;
}

static void
server_start (void)
{
  g_mutex_init (&server.lock);
  g_cond_init (&server.cond);
  server.context = g_main_context_new ();
  server.loop = g_main_loop_new (server.context, FALSE);
  server.requests = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  server.ranges = g_ptr_array_new_with_free_func (g_free);
  server.thread = g_thread_new ("server", server_thread, NULL);
  bs_mutex_lock (&server.lock);
  while (!server.ready)
    bs_cond_wait (&server.cond, &server.lock);
  bs_mutex_unlock (&server.lock);
}

static gboolean
quit_server (gpointer data)
{
  g_main_loop_quit (server.loop);
  return G_SOURCE_REMOVE;
}

static void
server_stop (void)
{
  g_main_context_invoke (server.context, quit_server, NULL);
  g_thread_join (server.thread);
  g_main_loop_unref (server.loop);
  g_main_context_unref (server.context);
  g_hash_table_unref (server.requests);
  g_ptr_array_unref (server.ranges);
  g_hash_table_unref (server.files);
}

static char *
url_for (const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", server.port, path);
}

static guint
requests_for (const char *path)
{
  guint count;

  bs_mutex_lock (&server.lock);
  count = GPOINTER_TO_UINT (g_hash_table_lookup (server.requests, path));
  bs_mutex_unlock (&server.lock);
  return count;
}

static gboolean
has_range (const char *line)
{
  gboolean found = FALSE;

  bs_mutex_lock (&server.lock);
  for (guint i = 0; i < server.ranges->len; i++)
    found |= strcmp (server.ranges->pdata[i], line) == 0;
  bs_mutex_unlock (&server.lock);
  return found;
}

/* ---- The files it serves ---------------------------------------------- */

static GBytes *
make_cifar100 (void)
{
  g_autoptr(GBytes) train = test_cifar_file (TRUE, N_PER_FILE, 0);
  g_autoptr(GBytes) test = test_cifar_file (TRUE, N_PER_FILE, 100);
  const TestEntry entries[] = {
    { "cifar-100-binary/", NULL },
    { "cifar-100-binary/train.bin", train },
    { "cifar-100-binary/test.bin", test },
  };

  return test_tar_gz (entries, G_N_ELEMENTS (entries));
}

static GBytes *
gz_of (GByteArray *array)
{
  GBytes *bytes = test_gzip (array->data, array->len);

  g_byte_array_unref (array);
  return bytes;
}

static void
add_file (const char *name,
          GBytes     *bytes)
{
  g_hash_table_insert (server.files, g_strdup (name), bytes);
}

static char *
md5_of (const char *name)
{
  return g_compute_checksum_for_bytes (G_CHECKSUM_MD5, g_hash_table_lookup (server.files, name));
}

/* A full ResNet-50 state dict (safetensors), named as torch.hub names files:
 * resnet50-<the first 8 hex digits of its SHA-256>. */
static char *weights_name;
static float weights_fc_bias[1000];

static void
make_weights (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsSafetensorsWriter) writer = bs_safetensors_writer_new ();
  g_autofree char *tmp = test_make_tmp_dir ();
  g_autofree char *path = g_build_filename (tmp, "w.safetensors", NULL);
  g_autofree char *sha = NULL;
  BsModel *model = bs_model_new ("imagenet-resnet50", 3, 32, 32, 1000, &error);
  GBytes *bytes;
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
  bs_safetensors_writer_save (writer, path, &error);
  g_assert_no_error (error);
  memcpy (weights_fc_bias, bs_model_find_param (model, "fc.bias")->data, sizeof weights_fc_bias);
  bs_model_free (model);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  bytes = g_bytes_new_take (contents, len);
  sha = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
  weights_name = g_strdup_printf ("resnet50-%.8s.safetensors", sha);
  add_file (weights_name, g_bytes_ref (bytes));
  add_file ("resnet50-deadbeef.safetensors", bytes);
  test_rm_rf (tmp);
}

static void
make_files (void)
{
  g_autoptr(GBytes) garbage = NULL;
  guint8 noise[4096];

  server.files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_bytes_unref);
  add_file ("cifar-10-binary.tar.gz", test_cifar10_archive (N_PER_FILE, NULL, NULL));
  add_file ("cifar-100-binary.tar.gz", make_cifar100 ());
  add_file ("incomplete.tar.gz", test_cifar10_archive (N_PER_FILE, "data_batch_3.bin", NULL));
  add_file ("escape.tar.gz", test_cifar10_archive (N_PER_FILE, NULL, "../escaped.txt"));
  for (guint i = 0; i < sizeof noise; i++)
    noise[i] = (guint8) (i * 131 + 7);
  add_file ("damaged.tar.gz", g_bytes_new (noise, sizeof noise));
  add_file ("train-images-idx3-ubyte.gz", gz_of (test_idx_images (0x803, N_MNIST, 28, 28)));
  add_file ("train-labels-idx1-ubyte.gz", gz_of (test_idx_labels (0x801, N_MNIST, 10)));
  add_file ("t10k-images-idx3-ubyte.gz", gz_of (test_idx_images (0x803, 2, 28, 28)));
  add_file ("t10k-labels-idx1-ubyte.gz", gz_of (test_idx_labels (0x801, 2, 10)));
  make_weights ();
}

/* ---- The data folder, before and after -------------------------------- */

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

static void
list_tree (const char *root,
           const char *relative,
           GString    *out)
{
  g_autofree char *path = g_build_filename (root, relative, NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_dir_close (dir);
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (relative, names->pdata[i], NULL);
      g_autofree char *full = g_build_filename (root, child, NULL);

      g_string_append_printf (out, "%s\n", child);
      if (g_file_test (full, G_FILE_TEST_IS_DIR))
        list_tree (root, child, out);
    }
}

/* Every path under root, one a line ("" for an empty or absent folder,
 * "(absent)" when root itself does not exist). */
static char *
tree_of (const char *root)
{
  GString *out = g_string_new (NULL);

  if (!g_file_test (root, G_FILE_TEST_EXISTS))
    g_string_append (out, "(absent)");
  list_tree (root, "", out);
  return g_string_free (out, FALSE);
}

typedef struct {
  char *tmp;        /* the test's own folder */
  char *data_dir;   /* tmp/data, with a file of the user's in it */
  char *before;     /* tree_of (data_dir) at the start */
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *keep = NULL;

  f->tmp = test_make_tmp_dir ();
  f->data_dir = g_build_filename (f->tmp, "data", NULL);
  g_assert_cmpint (g_mkdir (f->data_dir, 0755), ==, 0);
  keep = g_build_filename (f->data_dir, "notes.txt", NULL);
  test_write_file (keep, "mine", 4);
  f->before = tree_of (f->data_dir);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  test_rm_rf (f->tmp);
  g_free (f->tmp);
  g_free (f->data_dir);
  g_free (f->before);
}

static void
assert_unchanged (Fixture *f)
{
  g_autofree char *after = tree_of (f->data_dir);

  g_assert_cmpstr (after, ==, f->before);
}

typedef struct {
  GCancellable *cancel_on_first;   /* cancelled at the first report, if not NULL */
  guint         reports;
  guint64       last_done;
  guint64       last_total;
  gboolean      unpacked;
  gboolean      went_back;         /* done decreased within one file */
  guint         last_index;
} Watch;

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
  Watch *w = user_data;

  g_assert_cmpuint (index, <, n_files);
  g_assert_cmpfloat (bytes_per_second, >=, 0.0);
  if (stage == BS_DATASET_FETCH_UNPACK)
    {
      w->unpacked = TRUE;
      return;
    }
  if (w->reports > 0 && index == w->last_index && done < w->last_done)
    w->went_back = TRUE;
  w->reports++;
  w->last_index = index;
  w->last_done = done;
  w->last_total = total;
  if (w->cancel_on_first != NULL)
    g_cancellable_cancel (w->cancel_on_first);
}

/* Downloads name with the server's url path and md5s; returns the folder or NULL with error. */
static char *
fetch (Fixture     *f,
       const char  *name,
       const char  *path,
       const char  *md5s,
       Watch       *watch,
       GCancellable *cancellable,
       GError     **error)
{
  g_autofree char *url = url_for (path);
  g_autoptr(BsDatasetSource) source = bs_dataset_source_new_with (name, url, md5s, error);
  gboolean already = TRUE;
  char *folder;

  g_assert_nonnull (source);
  folder = bs_dataset_fetch (source, f->data_dir, on_progress, watch, &already, cancellable, error);
  g_assert_false (already);
  return folder;
}

/* ---- The tests -------------------------------------------------------- */

static void
test_cifar10 (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autofree char *expected = g_build_filename (f->data_dir, "cifar-10-batches-bin", NULL);
  g_autofree char *tree = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  Watch watch = { 0 };

  folder = fetch (f, "cifar10", "/files/cifar-10-binary.tar.gz", md5, &watch, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (folder, ==, expected);
  g_assert_cmpuint (watch.reports, >, 0);
  g_assert_cmpuint (watch.last_done, ==, g_bytes_get_size (g_hash_table_lookup (server.files, "cifar-10-binary.tar.gz")));
  g_assert_cmpuint (watch.last_total, ==, watch.last_done);
  g_assert_true (watch.unpacked);

  /* Nothing else left behind: no temporary folder, no archive. */
  tree = tree_of (f->data_dir);
  g_assert_cmpstr (tree, ==,
                   "cifar-10-batches-bin\n"
                   "cifar-10-batches-bin/batches.meta.txt\n"
                   "cifar-10-batches-bin/data_batch_1.bin\n"
                   "cifar-10-batches-bin/data_batch_2.bin\n"
                   "cifar-10-batches-bin/data_batch_3.bin\n"
                   "cifar-10-batches-bin/data_batch_4.bin\n"
                   "cifar-10-batches-bin/data_batch_5.bin\n"
                   "cifar-10-batches-bin/test_batch.bin\n"
                   "notes.txt\n");

  /* The reader finds it where it looks and reads the images. */
  dataset = bs_dataset_load ("cifar10", f->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dataset->train.n_images, ==, 5 * N_PER_FILE);
  g_assert_cmpuint (dataset->test.n_images, ==, N_PER_FILE);
  g_assert_cmpuint (dataset->train.labels[4], ==, test_label_of (4, 10));
  g_assert_cmpuint (dataset->test.labels[1], ==, test_label_of (5 * N_PER_FILE + 1, 10));
  g_assert_cmpuint (dataset->train.pixels[3072 * 7 + 1024 * 2 + 32 * 5 + 9], ==, test_pixel (7, 2, 5, 9));

  /* A second download finds it and fetches nothing. */
  {
    g_autofree char *url = url_for ("/files/cifar-10-binary.tar.gz");
    g_autoptr(BsDatasetSource) source = bs_dataset_source_new_with ("cifar10", url, md5, &error);
    g_autofree char *again = NULL;
    gboolean already = FALSE;
    guint before = requests_for ("/files/cifar-10-binary.tar.gz");

    again = bs_dataset_fetch (source, f->data_dir, NULL, NULL, &already, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (already);
    g_assert_cmpstr (again, ==, expected);
    g_assert_cmpuint (requests_for ("/files/cifar-10-binary.tar.gz"), ==, before);
  }
}

static void
test_cifar100 (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-100-binary.tar.gz");
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  Watch watch = { 0 };

  folder = fetch (f, "cifar100", "/files/cifar-100-binary.tar.gz", md5, &watch, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (folder, "/cifar-100-binary"));
  dataset = bs_dataset_load ("cifar100", f->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dataset->n_classes, ==, 100);
  g_assert_cmpuint (dataset->train.n_images, ==, N_PER_FILE);
  g_assert_cmpuint (dataset->test.labels[2], ==, test_label_of (102, 100));
}

static void
test_mnist (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  g_autofree char *m1 = md5_of ("train-images-idx3-ubyte.gz");
  g_autofree char *m2 = md5_of ("train-labels-idx1-ubyte.gz");
  g_autofree char *m3 = md5_of ("t10k-images-idx3-ubyte.gz");
  g_autofree char *m4 = md5_of ("t10k-labels-idx1-ubyte.gz");
  g_autofree char *md5s = g_strjoin (",", m1, m2, m3, m4, NULL);
  Watch watch = { 0 };

  /* A folder address without its slash works too. */
  folder = fetch (f, "mnist", "/files", md5s, &watch, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_str_has_suffix (folder, "/mnist"));
  g_assert_cmpuint (watch.last_index, ==, 3);
  dataset = bs_dataset_load ("mnist", f->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dataset->train.n_images, ==, N_MNIST);
  g_assert_cmpuint (dataset->test.n_images, ==, 2);
  g_assert_cmpuint (dataset->train.labels[3], ==, test_idx_label (3, 10));
  g_assert_cmpuint (dataset->train.pixels[28 * 28 * 4 + 28 * 3 + 11], ==, test_pixel (4, 0, 3, 11));
}

static void
test_resume (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(BsDataset) dataset = NULL;
  gsize len = g_bytes_get_size (g_hash_table_lookup (server.files, "cifar-10-binary.tar.gz"));
  g_autofree char *range = g_strdup_printf ("/drop-once/cifar-10-binary.tar.gz %" G_GSIZE_FORMAT, len / 2);
  Watch watch = { 0 };

  folder = fetch (f, "cifar10", "/drop-once/cifar-10-binary.tar.gz", md5, &watch, NULL, &error);
  g_assert_no_error (error);
  /* Two requests: the cut-off one, then one for the rest from where it stopped. */
  g_assert_cmpuint (requests_for ("/drop-once/cifar-10-binary.tar.gz"), ==, 2);
  g_assert_true (has_range (range));
  g_assert_false (watch.went_back);
  dataset = bs_dataset_load ("cifar10", f->data_dir, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dataset->train.n_images, ==, 5 * N_PER_FILE);
}

/* A download that must fail with domain/code and a message containing
 * expected, leaving the data folder as it was. */
static void
expect_failure (Fixture      *f,
                const char   *name,
                const char   *path,
                const char   *md5s,
                GQuark        domain,
                int           code,
                const char   *expected)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  Watch watch = { 0 };

  folder = fetch (f, name, path, md5s, &watch, NULL, &error);
  g_assert_null (folder);
  g_assert_error (error, domain, code);
  if (strstr (error->message, expected) == NULL)
    g_error ("'%s' does not contain '%s'", error->message, expected);
  g_test_message ("%s: %s", path, error->message);
  assert_unchanged (f);
}

static void
test_wrong_checksum (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");

  /* The right checksum of another file: the archive is complete but not the one expected. */
  expect_failure (f, "cifar10", "/files/cifar-100-binary.tar.gz", md5, BS_ERROR, BS_ERROR_MISMATCH,
                  "is damaged or not the expected one: its MD5 is ");
}

static void
test_truncated (Fixture       *f,
                gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");
  gsize len = g_bytes_get_size (g_hash_table_lookup (server.files, "cifar-10-binary.tar.gz"));
  g_autofree char *expected = g_strdup_printf ("stopped after %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " bytes",
                                               len / 2, len);

  expect_failure (f, "cifar10", "/drop-always/cifar-10-binary.tar.gz", md5, BS_ERROR,
                  BS_ERROR_NETWORK, expected);
  g_assert_cmpstr (strstr (expected, "stopped"), !=, NULL);
}

static void
test_http_errors (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");

  expect_failure (f, "cifar10", "/files/no-such-file.tar.gz", md5, BS_ERROR, BS_ERROR_NOT_FOUND,
                  "/files/no-such-file.tar.gz does not exist on the server (HTTP 404)");
  expect_failure (f, "cifar10", "/error", md5, BS_ERROR, BS_ERROR_NETWORK,
                  "/error with an error: HTTP 500 Internal Server Error");
  expect_failure (f, "cifar10", "/loop", md5, BS_ERROR, BS_ERROR_NETWORK,
                  "too many redirects for http://127.0.0.1:");
  g_assert_cmpuint (requests_for ("/loop"), >, 10);
}

/* Accepts one connection and answers whatever comes with a line of plain text. */
static gpointer
answer_plain_text (gpointer data)
{
  g_autoptr(GSocket) client = g_socket_accept (data, NULL, NULL);
  static const char answer[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
  char buffer[1024];

  g_assert_nonnull (client);
  g_socket_receive (client, buffer, sizeof buffer, NULL, NULL);
  g_socket_send (client, answer, sizeof answer - 1, NULL, NULL);
  g_socket_close (client, NULL);
  return NULL;
}

static void
test_connection_errors (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GSocket) socket = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDatasetSource) refused = NULL;
  g_autoptr(BsDatasetSource) tls = NULL;
  g_autofree char *refused_url = NULL;
  g_autofree char *tls_url = NULL;
  g_autofree char *folder = NULL;
  g_autoptr(GSocket) tls_socket = NULL;
  g_autoptr(GSocketAddress) tls_bound = NULL;
  GThread *plain_server;

  /* A port nobody listens on: bound, never listening, so connecting is refused. */
  socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (socket, any, FALSE, &error);
  g_assert_no_error (error);
  bound = g_socket_get_local_address (socket, &error);
  g_assert_no_error (error);
  refused_url = g_strdup_printf ("http://127.0.0.1:%u/cifar-10-binary.tar.gz",
                                 g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  refused = bs_dataset_source_new_with ("cifar10", refused_url, NULL, &error);
  g_assert_no_error (error);
  folder = bs_dataset_fetch (refused, f->data_dir, NULL, NULL, NULL, NULL, &error);
  g_assert_null (folder);
  g_assert_error (error, BS_ERROR, BS_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "the server 127.0.0.1 refused the connection"));
  assert_unchanged (f);
  g_clear_error (&error);

  /* https to a server that answers the TLS greeting with plain text. */
  tls_socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
  g_assert_no_error (error);
  g_socket_bind (tls_socket, any, FALSE, &error);
  g_assert_no_error (error);
  g_socket_listen (tls_socket, &error);
  g_assert_no_error (error);
  tls_bound = g_socket_get_local_address (tls_socket, &error);
  g_assert_no_error (error);
  plain_server = g_thread_new ("plain", answer_plain_text, tls_socket);
  tls_url = g_strdup_printf ("https://127.0.0.1:%u/cifar-10-binary.tar.gz",
                             g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (tls_bound)));
  tls = bs_dataset_source_new_with ("cifar10", tls_url, NULL, &error);
  g_assert_no_error (error);
  folder = bs_dataset_fetch (tls, f->data_dir, NULL, NULL, NULL, NULL, &error);
  g_thread_join (plain_server);
  g_assert_null (folder);
  g_assert_error (error, BS_ERROR, BS_ERROR_NETWORK);
  g_test_message ("TLS: %s", error->message);
  g_assert_nonnull (strstr (error->message, "the secure connection to 127.0.0.1 failed (TLS): "));
  assert_unchanged (f);
}

static void
test_bad_archives (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *damaged = md5_of ("damaged.tar.gz");
  g_autofree char *incomplete = md5_of ("incomplete.tar.gz");
  g_autofree char *escape = md5_of ("escape.tar.gz");
  g_autofree char *outside = g_build_filename (f->tmp, "escaped.txt", NULL);

  expect_failure (f, "cifar10", "/files/damaged.tar.gz", damaged, BS_ERROR, BS_ERROR_FORMAT,
                  "the archive cifar-10-binary.tar.gz is damaged: ");
  expect_failure (f, "cifar10", "/files/incomplete.tar.gz", incomplete, BS_ERROR, BS_ERROR_FORMAT,
                  "cifar-10-binary.tar.gz does not hold the data set: its folder cifar-10-batches-bin/ "
                  "lacks data_batch_3.bin");
  expect_failure (f, "cifar10", "/files/escape.tar.gz", escape, BS_ERROR, BS_ERROR_FORMAT,
                  "an entry is named '../escaped.txt', outside its folder");
  g_assert_false (g_file_test (outside, G_FILE_TEST_EXISTS));
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = NULL;
  Watch watch = { cancellable };

  folder = fetch (f, "cifar10", "/files/cifar-10-binary.tar.gz", md5, &watch, cancellable, &error);
  g_assert_null (folder);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_cmpstr (error->message, ==, "the download was cancelled");
  assert_unchanged (f);
}

/* A data folder that did not exist is created for the download and removed
 * again when it fails. */
static void
test_new_folder_removed (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");
  g_autofree char *url = url_for ("/files/missing.tar.gz");
  g_autofree char *fresh = g_build_filename (f->tmp, "new", "deeper", NULL);
  g_autofree char *parent = g_build_filename (f->tmp, "new", NULL);
  g_autoptr(BsDatasetSource) source = bs_dataset_source_new_with ("cifar10", url, md5, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *folder = bs_dataset_fetch (source, fresh, NULL, NULL, NULL, NULL, &error);

  g_assert_null (folder);
  g_assert_error (error, BS_ERROR, BS_ERROR_NOT_FOUND);
  g_assert_false (g_file_test (parent, G_FILE_TEST_EXISTS));
}

/* An incomplete folder of the data set's name is never replaced. */
static void
test_in_the_way (Fixture       *f,
                 gconstpointer  data)
{
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");
  g_autofree char *existing = g_build_filename (f->data_dir, "cifar-10-batches-bin", NULL);
  g_autofree char *one = g_build_filename (existing, "data_batch_1.bin", NULL);

  guint requests = requests_for ("/files/cifar-10-binary.tar.gz");

  g_assert_cmpint (g_mkdir (existing, 0755), ==, 0);
  test_write_file (one, "x", 1);
  g_free (f->before);
  f->before = tree_of (f->data_dir);
  expect_failure (f, "cifar10", "/files/cifar-10-binary.tar.gz", md5, BS_ERROR, BS_ERROR_FAILED,
                  "cifar-10-batches-bin is in the way: it exists but lacks data_batch_2.bin");
  g_assert_cmpuint (requests_for ("/files/cifar-10-binary.tar.gz"), ==, requests);
}

static void
test_sources (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BsDatasetSource) cifar10 = bs_dataset_source_new_with ("cifar10", NULL, NULL, &error);
  BsDatasetSource *bad;

  g_assert_no_error (error);
  g_assert_cmpstr (bs_dataset_source_get_url (cifar10), ==,
                   "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz");
  g_assert_cmpuint (bs_dataset_source_get_size (cifar10), ==, 170052171);
  g_assert_cmpstr (bs_dataset_source_get_url_variable (cifar10), ==, "BLOCKSCOPE_CIFAR10_URL");
  g_assert_cmpstr (bs_dataset_source_get_md5_variable (cifar10), ==, "BLOCKSCOPE_CIFAR10_MD5");
  g_assert_true (bs_dataset_can_download ("mnist"));
  g_assert_false (bs_dataset_can_download ("fashion-mnist"));

  bad = bs_dataset_source_new_with ("fashion-mnist", NULL, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_assert_cmpstr (error->message, ==,
                   "the data set 'fashion-mnist' cannot be downloaded (these can: cifar10, cifar100, mnist)");
  g_clear_error (&error);
  bad = bs_dataset_source_new_with ("imagenet", NULL, NULL, &error);
  g_assert_null (bad);
  g_assert_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  bad = bs_dataset_source_new_with ("cifar10", NULL, "1234", &error);
  g_assert_null (bad);
  g_assert_cmpstr (error->message, ==, "md5: '1234' is not an MD5 checksum (32 hex digits)");
  g_clear_error (&error);
  bad = bs_dataset_source_new_with ("mnist", NULL, "c32a1d4ab5d03f1284b67883e8d87530", &error);
  g_assert_null (bad);
  g_assert_cmpstr (error->message, ==,
                   "md5='c32a1d4ab5d03f1284b67883e8d87530' must be 4 MD5 checksums (32 hex digits each), comma-separated");
}

static int run_cli (const char *const *argv, const char *const *env, char **out, char **err);

static void
test_weights (void)
{
  g_autofree char *tmp = test_make_tmp_dir ();
  g_autofree char *dir = g_build_filename (tmp, "weights", NULL);
  g_autofree char *path = g_strdup_printf ("/files/%s", weights_name);
  g_autofree char *url = url_for (path);
  g_autofree char *bad_url = url_for ("/files/resnet50-deadbeef.safetensors");
  g_autofree char *expected = g_build_filename (dir, "imagenet-resnet50.safetensors", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *checkpoint = NULL;
  BsCheckpointInfo info;
  BsModel *model;
  gboolean already = TRUE;

  g_autofree char *mirror = bs_weights_fetch_url ("imagenet-resnet101", "https://example.org/m");

  g_assert_cmpstr (mirror, ==, "https://example.org/m/resnet101-63fe2227.pth");
  g_assert_false (bs_weights_fetch_known ("resnet20"));

  /* A name whose hash prefix does not match: refused, nothing left behind. */
  checkpoint = bs_weights_fetch ("imagenet-resnet50", dir, bad_url, NULL, NULL, &already, NULL, &error);
  g_assert_null (checkpoint);
  g_assert_error (error, BS_ERROR, BS_ERROR_MISMATCH);
  g_assert_nonnull (strstr (error->message, "but its name says it begins with deadbeef"));
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_clear_error (&error);

  checkpoint = bs_weights_fetch ("imagenet-resnet50", dir, url, NULL, NULL, &already, NULL, &error);
  g_assert_no_error (error);
  g_assert_false (already);
  g_assert_cmpstr (checkpoint, ==, expected);
  bs_checkpoint_info_init (&info);
  model = bs_checkpoint_load (checkpoint, &info, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (info.architecture, ==, "imagenet-resnet50");
  g_assert_cmpuint (info.n_classes, ==, 1000);
  g_assert_cmpmem (bs_model_find_param (model, "fc.bias")->data, sizeof weights_fc_bias,
                   weights_fc_bias, sizeof weights_fc_bias);
  {
    /* The checkpoint says what torchvision's weights expect: ImageNet's statistics. */
    const float mean[3] = { 0.485f, 0.456f, 0.406f }, std[3] = { 0.229f, 0.224f, 0.225f };
    float m[3], sd[3];

    g_assert_true (bs_model_get_input_normalization (model, m, sd));
    g_assert_cmpmem (m, sizeof m, mean, sizeof mean);
    g_assert_cmpmem (sd, sizeof sd, std, sizeof std);
  }
  bs_model_free (model);
  bs_checkpoint_info_clear (&info);
  {
    g_autoptr(GDir) listing = g_dir_open (dir, 0, NULL);

    g_assert_cmpstr (g_dir_read_name (listing), ==, "imagenet-resnet50.safetensors");
    g_assert_null (g_dir_read_name (listing));
  }
  g_clear_pointer (&checkpoint, g_free);

  /* Through the CLI, with BLOCKSCOPE_WEIGHTS_URL: already there. */
  {
    const char *argv[] = { BS_CLI_PATH, "download", "weights", "imagenet-resnet50", "--weights-dir", dir,
                           "--json", NULL };
    const char *env[] = { "BLOCKSCOPE_WEIGHTS_URL", url, NULL };
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint (run_cli (argv, env, &out, &err), ==, 0);
    g_assert_nonnull (strstr (out, "\"already\" : true"));
    g_assert_nonnull (strstr (out, "\"weights\" : \"imagenet-resnet50\""));
  }
  test_rm_rf (tmp);
}

/* ---- Through blockscope-cli download, with the environment's overrides -- */

static int
run_cli (const char  *const *argv,
         const char  *const *env,
         char       **out,
         char       **err)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; env[i] != NULL; i += 2)
    g_subprocess_launcher_setenv (launcher, env[i], env[i + 1], TRUE);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (process);
}

static void
test_cli (Fixture       *f,
          gconstpointer  data)
{
  g_autofree char *url = url_for ("/files/cifar-10-binary.tar.gz");
  g_autofree char *missing_url = url_for ("/files/none.tar.gz");
  g_autofree char *md5 = md5_of ("cifar-10-binary.tar.gz");
  g_autofree char *folder = g_build_filename (f->data_dir, "cifar-10-batches-bin", NULL);
  const char *argv[] = { BS_CLI_PATH, "download", "cifar10", "--data-dir", f->data_dir, "--json", NULL };
  const char *env[] = { "BLOCKSCOPE_CIFAR10_URL", url, "BLOCKSCOPE_CIFAR10_MD5", md5, NULL };
  const char *env_missing[] = { "BLOCKSCOPE_CIFAR10_URL", missing_url, "BLOCKSCOPE_CIFAR10_MD5", md5, NULL };
  const char *env_bad_md5[] = { "BLOCKSCOPE_CIFAR10_URL", url, "BLOCKSCOPE_CIFAR10_MD5", "xyz", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *object;

  {
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint (run_cli (argv, env_missing, &out, &err), ==, 1);
    g_assert_nonnull (strstr (err, "blockscope-cli: "));
    g_assert_nonnull (strstr (err, "/files/none.tar.gz does not exist on the server (HTTP 404)"));
    assert_unchanged (f);
  }
  {
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint (run_cli (argv, env_bad_md5, &out, &err), ==, 2);
    g_assert_nonnull (strstr (err, "BLOCKSCOPE_CIFAR10_MD5: 'xyz' is not an MD5 checksum"));
    assert_unchanged (f);
  }
  {
    g_autofree char *out = NULL, *err = NULL;

    g_assert_cmpint (run_cli (argv, env, &out, &err), ==, 0);
    /* Progress on stderr, without a terminal: one line per report. */
    g_assert_nonnull (strstr (err, "download 1/1 cifar-10-binary.tar.gz: "));
    json_parser_load_from_data (parser, out, -1, &error);
    g_assert_no_error (error);
    object = json_node_get_object (json_parser_get_root (parser));
    g_assert_cmpstr (json_object_get_string_member (object, "dataset"), ==, "cifar10");
    g_assert_cmpstr (json_object_get_string_member (object, "folder"), ==, folder);
    g_assert_false (json_object_get_boolean_member (object, "already"));
    g_assert_cmpstr (json_object_get_string_member (object, "url"), ==, url);
    g_assert_cmpint (json_object_get_int_member (object, "bytes"), ==,
                     g_bytes_get_size (g_hash_table_lookup (server.files, "cifar-10-binary.tar.gz")));
  }
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *plain[] = { BS_CLI_PATH, "download", "cifar10", "--data-dir", f->data_dir, NULL };
    g_autofree char *expected = g_strdup_printf ("cifar10 is already there: %s\n", folder);

    g_assert_cmpint (run_cli (plain, env, &out, &err), ==, 0);
    g_assert_cmpstr (out, ==, expected);
  }
  {
    g_autofree char *out = NULL, *err = NULL;
    const char *usage[] = { BS_CLI_PATH, "download", "fashion-mnist", NULL };

    g_assert_cmpint (run_cli (usage, env, &out, &err), ==, 2);
    g_assert_nonnull (strstr (err, "the data set 'fashion-mnist' cannot be downloaded"));
  }
}

int
main (int    argc,
      char **argv)
{
  int status;

  /* The loopback server, never through a proxy the developer may have set. */
  g_setenv ("no_proxy", "127.0.0.1,localhost", TRUE);
  g_unsetenv ("http_proxy");
  g_unsetenv ("https_proxy");
  g_test_init (&argc, &argv, NULL);
  make_files ();
  server_start ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  g_test_add_func ("/download/sources", test_sources);
  ADD ("/download/cifar10", test_cifar10);
  ADD ("/download/cifar100", test_cifar100);
  ADD ("/download/mnist", test_mnist);
  ADD ("/download/resume", test_resume);
  ADD ("/download/wrong-checksum", test_wrong_checksum);
  ADD ("/download/truncated", test_truncated);
  ADD ("/download/http-errors", test_http_errors);
  ADD ("/download/connection-errors", test_connection_errors);
  ADD ("/download/bad-archives", test_bad_archives);
  ADD ("/download/cancel", test_cancel);
  ADD ("/download/new-folder-removed", test_new_folder_removed);
  ADD ("/download/in-the-way", test_in_the_way);
  ADD ("/download/cli", test_cli);
  g_test_add_func ("/download/weights", test_weights);
#undef ADD

  status = g_test_run ();
  server_stop ();
  g_free (weights_name);
  return status;
}
