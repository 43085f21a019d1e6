/* bs-model-catalog.c: the model menus. */
#include "bs-config.h"

#include "bs-model-catalog.h"

#include <glib/gi18n.h>
#include <string.h>

#include "bs-model-spec.h"
#include "bs-runs.h"
#include "bs-weights-fetch.h"

/* The paper's CIFAR depths (6n + 2) and width multipliers. */
const guint bs_model_catalog_depths[] = { 14, 20, 26, 32, 38, 44, 56, 110, 164, 0 };
const guint bs_model_catalog_widths[] = { 1, 2, 4, 8, 10, 0 };
const guint bs_model_catalog_imagenet_depths[] = { 50, 101, 152, 0 };

/* torchvision's official files (resnet50-0676ba61.pth, ...), in bytes: what
 * a download of the weights costs. */
static const struct {
  const char *architecture;
  guint       depth;
  guint64     download_bytes;
} pretrained[] = {
  { "imagenet-resnet50", 50, 102530333 },
  { "imagenet-resnet101", 101, 178793939 },
  { "imagenet-resnet152", 152, 241627721 },
};

static int
pretrained_index (const char *architecture)
{
  for (guint i = 0; i < G_N_ELEMENTS (pretrained); i++)
    if (g_strcmp0 (pretrained[i].architecture, architecture) == 0)
      return (int) i;
  return -1;
}

char *
bs_model_catalog_weights_path (const char *architecture)
{
  g_autofree char *dir = bs_weights_fetch_default_dir ();
  g_autofree char *file = g_strconcat (architecture, ".safetensors", NULL);

  return g_build_filename (dir, file, NULL);
}

const char *
bs_model_catalog_weights_architecture (const char *spec)
{
  g_autofree char *dir = NULL;
  g_autofree char *parent = NULL;
  g_autofree char *base = NULL;

  if (spec == NULL || !g_str_has_suffix (spec, ".safetensors"))
    return NULL;
  dir = bs_weights_fetch_default_dir ();
  parent = g_path_get_dirname (spec);
  if (g_strcmp0 (parent, dir) != 0)
    return NULL;
  base = g_path_get_basename (spec);
  base[strlen (base) - strlen (".safetensors")] = '\0';
  for (guint i = 0; i < G_N_ELEMENTS (pretrained); i++)
    if (g_str_equal (base, pretrained[i].architecture))
      return pretrained[i].architecture;
  return NULL;
}

guint64
bs_model_catalog_weights_download_size (const char *architecture)
{
  int i = pretrained_index (architecture);

  return i >= 0 ? pretrained[i].download_bytes : 0;
}

char *
bs_model_catalog_weights_display_name (const char *architecture)
{
  int i = pretrained_index (architecture);

  if (i < 0)
    return bs_model_spec_display_name (architecture);
  /* Translators: a model menu's item; %u is the depth (50, 101, 152) of an
   * ImageNet ResNet whose weights were trained on ImageNet. */
  return g_strdup_printf (_("ResNet-%u (ImageNet weights)"), pretrained[i].depth);
}

char *
bs_model_catalog_display_name (const char *spec)
{
  const char *architecture = bs_model_catalog_weights_architecture (spec);

  if (architecture != NULL)
    return bs_model_catalog_weights_display_name (architecture);
  return bs_model_spec_display_name (spec);
}

char *
bs_model_catalog_describe_run (BsRun *run)
{
  const BsRunSettings *settings = bs_run_get_settings (run);
  g_autofree char *description = bs_run_describe (run);
  g_autofree char *from = NULL;

  if (settings->init == NULL || settings->init[0] == '\0')
    return g_steal_pointer (&description);
  from = bs_model_catalog_display_name (settings->init);
  /* Translators: a run's description ("resnet56 on CIFAR-10"), then the
   * checkpoint whose weights it started from ("ResNet-50 (ImageNet weights)"). */
  return g_strdup_printf (_("%s, fine-tuned from %s"), description, from);
}

gboolean
bs_model_catalog_lists (const char *spec,
                        GPtrArray  *checkpoints)
{
  if (spec == NULL || spec[0] == '\0')
    return FALSE;
  /* The weights are listed whether they are downloaded or not. */
  if (bs_model_catalog_weights_architecture (spec) != NULL)
    return TRUE;
  for (guint i = 0; checkpoints != NULL && i < checkpoints->len; i++)
    if (g_strcmp0 (((const BsRunCheckpoint *) g_ptr_array_index (checkpoints, i))->path, spec) == 0)
      return TRUE;
  for (guint i = 0; bs_model_catalog_depths[i] != 0; i++)
    for (guint w = 0; bs_model_catalog_widths[w] != 0; w++)
      {
        g_autofree char *name = w == 0 ? g_strdup_printf ("resnet%u", bs_model_catalog_depths[i])
                                       : g_strdup_printf ("resnet%ux%u", bs_model_catalog_depths[i],
                                                          bs_model_catalog_widths[w]);

        if (g_str_equal (name, spec))
          return TRUE;
      }
  for (guint i = 0; bs_model_catalog_imagenet_depths[i] != 0; i++)
    {
      g_autofree char *name = g_strdup_printf ("imagenet-resnet%u", bs_model_catalog_imagenet_depths[i]);

      if (g_str_equal (name, spec))
        return TRUE;
    }
  return FALSE;
}

