/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-sync-pair.h"
#include "yp-sync-tree.h"
#include "yp-transfer.h"

G_BEGIN_DECLS

/*
 * What a pair remembers between runs, in one SQLite database per pair:
 * $XDG_DATA_HOME/yunpan/sync/<pair id>.db, never inside the synced folder.
 * It holds the base (every path as it was when last synced, on both
 * sides), the change-feed cursor the base is up to date with, the uploads
 * in progress (so that a restarted engine resumes them), recent activity
 * and the conflicts found.
 *
 * An open YpSyncState holds the pair's lock (flock() on <pair id>.db.lock
 * beside the database, which holds the holder's pid) until it is
 * finalized: a second engine on the same pair, in this process or another,
 * is refused with YP_SYNC_ERROR_LOCKED; the lock of a process that died is
 * taken over. The lock is not passed to programs the engine executes, but
 * a fork()ed child shares it until it exits or executes.
 *
 * Every method that touches the database is `_sync` and may block on the
 * disk: call them from the engine's worker thread, one thread at a time.
 *
 * Changes to the base go in batches, each one transaction: begin, any
 * number of put/remove/move of items and a new cursor, commit. A crash or
 * `kill -9` before the commit leaves the database as the previous commit
 * left it; after it, everything in the batch is on disk. The other writes
 * (uploads, activity, conflicts) join the open batch when there is one,
 * and are their own transaction otherwise.
 */

#define YP_TYPE_SYNC_STATE (yp_sync_state_get_type ())

G_DECLARE_FINAL_TYPE (YpSyncState, yp_sync_state, YP, SYNC_STATE, GObject)

/* The schema this version reads and writes (PRAGMA user_version). */
#define YP_SYNC_STATE_SCHEMA_VERSION 2
/* How many activity entries are kept; older ones are dropped. */
#define YP_SYNC_STATE_ACTIVITY_MAX   500

/**
 * YpSyncUpload:
 * @path: the file, relative to the pair's root
 * @upload_id: the server's id of the upload (yp_transfer_dup_upload_id())
 * @identity: the local file the upload was started from
 * @sha256: the content hash the upload was started with (hex), "" when
 *   unknown
 *
 * An upload in progress, to be resumed through
 * YpUploadOptions.resume_upload_id while the file is still @identity.
 */
typedef struct
{
  char           *path;
  char           *upload_id;
  YpFileIdentity  identity;
  char            sha256[65];
} YpSyncUpload;

YpSyncUpload *yp_sync_upload_new  (const char           *path,
                                   const char           *upload_id,
                                   const YpFileIdentity *identity,
                                   const char           *sha256);
void          yp_sync_upload_free (YpSyncUpload         *upload);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncUpload, yp_sync_upload_free)

typedef enum
{
  YP_SYNC_ACTIVITY_UPLOAD,
  YP_SYNC_ACTIVITY_DOWNLOAD,
  YP_SYNC_ACTIVITY_MKDIR_LOCAL,
  YP_SYNC_ACTIVITY_MKDIR_REMOTE,
  YP_SYNC_ACTIVITY_DELETE_LOCAL,
  YP_SYNC_ACTIVITY_DELETE_REMOTE,
  YP_SYNC_ACTIVITY_MOVE_LOCAL,
  YP_SYNC_ACTIVITY_MOVE_REMOTE,
  YP_SYNC_ACTIVITY_CONFLICT,
  YP_SYNC_ACTIVITY_SKIPPED,
} YpSyncActivityKind;

/**
 * YpSyncActivity:
 * @id: increases with every entry
 * @time_us: when, as g_get_real_time()
 * @kind: what was done
 * @path: to which path (relative to the pair's root)
 * @detail: (nullable): the new path of a move, the conflict copy's path,
 *   why a path was skipped
 */
typedef struct
{
  gint64              id;
  gint64              time_us;
  YpSyncActivityKind  kind;
  char               *path;
  char               *detail;
} YpSyncActivity;

void yp_sync_activity_free (YpSyncActivity *activity);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncActivity, yp_sync_activity_free)

/**
 * YpSyncConflict:
 * @id: increases with every conflict
 * @time_us: when it was found, as g_get_real_time()
 * @path: the path both sides changed; the remote version holds it
 * @copy_path: where the local version was kept
 */
typedef struct
{
  gint64  id;
  gint64  time_us;
  char   *path;
  char   *copy_path;
} YpSyncConflict;

void yp_sync_conflict_free (YpSyncConflict *conflict);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncConflict, yp_sync_conflict_free)

