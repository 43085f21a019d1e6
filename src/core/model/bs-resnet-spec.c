/* bs-resnet-spec.c: model names, the layer graphs of both ResNet families, and
 * bs_model_new (), which builds the ResNet a name means. */
#include "bs-resnet-spec.h"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "bs-error.h"
#include "bs-model-builder.h"

#define MAX_CIFAR_DEPTH 2000
#define MAX_CIFAR_WIDTH 64
#define CIFAR_BASE_WIDTH 16      /* channels of the first stage at width 1 */
#define IMAGENET_BASE_WIDTH 64   /* stem channels, and planes of the first stage */
#define BOTTLENECK_EXPANSION 4   /* a bottleneck block's output channels per plane */
#define MAX_INPUT_SIZE 4096      /* channels, height and width */
#define MIN_CLASSES 2
/* ImageNet's head, for imported weights; training labels are bytes, so only
 * data sets of up to 256 classes train (the data set readers check that). */
#define MAX_CLASSES 1000

static gboolean
parse_uint (const char  *s,
            const char **end,
            guint       *value)
{
  guint64 v = 0;
  const char *p = s;

  if (!g_ascii_isdigit (*p) || (*p == '0' && g_ascii_isdigit (p[1])))
    return FALSE;
  while (g_ascii_isdigit (*p))
    {
      v = v * 10 + (guint) (*p - '0');
      if (v > G_MAXUINT16)
        return FALSE;
      p++;
    }
  *value = (guint) v;
  *end = p;
  return TRUE;
}

static gboolean
unknown_name (const char  *name,
              GError     **error)
{
  g_set_error (error, BS_ERROR, BS_ERROR_NOT_FOUND,
               /* Translators: keep the model names (resnet20, resnet<D>x<K>, ...) as they are. */
               _("Unknown model '%s': expected resnet<D> with D = 6n+2 (e.g. resnet20), "
                 "resnet<D>x<K> for width K (e.g. resnet56x4), or imagenet-resnet50, "
                 "imagenet-resnet101, imagenet-resnet152"), name);
  return FALSE;
}

gboolean
bs_resnet_spec_parse (const char    *name,
                      BsResnetSpec  *spec,
                      GError       **error)
{
  const char *p;
  guint depth, width = 1;

  memset (spec, 0, sizeof *spec);
  if (name == NULL)
    return unknown_name ("(null)", error);

  if (g_str_has_prefix (name, "imagenet-resnet"))
    {
      static const struct { const char *suffix; guint blocks[4]; } table[] = {
        { "50", { 3, 4, 6, 3 } },
        { "101", { 3, 4, 23, 3 } },
        { "152", { 3, 8, 36, 3 } },
      };
      const char *suffix = name + strlen ("imagenet-resnet");

      for (guint i = 0; i < G_N_ELEMENTS (table); i++)
        if (strcmp (suffix, table[i].suffix) == 0)
          {
            spec->block = BS_RESNET_BOTTLENECK;
            spec->n_stages = 4;
            for (guint s = 0; s < 4; s++)
              {
                spec->blocks[s] = table[i].blocks[s];
                spec->widths[s] = IMAGENET_BASE_WIDTH << s;
              }
            spec->stem_channels = IMAGENET_BASE_WIDTH;
            spec->imagenet_stem = TRUE;
            return TRUE;
          }
      return unknown_name (name, error);
    }

  if (!g_str_has_prefix (name, "resnet") || !parse_uint (name + strlen ("resnet"), &p, &depth))
    return unknown_name (name, error);
  if (*p == 'x')
    {
      if (!parse_uint (p + 1, &p, &width))
        return unknown_name (name, error);
    }
  if (*p != '\0')
    return unknown_name (name, error);

  if (depth < 8 || (depth - 2) % 6 != 0 || depth > MAX_CIFAR_DEPTH)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Model '%s': the depth of a CIFAR ResNet must be 6n+2 between 8 and %d "
                     "(8, 14, 20, 26, 32, 38, 44, 56, 110, 164, ...)"), name, MAX_CIFAR_DEPTH);
      return FALSE;
    }
  if (width < 1 || width > MAX_CIFAR_WIDTH)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Model '%s': the width multiplier must be between 1 and %d"),
                   name, MAX_CIFAR_WIDTH);
      return FALSE;
    }

  spec->block = BS_RESNET_BASIC;
  spec->n_stages = 3;
  for (guint s = 0; s < 3; s++)
    {
      spec->blocks[s] = (depth - 2) / 6;
      spec->widths[s] = (CIFAR_BASE_WIDTH * width) << s;
    }
  spec->stem_channels = CIFAR_BASE_WIDTH * width;
  spec->imagenet_stem = FALSE;
  return TRUE;
}

