/* bs-model-forward.c: the forward pass.
 *
 * Operations run in order, each writing its value into a buffer from the
 * model's free list (bs-model-buffers.c), and neighbouring operations are
 * fused where that saves a pass over memory:
 *   conv -> BN statistics (training), gathered per chunk while the output is in cache
 *   BN -> ReLU, BN -> add -> ReLU, add -> ReLU: one pass
 *   evaluation: conv -> BN (-> add) (-> ReLU) applied per chunk in cache
 * A fusion is skipped when a tap asks for the intermediate value. Which
 * operations fuse is decided once per mode and tap mask, in the model's
 * fusion plan (bs-model-plan.c); a pass runs the plan's steps. */
#include "bs-model-private.h"

#include <string.h>

#include "bs-batchnorm.h"
#include "bs-blas.h"
#include "bs-linear.h"
#include "bs-relu.h"

/* Images per thread in one piece of an evaluation pass without taps: small
 * enough that the activations stay in the caches, large enough that every
 * piece does not stream all the weights again for a few images and that
 * each layer's work splits evenly between threads. Measured on Zen 5, 1 and
 * 2 threads, against 8 (the best for ResNet-20 on one thread, where 8-32
 * are alike): ResNet-56 1.06x and 1.31x, ImageNet ResNet-50 at 32 x 32
 * 1.34x and 1.23x, ResNet-101 1.47x and 1.38x; 64 and 128 gain 0-5 % more
 * on ResNet-50 and lose on ResNet-56. */
#define SUB_BATCH_PER_THREAD 32

static void
emit_tap (BsModel             *model,
          const BsForwardPlan *plan,
          BsTapFunc            tap,
          gpointer             user_data,
          guint                v)
{
  if (!plan->tapped[v])
    return;
  tap (&g_array_index (model->layers, BsLayerInfo, v), v, bs_model_act (model, v), model->batch,
       user_data);
}

/* Can an operation reading v (as its last reader) overwrite v's buffer? */
static gboolean
can_overwrite (BsModel *model,
               guint    v)
{
  BsValueState *s = &model->state[v];

  return s->fwd_uses == 1 && s->bwd_uses == 0 && s->act->refs == 1;
}

/* The other summand of the add at op i, which the plan fuses only when it
 * is computed before the step (bs-model-plan.c). */
static const float *
add_other (BsModel *model,
           guint    i,
           guint    mine)
{
  guint other = bs_model_add_other (bs_model_op (model, i), mine);

  g_assert (model->state[other].act != NULL);
  return bs_model_act (model, other);
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
             guint    row0,
             guint    n_rows,
             gsize    col0,
             gsize    ncols)
{
  ChunkHookData *d = data;
  double *stats = bs_bn_partial_sums (d->model->pool, thread, n_rows);

  g_assert (row0 == 0);   /* training splits columns only */

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
            guint    row0,
            guint    n_rows,
            gsize    col0,
            gsize    ncols)
{
  ChunkHookData *d = data;
  float *out = d->dest ? d->dest + (p - d->y) : p;

  for (guint r = 0; r < n_rows; r++)
    {
      guint c = row0 + r;
      const float *add = d->add ? d->add + c * ld + col0 : NULL;

      if (d->relu_dest)
        bs_bn_row_apply_and_relu (p + r * ld, ncols, d->bn->bn_scale[c], d->bn->bn_shift[c], add,
                                  out + r * ld, d->relu_dest + (p - d->y) + r * ld);
      else
        bs_bn_row_apply (p + r * ld, ncols, d->bn->bn_scale[c], d->bn->bn_shift[c], add, d->relu,
                         out + r * ld);
    }
}

/* Runs the step that starts at op i: the op and step->n_ops - 1 successors
 * fused with it (bs-model-plan.c). Every op that ran has its output value set.
 * FALSE when a buffer cannot be had (bs_model_set_memory_error () says which);
 * what the step acquired is in the values' states, for the caller to release. */
