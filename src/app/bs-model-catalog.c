/* bs-model-catalog.c: the model menus. */
#include "bs-config.h"

#include "bs-model-catalog.h"

#include <glib/gi18n.h>

#include "bs-model-spec.h"
#include "bs-runs.h"

/* The paper's CIFAR depths (6n + 2) and width multipliers. */
const guint bs_model_catalog_depths[] = { 14, 20, 26, 32, 38, 44, 56, 110, 164, 0 };
const guint bs_model_catalog_widths[] = { 1, 2, 4, 8, 10, 0 };
const guint bs_model_catalog_imagenet_depths[] = { 50, 101, 152, 0 };

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
