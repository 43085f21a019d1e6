/* bs-number-format.c: numbers and durations as the window shows them. */
#include "bs-number-format.h"

char *
bs_format_count (guint64 n)
{
  /* The ' flag groups digits as LC_NUMERIC says (POSIX; glibc). */
  return g_strdup_printf ("%'" G_GUINT64_FORMAT, n);
}

char *
bs_format_duration (double seconds)
{
  guint s = seconds > 0 ? (guint) (seconds + 0.5) : 0;

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);

  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}
