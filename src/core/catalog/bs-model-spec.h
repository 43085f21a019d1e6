/* bs-model-spec.h: what names a network: an architecture or a checkpoint file.
 *
 * A model spec is the text people give for a model (--a in the CLI, the
 * model menus and settings of the window):
 *   - a path, when it contains a '/' or ends in ".safetensors": a checkpoint
 *     to load ("runs/a.safetensors", "/data/b.safetensors", "./c");
 *   - anything else, an architecture name (bs-resnet-spec.h): "resnet20",
 *     "resnet56x4", "imagenet-resnet50".
 * The rule is only about the text, never about which files exist, so the
 * window and the CLI read every spec the same way: a checkpoint in the
 * working folder without the extension is written "./name". */
#pragma once

#include <glib.h>

#include "bs-model.h"
#include "bs-resnet-spec.h"

G_BEGIN_DECLS

typedef enum {
  BS_MODEL_SPEC_ARCHITECTURE,
  BS_MODEL_SPEC_CHECKPOINT,
} BsModelSpecKind;

typedef struct {
  BsModelSpecKind kind;
  char           *text;           /* the spec as given */
  BsResnetSpec    architecture;   /* BS_MODEL_SPEC_ARCHITECTURE only */
} BsModelSpec;

/* Whether text names a file (the rule above). */
gboolean  bs_model_spec_is_path           (const char        *text);

/* Reads text into spec (cleared with bs_model_spec_clear()). An unknown or
 * invalid architecture name is an error (BS_ERROR_NOT_FOUND or
 * BS_ERROR_INVALID_ARGUMENT) that says what names exist; a path is not
 * opened here. */
gboolean  bs_model_spec_parse             (const char        *text,
                                           BsModelSpec       *spec,
                                           GError           **error);
void      bs_model_spec_clear             (BsModelSpec       *spec);

/* For people: "ResNet-20", "ResNet-56 ×4", "ResNet-50 (ImageNet)"; for a
 * checkpoint its file name without the extension, after its run folder's
 * name when it sits in one under the runs folder ("run › epoch-2"). */
char     *bs_model_spec_get_display_name  (const BsModelSpec *spec);
/* The same for any text: the text itself when it names nothing known,
 * "None" when it is empty. */
char     *bs_model_spec_display_name      (const char        *text);

/* The model text names: a checkpoint loaded (it must agree with the given
 * input shape and class count; 0 skips a check), or an architecture built
 * for that shape and those classes and initialised from seed. */
BsModel  *bs_model_spec_build             (const char        *text,
                                           guint              channels,
                                           guint              height,
                                           guint              width,
                                           guint              n_classes,
                                           guint64            seed,
                                           GError           **error);

G_END_DECLS
