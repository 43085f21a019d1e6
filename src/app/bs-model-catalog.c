/* bs-model-catalog.c: model menus, display names and the checkpoint scan. */
#include "bs-config.h"

#include "bs-model-catalog.h"
#include "bs-runs.h"

#include <glib/gstdio.h>
#include <string.h>

/* The paper's CIFAR depths (6n + 2) and width multipliers. */
const guint bs_model_catalog_depths[] = { 14, 20, 26, 32, 38, 44, 56, 110, 164, 0 };
const guint bs_model_catalog_widths[] = { 1, 2, 4, 8, 10, 0 };
const guint bs_model_catalog_imagenet_depths[] = { 50, 101, 152, 0 };

void
bs_checkpoint_entry_free (BsCheckpointEntry *entry)
{
  if (entry == NULL)
    return;

  g_free (entry->path);
  g_free (entry->label);
  g_free (entry);
}

gboolean
bs_model_spec_is_path (const char *spec)
{
  return spec != NULL && (strchr (spec, '/') != NULL || g_str_has_suffix (spec, ".safetensors"));
}

static void
scan_folder (GPtrArray  *found,
             const char *folder,
             const char *run_name,
             guint       depth)
{
  g_autoptr(GDir) dir = g_dir_open (folder, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;

  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (folder, name, NULL);
      GStatBuf st;

      if (name[0] == '.' || g_stat (path, &st) != 0)
        continue;

      if (S_ISDIR (st.st_mode) && depth > 0)
        scan_folder (found, path, run_name ? run_name : name, depth - 1);
      else if (S_ISREG (st.st_mode) && g_str_has_suffix (name, ".safetensors"))
        {
          BsCheckpointEntry *entry = g_new0 (BsCheckpointEntry, 1);
          g_autofree char *stem = g_strndup (name, strlen (name) - strlen (".safetensors"));

          entry->path = g_steal_pointer (&path);
          entry->label = run_name ? g_strdup_printf ("%s › %s", run_name, stem) : g_steal_pointer (&stem);
          entry->mtime = st.st_mtime;
          g_ptr_array_add (found, entry);
        }
    }
}

static int
compare_newest_first (gconstpointer a,
                      gconstpointer b)
{
  const BsCheckpointEntry *ea = *(BsCheckpointEntry * const *) a;
  const BsCheckpointEntry *eb = *(BsCheckpointEntry * const *) b;

  if (ea->mtime != eb->mtime)
    return ea->mtime > eb->mtime ? -1 : 1;

  return g_strcmp0 (ea->path, eb->path);
}

GPtrArray *
bs_model_catalog_find_checkpoints (guint max_entries)
{
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) bs_checkpoint_entry_free);
  g_autofree char *runs = bs_runs_get_dir ();

  scan_folder (found, runs, NULL, 2);
  g_ptr_array_sort (found, compare_newest_first);
  if (found->len > max_entries)
    g_ptr_array_remove_range (found, max_entries, found->len - max_entries);

  return found;
}

char *
bs_model_spec_display_name (const char *spec)
{
  const char *p;
  char *end;
  guint64 depth, width = 1;

  if (spec == NULL || spec[0] == '\0')
    return g_strdup ("None");

  if (bs_model_spec_is_path (spec))
    {
      g_autofree char *base = g_path_get_basename (spec);
      g_autofree char *runs = bs_runs_get_dir ();
      g_autofree char *runs_slash = g_strconcat (runs, G_DIR_SEPARATOR_S, NULL);

      if (g_str_has_suffix (base, ".safetensors"))
        base[strlen (base) - strlen (".safetensors")] = '\0';

      /* A checkpoint of a trained run: name the run too. */
      if (g_str_has_prefix (spec, runs_slash))
        {
          g_autofree char *parent = g_path_get_dirname (spec);

          if (strcmp (parent, runs) != 0)
            {
              g_autofree char *run = g_path_get_basename (parent);

              return g_strdup_printf ("%s › %s", run, base);
            }
        }

      return g_steal_pointer (&base);
    }

  if (g_str_has_prefix (spec, "imagenet-resnet"))
    {
      p = spec + strlen ("imagenet-resnet");
      depth = g_ascii_strtoull (p, &end, 10);
      if (end != p && *end == '\0')
        return g_strdup_printf ("ResNet-%" G_GUINT64_FORMAT " (ImageNet)", depth);
      return g_strdup (spec);
    }

  if (g_str_has_prefix (spec, "resnet"))
    {
      p = spec + strlen ("resnet");
      depth = g_ascii_strtoull (p, &end, 10);
      if (end == p)
        return g_strdup (spec);
      if (*end == 'x')
        {
          const char *w = end + 1;

          width = g_ascii_strtoull (w, &end, 10);
          if (end == w)
            return g_strdup (spec);
        }
      if (*end != '\0')
        return g_strdup (spec);
      if (width == 1)
        return g_strdup_printf ("ResNet-%" G_GUINT64_FORMAT, depth);
      return g_strdup_printf ("ResNet-%" G_GUINT64_FORMAT " ×%" G_GUINT64_FORMAT, depth, width);
    }

  return g_strdup (spec);
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
        g_autofree char *label = g_strdup_printf ("Width ×%u", bs_model_catalog_widths[w]);

        for (guint i = 0; bs_model_catalog_depths[i] != 0; i++)
          {
            g_autofree char *spec = g_strdup_printf ("resnet%ux%u", bs_model_catalog_depths[i],
                                                     bs_model_catalog_widths[w]);

            append_model (sub, action, spec);
          }
        g_menu_append_submenu (wider, label, G_MENU_MODEL (sub));
      }
    g_menu_append_submenu (cifar, "Wider ResNets", G_MENU_MODEL (wider));
  }
  g_menu_append_section (menu, "CIFAR ResNets", G_MENU_MODEL (cifar));

  for (guint i = 0; bs_model_catalog_imagenet_depths[i] != 0; i++)
    {
      g_autofree char *spec = g_strdup_printf ("imagenet-resnet%u", bs_model_catalog_imagenet_depths[i]);

      append_model (imagenet, action, spec);
    }
  g_menu_append_section (menu, "ImageNet-Style ResNets", G_MENU_MODEL (imagenet));

  if (checkpoints != NULL && checkpoints->len > 0)
    {
      g_autoptr(GMenu) trained = g_menu_new ();

      for (guint i = 0; i < checkpoints->len; i++)
        {
          const BsCheckpointEntry *entry = g_ptr_array_index (checkpoints, i);
          g_autoptr(GMenuItem) item = g_menu_item_new (entry->label, NULL);

          g_menu_item_set_action_and_target_value (item, action, g_variant_new_string (entry->path));
          g_menu_append_item (trained, item);
        }
      g_menu_append_section (menu, "Trained Checkpoints", G_MENU_MODEL (trained));
    }

  open_item = g_menu_item_new ("_Open Checkpoint…", NULL);
  g_menu_item_set_action_and_target_value (open_item, open_action, g_variant_new_string (open_target));
  g_menu_append_item (open, open_item);
  g_menu_append_section (menu, NULL, G_MENU_MODEL (open));

  return menu;
}
