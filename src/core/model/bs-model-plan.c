/* bs-model-plan.c: which operations of a forward pass run fused, decided once.
 *
 * The forward pass (bs-model-forward.c) runs the operations in steps: each
 * step is one operation and the successors that run fused with it, in the
 * same pass over memory. Whether a successor can join depends only on the
 * graph (its kind, that it reads the value before it, that nothing else
 * reads that value), on the mode (training keeps every conv output for the
 * backward pass; evaluation can apply the batch norm, the add and the ReLU
 * inside the conv's chunks) and on which values are tapped, as a tapped
 * value must be written out as it is. So the steps are decided here once
 * per mode, tap mask and "a tap is given or not", and kept until the tap
 * mask changes; a pass only follows them.
 *
 * A plan has, for each operation i that starts a step, how many operations
 * the step runs (steps[i].n_ops, from i on; 0 for the operations inside an
 * earlier step) and what is fused (steps[i].fuse):
 *
 *   conv, training     BS_FUSE_BN_STATS when the next operation is a BN of
 *                      the conv's output: the conv gathers the BN's batch
 *                      sums per chunk. The BN still is a step of its own.
 *   conv, evaluation   BS_FUSE_BN when the next operation is a BN that alone
 *                      reads the conv's output and that output is untapped:
 *                      the BN runs over each chunk of the conv's output.
 *                      When the conv's output is tapped and the BN's is not,
 *                      BS_FUSE_BN | BS_FUSE_BN_OWN_BUFFER: the BN writes
 *                      into a buffer of its own (CKA derives the norm's Gram
 *                      from the conv's). Then the add and the ReLU after
 *                      the BN join as after a BN step; a ReLU that cannot
 *                      join as the value before it (BN or add) is tapped
 *                      still runs in the chunk pass, into a buffer of its
 *                      own: BS_FUSE_RELU_OWN_BUFFER.
 *   BN                 BS_FUSE_ADD when the next operation is an add that
 *                      alone reads the BN's output and that output is
 *                      untapped, then BS_FUSE_RELU for a ReLU after the BN
 *                      (or add) on the same conditions.
 *   add                BS_FUSE_RELU likewise.
 *
 * plan->tapped says which values go to the tap, and plan->any_tapped
 * whether any does (evaluation without taps runs in sub-batches).
 *
 * A fused add needs its other summand before the step starts. That holds in
 * every graph the builders make (operations only read values made before
 * them, and the only value made in the step before the add is the conv
 * output, which the BN alone reads), and the plan checks it. */
#include "bs-model-private.h"

static gboolean
tapped (BsModel  *model,
        gboolean  tapping,
        guint     v)
{
  return tapping && (model->tap_mask == NULL || model->tap_mask[v]);
}

/* Is op i + 1 of the given kind and fed only by op i's output, which is not
 * tapped (tapped_values NULL: whether tapped or not)? */
static gboolean
next_fuses (BsModel        *model,
            guint           i,
            BsOpKind        kind,
            const gboolean *tapped_values)
{
  BsOp *op = bs_model_op (model, i);
  BsOp *next;

  if (i + 1 >= model->ops->len)
    return FALSE;
  next = bs_model_op (model, i + 1);
  return next->kind == kind &&
         (next->in0 == op->out || (kind == BS_OP_ADD && next->in1 == op->out)) &&
         model->n_consumers[op->out] == 1 &&
         (tapped_values == NULL || !tapped_values[op->out]);
}

/* Is the summand of the add at op `add` that is not `mine` computed before
 * the step that starts at op `first`? (Value v is op v - 1's output.) */
static gboolean
other_summand_ready (BsModel *model,
                     guint    add,
                     guint    mine,
                     guint    first)
{
  BsOp *op = bs_model_op (model, add);

  return bs_model_add_other (op, mine) <= first;
}

/* The add and ReLU that join a step after the BN at op `bn`; returns how
 * many did. relu_own_buffer: a ReLU after a tapped value may join, into its
 * own buffer. */
