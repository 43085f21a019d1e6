/* bs-application.h: the AdwApplication of Blockscope: libadwaita's style
 * manager follows the desktop's dark and high-contrast preferences, and
 * the application loads style.css and style-hc.css from its resources. */
#pragma once

#include <adwaita.h>

#include "bs-engine-config.h"

G_BEGIN_DECLS

#define BS_TYPE_APPLICATION (bs_application_get_type ())

G_DECLARE_FINAL_TYPE (BsApplication, bs_application, BS, APPLICATION, AdwApplication)

/* NULL (after a message on stderr) when the settings schema cannot be found. */
BsApplication *bs_application_new          (void);
GSettings     *bs_application_get_settings (BsApplication *self);
/* How the engine runs the window's jobs: read from the environment once,
 * when the application is made (bs_engine_config_init_from_environment()). */
const BsEngineConfig *bs_application_get_engine_config (BsApplication *self);

/* The settings of org.blockscope.Blockscope, from the installed schemas or,
 * when running from the build tree, from the schemas compiled there. NULL
 * with an error when neither has them. */
GSettings     *bs_application_create_settings (GError **error);

G_END_DECLS
