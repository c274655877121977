/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-sync-error.h"
#include "yp-sync-item.h"

G_BEGIN_DECLS

/*
 * What the reconciler asks the engine to do to bring a pair back in sync:
 * an ordered list of actions. The executor runs them in order; each one
 * carries the state it expects (the local item it may replace or delete,
 * the remote version it may overwrite) and is refused when the file is no
 * longer what the plan saw, so a plan never destroys content written after
 * it was made. On success an action also updates the base entry of its
 * path (a move moves it); a failed action leaves the base alone and the
 * next pass decides again. A move or record of a folder moves the base
 * entries under it too.
 */

/**
 * YpSyncActionKind:
 * @YP_SYNC_ACTION_UPLOAD: send the local file at @path to the server;
 *   @if_version is %YP_VERSION_NONE for a new name or the version it
 *   replaces; @local is the file the plan read
 * @YP_SYNC_ACTION_DOWNLOAD: write the remote file at @path locally;
 *   @remote holds the expected SHA-256 and version, @local the local file
 *   it replaces (%NULL: the name must be free)
 * @YP_SYNC_ACTION_MKDIR_LOCAL: create the folder @path locally
 * @YP_SYNC_ACTION_MKDIR_REMOTE: create the folder @path on the server
 * @YP_SYNC_ACTION_DELETE_LOCAL: delete the local item @path, only if it
 *   still has the stat identity of @local (a folder only once empty)
 * @YP_SYNC_ACTION_DELETE_REMOTE: delete the remote item @path, only at
 *   version @if_version (the base's)
 * @YP_SYNC_ACTION_MOVE_LOCAL: rename the local item @from_path (@local)
 *   to @path, following a rename on the server (a folder moves with its
 *   content)
 * @YP_SYNC_ACTION_MOVE_REMOTE: rename the remote item @from_path (node
 *   @remote, at version @if_version) to @path, following a local rename
 * @YP_SYNC_ACTION_CONFLICT: both sides hold different content at @path:
 *   rename the local file (@local) to @conflict_path, upload it there as a
 *   new file (@if_version %YP_VERSION_NONE), then download @remote to
 *   @path
 * @YP_SYNC_ACTION_RECORD: both sides already agree at @path; only the base
 *   is updated
 * @YP_SYNC_ACTION_FORGET: both sides lost @path; the base entry is dropped
 * @YP_SYNC_ACTION_SKIP: @path cannot be synced (@skip_code, @reason) and
 *   is left alone on both sides, with what is under it
 */
typedef enum
{
  YP_SYNC_ACTION_UPLOAD,
  YP_SYNC_ACTION_DOWNLOAD,
  YP_SYNC_ACTION_MKDIR_LOCAL,
  YP_SYNC_ACTION_MKDIR_REMOTE,
  YP_SYNC_ACTION_DELETE_LOCAL,
  YP_SYNC_ACTION_DELETE_REMOTE,
  YP_SYNC_ACTION_MOVE_LOCAL,
  YP_SYNC_ACTION_MOVE_REMOTE,
  YP_SYNC_ACTION_CONFLICT,
  YP_SYNC_ACTION_RECORD,
  YP_SYNC_ACTION_FORGET,
  YP_SYNC_ACTION_SKIP,
} YpSyncActionKind;

#define YP_TYPE_SYNC_ACTION (yp_sync_action_get_type ())
#define YP_TYPE_SYNC_PLAN   (yp_sync_plan_get_type ())

/**
 * YpSyncAction:
 * @kind: what to do
 * @path: the path acted on, as it is when the action runs (moves: the
 *   destination; conflicts: the name the remote version keeps)
 * @from_path: moves: the path the item has when the move runs
 * @conflict_path: conflicts: the name the local version takes
 * @local: (nullable): the local item the action expects (%NULL: none)
 * @remote: (nullable): the remote item the action expects (%NULL: none):
 *   its node id, version and SHA-256; its path may be older than @path
 *   when a folder above it moves earlier in the plan
 * @base: (nullable): the base entry the decision came from
 * @if_version: uploads, remote deletes and moves: the condition on the
 *   server, as in yp-node.h
 * @skip_code: skips: a #YpSyncError code
 * @reason: (nullable): skips: why, for the user; other actions: a note
 *   worth reporting (a rename on both sides)
 *
 * Reference-counted; not changed once it is in a plan.
 */
typedef struct
{
  YpSyncActionKind  kind;
  char             *path;
  char             *from_path;
  char             *conflict_path;
  YpSyncItem       *local;
  YpSyncItem       *remote;
  YpSyncItem       *base;
  gint64            if_version;
  YpSyncError       skip_code;
  char             *reason;
} YpSyncAction;

typedef struct _YpSyncPlan YpSyncPlan;

GType         yp_sync_action_get_type      (void) G_GNUC_CONST;
YpSyncAction *yp_sync_action_new           (YpSyncActionKind  kind,
                                            const char       *path);
YpSyncAction *yp_sync_action_ref           (YpSyncAction     *action);
void          yp_sync_action_unref         (YpSyncAction     *action);
const char   *yp_sync_action_kind_to_string (YpSyncActionKind kind);

GType         yp_sync_plan_get_type        (void) G_GNUC_CONST;
YpSyncPlan   *yp_sync_plan_new             (void);
YpSyncPlan   *yp_sync_plan_ref             (YpSyncPlan       *plan);
void          yp_sync_plan_unref           (YpSyncPlan       *plan);
/* Appends ACTION (a reference is taken). */
void          yp_sync_plan_add             (YpSyncPlan       *plan,
                                            YpSyncAction     *action);
guint         yp_sync_plan_get_n_actions   (YpSyncPlan       *plan);
/* (transfer none) */
YpSyncAction *yp_sync_plan_get_action      (YpSyncPlan       *plan,
                                            guint             index);
/* Whether the plan changes nothing: no actions, or only records and
 * forgets (the two sides are identical already). */
gboolean      yp_sync_plan_is_idle         (YpSyncPlan       *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncAction, yp_sync_action_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncPlan, yp_sync_plan_unref)

G_END_DECLS
