/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"
#include "yp-rate-limiter.h"
#include "yp-sync-plan.h"
#include "yp-sync-state.h"
#include "yp-sync-tree.h"

G_BEGIN_DECLS

/*
 * The executor: applies a YpSyncPlan to the local folder and the server,
 * in the engine's worker thread, and records each success in the pair's
 * base (yp-sync-state.h) in batches, so that a crash loses little and
 * never makes the next pass redo something wrongly.
 *
 * Every action checks first that what it expects still holds (the local
 * file the plan saw, the remote version it replaces, a free name); when it
 * does not, the action is deferred: nothing is changed, the base is left
 * as it was and the next pass decides again with fresh trees. A deferred
 * or failed action does not end the run; losing the network, a sign-in
 * the server no longer accepts, the state database failing and the
 * cancellable do, after what was done is committed.
 */

#define YP_TYPE_SYNC_EXECUTOR (yp_sync_executor_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncExecutor, yp_sync_executor, YP, SYNC_EXECUTOR, GObject)

/* How many actions' base changes one batch holds at most by default. */
#define YP_SYNC_EXECUTOR_BATCH_SIZE 64
/* How many small downloads run at once by default, and at most. */
#define YP_SYNC_EXECUTOR_DOWNLOAD_STREAMS     4
#define YP_SYNC_EXECUTOR_DOWNLOAD_STREAMS_MAX 16

/**
 * YpSyncOutcome:
 * @YP_SYNC_OUTCOME_DONE: the action was applied and recorded in the base
 * @YP_SYNC_OUTCOME_DEFERRED: what it expected no longer holds (the local
 *   file changed, the server has another version, the name is taken):
 *   nothing was changed and the next pass decides again
 * @YP_SYNC_OUTCOME_FAILED: it could not be applied (permission denied, a
 *   name the server refuses); the next pass tries again
 * @YP_SYNC_OUTCOME_SKIPPED: a skip of the plan: the path is left alone
 *
 * How one action ended, as the "action-finished" signal reports it.
 */
typedef enum
{
  YP_SYNC_OUTCOME_DONE,
  YP_SYNC_OUTCOME_DEFERRED,
  YP_SYNC_OUTCOME_FAILED,
  YP_SYNC_OUTCOME_SKIPPED,
} YpSyncOutcome;

/* The state is used by the executor's thread only while a run lasts;
 * STAGING_DIR holds the part files of downloads: outside the synced
 * folder, on its file system. */
YpSyncExecutor *yp_sync_executor_new            (YpClient        *client,
                                                 YpSyncState     *state,
                                                 const char      *staging_dir);
/* Commits the base at least every N actions (and at the end of a run). */
void            yp_sync_executor_set_batch_size (YpSyncExecutor  *self,
                                                 guint            n);
/* Sends at most N consecutive uploads of small files in one request
 * (default and at most YP_FILE_BATCH_MAX_ENTRIES); 1: each on its own. */
void            yp_sync_executor_set_upload_batch_limit (YpSyncExecutor *self,
                                                         guint           n);
/* Downloads of small files to free names run N at a time (default
 * YP_SYNC_EXECUTOR_DOWNLOAD_STREAMS); 1: one after the other. */
void            yp_sync_executor_set_download_streams (YpSyncExecutor *self,
                                                       guint           n);
/* (nullable): the bandwidth uploads may use; NULL: no limit. */
void            yp_sync_executor_set_rate_limiter (YpSyncExecutor *self,
                                                   YpRateLimiter  *limiter);

/*
 * Applies PLAN. REMOTE (nullable) is the remote tree the plan was made
 * from: with the base, it tells the node ids of folders, so that uploads
 * and moves name their destination by folder id. Signals are emitted in
 * the calling thread.
 *
 * Returns FALSE only when the run stopped (network, sign-in, state,
 * CANCELLABLE); per-action outcomes go to "action-finished" and, for what
 * was done or skipped, to the pair's activity.
 */
gboolean        yp_sync_executor_run_sync       (YpSyncExecutor  *self,
                                                 YpSyncPlan      *plan,
                                                 YpSyncTree      *remote,
                                                 GCancellable    *cancellable,
                                                 GError         **error);

G_END_DECLS