static void
append_model (GMenu      *menu,
              const char *action,
              const char *spec)
{
  g_autofree char *label = bs_model_spec_display_name (spec);
  g_autoptr(GMenuItem) item = g_menu_item_new (label, NULL);

  g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (spec));
  g_menu_append_item (menu, item);
}

GMenu *
bs_model_catalog_build_menu (const char *action,
                             const char *open_action,
                             const char *open_target,
                             GPtrArray  *checkpoints)
{
  GMenu *menu = g_menu_new ();
  g_autoptr(GMenu) cifar = g_menu_new ();
  g_autoptr(GMenu) imagenet = g_menu_new ();
  g_autoptr(GMenu) open = g_menu_new ();
  g_autoptr(GMenuItem) open_item = NULL;

  /* The common case first: width 1 by depth, straight in the menu. */
  for (guint i = 0; bs_model_catalog_depths[i] != 0; i++)
    {
      g_autofree char *spec = g_strdup_printf ("resnet%u", bs_model_catalog_depths[i]);

      append_model (cifar, action, spec);
    }

  /* Wider networks, one submenu per width. */
  {
    g_autoptr(GMenu) wider = g_menu_new ();

    for (guint w = 1; bs_model_catalog_widths[w] != 0; w++)
      {
        g_autoptr(GMenu) sub = g_menu_new ();
        g_autofree char *label = g_strdup_printf (_("Width ×%u"), bs_model_catalog_widths[w]);

        for (guint i = 0; bs_model_catalog_depths[i] != 0; i++)
          {
            g_autofree char *spec = g_strdup_printf ("resnet%ux%u", bs_model_catalog_depths[i],
                                                     bs_model_catalog_widths[w]);

            append_model (sub, action, spec);
          }
        g_menu_append_submenu (wider, label, G_MENU_MODEL (sub));
      }
    g_menu_append_submenu (cifar, _("Wider ResNets"), G_MENU_MODEL (wider));
  }
  g_menu_append_section (menu, _("CIFAR ResNets"), G_MENU_MODEL (cifar));

  for (guint i = 0; bs_model_catalog_imagenet_depths[i] != 0; i++)
    {
      g_autofree char *spec = g_strdup_printf ("imagenet-resnet%u", bs_model_catalog_imagenet_depths[i]);

      append_model (imagenet, action, spec);
    }
  g_menu_append_section (menu, _("ImageNet-Style ResNets"), G_MENU_MODEL (imagenet));

  /* The pretrained weights are checkpoints: the item's target is the file,
   * listed even before it exists, so that users find it; choosing a missing
   * one offers the download (bs-window-weights.c). */
  {
    g_autoptr(GMenu) weights = g_menu_new ();

    for (guint i = 0; i < G_N_ELEMENTS (pretrained); i++)
      {
        g_autofree char *path = bs_model_catalog_weights_path (pretrained[i].architecture);
        g_autofree char *name = bs_model_catalog_weights_display_name (pretrained[i].architecture);
        g_autofree char *label = NULL;
        g_autoptr(GMenuItem) item = NULL;

        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          label = g_strdup (name);
        else
          {
            g_autofree char *size = g_format_size (pretrained[i].download_bytes);

            /* Translators: a model menu's item for weights not downloaded yet:
             * the model ("ResNet-50 (ImageNet weights)") and the size of the download. */
            label = g_strdup_printf (_("%s — download %s"), name, size);
          }
        item = g_menu_item_new (label, NULL);
        g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (path));
        g_menu_append_item (weights, item);
      }
    g_menu_append_section (menu, _("Pretrained on ImageNet"), G_MENU_MODEL (weights));
  }

  if (checkpoints != NULL && checkpoints->len > 0)
    {
      g_autoptr(GMenu) trained = g_menu_new ();
      g_autoptr(GHashTable) run_menus = g_hash_table_new (g_str_hash, g_str_equal);

      /* A run's checkpoints in a submenu of their own ("run › epoch N"),
       * runs in the order of their newest checkpoint. */
      for (guint i = 0; i < checkpoints->len; i++)
        {
          const BsRunCheckpoint *checkpoint = g_ptr_array_index (checkpoints, i);
          g_autoptr(GMenuItem) item = NULL;
          GMenu *run_menu;

          if (checkpoint->run == NULL)
            {
              item = g_menu_item_new (checkpoint->label, NULL);
              g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (checkpoint->path));
              g_menu_append_item (trained, item);
              continue;
            }
          run_menu = g_hash_table_lookup (run_menus, checkpoint->run);
          if (run_menu == NULL)
            {
              run_menu = g_menu_new ();
              g_hash_table_insert (run_menus, checkpoint->run, run_menu);
              g_menu_append_submenu (trained, checkpoint->run, G_MENU_MODEL (run_menu));
              g_object_unref (run_menu);   /* the submenu keeps it */
            }
          item = g_menu_item_new (checkpoint->item, NULL);
          g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (checkpoint->path));
          g_menu_append_item (run_menu, item);
        }
      g_menu_append_section (menu, _("Trained Checkpoints"), G_MENU_MODEL (trained));
    }

  open_item = g_menu_item_new (_("_Open Checkpoint…"), NULL);
  g_menu_item_set_action_and_target_value (open_item, open_action, g_variant_new_string (open_target));
  g_menu_append_item (open, open_item);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (open));

  return menu;
}