YpSyncState *yp_sync_state_open_sync          (YpSyncPair          *pair,
                                               GCancellable        *cancellable,
                                               GError             **error);
/* Where PAIR's database is, whether or not it exists yet. */
char        *yp_sync_state_dup_path_for_pair  (const YpSyncPair    *pair);

/* The pair as the database records it. */
YpSyncPair  *yp_sync_state_get_pair           (YpSyncState         *self);
const char  *yp_sync_state_get_path           (YpSyncState         *self);
/* The cursor of the last committed batch; 0 before the first. */
gint64       yp_sync_state_get_cursor         (YpSyncState         *self);
void         yp_sync_state_release_memory     (YpSyncState         *self);
gboolean     yp_sync_state_set_remote_path_sync (YpSyncState       *self,
                                                 const char        *remote_path,
                                                 GError           **error);

/* (transfer full): the base as the last commit left it. */
YpSyncTree  *yp_sync_state_load_base_sync     (YpSyncState         *self,
                                               GError             **error);

gboolean     yp_sync_state_begin_sync         (YpSyncState         *self,
                                               GError             **error);
/* Adds ITEM to the base, or replaces the item of its path. */
gboolean     yp_sync_state_put_item_sync      (YpSyncState         *self,
                                               const YpSyncItem    *item,
                                               GError             **error);
/* Removes PATH from the base; a folder's contents are removed with it. */
gboolean     yp_sync_state_remove_item_sync   (YpSyncState         *self,
                                               const char          *path,
                                               GError             **error);
/* (nullable): where the base has the node REMOTE_ID; NULL with no error
 * when nowhere. */
char        *yp_sync_state_dup_path_of_node_sync (YpSyncState      *self,
                                                  gint64            remote_id,
                                                  GError          **error);
/* Whether the base has an item at PATH. */
gboolean     yp_sync_state_has_path_sync      (YpSyncState         *self,
                                               const char          *path,
                                               gboolean            *has,
                                               GError             **error);
/* Gives FROM and everything under it the path TO, keeping their other
 * fields; nothing may be at TO yet, and TO may not be under FROM. */
gboolean     yp_sync_state_move_item_sync     (YpSyncState         *self,
                                               const char          *from,
                                               const char          *to,
                                               GError             **error);
/* The cursor the batch's changes bring the base up to; only in a batch,
 * and written with its commit. */
void         yp_sync_state_set_cursor         (YpSyncState         *self,
                                               gint64               cursor);
gboolean     yp_sync_state_commit_sync        (YpSyncState         *self,
                                               GError             **error);
void         yp_sync_state_rollback_sync      (YpSyncState         *self);
gboolean     yp_sync_state_in_batch           (YpSyncState         *self);

gboolean     yp_sync_state_put_upload_sync    (YpSyncState         *self,
                                               const YpSyncUpload  *upload,
                                               GError             **error);
/* (nullable): NULL with no error when no upload of PATH is recorded. */
YpSyncUpload *yp_sync_state_lookup_upload_sync (YpSyncState        *self,
                                                const char         *path,
                                                GError            **error);
gboolean     yp_sync_state_remove_upload_sync (YpSyncState         *self,
                                               const char          *path,
                                               GError             **error);
/* (element-type YpSyncUpload), sorted by path. */
GPtrArray   *yp_sync_state_dup_uploads_sync   (YpSyncState         *self,
                                               GError             **error);

/* DETAIL is nullable; TIME_US as g_get_real_time(). */
gboolean     yp_sync_state_add_activity_sync  (YpSyncState         *self,
                                               YpSyncActivityKind   kind,
                                               const char          *path,
                                               const char          *detail,
                                               gint64               time_us,
                                               GError             **error);
/* (element-type YpSyncActivity): the MAX newest entries, newest first. */
GPtrArray   *yp_sync_state_dup_activity_sync  (YpSyncState         *self,
                                               guint                max,
                                               GError             **error);

gboolean     yp_sync_state_add_conflict_sync  (YpSyncState         *self,
                                               const char          *path,
                                               const char          *copy_path,
                                               gint64               time_us,
                                               GError             **error);
/* Once the user has dealt with it (the copy is gone or was renamed). */
gboolean     yp_sync_state_remove_conflict_sync (YpSyncState       *self,
                                                 const char        *copy_path,
                                                 GError           **error);
/* (element-type YpSyncConflict): oldest first. */
GPtrArray   *yp_sync_state_dup_conflicts_sync (YpSyncState         *self,
                                               GError             **error);

G_END_DECLS
