/* bs-model-backward.c: the loss and the backward pass of the last training forward.
 *
 * Operations are visited in reverse, each adding its input gradients into
 * buffers from the model's free list (bs-model-buffers.c), in place where
 * nothing else shares them. Fused:
 *   ReLU -> BN sums: one pass (also a ReLU after a residual add of a BN output)
 *   BN's input gradient is produced chunk by chunk inside the convolution's
 *   backward pass and never stored
 *   a convolution's input gradient, when it is a ReLU's whole output gradient,
 *   gets the ReLU mask and the BN sums below it while each chunk is in cache */
#include "bs-model-private.h"

#include <math.h>
#include <string.h>

#include "bs-batchnorm.h"
#include "bs-blas.h"
#include "bs-linear.h"
#include "bs-relu.h"
#include "bs-softmax-xent.h"

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

/* What backward_op () returns when a buffer cannot be had. */
#define BACKWARD_FAILED G_MAXUINT

/* Makes v's gradient buffer exclusively v's (copying it if shared); NULL
 * when the copy cannot be had. */
static BsBuf *
grad_exclusive (BsModel *model,
                guint    v)
{
  BsValueState *s = &model->state[v];

  if (s->grad->refs > 1)
    {
      BsBuf *copy = bs_model_buf_acquire (model, v);

      if (copy == NULL)
        return NULL;
      bs_copy (model->pool, bs_model_value_size (model, v), s->grad->data, copy->data);
      bs_model_buf_unref (model, s->grad);
      s->grad = copy;
    }
  return s->grad;
}

/* Adds a gradient contribution to value v (taking over one reference to g,
 * which may be NULL: a buffer that could not be had). FALSE when a buffer
 * cannot be had. */
static gboolean
give_grad (BsModel *model,
           guint    v,
           BsBuf   *g)
{
  BsValueState *s = &model->state[v];
  BsBuf *mine;

  if (g == NULL)
    return FALSE;
  if (s->grad == NULL)
    {
      s->grad = g;
      return TRUE;
    }
  mine = grad_exclusive (model, v);
  if (mine != NULL)
    bs_add_inplace (model->pool, bs_model_value_size (model, v), mine->data, g->data);
  bs_model_buf_unref (model, g);
  return mine != NULL;
}

/* The buffer an in-place backward step may write: dy's own if nobody shares
 * it (NULL when a new one cannot be had). */
static BsBuf *
grad_target (BsModel *model,
             guint    out,
             guint    in)
{
  BsBuf *dy = model->state[out].grad;

  if (dy->refs == 1)
    return bs_model_buf_ref (dy);
  return bs_model_buf_acquire (model, in);
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
  relu = bs_model_op (model, v - 1);
  if (relu->kind != BS_OP_RELU || model->n_consumers[v] != 1 || relu->in0 == 0)
    return NULL;
  bn = bs_model_op (model, relu->in0 - 1);
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
                   guint    row0,
                   guint    n_rows,
                   gsize    col0,
                   gsize    ncols)
{
  ConvBackwardCtx *ctx = data;
  double *stats = bs_bn_partial_sums (ctx->model->pool, thread, n_rows);

  g_assert (row0 == 0);   /* the backward pass splits columns only */

  for (guint r = 0; r < n_rows; r++)
    bs_bn_row_backward_sums (p + r * ld, ctx->relu_out + r * ld + col0, ctx->bn_in + r * ld + col0,
                             ncols, ctx->below->bn_mean[r], &stats[r], &stats[n_rows + r]);
}

/* FALSE when a buffer cannot be had. */
static gboolean
conv_backward (BsModel          *model,
               BsOp             *op,
               const float      *dy,
               const MakeDyData *md)
{
  ConvBackwardCtx ctx = { .model = model };
  BsConvHooks hooks = { .data = &ctx };
  float *dx = NULL;
  gboolean accumulate = FALSE;

  if (md)
    {
      ctx.md = *md;
      hooks.make_dy = ctx_make_dy;
    }

  if (op->in0 != 0)
    {
      BsValueState *in = &model->state[op->in0];

      if (in->grad)
        {
          BsBuf *mine = grad_exclusive (model, op->in0);

          if (mine == NULL)
            return FALSE;
          dx = mine->data;
          accumulate = TRUE;
        }
      else
        {
          in->grad = bs_model_buf_acquire (model, op->in0);
          if (in->grad == NULL)
            return FALSE;
          dx = in->grad->data;
          /* The whole gradient of a ReLU output arrives here: fuse the layers below. */
          ctx.below = bn_relu_producer (model, op->in0);
        }
    }

  if (ctx.below)
    {
      bs_bn_partial_sums_clear (model->pool, op->conv.in_c);
      ctx.relu_out = bs_model_act (model, op->in0);
      ctx.bn_in = bs_model_act (model, ctx.below->in0);
      hooks.backward_done = ctx_backward_done;
    }

  if (!bs_conv_reserve_backward (&op->conv, model->pool, model->batch, dx != NULL, md != NULL,
                                 &model->failed_bytes))
    return FALSE;
  bs_conv_backward (&op->conv, model->pool, model->batch, bs_model_act (model, op->in0),
                    bs_model_param_data (model, op->param), dy, bs_model_param_grad (model, op->param),
                    dx, accumulate, hooks.make_dy || hooks.backward_done ? &hooks : NULL);

  if (ctx.below)
    {
      bs_bn_partial_sums_merge (model->pool, op->conv.in_c, ctx.below->bn_sum, ctx.below->bn_sumsq);
      ctx.below->bn_bwd_ready = TRUE;
    }
  return TRUE;
}

