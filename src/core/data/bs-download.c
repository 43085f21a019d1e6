/* bs-download.c: one file over HTTP(S) with libsoup 3, resumed with Range
 * requests, checked with GChecksum. */
#include "bs-download.h"

#include <gio/gunixinputstream.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <libsoup/soup.h>

#include "bs-error.h"
#include "bs-file-read.h"

#define BUFFER_SIZE (64 * 1024)
/* Resumes after a cut-off body: as many as it takes while each attempt
 * brings new bytes, but two attempts in a row without progress give up. */
#define MAX_ATTEMPTS_WITHOUT_PROGRESS 2
#define MAX_ATTEMPTS 20
#define PROGRESS_INTERVAL_US (100 * G_TIME_SPAN_MILLISECOND)
/* Seconds a connection may stay silent before libsoup gives up on it. */
#define IDLE_TIMEOUT_S 60

typedef struct {
  BsDownloadProgress progress;
  gpointer           user_data;
  gint64             started;      /* monotonic time of the call */
  gint64             last_report;
  guint64            received;     /* bytes over the network in this call */
} Progress;

static void
report (Progress *p,
        guint64   done,
        guint64   total,
        gboolean  force)
{
  gint64 now = g_get_monotonic_time ();
  double seconds;

  if (p->progress == NULL || (!force && now - p->last_report < PROGRESS_INTERVAL_US))
    return;
  p->last_report = now;
  seconds = (double) (now - p->started) / G_TIME_SPAN_SECOND;
  p->progress (done, total, seconds > 0 ? (double) p->received / seconds : 0.0, p->user_data);
}

static char *
host_of (const char *url)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);

  return g_strdup (uri != NULL && g_uri_get_host (uri) != NULL ? g_uri_get_host (uri) : url);
}

/* Turns an error of libsoup or GIO into one sentence that says what went wrong. */
static void
set_transfer_error (GError     **error,
                    const char  *url,
                    GError      *cause)
{
  g_autofree char *host = host_of (url);

  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("the download was cancelled"));
  else if (cause->domain == G_RESOLVER_ERROR
           || g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_HOST_NOT_FOUND))
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: a server's name, then the system's message. */
                 _("could not look up the server %s (no network, or a wrong address?): %s"),
                 host, cause->message);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
           || g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE))
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: a server's name, then the system's message. */
                 _("no network: the server %s cannot be reached (%s)"), host, cause->message);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED))
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: a server's name. */
                 _("the server %s refused the connection"), host);
  else if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: a server's name. */
                 _("the server %s stopped answering (timed out)"), host);
  else if (cause->domain == G_TLS_ERROR)
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: a server's name, then the TLS library's message. */
                 _("the secure connection to %s failed (TLS): %s"), host, cause->message);
  else if (g_error_matches (cause, SOUP_SESSION_ERROR, SOUP_SESSION_ERROR_TOO_MANY_REDIRECTS))
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: an address. */
                 _("too many redirects for %s (the server sends it round in a loop)"), url);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: an address, then the network library's message. */
                 _("downloading %s failed: %s"), url, cause->message);
}

static gboolean
check_status (SoupMessage  *msg,
              const char   *url,
              GError      **error)
{
  guint status = soup_message_get_status (msg);

  if (SOUP_STATUS_IS_SUCCESSFUL (status))
    return TRUE;
  if (status == SOUP_STATUS_NOT_FOUND || status == SOUP_STATUS_GONE)
    g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
                 /* Translators: an address, then an HTTP status code (404). */
                 _("%s does not exist on the server (HTTP %u)"), url, status);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                 /* Translators: an address, an HTTP status code (500) and the server's phrase for it. */
                 _("the server answered %s with an error: HTTP %u %s"), url, status,
                 soup_message_get_reason_phrase (msg) ? soup_message_get_reason_phrase (msg) : "");
  return FALSE;
}

static void
set_write_error (GError     **error,
                 const char  *path,
                 GError      *cause)
{
  if (g_error_matches (cause, G_IO_ERROR, G_IO_ERROR_NO_SPACE))
    g_set_error (error, BS_ERROR, BS_ERROR_IO,
                 /* Translators: a file name. */
                 _("the disk is full: could not write %s"), path);
  else
    g_set_error (error, BS_ERROR, BS_ERROR_IO,
                 /* Translators: a file name, then the system's message. */
                 _("could not write %s: %s"), path, cause->message);
}

/* The size of the whole file as the answer states it, 0 when it does not. */
static guint64
answer_total (SoupMessage *msg,
              guint64      offset)
{
  SoupMessageHeaders *headers = soup_message_get_response_headers (msg);
  goffset start, end, total;

  if (soup_message_get_status (msg) == SOUP_STATUS_PARTIAL_CONTENT
      && soup_message_headers_get_content_range (headers, &start, &end, &total) && total > 0)
    return (guint64) total;
  if (soup_message_headers_get_encoding (headers) == SOUP_ENCODING_CONTENT_LENGTH)
    return offset + (guint64) soup_message_headers_get_content_length (headers);
  return 0;
}

