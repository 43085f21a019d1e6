/* bs-model.c: parameters, activation buffers and the forward/backward passes.
 *
 * The model is a list of operations (bs-model-private.h). Activations live in
 * reference-counted buffers from a free list owned by the model: a value's
 * buffer goes back to the list as soon as no later operation (and, when
 * training, no backward step) reads it, and element-wise operations run in
 * place when their input dies with them. So an evaluation pass holds only a
 * few activations at a time however deep the network, and training keeps just
 * what the backward pass reads: conv and BN inputs, ReLU outputs.
 *
 * Neighbouring operations are fused where that saves a pass over memory:
 *   forward   conv -> BN statistics, gathered per chunk while the output is in cache
 *             BN -> ReLU, BN -> add -> ReLU, add -> ReLU: one pass
 *             evaluation: conv -> BN (-> add) (-> ReLU) applied per chunk in cache
 *   backward  ReLU -> BN sums: one pass; BN's input gradient is produced chunk by
 *             chunk inside the convolution's backward pass and never stored
 * A fusion is skipped when a tap asks for the intermediate value. */
#include "bs-model-private.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bs-batchnorm.h"
#include "bs-blas.h"
#include "bs-error.h"
#include "bs-linear.h"
#include "bs-thread-pool.h"
#include "bs-relu.h"
#include "bs-rng.h"
#include "bs-softmax-xent.h"

typedef struct {
  float *data;
  gsize  capacity;
  gint   refs;
} Buf;

typedef struct {
  Buf  *act;        /* the activation, shared with in-place successors */
  Buf  *grad;       /* d(loss)/d(value), shared by the two inputs of an add */
  gint  fwd_uses;   /* operations of this pass that still read the value */
  gint  bwd_uses;   /* backward steps that still read the activation */
} ValueState;

typedef struct {
  gsize data_offset;
  gsize grad_offset;  /* G_MAXSIZE for buffers */
} ParamSlot;

/* Images per thread in one piece of an evaluation pass without taps: small
 * enough that ResNet-20's activations stay in the caches (measured: 8 gives
 * ResNet-20 inference 15-30 % more than whole batches of 128; wide networks
 * neither gain nor lose). */
#define SUB_BATCH_PER_THREAD 8

struct _BsModel {
  char        *name;
  guint        in_c;
  guint        in_h;
  guint        in_w;
  guint        n_classes;

  GArray      *layers;        /* BsLayerInfo per value */
  GArray      *ops;           /* BsOp; op i produces value i + 1 */
  GArray      *params;        /* BsParam, checkpoint order */
  GArray      *slots;         /* ParamSlot per param */
  gint        *n_consumers;   /* forward readers per value */
  gint        *n_bwd_readers; /* backward readers per value */
  float       *param_data;    /* 64-byte aligned inside param_block */
  float       *grad_data;
  gpointer     param_block;
  gpointer     grad_block;
  gsize        n_data;
  gsize        n_grad;
  gint64       batches_tracked;

  BsThreadPool      *pool;
  GPtrArray   *bufs;          /* every Buf, owned */
  GPtrArray   *free_bufs;
  ValueState  *state;

  guint        batch;
  gboolean     training;
  gboolean     can_backward;
  gboolean     have_dlogits;
  float       *logits;
  float       *dlogits;
  gsize        logits_capacity;
  gboolean    *tap_mask;
  gsize        peak_bytes;
};

/* ---- buffers ------------------------------------------------------------- */

static gsize
value_size (BsModel *model,
            guint    v)
{
  const BsLayerInfo *info = &g_array_index (model->layers, BsLayerInfo, v);

  return bs_layer_info_n_features (info) * model->batch;
}

static gsize
held_bytes (BsModel *model)
{
  gsize total = 0;

  for (guint i = 0; i < model->bufs->len; i++)
    total += ((Buf *) g_ptr_array_index (model->bufs, i))->capacity * sizeof (float);
  return total;
}

/* The smallest free buffer that fits, the most recently freed of equals (its
 * lines are the likeliest to be in cache still, which saves the reads a store
 * miss makes), or a new one. */
static Buf *
buf_acquire (BsModel *model,
             gsize    n)
{
  Buf *best = NULL;
  guint best_index = 0;

  for (guint i = model->free_bufs->len; i-- > 0;)
    {
      Buf *b = g_ptr_array_index (model->free_bufs, i);

      if (b->capacity >= n && (best == NULL || b->capacity < best->capacity))
        {
          best = b;
          best_index = i;
        }
    }

  if (best)
    g_ptr_array_remove_index (model->free_bufs, best_index);
  else
    {
      best = g_new0 (Buf, 1);
      best->data = bs_alloc_floats (n);
      best->capacity = n;
      g_ptr_array_add (model->bufs, best);
      model->peak_bytes = MAX (model->peak_bytes, held_bytes (model));
    }
  best->refs = 1;
  return best;
}

static Buf *
buf_ref (Buf *b)
{
  b->refs++;
  return b;
}

static void
buf_unref (BsModel *model,
           Buf     *b)
{
  g_assert (b->refs > 0);
  if (--b->refs == 0)
    g_ptr_array_add (model->free_bufs, b);
}

static void
buf_destroy (gpointer data)
{
  Buf *b = data;

  bs_free_floats (b->data);
  g_free (b);
}

static void
release_act (BsModel *model,
             guint    v)
{
  ValueState *s = &model->state[v];

  if (s->act && s->fwd_uses <= 0 && s->bwd_uses <= 0)
    {
      buf_unref (model, s->act);
      s->act = NULL;
    }
}

static void
release_all (BsModel *model)
{
  guint n_values = model->layers->len;

  for (guint v = 0; v < n_values; v++)
    {
      ValueState *s = &model->state[v];

      if (s->act)
        buf_unref (model, s->act);
      if (s->grad)
        buf_unref (model, s->grad);
      memset (s, 0, sizeof *s);
    }
  model->can_backward = FALSE;
}

/* ---- construction -------------------------------------------------------- */

BsModel *
bs_model_builder_new (const char *name,
                      guint       in_channels,
                      guint       in_height,
                      guint       in_width,
                      guint       n_classes)
{
  BsModel *model = g_new0 (BsModel, 1);
  BsLayerInfo input = {
    .name = g_strdup ("input"), .kind = BS_LAYER_INPUT,
    .channels = in_channels, .height = in_height, .width = in_width,
    .stage = BS_LAYER_STAGE_STEM, .block = -1,
  };

  model->name = g_strdup (name);
  model->in_c = in_channels;
  model->in_h = in_height;
  model->in_w = in_width;
  model->n_classes = n_classes;
  model->layers = g_array_new (FALSE, TRUE, sizeof (BsLayerInfo));
  model->ops = g_array_new (FALSE, TRUE, sizeof (BsOp));
  model->params = g_array_new (FALSE, TRUE, sizeof (BsParam));
  model->slots = g_array_new (FALSE, TRUE, sizeof (ParamSlot));
  model->bufs = g_ptr_array_new_with_free_func (buf_destroy);
  model->free_bufs = g_ptr_array_new ();
  model->pool = bs_thread_pool_new (1);
  g_array_append_val (model->layers, input);
  return model;
}

const BsLayerInfo *
bs_model_value_info (BsModel *model,
                     guint    value)
{
  g_return_val_if_fail (value < model->layers->len, NULL);
  return &g_array_index (model->layers, BsLayerInfo, value);
}

