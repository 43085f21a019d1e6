/* bs-run-metrics.c: metrics.jsonl, appended a whole line at a time and read line by line. */
#include "bs-run-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "bs-error.h"
#include "bs-file-read.h"
#include "bs-json-file.h"

/* A metrics file is read whole: 256 MiB is about 1.7 million steps (a
 * hundred epochs of ImageNet-sized runs), far more than a run here makes. */
#define MAX_METRICS_BYTES ((gsize) 1 << 28)
#define MAX_LINE_BYTES 4096

static void
append_number (GString    *s,
               const char *name,
               double      value,
               const char *format)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_string_append_printf (s, ",\"%s\":", name);
  if (!isfinite (value))
    {
      g_string_append (s, "null");
      return;
    }
  if (format == NULL)
    {
      /* Shortest text that reads back as the same double. */
      g_ascii_formatd (buf, sizeof buf, "%.15g", value);
      if (g_ascii_strtod (buf, NULL) != value)
        g_ascii_formatd (buf, sizeof buf, "%.17g", value);
    }
  else
    g_ascii_formatd (buf, sizeof buf, format, value);
  g_string_append (s, buf);
}

char *
bs_run_step_to_json (const BsRunStep *step)
{
  GString *s = g_string_new ("");

  g_string_append_printf (s, "{\"kind\":\"step\",\"global_step\":%" G_GUINT64_FORMAT ",\"epoch\":%u,\"step\":%u",
                          step->global_step, step->epoch, step->step);
  /* %.9g: every float reads back exactly. */
  append_number (s, "loss", step->loss, "%.9g");
  append_number (s, "lr", step->lr, NULL);
  append_number (s, "seconds", step->seconds, "%.3f");
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

char *
bs_run_epoch_to_json (const BsRunEpoch *epoch)
{
  GString *s = g_string_new ("");

  g_string_append_printf (s, "{\"kind\":\"epoch\",\"epoch\":%u", epoch->epoch);
  append_number (s, "train_loss", epoch->train_loss, NULL);
  append_number (s, "train_accuracy", epoch->train_accuracy, NULL);
  append_number (s, "test_loss", epoch->test_loss, NULL);
  append_number (s, "test_accuracy", epoch->test_accuracy, NULL);
  append_number (s, "seconds", epoch->seconds, "%.3f");
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

gboolean
bs_run_append_metrics (BsRun       *run,
                       const char  *json_object,
                       GError     **error)
{
  g_autofree char *line = g_strconcat (json_object, "\n", NULL);
  gsize length = strlen (line);
  gssize n;

  if (run->metrics_fd < 0)
    {
      g_autofree char *path = bs_run_path (run, BS_RUN_METRICS, NULL);

      run->metrics_fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (run->metrics_fd < 0)
        {
          int errsv = errno;

          g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot write '%s': %s"), path, g_strerror (errsv));
          return FALSE;
        }
    }
  /* One write: with O_APPEND the line lands whole or (disk full, a crash
   * inside the kernel) as one truncated last line, which readers skip. */
  do
    n = write (run->metrics_fd, line, length);
  while (n < 0 && errno == EINTR);
  if (n != (gssize) length)
    {
      int errsv = n < 0 ? errno : ENOSPC;
      g_autofree char *path = bs_run_path (run, BS_RUN_METRICS, NULL);

      /* A short write (the disk filled up): take the piece back, so that
       * the file ends with a whole line. */
      if (n > 0)
        {
          off_t end = lseek (run->metrics_fd, 0, SEEK_END);

          if (end >= n && ftruncate (run->metrics_fd, end - n) != 0)
            g_debug ("cannot cut the short line off %s: %s", path, g_strerror (errno));
        }

      g_set_error (error, BS_ERROR, BS_ERROR_IO, _("Cannot write '%s': %s"), path, g_strerror (errsv));
      return FALSE;
    }
  return TRUE;
}

void
bs_run_close_metrics (BsRun *run)
{
  if (run->metrics_fd >= 0)
    close (run->metrics_fd);
  run->metrics_fd = -1;
}

/* One line; FALSE with a translated reason when it is not a metrics line. */
static gboolean
parse_metrics_line (BsRun       *run,
                    const char  *line,
                    gsize        length,
                    const char  *what,
                    GError     **error)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *o;
  const char *kind;

  if (length > MAX_LINE_BYTES)
    {
      /* Translators: where ("metrics.jsonl, line 3"). */
      g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is too long for a metrics line"), what);
      return FALSE;
    }
  node = bs_json_parse_text (line, length, what, error);
  if (node == NULL)
    return FALSE;
  o = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  kind = o ? bs_json_member_string (o, "kind") : NULL;
  if (g_strcmp0 (kind, "step") == 0)
    {
      BsRunStep step = { 0 };
      guint64 epoch, in_epoch;
      double loss;

      if (!bs_json_member_uint (o, "global_step", G_MAXINT64, &step.global_step)
          || !bs_json_member_uint (o, "epoch", G_MAXUINT, &epoch) || !bs_json_member_uint (o, "step", G_MAXUINT, &in_epoch)
          || !bs_json_member_double (o, "loss", &loss) || !bs_json_member_double (o, "lr", &step.lr)
          || !bs_json_member_double (o, "seconds", &step.seconds))
        goto malformed;
      step.epoch = (guint) epoch;
      step.step = (guint) in_epoch;
      step.loss = (float) loss;
      g_array_append_val (run->steps, step);
      return TRUE;
    }
  if (g_strcmp0 (kind, "epoch") == 0)
    {
      BsRunEpoch epoch = { 0 };
      guint64 number;

      if (!bs_json_member_uint (o, "epoch", G_MAXUINT, &number) || !bs_json_member_double (o, "train_loss", &epoch.train_loss)
          || !bs_json_member_double (o, "train_accuracy", &epoch.train_accuracy)
          || !bs_json_member_double (o, "test_loss", &epoch.test_loss)
          || !bs_json_member_double (o, "test_accuracy", &epoch.test_accuracy)
          || !bs_json_member_double (o, "seconds", &epoch.seconds))
        goto malformed;
      epoch.epoch = (guint) number;
      g_array_append_val (run->epochs, epoch);
      return TRUE;
    }
  /* Other kinds ("snapshot": how long one took) are for people and tools. */
  if (kind != NULL)
    return TRUE;

malformed:
  /* Translators: where ("metrics.jsonl, line 3"). */
  g_set_error (error, BS_ERROR, BS_ERROR_FORMAT, _("'%s' is not a step or epoch record"), what);
  return FALSE;
}

void
bs_run_read_metrics (BsRun *run)
{
  g_autofree char *path = bs_run_path (run, BS_RUN_METRICS, NULL);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gsize length, start = 0;
  guint line_number = 0;

  g_array_set_size (run->steps, 0);
  g_array_set_size (run->epochs, 0);
  if (!bs_file_read_regular (path, MAX_METRICS_BYTES, &text, &length, &error))
    {
      /* Nothing trained yet is not a problem. */
      if (!g_error_matches (error, BS_ERROR, BS_ERROR_NOT_FOUND))
        bs_run_add_problem (run, "%s", error->message);
      return;
    }
  while (start < length)
    {
      const char *newline = memchr (text + start, '\n', length - start);
      gsize end = newline ? (gsize) (newline - text) : length;
      g_autofree char *what = NULL;
      g_autoptr(GError) line_error = NULL;

      line_number++;
      /* Translators: a file and a line number in it. */
      what = g_strdup_printf (_("%s, line %u"), path, line_number);
      if (newline == NULL)
        /* Every line is written whole with its newline: this one was cut off. */
        /* Translators: a file and a line number in it ("metrics.jsonl, line 3"). */
        bs_run_add_problem (run, _("%s: the last line is incomplete (the run was interrupted while writing it); it was ignored"),
                     what);
      else if (end > start && !parse_metrics_line (run, text + start, end - start, what, &line_error))
        /* Translators: why a line of metrics.jsonl was skipped. */
        bs_run_add_problem (run, _("%s; the line was ignored"), line_error->message);
      start = end + 1;
    }
}
