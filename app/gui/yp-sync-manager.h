/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-sync-engine.h"

G_BEGIN_DECLS

/*
 * The sync folders of this machine, and the engines of the signed-in
 * account's: owned by the application rather than a window, so that
 * syncing goes on while no window is open.
 *
 * Pairs are kept in the "sync-folders" settings key for every account
 * that added some; only the current account's run. Removing a pair stops
 * its engine and forgets it; no file is deleted on either side.
 */

#define YP_SYNC_MANAGER_ERROR (yp_sync_manager_error_quark ())

/**
 * YpSyncManagerError:
 * @YP_SYNC_MANAGER_ERROR_SIGNED_OUT: no account is set
 * @YP_SYNC_MANAGER_ERROR_LOCAL_PATH: the local folder is not an absolute path
 * @YP_SYNC_MANAGER_ERROR_REMOTE_PATH: the remote folder is not a valid absolute path
 * @YP_SYNC_MANAGER_ERROR_DUPLICATE: the local folder is already synced
 * @YP_SYNC_MANAGER_ERROR_NESTED: one folder would be inside another pair's
 */
typedef enum
{
  YP_SYNC_MANAGER_ERROR_SIGNED_OUT,
  YP_SYNC_MANAGER_ERROR_LOCAL_PATH,
  YP_SYNC_MANAGER_ERROR_REMOTE_PATH,
  YP_SYNC_MANAGER_ERROR_DUPLICATE,
  YP_SYNC_MANAGER_ERROR_NESTED,
} YpSyncManagerError;

GQuark         yp_sync_manager_error_quark   (void);

#define YP_TYPE_SYNC_MANAGER (yp_sync_manager_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncManager, yp_sync_manager, YP, SYNC_MANAGER, GObject)

/* SETTINGS: of the schema io.github.yunpan.Yunpan, holding "sync-folders". */
YpSyncManager *yp_sync_manager_new           (GSettings      *settings);

/* Stops the engines running and starts those of USERNAME on SERVER, which
 * use TOKEN. Called on sign-in, and again when the token changes. */
void           yp_sync_manager_set_account   (YpSyncManager  *self,
                                              const char     *server,
                                              const char     *username,
                                              const char     *token);
/* Stops every engine (sign-out, quit); the pairs stay saved. */
void           yp_sync_manager_clear_account (YpSyncManager  *self);
gboolean       yp_sync_manager_get_signed_in (YpSyncManager  *self);

/* (element-type YpSyncEngine): the current account's engines, running,
 * in the order the pairs were added. */
GListModel    *yp_sync_manager_get_pairs     (YpSyncManager  *self);
gboolean       yp_sync_manager_has_pairs     (YpSyncManager  *self);

/* Checks, saves and starts a pair of LOCAL_PATH (absolute) and
 * REMOTE_PATH (absolute; a trailing slash is dropped). The folders need
 * not exist: the engine makes them. Returns the new engine (owned by the
 * manager), or NULL with a YP_SYNC_MANAGER_ERROR whose message tells the
 * person what to change. */
YpSyncEngine  *yp_sync_manager_add_pair      (YpSyncManager  *self,
                                              const char     *local_path,
                                              const char     *remote_path,
                                              GError        **error);
/* Stops ENGINE and forgets its pair; both sides keep their files. */
void           yp_sync_manager_remove_pair   (YpSyncManager  *self,
                                              YpSyncEngine   *engine);

G_END_DECLS