static guint
add_value (BsModel     *model,
           const char  *name,
           BsLayerKind  kind,
           guint        channels,
           guint        height,
           guint        width,
           gint         stage,
           gint         block,
           gboolean     block_output)
{
  BsLayerInfo info = {
    .name = g_strdup (name), .kind = kind,
    .channels = channels, .height = height, .width = width,
    .stage = stage, .block = block, .block_output = block_output,
  };

  g_array_append_val (model->layers, info);
  return model->layers->len - 1;
}

static guint
add_param (BsModel    *model,
           const char *layer,
           const char *suffix,
           guint       ndim,
           gint64      d0,
           gint64      d1,
           gint64      d2,
           gint64      d3,
           gboolean    trainable)
{
  BsParam p = { 0 };
  ParamSlot slot;
  gint64 dims[4] = { d0, d1, d2, d3 };

  p.name = g_strconcat (layer, ".", suffix, NULL);
  p.ndim = ndim;
  p.n_elements = 1;
  for (guint i = 0; i < ndim; i++)
    {
      p.shape[i] = dims[i];
      p.n_elements *= (gsize) dims[i];
    }
  p.decay = trainable;

  slot.data_offset = model->n_data;
  model->n_data += (p.n_elements + 15) & ~(gsize) 15;  /* keep every tensor 64-byte aligned */
  if (trainable)
    {
      slot.grad_offset = model->n_grad;
      model->n_grad += (p.n_elements + 15) & ~(gsize) 15;
    }
  else
    slot.grad_offset = G_MAXSIZE;

  g_array_append_val (model->params, p);
  g_array_append_val (model->slots, slot);
  return model->params->len - 1;
}

static BsOp *
add_op (BsModel  *model,
        BsOpKind  kind,
        guint     in0,
        guint     in1,
        guint     param)
{
  BsOp op = { .kind = kind, .in0 = in0, .in1 = in1, .param = param };

  g_array_append_val (model->ops, op);
  return &g_array_index (model->ops, BsOp, model->ops->len - 1);
}

guint
bs_model_add_conv (BsModel      *model,
                   guint         in,
                   const char   *name,
                   BsLayerKind   kind,
                   gint          stage,
                   gint          block,
                   guint         out_channels,
                   guint         kernel,
                   guint         stride,
                   guint         pad,
                   GError      **error)
{
  const BsLayerInfo *x = bs_model_value_info (model, in);
  BsConvGeometry g = {
    .in_c = x->channels, .out_c = out_channels, .kernel = kernel, .stride = stride, .pad = pad,
    .in_h = x->height, .in_w = x->width,
  };
  guint param;
  BsOp *op;

  if (!bs_conv_geometry_init (&g))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "%s: a %ux%u convolution does not fit a %ux%u input", name,
                   kernel, kernel, x->height, x->width);
      return 0;
    }

  param = add_param (model, name, "weight", 4, out_channels, g.in_c, kernel, kernel, TRUE);
  op = add_op (model, BS_OP_CONV, in, 0, param);
  op->conv = g;
  op->out = add_value (model, name, kind, out_channels, g.out_h, g.out_w, stage, block, FALSE);
  return op->out;
}

guint
bs_model_add_bn (BsModel     *model,
                 guint        in,
                 const char  *name,
                 BsLayerKind  kind,
                 gint         stage,
                 gint         block)
{
  const BsLayerInfo *x = bs_model_value_info (model, in);
  guint c = x->channels, h = x->height, w = x->width;
  guint param = add_param (model, name, "weight", 1, c, 0, 0, 0, TRUE);
  BsOp *op;

  add_param (model, name, "bias", 1, c, 0, 0, 0, TRUE);
  add_param (model, name, "running_mean", 1, c, 0, 0, 0, FALSE);
  add_param (model, name, "running_var", 1, c, 0, 0, 0, FALSE);

  op = add_op (model, BS_OP_BN, in, 0, param);
  op->bn_mean = g_new0 (float, 7 * c);
  op->bn_invstd = op->bn_mean + c;
  op->bn_scale = op->bn_mean + 2 * c;
  op->bn_shift = op->bn_mean + 3 * c;
  op->bn_k1 = op->bn_mean + 4 * c;
  op->bn_k2 = op->bn_mean + 5 * c;
  op->bn_k3 = op->bn_mean + 6 * c;
  op->bn_sum = g_new0 (double, 2 * c);
  op->bn_sumsq = op->bn_sum + c;
  op->out = add_value (model, name, kind, c, h, w, stage, block, FALSE);
  return op->out;
}

guint
bs_model_add_relu (BsModel    *model,
                   guint       in,
                   const char *name,
                   gint        stage,
                   gint        block,
                   gboolean    block_output)
{
  const BsLayerInfo *x = bs_model_value_info (model, in);
  guint c = x->channels, h = x->height, w = x->width;
  BsOp *op = add_op (model, BS_OP_RELU, in, 0, 0);

  op->out = add_value (model, name, BS_LAYER_RELU, c, h, w, stage, block, block_output);
  return op->out;
}

guint
bs_model_add_add (BsModel     *model,
                  guint        a,
                  guint        b,
                  const char  *name,
                  gint         stage,
                  gint         block,
                  GError     **error)
{
  const BsLayerInfo *x = bs_model_value_info (model, a);
  const BsLayerInfo *y = bs_model_value_info (model, b);
  guint c = x->channels, h = x->height, w = x->width;
  BsOp *op;

  if (x->channels != y->channels || x->height != y->height || x->width != y->width)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
                   "%s: cannot add %ux%ux%u and %ux%ux%u", name,
                   x->channels, x->height, x->width, y->channels, y->height, y->width);
      return 0;
    }

  op = add_op (model, BS_OP_ADD, a, b, 0);
  op->out = add_value (model, name, BS_LAYER_ADD, c, h, w, stage, block, FALSE);
  return op->out;
}

guint
bs_model_add_maxpool (BsModel     *model,
                      guint        in,
                      const char  *name,
                      guint        kernel,
                      guint        stride,
                      guint        pad,
                      GError     **error)
{
  const BsLayerInfo *x = bs_model_value_info (model, in);
  BsMaxPoolGeometry g = { .kernel = kernel, .stride = stride, .pad = pad,
                          .in_h = x->height, .in_w = x->width };
  guint c = x->channels;
  gint stage = x->stage;
  BsOp *op;

  if (!bs_maxpool_geometry_init (&g))
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   "%s: a %ux%u max-pool does not fit a %ux%u input", name,
                   kernel, kernel, x->height, x->width);
      return 0;
    }

  op = add_op (model, BS_OP_MAXPOOL, in, 0, 0);
  op->pool = g;
  op->out = add_value (model, name, BS_LAYER_MAXPOOL, c, g.out_h, g.out_w, stage, -1, FALSE);
  return op->out;
}

guint
bs_model_add_avgpool (BsModel    *model,
                      guint       in,
                      const char *name)
{
  guint c = bs_model_value_info (model, in)->channels;
  BsOp *op = add_op (model, BS_OP_AVGPOOL, in, 0, 0);

  op->out = add_value (model, name, BS_LAYER_AVGPOOL, c, 1, 1, BS_LAYER_STAGE_HEAD, -1, FALSE);
  return op->out;
}

