/* bs-build-tree.h: where the running program's meson build tree is, if it runs from one. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The root of the meson build tree that holds the running executable, or
 * NULL when the program was installed. A program started from its build
 * folder finds there what `meson install` would have put in place: the
 * compiled settings schema and the compiled translations. Found at run time,
 * so that no build path is compiled into an installed program. */
char *bs_build_tree_root (void);

G_END_DECLS
