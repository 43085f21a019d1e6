/* bs-i18n.h: where the translations come from. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Call once from main(), after setlocale(): binds the core library's text
 * domain and the program's (program_domain; NULL for none, e.g. a test) to
 * the compiled translations, installed or, when the program runs from its
 * build folder, the build tree's; makes gettext answer in UTF-8, which GTK
 * and GLib expect; and makes program_domain the default domain. */
void bs_i18n_init (const char *program_domain);

G_END_DECLS