guint
bs_model_add_fc (BsModel    *model,
                 guint       in,
                 const char *name)
{
  guint c = bs_model_value_info (model, in)->channels;
  guint param = add_param (model, name, "weight", 2, model->n_classes, c, 0, 0, TRUE);
  BsOp *op;

  add_param (model, name, "bias", 1, model->n_classes, 0, 0, 0, TRUE);
  op = add_op (model, BS_OP_FC, in, 0, param);
  op->out = add_value (model, name, BS_LAYER_FC, model->n_classes, 1, 1, BS_LAYER_STAGE_HEAD, -1, FALSE);
  return op->out;
}

/* Zeroed and 64-byte aligned. calloc leaves large blocks as untouched
 * zero pages, so building a big model costs nothing until it is used. */
static float *
alloc_zeroed (gsize     n_floats,
              gpointer *block)
{
  guintptr p;

  *block = calloc (n_floats * sizeof (float) + 64, 1);
  if (*block == NULL)
    g_error ("out of memory allocating %" G_GSIZE_FORMAT " parameters", n_floats);
  p = ((guintptr) *block + 63) & ~(guintptr) 63;
  return (float *) p;
}

void
bs_model_builder_finish (BsModel *model)
{
  guint n_values = model->layers->len;

  model->param_data = alloc_zeroed (model->n_data, &model->param_block);
  model->grad_data = alloc_zeroed (model->n_grad, &model->grad_block);

  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);
      ParamSlot *slot = &g_array_index (model->slots, ParamSlot, i);

      p->data = model->param_data + slot->data_offset;
      p->grad = slot->grad_offset == G_MAXSIZE ? NULL : model->grad_data + slot->grad_offset;
    }

  /* Who reads what: forward consumers, and the activations backward needs
   * (conv, BN and fc inputs; ReLU outputs). */
  model->n_consumers = g_new0 (gint, n_values);
  model->n_bwd_readers = g_new0 (gint, n_values);
  model->state = g_new0 (ValueState, n_values);
  for (guint i = 0; i < model->ops->len; i++)
    {
      BsOp *op = &g_array_index (model->ops, BsOp, i);

      model->n_consumers[op->in0]++;
      if (op->kind == BS_OP_ADD)
        model->n_consumers[op->in1]++;
      if (op->kind == BS_OP_CONV || op->kind == BS_OP_BN || op->kind == BS_OP_FC)
        model->n_bwd_readers[op->in0]++;
      if (op->kind == BS_OP_RELU)
        model->n_bwd_readers[op->out]++;
    }
}

void
bs_model_free (BsModel *model)
{
  if (model == NULL)
    return;

  if (model->state)
    release_all (model);
  for (guint i = 0; i < model->layers->len; i++)
    bs_layer_info_clear (&g_array_index (model->layers, BsLayerInfo, i));
  for (guint i = 0; i < model->params->len; i++)
    g_free ((char *) g_array_index (model->params, BsParam, i).name);
  for (guint i = 0; i < model->ops->len; i++)
    {
      BsOp *op = &g_array_index (model->ops, BsOp, i);

      g_free (op->bn_mean);
      g_free (op->bn_sum);
      g_free (op->argmax);
      bs_conv_weight_cache_free (op->conv_cache);
    }
  g_array_unref (model->layers);
  g_array_unref (model->ops);
  g_array_unref (model->params);
  g_array_unref (model->slots);
  g_ptr_array_unref (model->free_bufs);
  g_ptr_array_unref (model->bufs);
  bs_thread_pool_unref (model->pool);
  free (model->param_block);
  free (model->grad_block);
  bs_free_floats (model->logits);
  bs_free_floats (model->dlogits);
  g_free (model->n_consumers);
  g_free (model->n_bwd_readers);
  g_free (model->state);
  g_free (model->tap_mask);
  g_free (model->name);
  g_free (model);
}

BsModel *
bs_model_copy (BsModel *model)
{
  const BsLayerInfo *in = bs_model_value_info (model, 0);
  BsEngineConfig config = *bs_thread_pool_get_config (model->pool);
  BsModel *copy;

  g_return_val_if_fail (model != NULL, NULL);

  /* The same builder calls in the same order give the same graph, values and
   * parameter layout; they cannot fail, as they did not for the original. */
  copy = bs_model_builder_new (model->name, in->channels, in->height, in->width, model->n_classes);
  for (guint i = 0; i < model->ops->len; i++)
    {
      const BsOp *op = &g_array_index (model->ops, BsOp, i);
      const BsLayerInfo *out = bs_model_value_info (model, op->out);
      guint v = 0;

      switch (op->kind)
        {
        case BS_OP_CONV:
          v = bs_model_add_conv (copy, op->in0, out->name, out->kind, out->stage, out->block,
                                 op->conv.out_c, op->conv.kernel, op->conv.stride, op->conv.pad, NULL);
          break;
        case BS_OP_BN:
          v = bs_model_add_bn (copy, op->in0, out->name, out->kind, out->stage, out->block);
          break;
        case BS_OP_RELU:
          v = bs_model_add_relu (copy, op->in0, out->name, out->stage, out->block, out->block_output);
          break;
        case BS_OP_ADD:
          v = bs_model_add_add (copy, op->in0, op->in1, out->name, out->stage, out->block, NULL);
          break;
        case BS_OP_MAXPOOL:
          v = bs_model_add_maxpool (copy, op->in0, out->name, op->pool.kernel, op->pool.stride,
                                    op->pool.pad, NULL);
          break;
        case BS_OP_AVGPOOL:
          v = bs_model_add_avgpool (copy, op->in0, out->name);
          break;
        case BS_OP_FC:
          v = bs_model_add_fc (copy, op->in0, out->name);
          break;
        default:
          g_assert_not_reached ();
        }
      g_assert (v == op->out);
    }
  bs_model_builder_finish (copy);
  g_assert (copy->n_data == model->n_data && copy->params->len == model->params->len);

  memcpy (copy->param_data, model->param_data, model->n_data * sizeof (float));
  copy->batches_tracked = model->batches_tracked;
  /* Its own pool, of one thread: a pool runs one job's work at a time. */
  config.threads = 1;
  bs_thread_pool_unref (copy->pool);
  copy->pool = bs_thread_pool_new_for_config (&config);
  return copy;
}

gboolean
bs_model_copy_params (BsModel  *dest,
                      BsModel  *src,
                      GError  **error)
{
  g_return_val_if_fail (dest != NULL && src != NULL, FALSE);

  if (dest->params->len != src->params->len || dest->n_data != src->n_data)
    goto mismatch;
  for (guint i = 0; i < src->params->len; i++)
    {
      const BsParam *a = &g_array_index (dest->params, BsParam, i);
      const BsParam *b = &g_array_index (src->params, BsParam, i);

      if (strcmp (a->name, b->name) != 0 || a->n_elements != b->n_elements || a->ndim != b->ndim ||
          memcmp (a->shape, b->shape, sizeof a->shape) != 0)
        goto mismatch;
    }

  memcpy (dest->param_data, src->param_data, src->n_data * sizeof (float));
  dest->batches_tracked = src->batches_tracked;
  return TRUE;

mismatch:
  g_set_error (error, BS_ERROR, BS_ERROR_MISMATCH,
               "Cannot copy the parameters of %s into %s: the architectures differ",
               src->name, dest->name);
  return FALSE;
}

/* ---- simple accessors ----------------------------------------------------- */

const char *
bs_model_get_name (BsModel *model)
{
  return model->name;
}

guint
bs_model_get_n_classes (BsModel *model)
{
  return model->n_classes;
}

guint
bs_model_get_n_layers (BsModel *model)
{
  return model->layers->len;
}

