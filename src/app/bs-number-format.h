/* bs-number-format.h: numbers and durations as the window shows them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 16384 -> "16,384" in English, "16.384" in German, "16384" in the C locale:
 * digits grouped as the locale groups them. */
char *bs_format_count    (guint64 n);
/* Seconds -> "1:05" or "1:02:03". */
char *bs_format_duration (double  seconds);

G_END_DECLS
