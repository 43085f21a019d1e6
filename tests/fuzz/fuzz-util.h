/* fuzz-util.h: what every fuzz harness of tests/fuzz shares.
 *
 * A harness is one file, fuzz-FORMAT.c, defining LLVMFuzzerTestOneInput:
 * it hands the input to the real reader (from memory where the reader
 * takes bytes, else as a file in a private temporary folder, rewritten for
 * every input) and frees everything the reader returned, so that the leak
 * checker sees only the reader's own leaks. It sets bs_fuzz_accepted when
 * the reader took the input as valid, which the replay driver checks for
 * the corpus files named valid-*. The same file links with libFuzzer
 * (-Dfuzzing=true, clang) or with fuzz-replay.c in the normal build. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

int  LLVMFuzzerTestOneInput (const guint8 *data,
                             size_t        size);
int  LLVMFuzzerInitialize   (int          *argc,
                             char       ***argv);

/* Whether the last input was accepted by the reader under test. */
extern gboolean bs_fuzz_accepted;

/* Called by every harness before its first input: warnings and criticals
 * abort (a precondition failing on a hostile file is a bug), and the
 * temporary folder is made. */
void        bs_fuzz_init        (void);

/* The harness's temporary folder (removed at exit). */
const char *bs_fuzz_dir         (void);

/* Writes data to name in the temporary folder, returns the path. */
char       *bs_fuzz_write       (const char   *name,
                                 const void   *data,
                                 gsize         size);

/* data gzip-compressed, as one member. */
GBytes     *bs_fuzz_gzip        (const void   *data,
                                 gsize         size);

/* Reads every byte, so that AddressSanitizer checks the whole range. */
void        bs_fuzz_touch       (const void   *data,
                                 gsize         size);

/* Removes path and everything below it (links removed, never followed). */
void        bs_fuzz_remove_tree (const char   *path);

G_END_DECLS