const BsLayerInfo *
bs_model_get_layer (BsModel *model,
                    guint    index)
{
  g_return_val_if_fail (index < model->layers->len, NULL);
  return &g_array_index (model->layers, BsLayerInfo, index);
}

guint
bs_model_get_n_params (BsModel *model)
{
  return model->params->len;
}

BsParam *
bs_model_get_param (BsModel *model,
                    guint    index)
{
  g_return_val_if_fail (index < model->params->len, NULL);
  return &g_array_index (model->params, BsParam, index);
}

BsParam *
bs_model_find_param (BsModel    *model,
                     const char *name)
{
  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);

      if (strcmp (p->name, name) == 0)
        return p;
    }
  return NULL;
}

gsize
bs_model_count_trainable (BsModel *model)
{
  gsize total = 0;

  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);

      if (p->grad)
        total += p->n_elements;
    }
  return total;
}

gint64
bs_model_get_batches_tracked (BsModel *model)
{
  return model->batches_tracked;
}

void
bs_model_set_batches_tracked (BsModel *model,
                              gint64   value)
{
  model->batches_tracked = value;
}

void
bs_model_set_threads (BsModel *model,
                      guint    n_threads)
{
  BsEngineConfig config = *bs_thread_pool_get_config (model->pool);

  n_threads = CLAMP (n_threads, 1, 256);
  if (n_threads == bs_thread_pool_get_n_threads (model->pool))
    return;
  config.threads = n_threads;
  bs_thread_pool_unref (model->pool);
  model->pool = bs_thread_pool_new_for_config (&config);
}

guint
bs_model_get_threads (BsModel *model)
{
  return bs_thread_pool_get_n_threads (model->pool);
}

void
bs_model_set_pool (BsModel      *model,
                   BsThreadPool *pool)
{
  g_return_if_fail (model != NULL && pool != NULL);

  bs_thread_pool_ref (pool);
  bs_thread_pool_unref (model->pool);
  model->pool = pool;
}

BsThreadPool *
bs_model_get_pool (BsModel *model)
{
  return model->pool;
}

void
bs_model_set_tap_mask (BsModel        *model,
                       const gboolean *mask)
{
  g_clear_pointer (&model->tap_mask, g_free);
  if (mask)
    model->tap_mask = g_memdup2 (mask, model->layers->len * sizeof (gboolean));
}

gsize
bs_model_get_memory_bytes (BsModel *model,
                           gsize   *peak)
{
  if (peak)
    *peak = model->peak_bytes + bs_thread_pool_scratch_bytes (model->pool);
  return held_bytes (model) + bs_thread_pool_scratch_bytes (model->pool);
}

void
bs_model_release_memory (BsModel *model)
{
  release_all (model);
  g_ptr_array_set_size (model->free_bufs, 0);
  g_ptr_array_set_size (model->bufs, 0);
  model->peak_bytes = 0;
  bs_thread_pool_release_scratch (model->pool);
  for (guint i = 0; i < model->ops->len; i++)
    g_clear_pointer (&g_array_index (model->ops, BsOp, i).conv_cache, bs_conv_weight_cache_free);
}

/* ---- initialisation ------------------------------------------------------- */

void
bs_model_init_params (BsModel *model,
                      guint64  seed)
{
  BsRng rng;

  bs_rng_init (&rng, seed);
  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);
      const char *suffix = strrchr (p->name, '.') + 1;

      if (p->ndim == 4)
        {
          /* Kaiming normal, fan_out, ReLU gain (torchvision's ResNet init). */
          double fan_out = (double) p->shape[0] * p->shape[2] * p->shape[3];
          double std = sqrt (2.0 / fan_out);

          for (gsize j = 0; j < p->n_elements; j++)
            p->data[j] = (float) (std * bs_rng_normal (&rng));
        }
      else if (p->ndim == 2 || (strcmp (suffix, "bias") == 0 && i > 0 &&
                                g_array_index (model->params, BsParam, i - 1).ndim == 2))
        {
          /* nn.Linear's default: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias. */
          const BsParam *w = p->ndim == 2 ? p : &g_array_index (model->params, BsParam, i - 1);
          double bound = 1.0 / sqrt ((double) w->shape[1]);

          for (gsize j = 0; j < p->n_elements; j++)
            p->data[j] = (float) ((2.0 * bs_rng_uniform (&rng) - 1.0) * bound);
        }
      else
        {
          /* Batch norm: weight and running_var 1, bias and running_mean 0. */
          float value = strcmp (suffix, "weight") == 0 || strcmp (suffix, "running_var") == 0;

          for (gsize j = 0; j < p->n_elements; j++)
            p->data[j] = value;
        }
    }
  model->batches_tracked = 0;
}

/* ---- forward -------------------------------------------------------------- */

static inline BsOp *
get_op (BsModel *model,
        guint    i)
{
  return &g_array_index (model->ops, BsOp, i);
}

static inline float *
param_data (BsModel *model,
            guint    index)
{
  return g_array_index (model->params, BsParam, index).data;
}

static inline float *
param_grad (BsModel *model,
            guint    index)
{
  return g_array_index (model->params, BsParam, index).grad;
}

static inline float *
act (BsModel *model,
     guint    v)
{
  return model->state[v].act->data;
}

gboolean
bs_model_get_eval_scale (BsModel *model,
                         guint    layer,
                         guint    input,
                         float   *scale)
{
  g_autofree float *shift = NULL;
  BsOp *op;
  guint c;

  g_return_val_if_fail (model != NULL && scale != NULL, FALSE);

  /* Value layer is the output of operation layer - 1 (bs-model-private.h). */
  if (layer == 0 || layer > model->ops->len)
    return FALSE;
  op = get_op (model, layer - 1);
  if (op->kind != BS_OP_BN || op->in0 != input)
    return FALSE;
  c = g_array_index (model->layers, BsLayerInfo, layer).channels;
  shift = g_new (float, c);
  bs_bn_eval_coeffs (c, param_data (model, op->param), param_data (model, op->param + 1),
                     param_data (model, op->param + 2), param_data (model, op->param + 3),
                     scale, shift);
  return TRUE;
}

static gboolean
tap_wanted (BsModel   *model,
            BsTapFunc  tap,
            guint      v)
{
  return tap != NULL && (model->tap_mask == NULL || model->tap_mask[v]);
}

static void
emit_tap (BsModel   *model,
          BsTapFunc  tap,
          gpointer   user_data,
          guint      v)
{
  if (!tap_wanted (model, tap, v))
    return;
  tap (&g_array_index (model->layers, BsLayerInfo, v), v, act (model, v), model->batch, user_data);
}

/* Can an operation reading v (as its last reader) overwrite v's buffer? */
static gboolean
can_overwrite (BsModel *model,
               guint    v)
{
  ValueState *s = &model->state[v];

  return s->fwd_uses == 1 && s->bwd_uses == 0 && s->act->refs == 1;
}

/* Is op i + 1 of the given kind and fed only by op i's output, which no tap wants? */
static gboolean
next_fuses (BsModel   *model,
            guint      i,
            BsOpKind   kind,
            BsTapFunc  tap)
{
  BsOp *op = get_op (model, i);
  BsOp *next;

  if (i + 1 >= model->ops->len)
    return FALSE;
  next = get_op (model, i + 1);
  return next->kind == kind &&
         (next->in0 == op->out || (kind == BS_OP_ADD && next->in1 == op->out)) &&
         model->n_consumers[op->out] == 1 &&
         !tap_wanted (model, tap, op->out);
}

