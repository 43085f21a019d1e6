/* bs-number-format.c: numbers and durations as the window shows them. */
#include "bs-number-format.h"

#include <string.h>

char *
bs_format_count (guint64 n)
{
  g_autofree char *digits = g_strdup_printf ("%" G_GUINT64_FORMAT, n);
  GString *out = g_string_new (NULL);
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      if (i > 0 && (len - i) % 3 == 0)
        g_string_append_c (out, ',');
      g_string_append_c (out, digits[i]);
    }

  return g_string_free (out, FALSE);
}

char *
bs_format_duration (double seconds)
{
  guint s = seconds > 0 ? (guint) (seconds + 0.5) : 0;

  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, (s / 60) % 60, s % 60);

  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}
