/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-sync-executor.h"
#include "yp-sync-plan.h"

G_BEGIN_DECLS

/*
 * The sync engine of one pair: a local folder kept identical, both ways,
 * with a folder on the server, for as long as the engine runs.
 *
 * Everything it does happens in a worker thread of its own, with its own
 * client and main context: a pass (read the change feed, scan the folder,
 * reconcile, execute) runs at start, when the folder's monitor reports a
 * change, when the server's push stream says the account changed, when
 * asked (sync-now) and every few minutes. Nothing blocks the thread that
 * made the engine: its properties and signals are updated and emitted in
 * that thread's thread-default main context, for a window or a tray to
 * bind to.
 *
 * The local folder is created when missing, and so is the remote folder
 * (with its parents). The pair's own ignore file is LOCAL/.yunpan-ignore
 * (gitignore-like patterns, see yp-sync-ignore.h); like every `.yunpan-*`
 * name it is never synced.
 */

#define YP_TYPE_SYNC_ENGINE (yp_sync_engine_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncEngine, yp_sync_engine, YP, SYNC_ENGINE, GObject)

/* The name of the pair's ignore file in the local folder. */
#define YP_SYNC_ENGINE_IGNORE_FILE ".yunpan-ignore"

/**
 * YpSyncStatus:
 * @YP_SYNC_STATUS_STOPPED: not started, or stopped
 * @YP_SYNC_STATUS_STARTING: signing in and opening the pair
 * @YP_SYNC_STATUS_IDLE: both sides are identical as of the last pass
 * @YP_SYNC_STATUS_SCANNING: reading the change feed and the local folder
 * @YP_SYNC_STATUS_SYNCING: applying a plan: see items-left and bytes-left
 * @YP_SYNC_STATUS_PAUSED: paused by the user
 * @YP_SYNC_STATUS_OFFLINE: the server cannot be reached; retried with
 *   backoff, and at once when the push stream comes back
 * @YP_SYNC_STATUS_ERROR: the pair cannot be synced (see status-detail):
 *   another engine runs it, its state is damaged, a folder vanished
 * @YP_SYNC_STATUS_SIGNED_OUT: the server no longer accepts the session;
 *   nothing is deleted, the engine waits to be stopped
 */
typedef enum
{
  YP_SYNC_STATUS_STOPPED,
  YP_SYNC_STATUS_STARTING,
  YP_SYNC_STATUS_IDLE,
  YP_SYNC_STATUS_SCANNING,
  YP_SYNC_STATUS_SYNCING,
  YP_SYNC_STATUS_PAUSED,
  YP_SYNC_STATUS_OFFLINE,
  YP_SYNC_STATUS_ERROR,
  YP_SYNC_STATUS_SIGNED_OUT,
} YpSyncStatus;

#define YP_TYPE_SYNC_STATUS (yp_sync_status_get_type ())
GType         yp_sync_status_get_type        (void) G_GNUC_CONST;
const char   *yp_sync_status_to_string       (YpSyncStatus   status);

#define YP_SYNC_ENGINE_FULL_PASS_INTERVAL_S 600

/* SERVER: the server's URL; TOKEN: a session token for it; LOCAL_PATH:
 * the local folder; REMOTE_PATH: the folder on the server (absolute). */
YpSyncEngine *yp_sync_engine_new             (const char    *server,
                                              const char    *token,
                                              const char    *local_path,
                                              const char    *remote_path);
/* The host name conflict copies carry; by default this machine's. Only
 * before start. */
void          yp_sync_engine_set_host        (YpSyncEngine  *self,
                                              const char    *host);
/* Once: run passes until both sides are identical (or nothing more can be
 * done), then stop by itself, emitting "finished". Only before start. */
void          yp_sync_engine_set_once        (YpSyncEngine  *self,
                                              gboolean       once);
/* A full pass at least every SECONDS (default
 * YP_SYNC_ENGINE_FULL_PASS_INTERVAL_S), for what no event reported. Only
 * before start. */
void          yp_sync_engine_set_full_pass_interval (YpSyncEngine *self,
                                                     guint         seconds);

void          yp_sync_engine_start           (YpSyncEngine  *self);
/* Ends the current action safely (what was done is committed) and joins
 * the worker; blocks for as long as that takes. */
void          yp_sync_engine_stop            (YpSyncEngine  *self);
void          yp_sync_engine_pause           (YpSyncEngine  *self);
void          yp_sync_engine_resume          (YpSyncEngine  *self);
/* A full pass now, even when the folder and the feed seem quiet. */
void          yp_sync_engine_sync_now        (YpSyncEngine  *self);

YpSyncStatus  yp_sync_engine_get_status      (YpSyncEngine  *self);
/* (nullable): why the status is error, offline or signed out. */
const char   *yp_sync_engine_get_status_detail (YpSyncEngine *self);
gboolean      yp_sync_engine_get_paused      (YpSyncEngine  *self);
guint         yp_sync_engine_get_items_left  (YpSyncEngine  *self);
guint64       yp_sync_engine_get_bytes_left  (YpSyncEngine  *self);
/* When both sides were last found identical (g_get_real_time()); 0: not
 * yet. */
gint64        yp_sync_engine_get_last_sync   (YpSyncEngine  *self);
const char   *yp_sync_engine_get_local_path  (YpSyncEngine  *self);
const char   *yp_sync_engine_get_remote_path (YpSyncEngine  *self);
/* (element-type YpSyncConflict) (transfer container): the conflict copies
 * made so far, oldest first, as of the last pass. */
GPtrArray    *yp_sync_engine_dup_conflicts   (YpSyncEngine  *self);
/* (element-type YpSyncActivity) (transfer container): recent activity,
 * newest first, as of the last pass. */
GPtrArray    *yp_sync_engine_dup_activity    (YpSyncEngine  *self);

G_END_DECLS