static gboolean
forward_step (BsModel      *model,
              guint         i,
              const BsStep *step)
{
  BsOp *op = bs_model_op (model, i);
  BsValueState *out = &model->state[op->out];
  const BsLayerInfo *info = &g_array_index (model->layers, BsLayerInfo, op->out);
  guint batch = model->batch;
  gsize n_per_channel = (gsize) batch * info->height * info->width;

  switch (op->kind)
    {
    case BS_OP_CONV:
      {
        ChunkHookData hd = { .model = model };
        BsConvHooks hooks = { .data = &hd };
        BsOp *bn = step->fuse & (BS_FUSE_BN_STATS | BS_FUSE_BN) ? bs_model_op (model, i + 1) : NULL;

        if (!model->training && op->conv_cache == NULL)
          op->conv_cache = bs_conv_weight_cache_new ();
        if (!model->training)
          bs_conv_weight_cache_set_epoch (op->conv_cache, model->freeze_epoch);
        out->act = bs_model_buf_acquire (model, op->out);
        if (out->act == NULL ||
            !bs_conv_reserve_forward (&op->conv, op->conv_cache, model->pool, batch, !model->training,
                                      &model->failed_bytes))
          return FALSE;

        if (step->fuse & BS_FUSE_BN_STATS)
          {
            bs_bn_partial_sums_clear (model->pool, op->conv.out_c);
            hooks.forward_done = stats_chunk;
          }
        else if (step->fuse & BS_FUSE_BN)
          {
            /* Fold BN (and what follows) into the chunk loop. With
             * BS_FUSE_BN_OWN_BUFFER the conv output is tapped but its batch
             * norm is not (CKA derives the norm's Gram from the conv's): the
             * fused result goes to its own buffer while the chunk is in
             * cache, and the conv output stays. */
            gboolean own_buffer = (step->fuse & BS_FUSE_BN_OWN_BUFFER) != 0;
            BsBuf *result = own_buffer ? bs_model_buf_acquire (model, bn->out)
                                       : bs_model_buf_ref (out->act);
            /* Ops i + 2 .. i + n_in_place - 1 (add, ReLU) write over the BN's result. */
            guint n_in_place = step->n_ops - (step->fuse & BS_FUSE_RELU_OWN_BUFFER ? 1 : 0);

            if (result == NULL)
              return FALSE;
            model->state[bn->out].act = result;
            hd.bn = bn;
            bs_model_bn_eval_coeffs (model, bn, bn->bn_scale, bn->bn_shift);
            if (step->fuse & BS_FUSE_ADD)
              hd.add = add_other (model, i + 2, bn->out);
            if (step->fuse & BS_FUSE_RELU)
              hd.relu = TRUE;
            else if (step->fuse & BS_FUSE_RELU_OWN_BUFFER)
              {
                /* The result is tapped (a block's sum, in CKA) and feeds a ReLU:
                 * both come out of the chunk while it is in cache. */
                BsOp *relu = bs_model_op (model, i + step->n_ops - 1);

                model->state[relu->out].act = bs_model_buf_acquire (model, relu->out);
                if (model->state[relu->out].act == NULL)
                  return FALSE;
                hd.relu_dest = model->state[relu->out].act->data;
              }
            hooks.forward_done = eval_chunk;
            hd.y = out->act->data;
            if (own_buffer)
              hd.dest = result->data;
            for (guint j = 2; j < n_in_place; j++)
              model->state[bs_model_op (model, i + j)->out].act = bs_model_buf_ref (result);
          }

        if (model->training)
          bs_conv_forward (&op->conv, model->pool, batch, bs_model_act (model, op->in0),
                           bs_model_param_data (model, op->param), out->act->data,
                           hooks.forward_done ? &hooks : NULL);
        else
          {
            bs_conv_forward_inference (&op->conv, op->conv_cache, model->pool, batch,
                                       bs_model_act (model, op->in0),
                                       bs_model_param_data (model, op->param), out->act->data,
                                       hooks.forward_done ? &hooks : NULL);
          }

        if (step->fuse & BS_FUSE_BN_STATS)
          {
            bs_bn_partial_sums_merge (model->pool, op->conv.out_c, bn->bn_sum, bn->bn_sumsq);
            bn->bn_sums_ready = TRUE;
          }
        break;
      }

    case BS_OP_BN:
      {
        guint c = info->channels;
        const float *add = step->fuse & BS_FUSE_ADD ? add_other (model, i + 1, op->out) : NULL;
        gboolean relu = (step->fuse & BS_FUSE_RELU) != 0;

        if (model->training)
          {
            if (!op->bn_sums_ready)
              bs_bn_sums (model->pool, c, n_per_channel, bs_model_act (model, op->in0), op->bn_sum,
                          op->bn_sumsq);
            op->bn_sums_ready = FALSE;
            bs_bn_finish_stats (c, n_per_channel, op->bn_sum, op->bn_sumsq,
                                bs_model_param_data (model, op->param),
                                bs_model_param_data (model, op->param + 1),
                                bs_model_param_data (model, op->param + 2),
                                bs_model_param_data (model, op->param + 3),
                                op->bn_mean, op->bn_invstd, op->bn_scale, op->bn_shift);
          }
        else
          bs_model_bn_eval_coeffs (model, op, op->bn_scale, op->bn_shift);

        out->act = can_overwrite (model, op->in0) ? bs_model_buf_ref (model->state[op->in0].act)
                                                  : bs_model_buf_acquire (model, op->out);
        if (out->act == NULL)
          return FALSE;
        for (guint j = 1; j < step->n_ops; j++)
          model->state[bs_model_op (model, i + j)->out].act = bs_model_buf_ref (out->act);

        bs_bn_apply (model->pool, c, n_per_channel, bs_model_act (model, op->in0), op->bn_scale,
                     op->bn_shift, add, relu, out->act->data);
        break;
      }

    case BS_OP_RELU:
      out->act = can_overwrite (model, op->in0) ? bs_model_buf_ref (model->state[op->in0].act)
                                                : bs_model_buf_acquire (model, op->out);
      if (out->act == NULL)
        return FALSE;
      bs_relu_forward (model->pool, bs_model_value_size (model, op->out), bs_model_act (model, op->in0),
                       out->act->data);
      break;

    case BS_OP_ADD:
      {
        gboolean relu = (step->fuse & BS_FUSE_RELU) != 0;

        if (can_overwrite (model, op->in0))
          out->act = bs_model_buf_ref (model->state[op->in0].act);
        else if (can_overwrite (model, op->in1))
          out->act = bs_model_buf_ref (model->state[op->in1].act);
        else
          out->act = bs_model_buf_acquire (model, op->out);
        if (out->act == NULL)
          return FALSE;
        if (relu)
          model->state[bs_model_op (model, i + 1)->out].act = bs_model_buf_ref (out->act);

        bs_add_forward (model->pool, bs_model_value_size (model, op->out),
                        bs_model_act (model, op->in0), bs_model_act (model, op->in1), relu,
                        out->act->data);
        break;
      }

    case BS_OP_MAXPOOL:
      {
        guint planes = info->channels * batch;
        guint32 *argmax = NULL;

        out->act = bs_model_buf_acquire (model, op->out);
        if (out->act == NULL)
          return FALSE;
        if (model->training)
          {
            gsize need = (gsize) planes * op->pool.out_h * op->pool.out_w;

            if (op->argmax_size < need)
              {
                g_free (op->argmax);
                op->argmax_size = 0;
                op->argmax = g_try_new (guint32, need);
                if (op->argmax == NULL)
                  {
                    model->failed_bytes = need * sizeof (guint32);
                    return FALSE;
                  }
                op->argmax_size = need;
              }
            argmax = op->argmax;
          }
        bs_maxpool_forward (&op->pool, model->pool, planes, bs_model_act (model, op->in0),
                            out->act->data, argmax);
        break;
      }

    case BS_OP_AVGPOOL:
      {
        const BsLayerInfo *x = bs_model_value_info (model, op->in0);

        out->act = bs_model_buf_acquire (model, op->out);
        if (out->act == NULL)
          return FALSE;
        bs_avgpool_forward (model->pool, x->channels, batch, (gsize) x->height * x->width,
                            bs_model_act (model, op->in0), out->act->data);
        break;
      }

    case BS_OP_FC:
      out->act = bs_model_buf_acquire (model, op->out);
      if (out->act == NULL)
        return FALSE;
      bs_linear_forward (bs_model_value_info (model, op->in0)->channels, model->n_classes, batch,
                         bs_model_act (model, op->in0), bs_model_param_data (model, op->param),
                         bs_model_param_data (model, op->param + 1), out->act->data);
      break;

    default:
      g_assert_not_reached ();
    }
  return TRUE;
}