/* The other summand of the add at op i, when it is already computed. */
static const float *
add_other (BsModel *model,
           guint    i,
           guint    mine)
{
  BsOp *add = get_op (model, i);
  guint other = add->in0 == mine ? add->in1 : add->in0;

  return model->state[other].act ? act (model, other) : NULL;
}

typedef struct {
  BsModel     *model;
  BsOp        *bn;
  const float *add;       /* evaluation fusion: shortcut to add (same layout) */
  gboolean     relu;
  const float *y;         /* the conv output ... */
  float       *dest;      /* ... and where the fused result goes, if not over it */
  float       *relu_dest; /* the ReLU of a tapped result, which must stay as it is */
} ChunkHookData;

/* Training: per-thread partial BN sums of each finished conv chunk. */
static void
stats_chunk (gpointer data,
             guint    thread,
             float   *p,
             gsize    ld,
             guint    n_rows,
             gsize    col0,
             gsize    ncols)
{
  ChunkHookData *d = data;
  double *stats = (double *) bs_thread_pool_scratch (d->model->pool, thread, BS_SCRATCH_STATS, 4 * n_rows);

  for (guint r = 0; r < n_rows; r++)
    bs_bn_row_sums (p + r * ld, ncols, &stats[r], &stats[n_rows + r]);
}

/* Evaluation: BN (+ add) (+ ReLU) on each finished conv chunk, in place or
 * into another buffer when the conv output is tapped. */
static void
eval_chunk (gpointer data,
            guint    thread,
            float   *p,
            gsize    ld,
            guint    n_rows,
            gsize    col0,
            gsize    ncols)
{
  ChunkHookData *d = data;
  float *out = d->dest ? d->dest + (p - d->y) : p;

  for (guint r = 0; r < n_rows; r++)
    {
      const float *add = d->add ? d->add + r * ld + col0 : NULL;

      if (d->relu_dest)
        bs_bn_row_apply_and_relu (p + r * ld, ncols, d->bn->bn_scale[r], d->bn->bn_shift[r], add,
                                  out + r * ld, d->relu_dest + (p - d->y) + r * ld);
      else
        bs_bn_row_apply (p + r * ld, ncols, d->bn->bn_scale[r], d->bn->bn_shift[r], add, d->relu,
                         out + r * ld);
    }
}

/* Runs op i, possibly fused with its successors; returns how many ops ran.
 * Every op that ran has its output value set. */
static guint
forward_op (BsModel   *model,
            guint      i,
            BsTapFunc  tap)
{
  BsOp *op = get_op (model, i);
  ValueState *out = &model->state[op->out];
  const BsLayerInfo *info = &g_array_index (model->layers, BsLayerInfo, op->out);
  guint batch = model->batch;
  gsize n_per_channel = (gsize) batch * info->height * info->width;

  switch (op->kind)
    {
    case BS_OP_CONV:
      {
        ChunkHookData hd = { .model = model };
        BsConvHooks hooks = { .data = &hd };
        guint ran = 1;
        gboolean own_buffer = FALSE;   /* BN writes to its own buffer, not over the conv output */
        gboolean relu_ran = FALSE;     /* a ReLU after the fused ops, into its own buffer */
        BsOp *bn = NULL;
        guint n_threads = bs_thread_pool_get_n_threads (model->pool);

        out->act = buf_acquire (model, value_size (model, op->out));

        /* Training keeps the conv output, so its tap does not stop the fusion. */
        if (model->training && i + 1 < model->ops->len && get_op (model, i + 1)->kind == BS_OP_BN &&
            get_op (model, i + 1)->in0 == op->out)
          bn = get_op (model, i + 1);
        else if (!model->training && next_fuses (model, i, BS_OP_BN, tap))
          bn = get_op (model, i + 1);
        else if (!model->training && next_fuses (model, i, BS_OP_BN, NULL) &&
                 !tap_wanted (model, tap, get_op (model, i + 1)->out))
          {
            /* The conv output is tapped but its batch norm is not (CKA derives
             * the norm's Gram from the conv's): the fused result goes to its
             * own buffer while the chunk is in cache, and the conv output stays. */
            bn = get_op (model, i + 1);
            own_buffer = TRUE;
          }

        if (bn && model->training)
          {
            for (guint t = 0; t < n_threads; t++)
              memset (bs_thread_pool_scratch (model->pool, t, BS_SCRATCH_STATS, 4 * op->conv.out_c),
                      0, 2 * op->conv.out_c * sizeof (double));
            hooks.forward_done = stats_chunk;
          }
        else if (bn && !model->training)
          {
            /* Fold BN (and what follows) into the chunk loop. */
            Buf *result = own_buffer ? buf_acquire (model, value_size (model, bn->out))
                                     : buf_ref (out->act);

            hd.bn = bn;
            bs_bn_eval_coeffs (op->conv.out_c, param_data (model, bn->param), param_data (model, bn->param + 1),
                               param_data (model, bn->param + 2), param_data (model, bn->param + 3),
                               bn->bn_scale, bn->bn_shift);
            ran = 2;
            if (next_fuses (model, i + 1, BS_OP_ADD, tap) &&
                (hd.add = add_other (model, i + 2, bn->out)) != NULL)
              ran = 3;
            if (next_fuses (model, i + ran - 1, BS_OP_RELU, tap))
              {
                hd.relu = TRUE;
                ran++;
              }
            else if (next_fuses (model, i + ran - 1, BS_OP_RELU, NULL))
              {
                /* The result is tapped (a block's sum, in CKA) and feeds a ReLU:
                 * both come out of the chunk while it is in cache. */
                BsOp *relu = get_op (model, i + ran);

                model->state[relu->out].act = buf_acquire (model, value_size (model, relu->out));
                hd.relu_dest = model->state[relu->out].act->data;
                relu_ran = TRUE;
              }
            hooks.forward_done = eval_chunk;
            hd.y = out->act->data;
            if (own_buffer)
              hd.dest = result->data;
            model->state[bn->out].act = result;
            for (guint j = 2; j < ran; j++)
              model->state[get_op (model, i + j)->out].act = buf_ref (result);
            if (relu_ran)
              ran++;
          }

        if (model->training)
          bs_conv_forward (&op->conv, model->pool, batch, act (model, op->in0),
                           param_data (model, op->param), out->act->data,
                           hooks.forward_done ? &hooks : NULL);
        else
          {
            if (op->conv_cache == NULL)
              op->conv_cache = bs_conv_weight_cache_new ();
            bs_conv_forward_inference (&op->conv, op->conv_cache, model->pool, batch,
                                       act (model, op->in0), param_data (model, op->param),
                                       out->act->data, hooks.forward_done ? &hooks : NULL);
          }

        if (bn && model->training)
          {
            /* Partial sums of all threads, in thread order. */
            for (guint c = 0; c < op->conv.out_c; c++)
              bn->bn_sum[c] = bn->bn_sumsq[c] = 0.0;
            for (guint t = 0; t < n_threads; t++)
              {
                double *stats = (double *) bs_thread_pool_scratch (model->pool, t, BS_SCRATCH_STATS,
                                                                   4 * op->conv.out_c);

                for (guint c = 0; c < op->conv.out_c; c++)
                  {
                    bn->bn_sum[c] += stats[c];
                    bn->bn_sumsq[c] += stats[op->conv.out_c + c];
                  }
              }
            bn->bn_sums_ready = TRUE;
          }
        return ran;
      }

    case BS_OP_BN:
      {
        guint c = info->channels;
        const float *add = NULL;
        gboolean relu = FALSE;
        guint ran = 1;

        if (model->training)
          {
            if (!op->bn_sums_ready)
              bs_bn_sums (model->pool, c, n_per_channel, act (model, op->in0), op->bn_sum, op->bn_sumsq);
            op->bn_sums_ready = FALSE;
            bs_bn_finish_stats (c, n_per_channel, op->bn_sum, op->bn_sumsq,
                                param_data (model, op->param), param_data (model, op->param + 1),
                                param_data (model, op->param + 2), param_data (model, op->param + 3),
                                op->bn_mean, op->bn_invstd, op->bn_scale, op->bn_shift);
          }
        else
          bs_bn_eval_coeffs (c, param_data (model, op->param), param_data (model, op->param + 1),
                             param_data (model, op->param + 2), param_data (model, op->param + 3),
                             op->bn_scale, op->bn_shift);

        if (next_fuses (model, i, BS_OP_ADD, tap) && (add = add_other (model, i + 1, op->out)) != NULL)
          ran = 2;
        if (next_fuses (model, i + ran - 1, BS_OP_RELU, tap))
          {
            relu = TRUE;
            ran++;
          }

        out->act = can_overwrite (model, op->in0) ? buf_ref (model->state[op->in0].act)
                                                  : buf_acquire (model, value_size (model, op->out));
        for (guint j = 1; j < ran; j++)
          model->state[get_op (model, i + j)->out].act = buf_ref (out->act);

        bs_bn_apply (model->pool, c, n_per_channel, act (model, op->in0), op->bn_scale, op->bn_shift,
                     add, relu, out->act->data);
        return ran;
      }

    case BS_OP_RELU:
      out->act = can_overwrite (model, op->in0) ? buf_ref (model->state[op->in0].act)
                                                : buf_acquire (model, value_size (model, op->out));
      bs_relu_forward (model->pool, value_size (model, op->out), act (model, op->in0), out->act->data);
      return 1;

    case BS_OP_ADD:
      {
        gboolean relu = next_fuses (model, i, BS_OP_RELU, tap);

        if (can_overwrite (model, op->in0))
          out->act = buf_ref (model->state[op->in0].act);
        else if (can_overwrite (model, op->in1))
          out->act = buf_ref (model->state[op->in1].act);
        else
          out->act = buf_acquire (model, value_size (model, op->out));
        if (relu)
          model->state[get_op (model, i + 1)->out].act = buf_ref (out->act);

        bs_add_forward (model->pool, value_size (model, op->out), act (model, op->in0),
                        act (model, op->in1), relu, out->act->data);
        return relu ? 2 : 1;
      }

    case BS_OP_MAXPOOL:
      {
        guint planes = info->channels * batch;
        guint32 *argmax = NULL;

        out->act = buf_acquire (model, value_size (model, op->out));
        if (model->training)
          {
            gsize need = (gsize) planes * op->pool.out_h * op->pool.out_w;

            if (op->argmax_size < need)
              {
                g_free (op->argmax);
                op->argmax = g_new (guint32, need);
                op->argmax_size = need;
              }
            argmax = op->argmax;
          }
        bs_maxpool_forward (&op->pool, model->pool, planes, act (model, op->in0), out->act->data, argmax);
        return 1;
      }

    case BS_OP_AVGPOOL:
      {
        const BsLayerInfo *x = bs_model_value_info (model, op->in0);

        out->act = buf_acquire (model, value_size (model, op->out));
        bs_avgpool_forward (model->pool, x->channels, batch, (gsize) x->height * x->width,
                            act (model, op->in0), out->act->data);
        return 1;
      }

    case BS_OP_FC:
      out->act = buf_acquire (model, value_size (model, op->out));
      bs_linear_forward (bs_model_value_info (model, op->in0)->channels, model->n_classes, batch,
                         act (model, op->in0), param_data (model, op->param),
                         param_data (model, op->param + 1), out->act->data);
      return 1;

    default:
      g_assert_not_reached ();
    }
}

