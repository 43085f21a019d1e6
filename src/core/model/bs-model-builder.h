/* bs-model-builder.h: building the layer graph of a BsModel, for the architectures.
 *
 * A model is a list of operations in forward order. Every operation produces
 * exactly one value, and every value is a tappable layer output: value 0 is
 * the input and value i + 1 is the output of operation i, so value indices,
 * tap indices and layer indices are the same numbers.
 *
 * Each bs_model_add_*() adds one operation and its parameters and returns the
 * index of the new value. name is the layer name ("layer1.0.bn1"); parameters
 * are called name + ".weight" etc. Invalid geometry gives an error and
 * returns 0. bs-resnet-spec.c builds both ResNet families with these. */
#pragma once

#include <glib.h>

#include "bs-layer-info.h"
#include "bs-model.h"

G_BEGIN_DECLS

/* The most parameters (floats) a model may have: 16 GiB of weights, about
 * 70 times ResNet-152's. Beyond it an architecture is refused before
 * anything is allocated. */
#define BS_MODEL_MAX_PARAMS ((gsize) 1 << 32)

/* The block of a layer outside the residual blocks (BsLayerInfo.block). */
#define BS_MODEL_NO_BLOCK (-1)

BsModel           *bs_model_builder_new    (const char   *name,
                                            guint         in_channels,
                                            guint         in_height,
                                            guint         in_width,
                                            guint         n_classes);
/* The first check of bs_model_builder_finish () alone, for a description
 * (bs_model_new_description ()): an architecture too large for any memory
 * fails with BS_ERROR_INVALID_ARGUMENT. */
gboolean           bs_model_builder_check_size (BsModel  *model,
                                                GError  **error);
/* Allocates parameter storage; the model is ready after this. An
 * architecture too large for any memory (a checkpoint can name any) fails
 * with BS_ERROR_INVALID_ARGUMENT, one that does not fit in this process's
 * memory with BS_ERROR_FAILED saying how much; never an abort. */
gboolean           bs_model_builder_finish (BsModel      *model,
                                            GError      **error);

guint              bs_model_add_conv       (BsModel      *model,
                                            guint         in,
                                            const char   *name,
                                            BsLayerKind   kind,
                                            gint          stage,
                                            gint          block,
                                            guint         out_channels,
                                            guint         kernel,
                                            guint         stride,
                                            guint         pad,
                                            GError      **error);
guint              bs_model_add_bn         (BsModel      *model,
                                            guint         in,
                                            const char   *name,
                                            BsLayerKind   kind,
                                            gint          stage,
                                            gint          block);
guint              bs_model_add_relu       (BsModel      *model,
                                            guint         in,
                                            const char   *name,
                                            gint          stage,
                                            gint          block,
                                            gboolean      block_output);
guint              bs_model_add_add        (BsModel      *model,
                                            guint         a,
                                            guint         b,
                                            const char   *name,
                                            gint          stage,
                                            gint          block,
                                            GError      **error);
guint              bs_model_add_maxpool    (BsModel      *model,
                                            guint         in,
                                            const char   *name,
                                            guint         kernel,
                                            guint         stride,
                                            guint         pad,
                                            GError      **error);
guint              bs_model_add_avgpool    (BsModel      *model,
                                            guint         in,
                                            const char   *name);
guint              bs_model_add_fc         (BsModel      *model,
                                            guint         in,
                                            const char   *name);

/* The description of value `value` so far (the same as bs_model_get_layer()). */
const BsLayerInfo *bs_model_value_info     (BsModel      *model,
                                            guint         value);

G_END_DECLS