static guint
basic_block (BsModel  *model,
             guint     x,
             guint     stage,
             guint     block,
             guint     channels,
             guint     stride,
             GError  **error)
{
  g_autofree char *p = g_strdup_printf ("layer%u.%u", stage, block);
  g_autofree char *n_conv1 = g_strconcat (p, ".conv1", NULL);
  g_autofree char *n_bn1 = g_strconcat (p, ".bn1", NULL);
  g_autofree char *n_relu1 = g_strconcat (p, ".relu1", NULL);
  g_autofree char *n_conv2 = g_strconcat (p, ".conv2", NULL);
  g_autofree char *n_bn2 = g_strconcat (p, ".bn2", NULL);
  g_autofree char *n_down = g_strconcat (p, ".downsample.0", NULL);
  g_autofree char *n_add = g_strconcat (p, ".add", NULL);
  g_autofree char *n_relu2 = g_strconcat (p, ".relu2", NULL);
  guint in_channels = bs_model_value_info (model, x)->channels;
  guint v, shortcut = x;

  if (!(v = bs_model_add_conv (model, x, n_conv1, BS_LAYER_CONV, stage, block, channels, 3, stride, 1, error)))
    return 0;
  v = bs_model_add_bn (model, v, n_bn1, BS_LAYER_BN, stage, block);
  v = bs_model_add_relu (model, v, n_relu1, stage, block, FALSE);
  if (!(v = bs_model_add_conv (model, v, n_conv2, BS_LAYER_CONV, stage, block, channels, 3, 1, 1, error)))
    return 0;
  v = bs_model_add_bn (model, v, n_bn2, BS_LAYER_BN, stage, block);
  /* The paper's code projects with a 1x1 strided convolution and no BN. */
  if (stride != 1 || in_channels != channels)
    if (!(shortcut = bs_model_add_conv (model, x, n_down, BS_LAYER_SHORTCUT, stage, block,
                                        channels, 1, stride, 0, error)))
      return 0;
  if (!(v = bs_model_add_add (model, v, shortcut, n_add, stage, block, error)))
    return 0;
  return bs_model_add_relu (model, v, n_relu2, stage, block, TRUE);
}

static guint
bottleneck_block (BsModel  *model,
                  guint     x,
                  guint     stage,
                  guint     block,
                  guint     planes,
                  guint     stride,
                  GError  **error)
{
  g_autofree char *p = g_strdup_printf ("layer%u.%u", stage, block);
  g_autofree char *n_conv1 = g_strconcat (p, ".conv1", NULL);
  g_autofree char *n_bn1 = g_strconcat (p, ".bn1", NULL);
  g_autofree char *n_relu1 = g_strconcat (p, ".relu1", NULL);
  g_autofree char *n_conv2 = g_strconcat (p, ".conv2", NULL);
  g_autofree char *n_bn2 = g_strconcat (p, ".bn2", NULL);
  g_autofree char *n_relu2 = g_strconcat (p, ".relu2", NULL);
  g_autofree char *n_conv3 = g_strconcat (p, ".conv3", NULL);
  g_autofree char *n_bn3 = g_strconcat (p, ".bn3", NULL);
  g_autofree char *n_down0 = g_strconcat (p, ".downsample.0", NULL);
  g_autofree char *n_down1 = g_strconcat (p, ".downsample.1", NULL);
  g_autofree char *n_add = g_strconcat (p, ".add", NULL);
  g_autofree char *n_relu3 = g_strconcat (p, ".relu3", NULL);
  guint in_channels = bs_model_value_info (model, x)->channels;
  guint out_channels = planes * BOTTLENECK_EXPANSION;
  guint v, shortcut = x;

  if (!(v = bs_model_add_conv (model, x, n_conv1, BS_LAYER_CONV, stage, block, planes, 1, 1, 0, error)))
    return 0;
  v = bs_model_add_bn (model, v, n_bn1, BS_LAYER_BN, stage, block);
  v = bs_model_add_relu (model, v, n_relu1, stage, block, FALSE);
  /* torchvision v1.5: the stride sits on the 3x3 convolution. */
  if (!(v = bs_model_add_conv (model, v, n_conv2, BS_LAYER_CONV, stage, block, planes, 3, stride, 1, error)))
    return 0;
  v = bs_model_add_bn (model, v, n_bn2, BS_LAYER_BN, stage, block);
  v = bs_model_add_relu (model, v, n_relu2, stage, block, FALSE);
  if (!(v = bs_model_add_conv (model, v, n_conv3, BS_LAYER_CONV, stage, block, out_channels, 1, 1, 0, error)))
    return 0;
  v = bs_model_add_bn (model, v, n_bn3, BS_LAYER_BN, stage, block);
  if (stride != 1 || in_channels != out_channels)
    {
      if (!(shortcut = bs_model_add_conv (model, x, n_down0, BS_LAYER_SHORTCUT, stage, block,
                                          out_channels, 1, stride, 0, error)))
        return 0;
      shortcut = bs_model_add_bn (model, shortcut, n_down1, BS_LAYER_SHORTCUT, stage, block);
    }
  if (!(v = bs_model_add_add (model, v, shortcut, n_add, stage, block, error)))
    return 0;
  return bs_model_add_relu (model, v, n_relu3, stage, block, TRUE);
}

