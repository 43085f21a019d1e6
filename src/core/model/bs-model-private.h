/* bs-model-private.h: the state behind BsModel, shared by the files that implement it.
 *
 *   bs-model-builder.c   building the graph (bs-model-builder.h), copying, freeing
 *   bs-model-buffers.c   activation and gradient buffers, value states, memory use
 *   bs-model-plan.c      which operations of a forward pass run fused
 *   bs-model-forward.c   the forward pass
 *   bs-model-backward.c  the loss and the backward pass
 *   bs-model.c           accessors, settings, initialisation
 *
 * The graph is a list of operations (bs-model-builder.h): operation i reads
 * values in0 (and in1) and produces value i + 1. */
#pragma once

#include "bs-conv.h"
#include "bs-model.h"
#include "bs-model-builder.h"
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

/* An activation or gradient buffer from the model's free list (bs-model-buffers.c). */
typedef struct {
  float *data;
  gsize  capacity;
  gint   refs;
} BsBuf;

/* What a pass holds of one value. */
typedef struct {
  BsBuf *act;        /* the activation, shared with in-place successors */
  BsBuf *grad;       /* d(loss)/d(value), shared by the two inputs of an add */
  gint   fwd_uses;   /* operations of this pass that still read the value */
  gint   bwd_uses;   /* backward steps that still read the activation */
} BsValueState;

/* What runs fused with an operation in a forward pass (bs-model-plan.c). */
typedef enum {
  BS_FUSE_BN_STATS        = 1 << 0,  /* training conv: gathers the next BN's batch sums */
  BS_FUSE_BN              = 1 << 1,  /* evaluation conv: applies the next BN per chunk */
  BS_FUSE_BN_OWN_BUFFER   = 1 << 2,  /* ... into a buffer of its own (the conv output is tapped) */
  BS_FUSE_ADD             = 1 << 3,  /* the add after the BN, in the same pass */
  BS_FUSE_RELU            = 1 << 4,  /* the ReLU after that, in the same pass and buffer */
  BS_FUSE_RELU_OWN_BUFFER = 1 << 5,  /* the ReLU after that, into a buffer of its own */
} BsFuseFlags;

/* A step of a forward pass: the operation it starts at and n_ops - 1 after it. */
typedef struct {
  guint8 n_ops;   /* 0 for an operation that an earlier step runs */
  guint8 fuse;    /* BsFuseFlags */
} BsStep;

typedef struct {
  BsStep   *steps;       /* per operation */
  gboolean *tapped;      /* per value: handed to the tap */
  gboolean  any_tapped;
} BsForwardPlan;

/* Where a parameter lives in the model's parameter and gradient blocks. */
typedef struct {
  gsize data_offset;
  gsize grad_offset;  /* G_MAXSIZE for buffers */
} BsParamSlot;

struct _BsModel {
  char          *name;
  guint          in_c;
  guint          in_h;
  guint          in_w;
  guint          n_classes;

  GArray        *layers;        /* BsLayerInfo per value */
  GArray        *ops;           /* BsOp; op i produces value i + 1 */
  GArray        *params;        /* BsParam, checkpoint order */
  GArray        *slots;         /* BsParamSlot per param */
  gint          *n_consumers;   /* forward readers per value */
  gint          *n_bwd_readers; /* backward readers per value */
  float         *param_data;    /* 64-byte aligned inside param_block */
  float         *grad_data;
  gpointer       param_block;
  gpointer       grad_block;
  gsize          n_data;
  gsize          n_grad;
  gint64         batches_tracked;
  float         *input_mean;    /* in_c values, or NULL: inputs taken as they are */
  float         *input_std;

  BsThreadPool  *pool;
  GPtrArray     *bufs;          /* every BsBuf, owned */
  GPtrArray     *free_bufs;
  BsValueState  *state;         /* per value */

  guint          batch;
  gboolean       training;
  gboolean       can_backward;
  gboolean       have_dlogits;
  float         *logits;
  float         *dlogits;
  gsize          logits_capacity;
  gboolean      *tap_mask;
  guint64        freeze_epoch;  /* while frozen: counts the freezes; 0: not frozen */
  guint64        n_freezes;
  BsForwardPlan *plans[2][2];   /* [training][a tap is given], made on first use */
  gsize          peak_bytes;
  gsize          failed_bytes;  /* the allocation that did not fit (bs_model_set_memory_error) */
};

static inline BsOp *
bs_model_op (BsModel *model,
             guint    i)
{
  return &g_array_index (model->ops, BsOp, i);
}

static inline float *
bs_model_param_data (BsModel *model,
                     guint    index)
{
  return g_array_index (model->params, BsParam, index).data;
}

static inline float *
bs_model_param_grad (BsModel *model,
                     guint    index)
{
  return g_array_index (model->params, BsParam, index).grad;
}

/* The activation of value v in the current pass. */
static inline float *
bs_model_act (BsModel *model,
              guint    v)
{
  return model->state[v].act->data;
}

/* The summand of add `add` that is not value `mine`. */
static inline guint
bs_model_add_other (const BsOp *add,
                    guint       mine)
{
  return add->in0 == mine ? add->in1 : add->in0;
}

/* Buffers (bs-model-buffers.c, and inline here what every operation calls). */
BsBuf               *bs_model_buf_acquire    (BsModel    *model,
                                              guint       v);
void                 bs_model_buf_free       (gpointer    b);
/* "Not enough memory to run MODEL ...": after an allocation of the pass failed. */
void                 bs_model_set_memory_error (BsModel  *model,
                                                GError  **error);
void                 bs_model_release_values (BsModel    *model);

/* Floats of value v at the current batch size. */
static inline gsize
bs_model_value_size (BsModel *model,
                     guint    v)
{
  const BsLayerInfo *info = &g_array_index (model->layers, BsLayerInfo, v);

  return bs_layer_info_n_features (info) * model->batch;
}

static inline BsBuf *
bs_model_buf_ref (BsBuf *b)
{
  b->refs++;
  return b;
}

/* Drops a reference; the last one puts the buffer on the free list. */
static inline void
bs_model_buf_unref (BsModel *model,
                    BsBuf   *b)
{
  g_assert (b->refs > 0);
  if (--b->refs == 0)
    g_ptr_array_add (model->free_bufs, b);
}

/* Gives v's activation back when nothing of this pass reads it any more. */
static inline void
bs_model_release_act (BsModel *model,
                      guint    v)
{
  BsValueState *s = &model->state[v];

  if (s->act && s->fwd_uses <= 0 && s->bwd_uses <= 0)
    {
      bs_model_buf_unref (model, s->act);
      s->act = NULL;
    }
}

/* The fusion plan (bs-model-plan.c). */
const BsForwardPlan *bs_model_get_plan       (BsModel    *model,
                                              gboolean    training,
                                              gboolean    tapping);
void                 bs_model_clear_plans    (BsModel    *model);

/* Batch norm (bs-model.c). */
void                 bs_model_bn_eval_coeffs (BsModel    *model,
                                              const BsOp *bn,
                                              float      *scale,
                                              float      *shift);

G_END_DECLS