typedef struct {
  const float *images;
  float       *x;
  const float *mean;   /* or NULL */
  const float *std;
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
      {
        float *dst = job->x + (c * job->batch + n) * job->hw;
        const float *src = job->images + ((gsize) n * job->channels + c) * job->hw;

        if (job->mean == NULL)
          {
            memcpy (dst, src, job->hw * sizeof (float));
            continue;
          }
        /* A division, as torchvision's Normalize, so the inputs match its bit for bit. */
        for (gsize i = 0; i < job->hw; i++)
          dst[i] = (src[i] - job->mean[c]) / job->std[c];
      }
}

/* One pass over a batch following plan, which is for this mode and a tap
 * given or not; logits go to logits_out (batch x classes). FALSE when a
 * buffer cannot be had. */
static gboolean
forward_pass (BsModel             *model,
              const BsForwardPlan *plan,
              const float         *images,
              guint                batch,
              gboolean             training,
              BsTapFunc            tap,
              gpointer             user_data,
              float               *logits_out)
{
  guint n_values = model->layers->len;
  guint last = n_values - 1;
  InputJob input = { .images = images, .mean = model->input_mean, .std = model->input_std,
                     .channels = model->in_c, .batch = batch,
                     .hw = (gsize) model->in_h * model->in_w };

  bs_model_release_values (model);
  model->batch = batch;
  model->training = training;
  for (guint v = 0; v < n_values; v++)
    {
      model->state[v].fwd_uses = model->n_consumers[v];
      model->state[v].bwd_uses = training ? model->n_bwd_readers[v] : 0;
    }

  model->state[0].act = bs_model_buf_acquire (model, 0);
  if (model->state[0].act == NULL)
    return FALSE;
  input.x = bs_model_act (model, 0);
  bs_thread_pool_run (model->pool, input_share, &input);
  emit_tap (model, plan, tap, user_data, 0);

  for (guint i = 0; i < model->ops->len; i += plan->steps[i].n_ops)
    {
      const BsStep *step = &plan->steps[i];

      if (!forward_step (model, i, step))
        return FALSE;
      for (guint j = i; j < i + step->n_ops; j++)
        {
          BsOp *op = bs_model_op (model, j);

          emit_tap (model, plan, tap, user_data, op->out);
          model->state[op->in0].fwd_uses--;
          bs_model_release_act (model, op->in0);
          if (op->kind == BS_OP_ADD)
            {
              model->state[op->in1].fwd_uses--;
              bs_model_release_act (model, op->in1);
            }
        }
    }

  /* Logits leave in the caller's layout: batch x classes. */
  for (guint k = 0; k < model->n_classes; k++)
    for (guint n = 0; n < batch; n++)
      logits_out[(gsize) n * model->n_classes + k] =
        bs_model_act (model, last)[(gsize) k * batch + n];
  bs_model_release_act (model, last);
  return TRUE;
}

