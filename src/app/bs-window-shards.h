/* bs-window-shards.h: File › Open Shards Folder…: a cluster's CKA shards merged as they arrive.
 *
 * Action win.open-shards (Ctrl+Shift+F): a folder chooser, then the folder
 * is watched (GFileMonitor) and every .bscka file that appears complete is
 * loaded on a worker thread and merged with the shards loaded so far
 * (bs_cka_shards_merge with partial); the heatmap shows the merged result
 * like any other, the header says "k of N shards" and the progress bar how
 * many are in. A file that cannot be loaded, or a shard of another run than
 * the first ones, is reported once in the banner with the core's message
 * and the others go on. Watching stops when all shards are in, when another
 * computation or result is opened, or when the window closes. */
#pragma once

#include "bs-window.h"

G_BEGIN_DECLS

typedef struct _BsWindowShards BsWindowShards;

/* Adds the action to window. */
BsWindowShards *bs_window_shards_new          (BsWindow       *window);
void            bs_window_shards_free         (BsWindowShards *self);

/* Watches folder as Open Shards Folder… does after its chooser, loading
 * the shards it already holds. */
void            bs_window_shards_open_folder  (BsWindowShards *self,
                                               GFile          *folder);
/* Stops watching (the result on screen stays). */
void            bs_window_shards_stop         (BsWindowShards *self);

/* For tests: whether a folder is watched, the shards merged and the
 * shard count of their run (0 before the first). */
gboolean        bs_window_shards_is_watching  (BsWindowShards *self);
guint           bs_window_shards_get_n_loaded (BsWindowShards *self);
guint           bs_window_shards_get_n_shards (BsWindowShards *self);

G_END_DECLS
