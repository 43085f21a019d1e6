/* bs-model-private.h: the layer graph behind BsModel, for the architecture builders.
 *
 * A model is a list of operations in forward order. Every operation produces
 * exactly one value, and every value is a tappable layer output: value 0 is
 * the input and value i + 1 is the output of operation i, so value indices,
 * tap indices and layer indices are the same numbers. */
#pragma once

#include "bs-model.h"
#include "bs-conv.h"
#include "bs-pooling.h"

G_BEGIN_DECLS

typedef enum {
  BS_OP_CONV,
  BS_OP_BN,
  BS_OP_RELU,
  BS_OP_ADD,
  BS_OP_MAXPOOL,
  BS_OP_AVGPOOL,
  BS_OP_FC,
} BsOpKind;

typedef struct {
  BsOpKind           kind;
  guint              in0;
  guint              in1;        /* second summand of an add */
  guint              out;
  guint              param;      /* first parameter: conv weight; bn weight, bias, running
                                  * mean, running var; fc weight, bias */
  BsConvGeometry     conv;
  BsConvWeightCache *conv_cache;  /* evaluation's transformed weights, made on first use */
  BsMaxPoolGeometry  pool;

  /* Batch-norm state of the last pass, channels floats each. */
  float             *bn_mean;
  float             *bn_invstd;
  float             *bn_scale;
  float             *bn_shift;
  float             *bn_k1;
  float             *bn_k2;
  float             *bn_k3;
  double            *bn_sum;
  double            *bn_sumsq;
  gboolean           bn_sums_ready;  /* sums already gathered by the producing conv */
  gboolean           bn_bwd_ready;   /* backward sums (and the ReLU mask) already done */

  /* Max-pool winners of the last training pass. */
  guint32           *argmax;
  gsize              argmax_size;
} BsOp;

/* Builders (bs-model.c). Each adds one operation and its parameters and
 * returns the index of the new value. name is the layer name ("layer1.0.bn1");
 * parameters are called name + ".weight" etc. Invalid geometry gives an error
 * and returns 0. */
BsModel *bs_model_builder_new     (const char   *name,
                                   guint         in_channels,
                                   guint         in_height,
                                   guint         in_width,
                                   guint         n_classes);
guint    bs_model_add_conv        (BsModel      *model,
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
guint    bs_model_add_bn          (BsModel      *model,
                                   guint         in,
                                   const char   *name,
                                   BsLayerKind   kind,
                                   gint          stage,
                                   gint          block);
guint    bs_model_add_relu        (BsModel      *model,
                                   guint         in,
                                   const char   *name,
                                   gint          stage,
                                   gint          block,
                                   gboolean      block_output);
guint    bs_model_add_add         (BsModel      *model,
                                   guint         a,
                                   guint         b,
                                   const char   *name,
                                   gint          stage,
                                   gint          block,
                                   GError      **error);
guint    bs_model_add_maxpool     (BsModel      *model,
                                   guint         in,
                                   const char   *name,
                                   guint         kernel,
                                   guint         stride,
                                   guint         pad,
                                   GError      **error);
guint    bs_model_add_avgpool     (BsModel      *model,
                                   guint         in,
                                   const char   *name);
guint    bs_model_add_fc          (BsModel      *model,
                                   guint         in,
                                   const char   *name);
/* Allocates parameter storage; the model is ready after this. */
void     bs_model_builder_finish  (BsModel      *model);

const BsLayerInfo *bs_model_value_info (BsModel *model,
                                        guint    value);

G_END_DECLS
