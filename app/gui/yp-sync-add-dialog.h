/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-sync-manager.h"

G_BEGIN_DECLS

#define YP_TYPE_SYNC_ADD_DIALOG (yp_sync_add_dialog_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncAddDialog, yp_sync_add_dialog, YP, SYNC_ADD_DIALOG, AdwWindow)

/* Asks for a local folder (through the file chooser portal when
 * sandboxed) and a folder on the server, and adds the pair to MANAGER;
 * what add_pair refuses is shown in the dialog, which stays open. */
GtkWidget *yp_sync_add_dialog_new        (YpSyncManager   *manager,
                                          GtkWindow       *parent);
/* As if FOLDER had been chosen: the folder on the server becomes
 * "/" + its name unless the person typed another. */
void       yp_sync_add_dialog_set_folder (YpSyncAddDialog *self,
                                          GFile           *folder);

G_END_DECLS