/* One request, from offset on: appends to path what arrives. Returns FALSE
 * with error set on a failure that ends the download; *cut tells a body
 * that stopped early (to be resumed). */
static gboolean
fetch_once (SoupSession   *session,
            const char    *url,
            const char    *path,
            guint64       *offset,
            guint64       *total,
            gboolean      *cut,
            Progress      *progress,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr(SoupMessage) msg = soup_message_new (SOUP_METHOD_GET, url);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *buffer = NULL;
  guint64 announced;

  *cut = FALSE;
  if (msg == NULL)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: what was given as an address. */
                   _("'%s' is not a valid http or https address"), url);
      return FALSE;
    }
  if (*offset > 0)
    soup_message_headers_set_range (soup_message_get_request_headers (msg), (goffset) *offset, -1);

  in = soup_session_send (session, msg, cancellable, &local_error);
  if (in == NULL)
    {
      set_transfer_error (error, url, local_error);
      return FALSE;
    }
  if (!check_status (msg, url, error))
    return FALSE;

  if (*offset > 0 && soup_message_get_status (msg) != SOUP_STATUS_PARTIAL_CONTENT)
    {
      /* The server ignored the range: it sends the whole file again. */
      *offset = 0;
    }
  else if (*offset > 0)
    {
      goffset start, end, whole;

      if (!soup_message_headers_get_content_range (soup_message_get_response_headers (msg),
                                                   &start, &end, &whole)
          || (guint64) start != *offset)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                       /* Translators: an address. */
                       _("the server sent the wrong part of %s when the download was resumed"), url);
          return FALSE;
        }
    }

  announced = answer_total (msg, *offset);
  if (*total != 0 && announced != 0 && announced != *total)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                   /* Translators: an address. */
                   _("%s changed on the server while it was downloaded"), url);
      return FALSE;
    }
  if (announced != 0)
    *total = announced;

  /* From the start: an empty file (g_file_replace would write a temporary
   * file and rename it over path when the stream is finalised, even after a
   * failure). */
  if (*offset == 0)
    g_unlink (path);
  out = g_file_append_to (file, G_FILE_CREATE_NONE, cancellable, &local_error);
  if (out == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        set_transfer_error (error, url, local_error);
      else
        set_write_error (error, path, local_error);
      return FALSE;
    }

  buffer = g_malloc (BUFFER_SIZE);
  for (;;)
    {
      gssize n = g_input_stream_read (in, buffer, BUFFER_SIZE, cancellable, &local_error);
      gsize written;

      if (n < 0)
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            {
              set_transfer_error (error, url, local_error);
              return FALSE;
            }
          /* A connection closed before the end of the body: resumable. */
          g_clear_error (&local_error);
          *cut = TRUE;
          break;
        }
      if (n == 0)
        break;
      if (*total != 0 && *offset + (guint64) n > *total)
        {
          g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                       /* Translators: an address. */
                       _("the server sent more of %s than it announced"), url);
          return FALSE;
        }
      if (!g_output_stream_write_all (G_OUTPUT_STREAM (out), buffer, (gsize) n, &written,
                                      cancellable, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
            set_transfer_error (error, url, local_error);
          else
            set_write_error (error, path, local_error);
          return FALSE;
        }
      *offset += (guint64) n;
      progress->received += (guint64) n;
      report (progress, *offset, *total, FALSE);
    }

  if (!g_output_stream_close (G_OUTPUT_STREAM (out), NULL, &local_error))
    {
      set_write_error (error, path, local_error);
      return FALSE;
    }
  g_input_stream_close (in, NULL, NULL);
  if (*total != 0 && *offset < *total)
    *cut = TRUE;
  return TRUE;
}

/* GIO's GNOME proxy resolver reads the proxy from GSettings, which ends
 * the process when the schema cannot be read (not installed, or the
 * compiled schemas unreadable: seen under fault injection). */
static gboolean
proxy_schema_readable (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = NULL;

  if (source != NULL)
    schema = g_settings_schema_source_lookup (source, "org.gnome.system.proxy", TRUE);
  return schema != NULL;
}

void
bs_download_prepare_process (void)
{
  /* Every GSocketClient asks for the default resolver, whatever the
   * session's: without the schema, GIO's dummy one. */
  if (!proxy_schema_readable ())
    g_setenv ("GIO_USE_PROXY_RESOLVER", "dummy", FALSE);
}

/* The system's resolver when it can be used, else the proxy from the
 * environment, as curl takes it. */
