/* bs-model-builder.c: building a model's graph and parameters, copying and freeing it.
 *
 * The builders (bs-model-builder.h) append operations, values and parameter
 * slots; bs_model_builder_finish() allocates the parameters in two aligned
 * blocks (values and gradients) and counts who reads each value, which the
 * passes use to give buffers back and to fuse operations. */
#include "bs-model-private.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "bs-error.h"

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
    .stage = BS_LAYER_STAGE_STEM, .block = BS_MODEL_NO_BLOCK,
  };

  model->name = g_strdup (name);
  model->in_c = in_channels;
  model->in_h = in_height;
  model->in_w = in_width;
  model->n_classes = n_classes;
  model->layers = g_array_new (FALSE, TRUE, sizeof (BsLayerInfo));
  model->ops = g_array_new (FALSE, TRUE, sizeof (BsOp));
  model->params = g_array_new (FALSE, TRUE, sizeof (BsParam));
  model->slots = g_array_new (FALSE, TRUE, sizeof (BsParamSlot));
  model->bufs = g_ptr_array_new_with_free_func (bs_model_buf_free);
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
  BsParamSlot slot;
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
                   /* Translators: a layer's name (layer1.0.conv1), the kernel size and the input
                    * size. */
                   _("%s: a %ux%u convolution does not fit a %ux%u input"), name,
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
                   /* Translators: a layer's name (layer1.0.add), then two shapes (channels x height
                    * x width). */
                   _("%s: cannot add %ux%ux%u and %ux%ux%u"), name,
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
                   /* Translators: a layer's name (maxpool), the kernel size and the input size. */
                   _("%s: a %ux%u max-pool does not fit a %ux%u input"), name,
                   kernel, kernel, x->height, x->width);
      return 0;
    }

  op = add_op (model, BS_OP_MAXPOOL, in, 0, 0);
  op->pool = g;
  op->out = add_value (model, name, BS_LAYER_MAXPOOL, c, g.out_h, g.out_w, stage, BS_MODEL_NO_BLOCK,
                       FALSE);
  return op->out;
}

guint
bs_model_add_avgpool (BsModel    *model,
                      guint       in,
                      const char *name)
{
  guint c = bs_model_value_info (model, in)->channels;
  BsOp *op = add_op (model, BS_OP_AVGPOOL, in, 0, 0);

  op->out = add_value (model, name, BS_LAYER_AVGPOOL, c, 1, 1, BS_LAYER_STAGE_HEAD, BS_MODEL_NO_BLOCK,
                       FALSE);
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
  op->out = add_value (model, name, BS_LAYER_FC, model->n_classes, 1, 1, BS_LAYER_STAGE_HEAD,
                       BS_MODEL_NO_BLOCK, FALSE);
  return op->out;
}

/* Zeroed and 64-byte aligned, or NULL when it does not fit. calloc leaves
 * large blocks as untouched zero pages, so building a big model costs
 * nothing until it is used. */
static float *
try_alloc_zeroed (gsize     n_floats,
                  gpointer *block)
{
  guintptr p;

  if (n_floats > (G_MAXSIZE - 64) / sizeof (float))
    return NULL;
  *block = calloc (n_floats * sizeof (float) + 64, 1);
  if (*block == NULL)
    return NULL;
  p = ((guintptr) *block + 63) & ~(guintptr) 63;
  return (float *) p;
}

gboolean
bs_model_builder_check_size (BsModel  *model,
                             GError  **error)
{
  /* The sizes come from an architecture's name, which a file can give. */
  if (model->n_data > BS_MODEL_MAX_PARAMS || model->n_grad > BS_MODEL_MAX_PARAMS)
    {
      g_autofree char *count = g_strdup_printf ("%" G_GSIZE_FORMAT, model->n_data);

      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   /* Translators: a model name and its number of parameters. */
                   _("Model '%s' is too large: %s parameters do not fit in memory"),
                   model->name, count);
      return FALSE;
    }
  return TRUE;
}

gboolean
bs_model_builder_finish (BsModel  *model,
                         GError  **error)
{
  guint n_values = model->layers->len;

  if (!bs_model_builder_check_size (model, error))
    return FALSE;
  model->param_data = try_alloc_zeroed (model->n_data, &model->param_block);
  model->grad_data = model->param_data ? try_alloc_zeroed (model->n_grad, &model->grad_block) : NULL;
  if (model->grad_data == NULL)
    {
      guint64 bytes = ((guint64) model->n_data + model->n_grad) * sizeof (float);
      g_autofree char *size = g_format_size (bytes);

      g_set_error (error, BS_ERROR, BS_ERROR_FAILED,
                   /* Translators: a model name, then an amount of memory ("465.6 MB"). */
                   _("Not enough memory for the weights of %s and their gradients (%s)"),
                   model->name, size);
      return FALSE;
    }

  for (guint i = 0; i < model->params->len; i++)
    {
      BsParam *p = &g_array_index (model->params, BsParam, i);
      BsParamSlot *slot = &g_array_index (model->slots, BsParamSlot, i);

      p->data = model->param_data + slot->data_offset;
      p->grad = slot->grad_offset == G_MAXSIZE ? NULL : model->grad_data + slot->grad_offset;
    }

  /* Who reads what: forward consumers, and the activations backward needs
   * (conv, BN and fc inputs; ReLU outputs). */
  model->n_consumers = g_new0 (gint, n_values);
  model->n_bwd_readers = g_new0 (gint, n_values);
  model->state = g_new0 (BsValueState, n_values);
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
  return TRUE;
}

void
bs_model_free (BsModel *model)
{
  if (model == NULL)
    return;

  if (model->state)
    bs_model_release_values (model);
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
  g_free (model->input_mean);
  g_free (model->input_std);
  bs_model_clear_plans (model);
  g_free (model->name);
  g_free (model);
}

BsModel *
bs_model_copy (BsModel *model)
{
  const BsLayerInfo *in;
  g_autoptr(GError) error = NULL;
  BsEngineConfig config;
  BsModel *copy;

  g_return_val_if_fail (model != NULL, NULL);

  in = bs_model_value_info (model, 0);
  config = *bs_thread_pool_get_config (model->pool);
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
  /* The original's parameters fit in memory once; a second copy that does
   * not is the process running out of memory, not a bad file. */
  if (!bs_model_builder_finish (copy, &error))
    g_error ("%s", error->message);
  g_assert (copy->n_data == model->n_data && copy->params->len == model->params->len);

  memcpy (copy->param_data, model->param_data, model->n_data * sizeof (float));
  copy->batches_tracked = model->batches_tracked;
  bs_model_set_input_normalization (copy, model->input_mean, model->input_std);
  /* Its own pool, of one thread: a pool runs one job's work at a time. */
  config.threads = 1;
  bs_thread_pool_unref (copy->pool);
  copy->pool = bs_thread_pool_new_for_config (&config);
  return copy;
}