/* Backward of op i, possibly together with its predecessors; returns the
 * index of the first op handled, or BACKWARD_FAILED. */
static guint
backward_op (BsModel *model,
             guint    i)
{
  BsOp *op = bs_model_op (model, i);
  guint batch = model->batch;
  const BsLayerInfo *info = &g_array_index (model->layers, BsLayerInfo, op->out);
  gsize n_per_channel = (gsize) batch * info->height * info->width;
  BsValueState *out = &model->state[op->out];
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
        BsBuf *dy;

        /* ReLU directly after a BN that feeds nothing else: mask inside the BN sums. */
        if (op->kind == BS_OP_RELU)
          {
            BsOp *prev = i > 0 ? bs_model_op (model, i - 1) : NULL;

            if (prev == NULL || prev->kind != BS_OP_BN || prev->out != op->in0 ||
                model->n_consumers[prev->out] != 1)
              {
                BsOp *add = op->in0 > 0 ? bs_model_op (model, op->in0 - 1) : NULL;
                BsBuf *dx;

                /* ReLU after a residual add of a BN output: the BN's backward
                 * sums read this very gradient, so gather them while masking. */
                if (add && add->kind == BS_OP_ADD && out->grad->refs == 1)
                  {
                    guint v = model->n_consumers[add->in0] == 1 && add->in0 > 0 &&
                              bs_model_op (model, add->in0 - 1)->kind == BS_OP_BN ? add->in0 : add->in1;
                    BsOp *bn2 = v > 0 ? bs_model_op (model, v - 1) : NULL;

                    if (bn2 && bn2->kind == BS_OP_BN && model->n_consumers[v] == 1)
                      {
                        bs_bn_backward_sums (model->pool, c, n_per_channel, out->grad->data,
                                             bs_model_act (model, op->out),
                                             bs_model_act (model, bn2->in0),
                                             bn2->bn_mean, bn2->bn_sum, bn2->bn_sumsq);
                        bn2->bn_bwd_ready = TRUE;
                        return give_grad (model, op->in0, bs_model_buf_ref (out->grad))
                               ? i : BACKWARD_FAILED;
                      }
                  }

                dx = grad_target (model, op->out, op->in0);
                if (dx == NULL)
                  return BACKWARD_FAILED;

                bs_relu_backward (model->pool, bs_model_value_size (model, op->out),
                                  bs_model_act (model, op->out), out->grad->data, dx->data);
                return give_grad (model, op->in0, dx) ? i : BACKWARD_FAILED;
              }
            relu = op;
            bn = prev;
            first = i - 1;
            /* The mask is written into dy: it must be ours alone. (When the
             * conv above already masked it, it is ours anyway.) */
            dy = grad_exclusive (model, relu->out);
            if (dy == NULL)
              return BACKWARD_FAILED;
          }
        else
          dy = out->grad;

        if (first > 0)
          {
            BsOp *prev = bs_model_op (model, first - 1);

            if (prev->kind == BS_OP_CONV && prev->out == bn->in0 && model->n_consumers[prev->out] == 1)
              conv = prev;
          }

        if (!bn->bn_bwd_ready)
          bs_bn_backward_sums (model->pool, c, n_per_channel, dy->data,
                               relu ? bs_model_act (model, relu->out) : NULL,
                               bs_model_act (model, bn->in0), bn->bn_mean, bn->bn_sum, bn->bn_sumsq);
        bn->bn_bwd_ready = FALSE;
        bs_bn_finish_backward (c, n_per_channel, bn->bn_sum, bn->bn_sumsq,
                               bs_model_param_data (model, bn->param), bn->bn_mean, bn->bn_invstd,
                               bs_model_param_grad (model, bn->param),
                               bs_model_param_grad (model, bn->param + 1),
                               bn->bn_k1, bn->bn_k2, bn->bn_k3);

        if (conv)
          {
            /* The convolution pulls BN's input gradient chunk by chunk. */
            MakeDyData md = { .bn = bn, .channels = c, .dy = dy->data,
                              .x = bs_model_act (model, bn->in0), .ld = n_per_channel };

            return conv_backward (model, conv, NULL, &md) ? first - 1 : BACKWARD_FAILED;
          }
        else
          {
            BsBuf *dx = dy->refs == 1 ? bs_model_buf_ref (dy)
                                      : bs_model_buf_acquire (model, bn->in0);

            if (dx == NULL)
              return BACKWARD_FAILED;
            bs_bn_backward_apply (model->pool, c, n_per_channel, dy->data, bs_model_act (model, bn->in0),
                                  bn->bn_k1, bn->bn_k2, bn->bn_k3, dx->data);
            return give_grad (model, bn->in0, dx) ? first : BACKWARD_FAILED;
          }
      }

    case BS_OP_CONV:
      return conv_backward (model, op, out->grad->data, NULL) ? i : BACKWARD_FAILED;

    case BS_OP_ADD:
      return give_grad (model, op->in0, bs_model_buf_ref (out->grad)) &&
             give_grad (model, op->in1, bs_model_buf_ref (out->grad)) ? i : BACKWARD_FAILED;

    case BS_OP_MAXPOOL:
      {
        BsBuf *dx = bs_model_buf_acquire (model, op->in0);

        if (dx == NULL)
          return BACKWARD_FAILED;
        bs_maxpool_backward (&op->pool, model->pool, info->channels * batch, out->grad->data,
                             op->argmax, dx->data);
        return give_grad (model, op->in0, dx) ? i : BACKWARD_FAILED;
      }

    case BS_OP_AVGPOOL:
      {
        const BsLayerInfo *x = bs_model_value_info (model, op->in0);
        BsBuf *dx = bs_model_buf_acquire (model, op->in0);

        if (dx == NULL)
          return BACKWARD_FAILED;
        bs_avgpool_backward (model->pool, x->channels, batch, (gsize) x->height * x->width,
                             out->grad->data, dx->data);
        return give_grad (model, op->in0, dx) ? i : BACKWARD_FAILED;
      }

    case BS_OP_FC:
      {
        BsBuf *dx = bs_model_buf_acquire (model, op->in0);

        if (dx == NULL)
          return BACKWARD_FAILED;
        bs_linear_backward (bs_model_value_info (model, op->in0)->channels, model->n_classes, batch,
                            bs_model_act (model, op->in0), bs_model_param_data (model, op->param),
                            out->grad->data, bs_model_param_grad (model, op->param),
                            bs_model_param_grad (model, op->param + 1), dx->data);
        return give_grad (model, op->in0, dx) ? i : BACKWARD_FAILED;
      }

    default:
      g_assert_not_reached ();
    }
}