typedef struct {
  const float *images;
  float       *x;
  guint        channels;
  guint        batch;
  gsize        hw;
} InputJob;

static void
input_share (gpointer data,
             guint    thread,
             guint    n_threads)
{
  InputJob *job = data;
  gsize c0, c1;

  bs_split_range (job->channels, n_threads, thread, &c0, &c1);
  for (gsize c = c0; c < c1; c++)
    for (guint n = 0; n < job->batch; n++)
      memcpy (job->x + (c * job->batch + n) * job->hw,
              job->images + ((gsize) n * job->channels + c) * job->hw, job->hw * sizeof (float));
}

/* One pass over a batch; logits go to logits_out (batch x classes). */
static void
forward_pass (BsModel     *model,
              const float *images,
              guint        batch,
              gboolean     training,
              BsTapFunc    tap,
              gpointer     user_data,
              float       *logits_out)
{
  guint n_values = model->layers->len;
  guint last = n_values - 1;
  InputJob input = { .images = images, .channels = model->in_c, .batch = batch,
                     .hw = (gsize) model->in_h * model->in_w };

  release_all (model);
  model->batch = batch;
  model->training = training;
  for (guint v = 0; v < n_values; v++)
    {
      model->state[v].fwd_uses = model->n_consumers[v];
      model->state[v].bwd_uses = training ? model->n_bwd_readers[v] : 0;
    }

  model->state[0].act = buf_acquire (model, value_size (model, 0));
  input.x = act (model, 0);
  bs_thread_pool_run (model->pool, input_share, &input);
  emit_tap (model, tap, user_data, 0);

  for (guint i = 0; i < model->ops->len;)
    {
      guint ran = forward_op (model, i, tap);

      for (guint j = i; j < i + ran; j++)
        {
          BsOp *op = get_op (model, j);

          emit_tap (model, tap, user_data, op->out);
          model->state[op->in0].fwd_uses--;
          release_act (model, op->in0);
          if (op->kind == BS_OP_ADD)
            {
              model->state[op->in1].fwd_uses--;
              release_act (model, op->in1);
            }
        }
      i += ran;
    }

  /* Logits leave in the caller's layout: batch x classes. */
  for (guint k = 0; k < model->n_classes; k++)
    for (guint n = 0; n < batch; n++)
      logits_out[(gsize) n * model->n_classes + k] = act (model, last)[(gsize) k * batch + n];
  release_act (model, last);
}

static gboolean
any_tap_wanted (BsModel   *model,
                BsTapFunc  tap)
{
  for (guint v = 0; tap && v < model->layers->len; v++)
    if (tap_wanted (model, tap, v))
      return TRUE;
  return FALSE;
}

const float *
bs_model_forward (BsModel      *model,
                  const float  *images,
                  guint         batch,
                  gboolean      training,
                  BsTapFunc     tap,
                  gpointer      user_data)
{
  guint sub = SUB_BATCH_PER_THREAD * bs_thread_pool_get_n_threads (model->pool);

  g_return_val_if_fail (batch > 0 && images != NULL, NULL);

  if (model->logits_capacity < (gsize) batch * model->n_classes)
    {
      bs_free_floats (model->logits);
      bs_free_floats (model->dlogits);
      model->logits_capacity = (gsize) batch * model->n_classes;
      model->logits = bs_alloc_floats (model->logits_capacity);
      model->dlogits = bs_alloc_floats (model->logits_capacity);
    }
  model->have_dlogits = FALSE;

  bs_blas_guard_enter ();

  if (!training && batch > sub && !any_tap_wanted (model, tap))
    {
      /* Evaluation treats every image on its own (BN uses running
       * statistics), so a batch can run in pieces whose activations stay in
       * cache between layers. Taps always see whole batches. */
      gsize image_size = (gsize) model->in_c * model->in_h * model->in_w;

      for (guint start = 0; start < batch; start += sub)
        forward_pass (model, images + start * image_size, MIN (sub, batch - start), FALSE,
                      NULL, NULL, model->logits + (gsize) start * model->n_classes);
    }
  else
    forward_pass (model, images, batch, training, tap, user_data, model->logits);
  model->batch = batch;

  if (training)
    {
      model->batches_tracked++;
      model->can_backward = TRUE;
    }
  else
    release_all (model);

  bs_blas_guard_leave ();
  return model->logits;
}

