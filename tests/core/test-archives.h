/* test-archives.h: data set archives as the download servers of the tests serve them.
 *
 * Written with libarchive's writer (not the reader under test) and the
 * hand-made records of test-dataset-files.h. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  const char *name;
  GBytes     *data;   /* NULL for a folder */
} TestEntry;

/* A tar.gz of entries, in order. */
GBytes *test_tar_gz          (const TestEntry *entries,
                              guint            n_entries);
/* The label of image i of a made-up set of n_classes classes. */
guint8  test_label_of        (guint            i,
                              guint            n_classes);
/* One CIFAR batch file of n_per_file records from image first on. */
GBytes *test_cifar_file      (gboolean         cifar100,
                              guint            n_per_file,
                              guint            first);
/* CIFAR-10 as the real archive lays it out, n_per_file images a batch
 * file; skip names a file to leave out, extra adds an entry (such as one
 * outside the folder); either may be NULL. */
GBytes *test_cifar10_archive (guint            n_per_file,
                              const char      *skip,
                              const char      *extra);

G_END_DECLS