gboolean
bs_model_try_backward (BsModel  *model,
                       GError  **error)
{
  guint last = model->layers->len - 1;
  guint batch = model->batch;
  gboolean ok = TRUE;
  float *dl;

  g_return_val_if_fail (model->can_backward && model->have_dlogits, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  bs_blas_guard_enter ();

  model->state[last].grad = bs_model_buf_acquire (model, last);
  ok = model->state[last].grad != NULL;
  dl = ok ? model->state[last].grad->data : NULL;
  for (guint n = 0; ok && n < batch; n++)
    for (guint k = 0; k < model->n_classes; k++)
      dl[(gsize) k * batch + n] = model->dlogits[(gsize) n * model->n_classes + k];

  for (gint i = (gint) model->ops->len - 1; ok && i >= 0;)
    {
      guint first = backward_op (model, i);

      if (first == BACKWARD_FAILED)
        {
          ok = FALSE;
          break;
        }
      /* Release what the handled ops no longer need: their output gradients
       * and the activations they read. */
      for (guint j = first; j <= (guint) i; j++)
        {
          BsOp *op = bs_model_op (model, j);
          BsValueState *out = &model->state[op->out];

          if (out->grad)
            {
              bs_model_buf_unref (model, out->grad);
              out->grad = NULL;
            }
          if (op->kind == BS_OP_CONV || op->kind == BS_OP_BN || op->kind == BS_OP_FC)
            {
              model->state[op->in0].bwd_uses--;
              bs_model_release_act (model, op->in0);
            }
          if (op->kind == BS_OP_RELU)
            {
              out->bwd_uses--;
              bs_model_release_act (model, op->out);
            }
        }
      i = (gint) first - 1;
    }

  if (!ok)
    bs_model_set_memory_error (model, error);
  bs_model_release_values (model);
  bs_blas_guard_leave ();
  return ok;
}

void
bs_model_backward (BsModel *model)
{
  g_autoptr(GError) error = NULL;

  if (!bs_model_try_backward (model, &error))
    g_error ("%s", error->message);
}
