/* bs-memory.c */
#include "bs-memory.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Buffers from this size on are activations, Gram scratch and the like,
 * walked in strides across many pages: they get 2 MiB pages where the
 * kernel gives them on request (Debian's default), which cuts TLB misses. */
#define HUGE_PAGE (2 * 1024 * 1024)

float *
bs_try_alloc_floats (gsize n_floats)
{
  void *p = NULL;
  gsize bytes, align;

  if (n_floats > (G_MAXSIZE - HUGE_PAGE) / sizeof (float))
    return NULL;
  bytes = MAX (n_floats, 1) * sizeof (float);
  align = bytes >= HUGE_PAGE ? HUGE_PAGE : 64;

  /* Round up so that the size is a multiple of the alignment, as C11 wants. */
  bytes = (bytes + align - 1) & ~(align - 1);
  if (posix_memalign (&p, align, bytes) != 0)
    return NULL;
#ifdef MADV_HUGEPAGE
  if (align == HUGE_PAGE)
    madvise (p, bytes, MADV_HUGEPAGE);   /* advice only: nothing to do if refused */
#endif
  return p;
}

float *
bs_alloc_floats (gsize n_floats)
{
  float *p = bs_try_alloc_floats (n_floats);

  if (p == NULL)
    g_error ("out of memory allocating %" G_GSIZE_FORMAT " floats", n_floats);
  return p;
}

void
bs_free_floats (float *p)
{
  free (p);
}

char *
bs_format_size_plain (guint64 bytes)
{
  char *size = g_format_size (bytes);

  for (char *p = strstr (size, "\xc2\xa0"); p != NULL; p = strstr (p, "\xc2\xa0"))
    {
      *p = ' ';
      memmove (p + 1, p + 2, strlen (p + 2) + 1);
    }
  return size;
}
