/* bs-probe-private.h: the classifier of bs-probe.c, in bs-probe-classifier.c. */
#pragma once

#include "bs-probe.h"
#include "bs-rng.h"

G_BEGIN_DECLS

/* Streams of the seed: the image draw and the classifiers' step order. */
enum {
  BS_PROBE_STREAM_DRAW = 1,
  BS_PROBE_STREAM_STEPS = 2,
};

/* A classifier being fitted: its parameters (borrowed), Adam's state and scratch. */
typedef struct {
  const BsProbeOptions *options;
  guint    f;
  guint    c;
  double   l2;
  float   *w;        /* f x c */
  float   *b;        /* c */
  float   *m;        /* Adam's moments, f * c + c each */
  float   *v;
  float   *grad;     /* f * c + c */
  float   *xb;       /* a minibatch, batch x f */
  float   *logits;   /* batch x c */
  guint32 *order;
  guint64  step;
  BsRng    rng;
} BsProbeFitter;

/* Starts at W = 0, b = 0 for n fitting images of f features and c classes;
 * the step order comes from (options->seed, stream). */
void   bs_probe_fitter_init  (BsProbeFitter        *fitter,
                              const BsProbeOptions *options,
                              guint                 n,
                              guint                 f,
                              guint                 c,
                              double                l2,
                              guint64               stream,
                              float                *weights,
                              float                *bias);
void   bs_probe_fitter_clear (BsProbeFitter        *fitter);
/* One pass over the n fitting images x (n x f) in a new order. */
void   bs_probe_fitter_epoch (BsProbeFitter        *fitter,
                              const float          *x,
                              const guint8         *labels,
                              guint                 n);
/* The fraction of the n rows of x whose largest logit under (w, b) is
 * their label's (the first largest on ties); logits is n x c scratch. NaN
 * for n = 0. */
double bs_probe_accuracy     (const float          *x,
                              const guint8         *labels,
                              guint                 n,
                              guint                 f,
                              guint                 c,
                              const float          *w,
                              const float          *b,
                              float                *logits);

G_END_DECLS
