/* bs-relu.c: ReLU, residual add and copies. */
#include "bs-relu.h"

#include <string.h>

#include "bs-simd.h"

typedef enum {
  EW_RELU,
  EW_RELU_BACKWARD,
  EW_ADD,
  EW_ADD_RELU,
  EW_ADD_INPLACE,
  EW_COPY,
} EwKind;

typedef struct {
  EwKind       kind;
  gsize        n;
  const float *a;
  const float *b;
  float       *y;
} EwJob;

BS_SIMD_CLONES static void
ew_range (const EwJob *job,
          gsize        i0,
          gsize        i1)
{
  const float *a = job->a, *b = job->b;
  float *y = job->y;

  switch (job->kind)
    {
    case EW_RELU:
      for (gsize i = i0; i < i1; i++)
        y[i] = a[i] > 0.0f ? a[i] : 0.0f;
      break;
    case EW_RELU_BACKWARD: /* a = ReLU output, b = dy */
      for (gsize i = i0; i < i1; i++)
        y[i] = a[i] > 0.0f ? b[i] : 0.0f;
      break;
    case EW_ADD:
      for (gsize i = i0; i < i1; i++)
        y[i] = a[i] + b[i];
      break;
    case EW_ADD_RELU:
      for (gsize i = i0; i < i1; i++)
        {
          float v = a[i] + b[i];

          y[i] = v > 0.0f ? v : 0.0f;
        }
      break;
    case EW_ADD_INPLACE:
      for (gsize i = i0; i < i1; i++)
        y[i] += a[i];
      break;
    case EW_COPY:
      memcpy (y + i0, a + i0, (i1 - i0) * sizeof (float));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
ew_share (gpointer data,
          guint    thread,
          guint    n_threads)
{
  EwJob *job = data;
  /* Split on 16-float (cache line) boundaries so threads never share a line. */
  gsize lines = (job->n + 15) / 16;
  gsize l0, l1;

  bs_split_range (lines, n_threads, thread, &l0, &l1);
  ew_range (job, MIN (l0 * 16, job->n), MIN (l1 * 16, job->n));
}

static void
ew_run (BsThreadPool *pool,
        EwKind        kind,
        gsize         n,
        const float  *a,
        const float  *b,
        float        *y)
{
  EwJob job = { kind, n, a, b, y };

  /* Small tensors are not worth waking the workers for. */
  if (n < 16384)
    ew_range (&job, 0, n);
  else
    bs_thread_pool_run (pool, ew_share, &job);
}

void
bs_relu_forward (BsThreadPool *pool,
                 gsize         n,
                 const float  *x,
                 float        *y)
{
  ew_run (pool, EW_RELU, n, x, NULL, y);
}

void
bs_relu_backward (BsThreadPool *pool,
                  gsize         n,
                  const float  *y,
                  const float  *dy,
                  float        *dx)
{
  ew_run (pool, EW_RELU_BACKWARD, n, y, dy, dx);
}

void
bs_add_forward (BsThreadPool *pool,
                gsize         n,
                const float  *a,
                const float  *b,
                gboolean      relu,
                float        *y)
{
  ew_run (pool, relu ? EW_ADD_RELU : EW_ADD, n, a, b, y);
}

void
bs_add_inplace (BsThreadPool *pool,
                gsize         n,
                float        *y,
                const float  *x)
{
  ew_run (pool, EW_ADD_INPLACE, n, x, NULL, y);
}

void
bs_copy (BsThreadPool *pool,
         gsize         n,
         const float  *x,
         float        *y)
{
  if (x != y)
    ew_run (pool, EW_COPY, n, x, NULL, y);
}
