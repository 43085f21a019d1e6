/* bs-window-pickers.h: the header bar's model pickers (model A, model B).
 *
 * Each picker is a menu button over the model catalog (bs-model-catalog.h)
 * whose items target the stateful action win.model-a or win.model-b; the
 * action's state is the spec the picker shows, so the menu checks the item
 * of the model on screen. Each window's pickers hold its models, which
 * Compute computes (bs_window_pickers_get_spec ()); a user's pick is also
 * saved in the application's "model-a" or "model-b" setting, for new
 * windows and the next start.
 *
 * The pickers follow what the heatmap shows. A result opened, a shards
 * folder or a computation names its models as specs: each becomes the
 * window's model and the setting, written by the pickers themselves so
 * that no window takes it for a user's choice (the outcome stays in the
 * subtitle, no banner, no job; other windows keep their models). A spec the
 * menu does not list (a custom architecture, a checkpoint from elsewhere)
 * is shown by its name with the caption "from the result", and the menu
 * lists it, checked and insensitive, above the catalog. Models that are no
 * spec (the networks compared across seeds, a result that names none) are
 * shown the same way without touching the models or the settings. A user's
 * pick ends all that for its picker, and so does a change of the settings
 * from outside the application's pickers (dconf), as before. */
#pragma once

#include <gtk/gtk.h>

#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowPickers BsWindowPickers;

/* The pickers of window: buttons[0], labels[0] (the model's name) and
 * captions[0] (under it, hidden unless needed) model A's, [1] B's. Adds
 * win.model-a and win.model-b to window. */
BsWindowPickers *bs_window_pickers_new           (BsWindow        *window,
                                                  GSettings       *settings,
                                                  GtkMenuButton   *buttons[2],
                                                  GtkLabel        *labels[2],
                                                  GtkLabel        *captions[2]);
void             bs_window_pickers_free          (BsWindowPickers *self);

/* The labels, tooltips and accessible names, from the settings and what
 * is shown; rebuilds the menus when menus is TRUE (new checkpoints). */
void             bs_window_pickers_update        (BsWindowPickers *self,
                                                  gboolean         menus);
/* The window's hook for a change of the setting key ("model-a" or
 * "model-b"): TRUE when the pickers wrote it to follow what is shown (not
 * a user's choice: nothing else should happen), FALSE for a choice, which
 * ends what the picker showed of a result. */
gboolean         bs_window_pickers_setting_changed (BsWindowPickers *self,
                                                    const char      *key);

/* What the heatmap shows names these models (specs; NULL or empty when
 * the result names none): a result's (a file, a shards folder) when
 * result is TRUE, a computation's when FALSE (no caption then). */
void             bs_window_pickers_show_specs    (BsWindowPickers *self,
                                                  const char      *spec_a,
                                                  const char      *spec_b,
                                                  gboolean         result);
/* What the heatmap shows names no spec: both pickers show name, captioned
 * caption ("across seeds"); the settings stay. */
void             bs_window_pickers_show_name     (BsWindowPickers *self,
                                                  const char      *name,
                                                  const char      *caption);

/* The model spec of the picker (A: FALSE, B: TRUE) that Compute computes:
 * the window's choice, or the model of what it shows. Under a name that
 * is no spec ("3 networks"), the choice from before. */
const char      *bs_window_pickers_get_spec      (BsWindowPickers *self,
                                                  gboolean         b);

/* For tests: the text a picker shows (A: FALSE, B: TRUE) and its caption
 * (NULL when hidden). */
const char      *bs_window_pickers_get_text      (BsWindowPickers *self,
                                                  gboolean         b);
const char      *bs_window_pickers_get_caption   (BsWindowPickers *self,
                                                  gboolean         b);

G_END_DECLS