static guint
fuse_after_bn (BsModel        *model,
               const gboolean *tapped_values,
               guint           first,
               guint           bn,
               gboolean        relu_own_buffer,
               guint8         *fuse)
{
  guint last = bn;

  if (next_fuses (model, last, BS_OP_ADD, tapped_values) &&
      other_summand_ready (model, last + 1, bs_model_op (model, last)->out, first))
    {
      *fuse |= BS_FUSE_ADD;
      last++;
    }
  if (next_fuses (model, last, BS_OP_RELU, tapped_values))
    {
      *fuse |= BS_FUSE_RELU;
      last++;
    }
  else if (relu_own_buffer && next_fuses (model, last, BS_OP_RELU, NULL))
    {
      *fuse |= BS_FUSE_RELU_OWN_BUFFER;
      last++;
    }
  return last - bn;
}

static BsForwardPlan *
plan_new (BsModel  *model,
          gboolean  training,
          gboolean  tapping)
{
  BsForwardPlan *plan = g_new0 (BsForwardPlan, 1);
  guint n_ops = model->ops->len;

  plan->steps = g_new0 (BsStep, n_ops);
  plan->tapped = g_new0 (gboolean, model->layers->len);
  for (guint v = 0; v < model->layers->len; v++)
    {
      plan->tapped[v] = tapped (model, tapping, v);
      plan->any_tapped |= plan->tapped[v];
    }

  for (guint i = 0; i < n_ops; i += plan->steps[i].n_ops)
    {
      BsOp *op = bs_model_op (model, i);
      BsStep *step = &plan->steps[i];
      guint n = 1;

      switch (op->kind)
        {
        case BS_OP_CONV:
          if (training)
            {
              /* Training keeps the conv output, so its tap does not stop this. */
              if (i + 1 < n_ops && bs_model_op (model, i + 1)->kind == BS_OP_BN &&
                  bs_model_op (model, i + 1)->in0 == op->out)
                step->fuse |= BS_FUSE_BN_STATS;
            }
          else if (next_fuses (model, i, BS_OP_BN, plan->tapped))
            step->fuse |= BS_FUSE_BN;
          else if (next_fuses (model, i, BS_OP_BN, NULL) &&
                   !plan->tapped[bs_model_op (model, i + 1)->out])
            step->fuse |= BS_FUSE_BN | BS_FUSE_BN_OWN_BUFFER;
          if (step->fuse & BS_FUSE_BN)
            n = 2 + fuse_after_bn (model, plan->tapped, i, i + 1, TRUE, &step->fuse);
          break;

        case BS_OP_BN:
          n = 1 + fuse_after_bn (model, plan->tapped, i, i, FALSE, &step->fuse);
          break;

        case BS_OP_ADD:
          if (next_fuses (model, i, BS_OP_RELU, plan->tapped))
            {
              step->fuse |= BS_FUSE_RELU;
              n = 2;
            }
          break;

        default:
          break;
        }
      step->n_ops = n;
    }
  return plan;
}

static void
plan_free (BsForwardPlan *plan)
{
  if (plan == NULL)
    return;
  g_free (plan->steps);
  g_free (plan->tapped);
  g_free (plan);
}

/* The plan of a pass in training or evaluation mode, with a tap given or
 * not, under the current tap mask: made on first use. */
const BsForwardPlan *
bs_model_get_plan (BsModel  *model,
                   gboolean  training,
                   gboolean  tapping)
{
  BsForwardPlan **plan = &model->plans[training ? 1 : 0][tapping ? 1 : 0];

  if (*plan == NULL)
    *plan = plan_new (model, training, tapping);
  return *plan;
}

/* Forgets every plan (the tap mask changed, or the model goes). */
void
bs_model_clear_plans (BsModel *model)
{
  for (guint t = 0; t < 2; t++)
    for (guint k = 0; k < 2; k++)
      g_clear_pointer (&model->plans[t][k], plan_free);
}
