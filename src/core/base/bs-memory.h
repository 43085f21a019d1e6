/* bs-memory.h: aligned float buffers for activations, parameters and scratch. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* 64-byte aligned (2 MiB aligned and backed by huge pages where the kernel
 * gives them, from 2 MiB on). Aborts when memory runs out: for sizes the
 * program chose; sizes a file controls go through bs_try_alloc_floats(). */
float *bs_alloc_floats     (gsize  n_floats);
/* The same, or NULL when the memory cannot be had. */
float *bs_try_alloc_floats (gsize  n_floats);
void   bs_free_floats      (float *p);

/* g_format_size() ("1.2 GB") with a plain space before the unit, where
 * GLib puts a no-break one: messages read the same on every terminal. */
char  *bs_format_size_plain (guint64 bytes);

G_END_DECLS
