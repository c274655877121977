/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-client.h"
#include "yp-event-stream.h"
#include "yp-sync-engine.h"
#include "yp-sync-executor.h"
#include "yp-sync-ignore.h"
#include "yp-sync-monitor.h"
#include "yp-sync-state.h"
#include "yp-sync-tree.h"

G_BEGIN_DECLS

/*
 * The engine's worker: what lives in its thread. yp-sync-engine.c owns the
 * thread and the public face; yp-sync-worker.c opens the pair and schedules
 * passes; yp-sync-pass.c is one pass.
 */
typedef struct _YpSyncWorker YpSyncWorker;

/**
 * YpSyncPassResult:
 * @in_sync: both sides were identical: the plan had nothing to do, no
 *   path was skipped or left for later
 * @settled: nothing is left that another pass could do now: in sync, or
 *   only paths that cannot be synced are left (skipped, reported)
 * @did_work: the pass applied a plan with something in it; another pass
 *   follows at once to confirm it
 */
typedef struct
{
  gboolean in_sync;
  gboolean settled;
  gboolean did_work;
} YpSyncPassResult;

struct _YpSyncWorker
{
  /* set by the engine before the thread starts, then read-only */
  YpSyncEngine   *engine;           /* not a reference: it joins the thread */
  char           *server;
  char           *token;
  char           *local_path;
  char           *remote_path;
  char           *host;
  gboolean        once;
  guint           full_pass_interval_s;
  GMainContext   *owner_context;

  /* the worker thread's own */
  GMainContext   *context;
  GMainLoop      *loop;
  /* the pass's cancellable, cancelled by stop and pause from the owner's
   * thread: hence the lock */
  GMutex          lock;
  GCancellable   *cancellable;
  YpClient       *client;
  YpSyncState    *state;
  YpSyncExecutor *executor;
  YpSyncMonitor  *monitor;
  YpEventStream  *events;
  char           *staging_dir;
  gint64          root_id;
  gboolean        case_insensitive;  /* the local file system folds case */

  /* the remote tree, kept current from the feed across passes */
  YpSyncTree     *remote;
  gint64          remote_cursor;
  gboolean        full_listing_needed;

  /* scheduling */
  GSource        *pass_source;
  GSource        *interval_source;
  GSource        *trim_source;
  guint           backoff_s;
  guint           passes_in_a_row;
  gboolean        paused;
  gboolean        stopping;
  gboolean        signed_out;

  /* the local side: paths the monitor reported since the last pass, and
   * whether everything else is as the base has it (the last pass found
   * both sides in sync, and no event was lost since) */
  GHashTable     *dirty;
  gboolean        local_trusted;
  gboolean        full_scan;

  /* for this pass's result */
  guint           n_unfinished;     /* deferred or failed actions */
  GHashTable     *reported_problems;
};

/* yp-sync-worker.c: the thread's body */
gpointer      _yp_sync_worker_main      (gpointer          data);
void          _yp_sync_worker_free      (YpSyncWorker     *worker);
void          _yp_sync_worker_schedule  (YpSyncWorker     *worker,
                                         guint             delay_ms);

/* yp-sync-pass.c */
gboolean      _yp_sync_pass_run         (YpSyncWorker     *worker,
                                         YpSyncPassResult *result,
                                         GError          **error);

/* yp-sync-engine.c: called in the worker, delivered in the owner's context */
void          _yp_sync_engine_post_status   (YpSyncEngine  *self,
                                             YpSyncStatus   status,
                                             const char    *detail);
void          _yp_sync_engine_post_progress (YpSyncEngine  *self,
                                             guint          items_left,
                                             guint64        bytes_left);
void          _yp_sync_engine_post_action   (YpSyncEngine  *self,
                                             YpSyncAction  *action,
                                             YpSyncOutcome  outcome,
                                             const GError  *error);
void          _yp_sync_engine_post_pass     (YpSyncEngine  *self,
                                             gboolean       in_sync,
                                             GPtrArray     *conflicts,
                                             GPtrArray     *activity);
void          _yp_sync_engine_post_finished (YpSyncEngine  *self,
                                             gboolean       in_sync,
                                             const GError  *error);

G_END_DECLS