/* The graph, with its parameters' memory when allocate (else a description). */
static BsModel *
build (const char          *name,
       const BsResnetSpec  *spec,
       guint                in_channels,
       guint                in_height,
       guint                in_width,
       guint                n_classes,
       gboolean             allocate,
       GError             **error)
{
  BsModel *model;
  guint v = 0;

  if (in_channels == 0 || in_height == 0 || in_width == 0 ||
      in_channels > MAX_INPUT_SIZE || in_height > MAX_INPUT_SIZE || in_width > MAX_INPUT_SIZE)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Model '%s': unsupported input shape %ux%ux%u"), name,
                   in_channels, in_height, in_width);
      return NULL;
    }
  if (n_classes < MIN_CLASSES || n_classes > MAX_CLASSES)
    {
      g_set_error (error, BS_ERROR, BS_ERROR_INVALID_ARGUMENT,
                   _("Model '%s': the number of classes must be between %d and %d, not %u"),
                   name, MIN_CLASSES, MAX_CLASSES, n_classes);
      return NULL;
    }
  g_return_val_if_fail (spec->n_stages >= 1 && spec->n_stages <= BS_RESNET_MAX_STAGES, NULL);

  model = bs_model_builder_new (name, in_channels, in_height, in_width, n_classes);

  /* The stem: a 7x7 stride-2 convolution and a 3x3 stride-2 max-pool
   * (ImageNet), or a 3x3 convolution (CIFAR). */
  if (spec->imagenet_stem)
    v = bs_model_add_conv (model, v, "conv1", BS_LAYER_CONV, BS_LAYER_STAGE_STEM, BS_MODEL_NO_BLOCK,
                           spec->stem_channels, 7, 2, 3, error);
  else
    v = bs_model_add_conv (model, v, "conv1", BS_LAYER_CONV, BS_LAYER_STAGE_STEM, BS_MODEL_NO_BLOCK,
                           spec->stem_channels, 3, 1, 1, error);
  if (v == 0)
    goto fail;
  v = bs_model_add_bn (model, v, "bn1", BS_LAYER_BN, BS_LAYER_STAGE_STEM, BS_MODEL_NO_BLOCK);
  v = bs_model_add_relu (model, v, "relu", BS_LAYER_STAGE_STEM, BS_MODEL_NO_BLOCK, FALSE);
  if (spec->imagenet_stem && !(v = bs_model_add_maxpool (model, v, "maxpool", 3, 2, 1, error)))
    goto fail;

  for (guint s = 0; s < spec->n_stages; s++)
    for (guint b = 0; b < spec->blocks[s]; b++)
      {
        guint stride = (s > 0 && b == 0) ? 2 : 1;

        if (spec->block == BS_RESNET_BASIC)
          v = basic_block (model, v, s + 1, b, spec->widths[s], stride, error);
        else
          v = bottleneck_block (model, v, s + 1, b, spec->widths[s], stride, error);
        if (v == 0)
          goto fail;
      }

  v = bs_model_add_avgpool (model, v, "avgpool");
  bs_model_add_fc (model, v, "fc");
  if (allocate ? !bs_model_builder_finish (model, error) : !bs_model_builder_check_size (model, error))
    {
      bs_model_free (model);
      return NULL;
    }
  return model;

fail:
  /* Translators: a model name and channels x height x width; the reason follows. */
  g_prefix_error (error, _("Model '%s' does not fit a %ux%ux%u input: "), name,
                  in_channels, in_height, in_width);
  bs_model_free (model);
  return NULL;
}

BsModel *
bs_resnet_build (const char          *name,
                 const BsResnetSpec  *spec,
                 guint                in_channels,
                 guint                in_height,
                 guint                in_width,
                 guint                n_classes,
                 GError             **error)
{
  return build (name, spec, in_channels, in_height, in_width, n_classes, TRUE, error);
}

/* Declared in bs-model.h: every model name is a ResNet's. */
BsModel *
bs_model_new_description (const char  *name,
                          guint        in_channels,
                          guint        in_height,
                          guint        in_width,
                          guint        n_classes,
                          GError     **error)
{
  BsResnetSpec spec;

  if (!bs_resnet_spec_parse (name, &spec, error))
    return NULL;
  return build (name, &spec, in_channels, in_height, in_width, n_classes, FALSE, error);
}

/* Declared in bs-model.h: every model name is a ResNet's. */
BsModel *
bs_model_new (const char  *name,
              guint        in_channels,
              guint        in_height,
              guint        in_width,
              guint        n_classes,
              GError     **error)
{
  BsResnetSpec spec;

  if (!bs_resnet_spec_parse (name, &spec, error))
    return NULL;
  return bs_resnet_build (name, &spec, in_channels, in_height, in_width, n_classes, error);
}
