/* bs-synthetic.h: the "synthetic" data set, generated in memory.
 *
 * Every image is a sinusoidal grating whose orientation, frequency and
 * colour depend on the class, with a random phase (a shift), jittered
 * angle, frequency, contrast and brightness, a class-independent blob as
 * a distractor and pixel noise. A small ResNet learns it in a few hundred
 * steps, yet no two images are alike, so it serves tests, demos and CKA.
 *
 * Image i of a split depends only on (seed, split, i): growing a split
 * keeps its first images. Labels cycle 0, 1, ..., n_classes - 1, so every
 * prefix of a split is balanced. */
#pragma once

#include <glib.h>

#include "bs-dataset-types.h"

G_BEGIN_DECLS

/* What bs_dataset_load ("synthetic") makes: 3x32x32, 10 classes. */
#define BS_SYNTHETIC_DEFAULT_N_TRAIN 4096u
#define BS_SYNTHETIC_DEFAULT_N_TEST  1024u
#define BS_SYNTHETIC_DEFAULT_SEED    0u
/* Labels are bytes. */
#define BS_SYNTHETIC_MAX_CLASSES     256u
#define BS_SYNTHETIC_MAX_SIDE        4096u
#define BS_SYNTHETIC_MAX_CHANNELS    64u

/* Checks parameters that come from a user (command line, settings). */
gboolean   bs_synthetic_check_params (guint        n_train,
                                      guint        n_test,
                                      guint        channels,
                                      guint        height,
                                      guint        width,
                                      guint        n_classes,
                                      GError     **error);

/* A new "synthetic" data set; the parameters must pass bs_synthetic_check_params
 * (otherwise a critical warning and NULL). */
BsDataset *bs_dataset_new_synthetic  (guint        n_train,
                                      guint        n_test,
                                      guint        channels,
                                      guint        height,
                                      guint        width,
                                      guint        n_classes,
                                      guint64      seed);

/* Draws one image of class label into pixels (channels * height * width
 * bytes, CHW) from stream (seed, split, index); split is 0 for training
 * and 1 for test. */
void       bs_synthetic_draw_image   (guint8      *pixels,
                                      guint        channels,
                                      guint        height,
                                      guint        width,
                                      guint        label,
                                      guint        n_classes,
                                      guint64      seed,
                                      guint        split,
                                      guint        index);

G_END_DECLS