float
bs_model_loss (BsModel      *model,
               const guint8 *labels)
{
  g_return_val_if_fail (model->logits != NULL && model->batch > 0, NAN);
  for (guint n = 0; n < model->batch; n++)
    g_return_val_if_fail (labels[n] < model->n_classes, NAN);

  model->have_dlogits = TRUE;
  return bs_softmax_xent (model->batch, model->n_classes, model->logits, labels, model->dlogits);
}

/* ---- backward ------------------------------------------------------------- */

/* Makes v's gradient buffer exclusively v's (copying it if shared). */
static Buf *
grad_exclusive (BsModel *model,
                guint    v)
{
  ValueState *s = &model->state[v];

  if (s->grad->refs > 1)
    {
      Buf *copy = buf_acquire (model, value_size (model, v));

      bs_copy (model->pool, value_size (model, v), s->grad->data, copy->data);
      buf_unref (model, s->grad);
      s->grad = copy;
    }
  return s->grad;
}

/* Adds a gradient contribution to value v (taking over one reference to g). */
static void
give_grad (BsModel *model,
           guint    v,
           Buf     *g)
{
  ValueState *s = &model->state[v];

  if (s->grad == NULL)
    {
      s->grad = g;
      return;
    }
  bs_add_inplace (model->pool, value_size (model, v), grad_exclusive (model, v)->data, g->data);
  buf_unref (model, g);
}

/* The buffer an in-place backward step may write: dy's own if nobody shares it. */
static Buf *
grad_target (BsModel *model,
             guint    out,
             guint    in)
{
  Buf *dy = model->state[out].grad;

  if (dy->refs == 1)
    return buf_ref (dy);
  return buf_acquire (model, value_size (model, in));
}

typedef struct {
  BsOp        *bn;
  guint        channels;
  const float *dy;   /* BN output gradient */
  const float *x;    /* BN input = conv output */
  gsize        ld;
} MakeDyData;

/* The BN backward step, chunk by chunk, as the convolution's output gradient. */
static void
bn_make_dy (gpointer data,
            guint    thread,
            float   *dst,
            gsize    col0,
            gsize    ncols)
{
  MakeDyData *d = data;

  for (guint c = 0; c < d->channels; c++)
    bs_bn_row_backward_apply (d->dy + c * d->ld + col0, d->x + c * d->ld + col0, ncols,
                              d->bn->bn_k1[c], d->bn->bn_k2[c], d->bn->bn_k3[c], dst + c * ncols);
}

/* The BN -> ReLU pair that produced value v, when v feeds only one
 * operation and the BN output only the ReLU; NULL otherwise. */
static BsOp *
bn_relu_producer (BsModel *model,
                  guint    v)
{
  BsOp *relu, *bn;

  if (v == 0)
    return NULL;
  relu = get_op (model, v - 1);
  if (relu->kind != BS_OP_RELU || model->n_consumers[v] != 1 || relu->in0 == 0)
    return NULL;
  bn = get_op (model, relu->in0 - 1);
  if (bn->kind != BS_OP_BN || model->n_consumers[bn->out] != 1)
    return NULL;
  return bn;
}

typedef struct {
  BsModel     *model;
  MakeDyData   md;          /* BN backward of this conv's output, when fused */
  BsOp        *below;       /* BN (-> ReLU) below the conv's input, when fused */
  const float *relu_out;    /* that ReLU's output (the conv's input) */
  const float *bn_in;       /* that BN's input */
} ConvBackwardCtx;

static void
ctx_make_dy (gpointer data,
             guint    thread,
             float   *dst,
             gsize    col0,
             gsize    ncols)
{
  ConvBackwardCtx *ctx = data;

  bn_make_dy (&ctx->md, thread, dst, col0, ncols);
}

/* Each finished chunk of the input gradient is the ReLU's output gradient:
 * mask it and gather the BN backward sums while it is in cache (per thread,
 * merged in thread order afterwards). */
static void
ctx_backward_done (gpointer data,
                   guint    thread,
                   float   *p,
                   gsize    ld,
                   guint    n_rows,
                   gsize    col0,
                   gsize    ncols)
{
  ConvBackwardCtx *ctx = data;
  double *stats = (double *) bs_thread_pool_scratch (ctx->model->pool, thread, BS_SCRATCH_STATS, 4 * n_rows);

  for (guint r = 0; r < n_rows; r++)
    bs_bn_row_backward_sums (p + r * ld, ctx->relu_out + r * ld + col0, ctx->bn_in + r * ld + col0,
                             ncols, ctx->below->bn_mean[r], &stats[r], &stats[n_rows + r]);
}

static void
conv_backward (BsModel          *model,
               BsOp             *op,
               const float      *dy,
               const MakeDyData *md)
{
  ConvBackwardCtx ctx = { .model = model };
  BsConvHooks hooks = { .data = &ctx };
  float *dx = NULL;
  gboolean accumulate = FALSE;
  guint n_threads = bs_thread_pool_get_n_threads (model->pool);

  if (md)
    {
      ctx.md = *md;
      hooks.make_dy = ctx_make_dy;
    }

  if (op->in0 != 0)
    {
      ValueState *in = &model->state[op->in0];

      if (in->grad)
        {
          dx = grad_exclusive (model, op->in0)->data;
          accumulate = TRUE;
        }
      else
        {
          in->grad = buf_acquire (model, value_size (model, op->in0));
          dx = in->grad->data;
          /* The whole gradient of a ReLU output arrives here: fuse the layers below. */
          ctx.below = bn_relu_producer (model, op->in0);
        }
    }

  if (ctx.below)
    {
      for (guint t = 0; t < n_threads; t++)
        memset (bs_thread_pool_scratch (model->pool, t, BS_SCRATCH_STATS, 4 * op->conv.in_c),
                0, 2 * op->conv.in_c * sizeof (double));
      ctx.relu_out = act (model, op->in0);
      ctx.bn_in = act (model, ctx.below->in0);
      hooks.backward_done = ctx_backward_done;
    }

  bs_conv_backward (&op->conv, model->pool, model->batch, act (model, op->in0),
                    param_data (model, op->param), dy, param_grad (model, op->param),
                    dx, accumulate, hooks.make_dy || hooks.backward_done ? &hooks : NULL);

  if (ctx.below)
    {
      BsOp *bn = ctx.below;
      guint c = op->conv.in_c;

      for (guint k = 0; k < c; k++)
        bn->bn_sum[k] = bn->bn_sumsq[k] = 0.0;
      for (guint t = 0; t < n_threads; t++)
        {
          double *stats = (double *) bs_thread_pool_scratch (model->pool, t, BS_SCRATCH_STATS, 4 * c);

          for (guint k = 0; k < c; k++)
            {
              bn->bn_sum[k] += stats[k];
              bn->bn_sumsq[k] += stats[c + k];
            }
        }
      bn->bn_bwd_ready = TRUE;
    }
}