const float *
bs_model_try_forward (BsModel      *model,
                      const float  *images,
                      guint         batch,
                      gboolean      training,
                      BsTapFunc     tap,
                      gpointer      user_data,
                      GError      **error)
{
  guint sub = SUB_BATCH_PER_THREAD * bs_thread_pool_get_n_threads (model->pool);
  const BsForwardPlan *plan;
  gboolean ok = TRUE;

  g_return_val_if_fail (batch > 0 && images != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  model->have_dlogits = FALSE;
  if (model->logits_capacity < (gsize) batch * model->n_classes)
    {
      gsize n = (gsize) batch * model->n_classes;

      g_clear_pointer (&model->logits, bs_free_floats);
      g_clear_pointer (&model->dlogits, bs_free_floats);
      model->logits_capacity = 0;
      model->logits = bs_try_alloc_floats (n);
      model->dlogits = model->logits ? bs_try_alloc_floats (n) : NULL;
      if (model->dlogits == NULL)
        {
          g_clear_pointer (&model->logits, bs_free_floats);
          model->batch = batch;
          model->training = training;
          model->failed_bytes = 2 * n * sizeof (float);
          bs_model_set_memory_error (model, error);
          return NULL;
        }
      model->logits_capacity = n;
    }

  bs_blas_guard_enter ();

  plan = bs_model_get_plan (model, training, tap != NULL);
  if (!training && batch > sub && !plan->any_tapped)
    {
      /* Evaluation treats every image on its own (BN uses running
       * statistics), so a batch can run in pieces whose activations stay in
       * cache between layers. Taps always see whole batches. */
      gsize image_size = (gsize) model->in_c * model->in_h * model->in_w;

      plan = bs_model_get_plan (model, FALSE, FALSE);
      for (guint start = 0; ok && start < batch; start += sub)
        ok = forward_pass (model, plan, images + start * image_size, MIN (sub, batch - start), FALSE,
                           NULL, NULL, model->logits + (gsize) start * model->n_classes);
    }
  else
    ok = forward_pass (model, plan, images, batch, training, tap, user_data, model->logits);

  if (!ok)
    {
      /* The message names the batch asked for, not a piece of it. */
      model->batch = batch;
      bs_model_set_memory_error (model, error);
      bs_model_release_values (model);
    }
  else if (training)
    {
      model->batches_tracked++;
      model->can_backward = TRUE;
    }
  else
    bs_model_release_values (model);
  model->batch = batch;

  bs_blas_guard_leave ();
  return ok ? model->logits : NULL;
}

const float *
bs_model_forward (BsModel      *model,
                  const float  *images,
                  guint         batch,
                  gboolean      training,
                  BsTapFunc     tap,
                  gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  const float *logits = bs_model_try_forward (model, images, batch, training, tap, user_data, &error);

  if (logits == NULL)
    g_error ("%s", error->message);
  return logits;
}
