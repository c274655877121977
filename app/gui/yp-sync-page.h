/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-sync-manager.h"

G_BEGIN_DECLS

#define YP_TYPE_SYNC_PAGE (yp_sync_page_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncPage, yp_sync_page, YP, SYNC_PAGE, AdwBin)

/* The "Sync Folders" page: MANAGER's pairs, each a YpSyncRow, and the
 * sync.add action (the Add Sync Folder dialog). The page only shows the
 * manager: closing it stops nothing. */
GtkWidget     *yp_sync_page_new         (YpSyncManager *manager);
YpSyncManager *yp_sync_page_get_manager (YpSyncPage    *self);

G_END_DECLS
