/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-sync-manager.h"

G_BEGIN_DECLS

#define YP_TYPE_SYNC_ROW (yp_sync_row_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncRow, yp_sync_row, YP, SYNC_ROW, GtkListBoxRow)

/* One pair of MANAGER's, run by ENGINE: its folders, live status and
 * conflicts, and the sync.* actions on it. Emits "launch-failed" (a
 * message to show) when a folder or file cannot be opened. */
GtkWidget    *yp_sync_row_new        (YpSyncManager *manager,
                                      YpSyncEngine  *engine);
YpSyncEngine *yp_sync_row_get_engine (YpSyncRow     *self);

G_END_DECLS