static GProxyResolver *
proxy_resolver (void)
{
  g_auto(GStrv) ignore = NULL;
  const char *proxy = NULL;
  const char *no_proxy;
  const char *names[] = { "https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY" };

  if (proxy_schema_readable ())
    return g_object_ref (g_proxy_resolver_get_default ());
  for (guint i = 0; i < G_N_ELEMENTS (names) && (proxy == NULL || *proxy == '\0'); i++)
    proxy = g_getenv (names[i]);
  no_proxy = g_getenv ("no_proxy") ? g_getenv ("no_proxy") : g_getenv ("NO_PROXY");
  if (no_proxy != NULL)
    ignore = g_strsplit (no_proxy, ",", -1);
  return g_simple_proxy_resolver_new (proxy != NULL && *proxy != '\0' ? proxy : NULL, ignore);
}

static SoupSession *
new_session (void)
{
  g_autoptr(GProxyResolver) resolver = proxy_resolver ();
  SoupSession *session = soup_session_new_with_options ("timeout", IDLE_TIMEOUT_S,
                                                        "user-agent", "Blockscope ",
                                                        "proxy-resolver", resolver,
                                                        NULL);

  /* The bytes as they are on the server: a .gz served with Content-Encoding
   * gzip must not be unpacked on the way, or its checksum would not match. */
  soup_session_remove_feature_by_type (session, SOUP_TYPE_CONTENT_DECODER);
  return session;
}

static gboolean
download (const char          *url,
          const char          *path,
          const char          *md5,
          Progress            *progress,
          GCancellable        *cancellable,
          GError             **error)
{
  g_autoptr(SoupSession) session = new_session ();
  guint64 offset = 0, total = 0;
  guint attempts = 0, without_progress = 0;
  g_autofree char *actual = NULL;

  for (;;)
    {
      guint64 before = offset;
      gboolean cut;

      if (!fetch_once (session, url, path, &offset, &total, &cut, progress, cancellable, error))
        return FALSE;
      if (!cut)
        break;
      attempts++;
      without_progress = offset > before ? 0 : without_progress + 1;
      if (attempts >= MAX_ATTEMPTS || without_progress >= MAX_ATTEMPTS_WITHOUT_PROGRESS)
        {
          if (total != 0)
            g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                         /* Translators: an address, bytes received, bytes announced. */
                         _("the connection was cut off: %s stopped after %" PRIu64
                           " of %" PRIu64 " bytes"), url, (uint64_t) offset, (uint64_t) total);
          else
            g_set_error (error, BS_ERROR, BS_ERROR_NETWORK,
                         /* Translators: an address, bytes received. */
                         _("the connection was cut off: %s stopped after %" PRIu64
                           " bytes"), url, (uint64_t) offset);
          return FALSE;
        }
    }
  report (progress, offset, total != 0 ? total : offset, TRUE);

  if (md5 == NULL)
    return TRUE;
  actual = bs_download_file_md5 (path, cancellable, error);
  if (actual == NULL)
    return FALSE;
  if (g_ascii_strcasecmp (actual, md5) != 0)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   /* Translators: an address, the checksum computed, the one expected. */
                   _("the file downloaded from %s is damaged or not the expected one: "
                     "its MD5 is %s, expected %s"), url, actual, md5);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_download_file (const char          *url,
                  const char          *path,
                  const char          *md5,
                  BsDownloadProgress   progress_func,
                  gpointer             user_data,
                  GCancellable        *cancellable,
                  GError             **error)
{
  Progress progress = { progress_func, user_data, g_get_monotonic_time (), 0, 0 };

  g_return_val_if_fail (url != NULL && path != NULL, FALSE);
  if (download (url, path, md5, &progress, cancellable, error))
    return TRUE;
  g_unlink (path);
  return FALSE;
}

char *
bs_download_file_md5 (const char    *path,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_MD5);
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree guint8 *buffer = g_malloc (BUFFER_SIZE);
  guint64 size;
  int fd;

  /* The type is checked before the open: a FIFO would block it. */
  fd = bs_file_open_regular (path, &size, &local_error);
  if (fd >= 0)
    in = g_unix_input_stream_new (fd, TRUE);
  while (in != NULL)
    {
      gssize n = g_input_stream_read (G_INPUT_STREAM (in), buffer, BUFFER_SIZE, cancellable,
                                      &local_error);

      if (n < 0)
        break;
      if (n == 0)
        return g_strdup (g_checksum_get_string (checksum));
      g_checksum_update (checksum, buffer, (gssize) n);
    }
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("the download was cancelled"));
  else if (local_error->domain == BS_ERROR)
    g_propagate_error (error, g_steal_pointer (&local_error));
  else
    g_set_error (error, BS_ERROR, BS_ERROR_IO,
                 /* Translators: a file name, then the system's message. */
                 _("could not read %s: %s"), path, local_error->message);
  return NULL;
}
