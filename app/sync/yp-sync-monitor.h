/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-sync-ignore.h"

G_BEGIN_DECLS

/*
 * Watches a pair's local folder for changes, so that the engine syncs a
 * saved file within a second instead of at the next full scan.
 *
 * One GFileMonitor per folder of the tree (ignored folders are not
 * watched), added as folders appear and dropped as they go. Events are
 * gathered until the folder is quiet for a moment (at most a couple of
 * seconds after the first one) and then reported as one
 * YpSyncMonitor::changed with the pair paths touched: an editor's write of
 * a temporary then rename over the file is one change naming the file.
 * A path that names a folder stands for everything under it.
 *
 * When some change may have been missed (a folder could not be watched,
 * the watch limit was reached, the root itself went), it emits
 * YpSyncMonitor::overflow instead, and the engine scans everything.
 *
 * Works in the thread-default main context of the thread that made it;
 * the walks of new subtrees run in worker threads.
 */

#define YP_TYPE_SYNC_MONITOR (yp_sync_monitor_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncMonitor, yp_sync_monitor, YP, SYNC_MONITOR, GObject)

/* ROOT: the pair's local folder; IGNORE (nullable): the pair's rules,
 * NULL for the built-in ones. Watches nothing until started. */
YpSyncMonitor *yp_sync_monitor_new             (const char    *root,
                                                YpSyncIgnore  *ignore);
/* Watches the root and walks it (in a thread) to watch every folder in
 * it; what the walk finds is not reported: the engine scans at start. */
void           yp_sync_monitor_start           (YpSyncMonitor *self);
/* Drops every watch and what was not reported yet. */
void           yp_sync_monitor_stop            (YpSyncMonitor *self);
/* How many folders are watched, the root included. */
guint          yp_sync_monitor_get_n_watched   (YpSyncMonitor *self);
/* Whether YpSyncMonitor::overflow was emitted since the last start. */
gboolean       yp_sync_monitor_get_overflowed  (YpSyncMonitor *self);

G_END_DECLS
