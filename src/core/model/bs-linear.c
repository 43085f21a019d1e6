/* bs-linear.c: fully connected layer on OpenBLAS. */
#include "bs-linear.h"

#include <cblas.h>

void
bs_linear_forward (guint        in_features,
                   guint        out_features,
                   guint        batch,
                   const float *x,
                   const float *weight,
                   const float *bias,
                   float       *y)
{
  for (guint o = 0; o < out_features; o++)
    for (guint n = 0; n < batch; n++)
      y[(gsize) o * batch + n] = bias[o];

  /* y[out][B] += W[out][in] x[in][B] */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans,
               out_features, batch, in_features,
               1.0f, weight, in_features, x, batch,
               1.0f, y, batch);
}

void
bs_linear_backward (guint        in_features,
                    guint        out_features,
                    guint        batch,
                    const float *x,
                    const float *weight,
                    const float *dy,
                    float       *dweight,
                    float       *dbias,
                    float       *dx)
{
  for (guint o = 0; o < out_features; o++)
    {
      double sum = 0.0;

      for (guint n = 0; n < batch; n++)
        sum += dy[(gsize) o * batch + n];
      dbias[o] = (float) sum;
    }

  /* dW[out][in] = dy[out][B] x[in][B]^T */
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasTrans,
               out_features, in_features, batch,
               1.0f, dy, batch, x, batch,
               0.0f, dweight, in_features);

  /* dx[in][B] = W^T dy */
  if (dx)
    cblas_sgemm (CblasRowMajor, CblasTrans, CblasNoTrans,
                 in_features, batch, out_features,
                 1.0f, weight, in_features, dy, batch,
                 0.0f, dx, batch);
}