/* Backward of op i, possibly together with its predecessors; returns the
 * index of the first op handled. */
static guint
backward_op (BsModel *model,
             guint    i)
{
  BsOp *op = get_op (model, i);
  guint batch = model->batch;
  const BsLayerInfo *info = &g_array_index (model->layers, BsLayerInfo, op->out);
  gsize n_per_channel = (gsize) batch * info->height * info->width;
  ValueState *out = &model->state[op->out];
  guint first = i;

  g_assert (out->grad != NULL);

  switch (op->kind)
    {
    case BS_OP_RELU:
    case BS_OP_BN:
      {
        BsOp *relu = NULL, *bn = op;
        BsOp *conv = NULL;
        guint c = info->channels;
        Buf *dy;

        /* ReLU directly after a BN that feeds nothing else: mask inside the BN sums. */
        if (op->kind == BS_OP_RELU)
          {
            BsOp *prev = i > 0 ? get_op (model, i - 1) : NULL;

            if (prev == NULL || prev->kind != BS_OP_BN || prev->out != op->in0 ||
                model->n_consumers[prev->out] != 1)
              {
                BsOp *add = op->in0 > 0 ? get_op (model, op->in0 - 1) : NULL;
                Buf *dx;

                /* ReLU after a residual add of a BN output: the BN's backward
                 * sums read this very gradient, so gather them while masking. */
                if (add && add->kind == BS_OP_ADD && out->grad->refs == 1)
                  {
                    guint v = model->n_consumers[add->in0] == 1 && add->in0 > 0 &&
                              get_op (model, add->in0 - 1)->kind == BS_OP_BN ? add->in0 : add->in1;
                    BsOp *bn2 = v > 0 ? get_op (model, v - 1) : NULL;

                    if (bn2 && bn2->kind == BS_OP_BN && model->n_consumers[v] == 1)
                      {
                        bs_bn_backward_sums (model->pool, c, n_per_channel, out->grad->data,
                                             act (model, op->out), act (model, bn2->in0),
                                             bn2->bn_mean, bn2->bn_sum, bn2->bn_sumsq);
                        bn2->bn_bwd_ready = TRUE;
                        give_grad (model, op->in0, buf_ref (out->grad));
                        return i;
                      }
                  }

                dx = grad_target (model, op->out, op->in0);

                bs_relu_backward (model->pool, value_size (model, op->out), act (model, op->out),
                                  out->grad->data, dx->data);
                give_grad (model, op->in0, dx);
                return i;
              }
            relu = op;
            bn = prev;
            first = i - 1;
            /* The mask is written into dy: it must be ours alone. (When the
             * conv above already masked it, it is ours anyway.) */
            dy = grad_exclusive (model, relu->out);
          }
        else
          dy = out->grad;

        if (first > 0)
          {
            BsOp *prev = get_op (model, first - 1);

            if (prev->kind == BS_OP_CONV && prev->out == bn->in0 && model->n_consumers[prev->out] == 1)
              conv = prev;
          }

        if (!bn->bn_bwd_ready)
          bs_bn_backward_sums (model->pool, c, n_per_channel, dy->data,
                               relu ? act (model, relu->out) : NULL, act (model, bn->in0),
                               bn->bn_mean, bn->bn_sum, bn->bn_sumsq);
        bn->bn_bwd_ready = FALSE;
        bs_bn_finish_backward (c, n_per_channel, bn->bn_sum, bn->bn_sumsq,
                               param_data (model, bn->param), bn->bn_mean, bn->bn_invstd,
                               param_grad (model, bn->param), param_grad (model, bn->param + 1),
                               bn->bn_k1, bn->bn_k2, bn->bn_k3);

        if (conv)
          {
            /* The convolution pulls BN's input gradient chunk by chunk. */
            MakeDyData md = { .bn = bn, .channels = c, .dy = dy->data, .x = act (model, bn->in0),
                              .ld = n_per_channel };

            conv_backward (model, conv, NULL, &md);
            return first - 1;
          }
        else
          {
            Buf *dx = dy->refs == 1 ? buf_ref (dy) : buf_acquire (model, value_size (model, bn->in0));

            bs_bn_backward_apply (model->pool, c, n_per_channel, dy->data, act (model, bn->in0),
                                  bn->bn_k1, bn->bn_k2, bn->bn_k3, dx->data);
            give_grad (model, bn->in0, dx);
            return first;
          }
      }

    case BS_OP_CONV:
      conv_backward (model, op, out->grad->data, NULL);
      return i;

    case BS_OP_ADD:
      give_grad (model, op->in0, buf_ref (out->grad));
      give_grad (model, op->in1, buf_ref (out->grad));
      return i;

    case BS_OP_MAXPOOL:
      {
        Buf *dx = buf_acquire (model, value_size (model, op->in0));

        bs_maxpool_backward (&op->pool, model->pool, info->channels * batch, out->grad->data,
                             op->argmax, dx->data);
        give_grad (model, op->in0, dx);
        return i;
      }

    case BS_OP_AVGPOOL:
      {
        const BsLayerInfo *x = bs_model_value_info (model, op->in0);
        Buf *dx = buf_acquire (model, value_size (model, op->in0));

        bs_avgpool_backward (model->pool, x->channels, batch, (gsize) x->height * x->width,
                             out->grad->data, dx->data);
        give_grad (model, op->in0, dx);
        return i;
      }

    case BS_OP_FC:
      {
        Buf *dx = buf_acquire (model, value_size (model, op->in0));

        bs_linear_backward (bs_model_value_info (model, op->in0)->channels, model->n_classes, batch,
                            act (model, op->in0), param_data (model, op->param), out->grad->data,
                            param_grad (model, op->param), param_grad (model, op->param + 1), dx->data);
        give_grad (model, op->in0, dx);
        return i;
      }

    default:
      g_assert_not_reached ();
    }
}

void
bs_model_backward (BsModel *model)
{
  guint last = model->layers->len - 1;
  guint batch = model->batch;
  float *dl;

  g_return_if_fail (model->can_backward && model->have_dlogits);

  bs_blas_guard_enter ();

  model->state[last].grad = buf_acquire (model, value_size (model, last));
  dl = model->state[last].grad->data;
  for (guint n = 0; n < batch; n++)
    for (guint k = 0; k < model->n_classes; k++)
      dl[(gsize) k * batch + n] = model->dlogits[(gsize) n * model->n_classes + k];

  for (gint i = (gint) model->ops->len - 1; i >= 0;)
    {
      guint first = backward_op (model, i);

      /* Release what the handled ops no longer need: their output gradients
       * and the activations they read. */
      for (guint j = first; j <= (guint) i; j++)
        {
          BsOp *op = get_op (model, j);
          ValueState *out = &model->state[op->out];

          if (out->grad)
            {
              buf_unref (model, out->grad);
              out->grad = NULL;
            }
          if (op->kind == BS_OP_CONV || op->kind == BS_OP_BN || op->kind == BS_OP_FC)
            {
              model->state[op->in0].bwd_uses--;
              release_act (model, op->in0);
            }
          if (op->kind == BS_OP_RELU)
            {
              out->bwd_uses--;
              release_act (model, op->out);
            }
        }
      i = (gint) first - 1;
    }

  release_all (model);
  bs_blas_guard_leave ();
}
