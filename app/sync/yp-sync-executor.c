/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-file-batch.h"
#include "yp-sync-error.h"
#include "yp-sync-executor-private.h"

/*
 * YpSyncExecutor itself: the run over the plan, what each outcome means,
 * the base's batches and the progress. The actions are in
 * yp-sync-executor-local.c, -remote.c and -transfer.c; the paths and node
 * ids they name things by in yp-sync-executor-paths.c.
 */

G_DEFINE_FINAL_TYPE (YpSyncExecutor, yp_sync_executor, G_TYPE_OBJECT)

enum {
  PROGRESS,
  ACTION_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
yp_sync_executor_finalize (GObject *object)
{
  YpSyncExecutor *self = YP_SYNC_EXECUTOR (object);

  g_clear_object (&self->client);
  g_clear_object (&self->state);
  g_clear_object (&self->limiter);
  g_clear_pointer (&self->staging_dir, g_free);
  g_clear_pointer (&self->local_root, g_free);
  g_clear_pointer (&self->remote_root, g_free);
  g_clear_pointer (&self->remote_ids, g_hash_table_unref);
  g_clear_pointer (&self->upload_batch, g_ptr_array_unref);
  g_clear_pointer (&self->download_queue, g_ptr_array_unref);

  G_OBJECT_CLASS (yp_sync_executor_parent_class)->finalize (object);
}

static void
yp_sync_executor_class_init (YpSyncExecutorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = yp_sync_executor_finalize;

  /**
   * YpSyncExecutor::progress:
   * @items_done: actions finished, whatever their outcome
   * @items_total: actions in the plan
   * @bytes_done: bytes transferred, of finished and running transfers
   * @bytes_total: bytes the plan's transfers move
   *
   * Emitted in the running thread as actions finish and transfers go on.
   */
  signals[PROGRESS] =
    g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 4,
                  G_TYPE_UINT, G_TYPE_UINT, G_TYPE_UINT64, G_TYPE_UINT64);

  /**
   * YpSyncExecutor::action-finished:
   * @action: the action
   * @outcome: a #YpSyncOutcome
   * @error: (nullable): why it was deferred or failed
   */
  signals[ACTION_FINISHED] =
    g_signal_new ("action-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3,
                  YP_TYPE_SYNC_ACTION, G_TYPE_INT, G_TYPE_ERROR);
}

static void
yp_sync_executor_init (YpSyncExecutor *self)
{
  self->batch_size = YP_SYNC_EXECUTOR_BATCH_SIZE;
  self->remote_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->upload_batch = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  self->upload_batch_limit = YP_FILE_BATCH_MAX_ENTRIES;
  self->download_queue = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  self->download_streams = YP_SYNC_EXECUTOR_DOWNLOAD_STREAMS;
}

YpSyncExecutor *
yp_sync_executor_new (YpClient    *client,
                      YpSyncState *state,
                      const char  *staging_dir)
{
  YpSyncExecutor *self;
  YpSyncPair *pair;

  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (YP_IS_SYNC_STATE (state), NULL);
  g_return_val_if_fail (staging_dir != NULL, NULL);

  self = g_object_new (YP_TYPE_SYNC_EXECUTOR, NULL);
  self->client = g_object_ref (client);
  self->state = g_object_ref (state);
  self->staging_dir = g_strdup (staging_dir);
  pair = yp_sync_state_get_pair (state);
  self->local_root = g_strdup (pair->local_path);
  self->remote_root = g_strdup (pair->remote_path);
  self->remote_root_id = pair->remote_root_id;
  return self;
}

void
yp_sync_executor_set_batch_size (YpSyncExecutor *self,
                                 guint           n)
{
  g_return_if_fail (YP_IS_SYNC_EXECUTOR (self));

  self->batch_size = MAX (n, 1);
}

void
yp_sync_executor_set_download_streams (YpSyncExecutor *self,
                                       guint           n)
{
  g_return_if_fail (YP_IS_SYNC_EXECUTOR (self));
  g_return_if_fail (!self->running);

  self->download_streams = CLAMP (n, 1, YP_SYNC_EXECUTOR_DOWNLOAD_STREAMS_MAX);
}

void
yp_sync_executor_set_upload_batch_limit (YpSyncExecutor *self,
                                         guint           n)
{
  g_return_if_fail (YP_IS_SYNC_EXECUTOR (self));
  g_return_if_fail (!self->running);

  self->upload_batch_limit = CLAMP (n, 1, YP_FILE_BATCH_MAX_ENTRIES);
}

void
yp_sync_executor_set_rate_limiter (YpSyncExecutor *self,
                                   YpRateLimiter  *limiter)
{
  g_return_if_fail (YP_IS_SYNC_EXECUTOR (self));

  g_set_object (&self->limiter, limiter);
}

/* ------------------------------------------------------------------------
 * The base, in batches
 * ------------------------------------------------------------------------ */

static gboolean
ensure_batch (YpSyncExecutor  *self,
              GError         **error)
{
  return yp_sync_state_in_batch (self->state) || yp_sync_state_begin_sync (self->state, error);
}

/* A node lives at one path: an entry the base still has for ITEM's node
 * elsewhere (where it was before a rename both sides made differently, or
 * before a rename the other side's delete lost to) goes to ITEM's path,
 * with what is under it, or goes away when that path is taken. Left
 * there, two entries of one node would want one name at every pass. */
static gboolean
drop_other_entry_of_node (YpSyncExecutor   *self,
                          const YpSyncItem *item,
                          GError          **error)
{
  g_autofree char *old_path = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean taken = FALSE;

  if (item->remote_id == 0)
    return TRUE;
  old_path = yp_sync_state_dup_path_of_node_sync (self->state, item->remote_id, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (old_path == NULL || g_str_equal (old_path, item->path))
    return TRUE;
  if (!yp_sync_state_has_path_sync (self->state, item->path, &taken, error))
    return FALSE;
  if (!taken && !yp_sync_path_is_under (item->path, old_path))
    return yp_sync_state_move_item_sync (self->state, old_path, item->path, error);
  return yp_sync_state_remove_item_sync (self->state, old_path, error);
}

gboolean
_yp_sync_executor_put (YpSyncExecutor   *self,
                       const YpSyncItem *item,
                       GError          **error)
{
  if (!ensure_batch (self, error) || !drop_other_entry_of_node (self, item, error)
      || !yp_sync_state_put_item_sync (self->state, item, error))
    return FALSE;
  self->pending++;
  return TRUE;
}

gboolean
_yp_sync_executor_remove (YpSyncExecutor  *self,
                          const char      *path,
                          GError         **error)
{
  if (!ensure_batch (self, error) || !yp_sync_state_remove_item_sync (self->state, path, error))
    return FALSE;
  self->pending++;
  return TRUE;
}

/* The base entry of the node ACTION moves follows it, with what is under
 * it: from where the base has that node, which is the path the move leaves
 * unless the other side had moved it there (a move back, when renames on
 * the two sides formed a cycle); or from FROM_PATH, for a node the base
 * knows by path only. */
gboolean
_yp_sync_executor_move_base (YpSyncExecutor  *self,
                             YpSyncAction    *action,
                             GError         **error)
{
  g_autofree char *from = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!ensure_batch (self, error))
    return FALSE;
  if (action->base->remote_id > 0)
    from = yp_sync_state_dup_path_of_node_sync (self->state, action->base->remote_id,
                                                &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (from == NULL)
    from = g_strdup (action->from_path);
  /* a node moved into what it was: put() drops the old entry instead */
  if (g_str_equal (from, action->path) || yp_sync_path_is_under (action->path, from))
    return TRUE;
  if (!yp_sync_state_move_item_sync (self->state, from, action->path, error))
    return FALSE;
  self->pending++;
  return TRUE;
}

gboolean
_yp_sync_executor_flush (YpSyncExecutor  *self,
                         GError         **error)
{
  self->pending = 0;
  if (!yp_sync_state_in_batch (self->state))
    return TRUE;
  return yp_sync_state_commit_sync (self->state, error);
}

/* ------------------------------------------------------------------------
 * Outcomes and progress
 * ------------------------------------------------------------------------ */

void
_yp_sync_executor_progress (YpSyncExecutor *self)
{
  /* a file that grew since the plan was made sends more than planned */
  guint64 done = MIN (self->bytes_done + self->bytes_action + self->bytes_current,
                      self->bytes_total);

  g_signal_emit (self, signals[PROGRESS], 0, self->items_done, self->items_total, done,
                 self->bytes_total);
}

/* Whether ERROR ends the run rather than one action: nothing more can
 * work without the network, a valid sign-in or the state database. */
static gboolean
error_stops_run (const GError *error)
{
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      || g_error_matches (error, YP_SYNC_ERROR, YP_SYNC_ERROR_STATE))
    return TRUE;
  if (error->domain != YP_CLIENT_ERROR)
    return FALSE;
  switch (error->code)
    {
    case YP_CLIENT_ERROR_NETWORK:
    case YP_CLIENT_ERROR_AUTH_EXPIRED:
    case YP_CLIENT_ERROR_RESOLVE:
    case YP_CLIENT_ERROR_TLS:
      return TRUE;
    default:
      return FALSE;
    }
}

/* Whether ERROR means the action's expectation no longer holds: the next
 * pass, with fresh trees, decides again. */
static gboolean
error_defers (const GError *error)
{
  if (error->domain == YP_CLIENT_ERROR)
    return error->code == YP_CLIENT_ERROR_CONFLICT
           || error->code == YP_CLIENT_ERROR_EXISTS
           || error->code == YP_CLIENT_ERROR_CHANGED
           || error->code == YP_CLIENT_ERROR_NOT_FOUND
           || error->code == YP_CLIENT_ERROR_HASH_MISMATCH;
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_EMPTY)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_IS_DIRECTORY)
         || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_DIRECTORY);
}

static const struct
{
  YpSyncActivityKind kind;
  gboolean           logged;
} activity_of[] = {
  [YP_SYNC_ACTION_UPLOAD] = { YP_SYNC_ACTIVITY_UPLOAD, TRUE },
  [YP_SYNC_ACTION_DOWNLOAD] = { YP_SYNC_ACTIVITY_DOWNLOAD, TRUE },
  [YP_SYNC_ACTION_MKDIR_LOCAL] = { YP_SYNC_ACTIVITY_MKDIR_LOCAL, TRUE },
  [YP_SYNC_ACTION_MKDIR_REMOTE] = { YP_SYNC_ACTIVITY_MKDIR_REMOTE, TRUE },
  [YP_SYNC_ACTION_DELETE_LOCAL] = { YP_SYNC_ACTIVITY_DELETE_LOCAL, TRUE },
  [YP_SYNC_ACTION_DELETE_REMOTE] = { YP_SYNC_ACTIVITY_DELETE_REMOTE, TRUE },
  [YP_SYNC_ACTION_MOVE_LOCAL] = { YP_SYNC_ACTIVITY_MOVE_LOCAL, TRUE },
  [YP_SYNC_ACTION_MOVE_REMOTE] = { YP_SYNC_ACTIVITY_MOVE_REMOTE, TRUE },
  [YP_SYNC_ACTION_CONFLICT] = { YP_SYNC_ACTIVITY_CONFLICT, TRUE },
  /* the two sides agreed already: nothing happened a person would see */
  [YP_SYNC_ACTION_RECORD] = { 0, FALSE },
  [YP_SYNC_ACTION_FORGET] = { 0, FALSE },
  [YP_SYNC_ACTION_SKIP] = { YP_SYNC_ACTIVITY_SKIPPED, TRUE },
};

static gboolean
log_activity (YpSyncExecutor  *self,
              YpSyncAction    *action,
              GError         **error)
{
  const char *path = action->path;
  const char *detail = NULL;

  if (!activity_of[action->kind].logged)
    return TRUE;
  switch (action->kind)
    {
    case YP_SYNC_ACTION_MOVE_LOCAL:
    case YP_SYNC_ACTION_MOVE_REMOTE:
      path = action->from_path;
      detail = action->path;
      break;
    case YP_SYNC_ACTION_CONFLICT:
      detail = action->conflict_path;
      break;
    case YP_SYNC_ACTION_SKIP:
      detail = action->reason;
      break;
    default:
      break;
    }
  return ensure_batch (self, error)
         && yp_sync_state_add_activity_sync (self->state, activity_of[action->kind].kind,
                                             path, detail, g_get_real_time (), error);
}

static gboolean
record_both (YpSyncExecutor  *self,
             YpSyncAction    *action,
             GError         **error)
{
  g_autoptr(YpSyncItem) item = NULL;

  if (action->local == NULL || action->remote == NULL)
    return TRUE;
  item = yp_sync_item_copy (action->local);
  g_free (item->path);
  item->path = g_strdup (action->path);
  item->remote_id = action->remote->remote_id;
  item->remote_version = action->remote->remote_version;
  if (action->remote->sha256[0] != '\0')
    memcpy (item->sha256, action->remote->sha256, sizeof item->sha256);
  _yp_sync_executor_remember_id (self, item->path, item->remote_id);
  return _yp_sync_executor_put (self, item, error);
}

static gboolean
apply (YpSyncExecutor  *self,
       YpSyncAction    *action,
       GError         **error)
{
  switch (action->kind)
    {
    case YP_SYNC_ACTION_UPLOAD:
      return _yp_sync_apply_upload (self, action, error);
    case YP_SYNC_ACTION_DOWNLOAD:
      return _yp_sync_apply_download (self, action, error);
    case YP_SYNC_ACTION_MKDIR_LOCAL:
      return _yp_sync_apply_mkdir_local (self, action, error);
    case YP_SYNC_ACTION_MKDIR_REMOTE:
      return _yp_sync_apply_mkdir_remote (self, action, error);
    case YP_SYNC_ACTION_DELETE_LOCAL:
      return _yp_sync_apply_delete_local (self, action, error);
    case YP_SYNC_ACTION_DELETE_REMOTE:
      return _yp_sync_apply_delete_remote (self, action, error);
    case YP_SYNC_ACTION_MOVE_LOCAL:
      return _yp_sync_apply_move_local (self, action, error);
    case YP_SYNC_ACTION_MOVE_REMOTE:
      return _yp_sync_apply_move_remote (self, action, error);
    case YP_SYNC_ACTION_CONFLICT:
      return _yp_sync_apply_conflict (self, action, error);
    case YP_SYNC_ACTION_RECORD:
      return record_both (self, action, error);
    case YP_SYNC_ACTION_FORGET:
      return _yp_sync_executor_remove (self, action->path, error);
    case YP_SYNC_ACTION_SKIP:
      return TRUE;
    default:
      g_assert_not_reached ();
    }
}

static guint64
action_bytes (YpSyncAction *action)
{
  guint64 bytes = 0;

  if ((action->kind == YP_SYNC_ACTION_UPLOAD || action->kind == YP_SYNC_ACTION_CONFLICT)
      && action->local != NULL)
    bytes += action->local->size;
  if ((action->kind == YP_SYNC_ACTION_DOWNLOAD || action->kind == YP_SYNC_ACTION_CONFLICT)
      && action->remote != NULL)
    bytes += action->remote->size;
  return bytes;
}

static void
start_run (YpSyncExecutor *self,
           YpSyncPlan     *plan,
           YpSyncTree     *base,
           YpSyncTree     *remote)
{
  g_hash_table_remove_all (self->remote_ids);
  _yp_sync_executor_remember_tree (self, base);
  /* the server's tree is newer than the base where they differ */
  if (remote != NULL)
    _yp_sync_executor_remember_tree (self, remote);
  self->pending = 0;
  self->items_done = 0;
  self->items_total = yp_sync_plan_get_n_actions (plan);
  self->bytes_done = 0;
  self->bytes_action = 0;
  self->bytes_current = 0;
  self->bytes_total = 0;
  for (guint i = 0; i < self->items_total; i++)
    self->bytes_total += action_bytes (yp_sync_plan_get_action (plan, i));
}

gboolean
_yp_sync_executor_finish_action (YpSyncExecutor  *self,
                                 YpSyncAction    *action,
                                 GError          *local_error,
                                 GError         **error)
{
  g_autoptr(GError) owned_error = local_error;
  YpSyncOutcome outcome;

  if (owned_error == NULL)
    outcome = action->kind == YP_SYNC_ACTION_SKIP ? YP_SYNC_OUTCOME_SKIPPED : YP_SYNC_OUTCOME_DONE;
  else if (error_stops_run (owned_error))
    {
      g_propagate_error (error, g_steal_pointer (&owned_error));
      return FALSE;
    }
  else
    outcome = error_defers (owned_error) ? YP_SYNC_OUTCOME_DEFERRED : YP_SYNC_OUTCOME_FAILED;

  if (outcome != YP_SYNC_OUTCOME_DEFERRED && outcome != YP_SYNC_OUTCOME_FAILED
      && !log_activity (self, action, error))
    return FALSE;
  if (owned_error != NULL)
    g_debug ("%s %s: %s", yp_sync_action_kind_to_string (action->kind), action->path,
             owned_error->message);
  g_signal_emit (self, signals[ACTION_FINISHED], 0, action, (int) outcome, owned_error);
  self->items_done++;
  self->bytes_done += action_bytes (action);
  self->bytes_action = 0;
  self->bytes_current = 0;
  _yp_sync_executor_progress (self);
  if (self->pending >= self->batch_size)
    return _yp_sync_executor_flush (self, error);
  return TRUE;
}

static gboolean
does_not_touch_the_batch (YpSyncAction *action)
{
  switch (action->kind)
    {
    case YP_SYNC_ACTION_MKDIR_REMOTE:
    case YP_SYNC_ACTION_MKDIR_LOCAL:
    case YP_SYNC_ACTION_SKIP:
      return TRUE;
    case YP_SYNC_ACTION_UPLOAD:
    case YP_SYNC_ACTION_DOWNLOAD:
    case YP_SYNC_ACTION_DELETE_LOCAL:
    case YP_SYNC_ACTION_DELETE_REMOTE:
    case YP_SYNC_ACTION_MOVE_LOCAL:
    case YP_SYNC_ACTION_MOVE_REMOTE:
    case YP_SYNC_ACTION_CONFLICT:
    case YP_SYNC_ACTION_RECORD:
    case YP_SYNC_ACTION_FORGET:
    default:
      return FALSE;
    }
}

/* Runs one action and tells how it went; FALSE when the run stops. */
static gboolean
run_action (YpSyncExecutor  *self,
            YpSyncAction    *action,
            GError         **error)
{
  GError *local_error = NULL;

  if (g_cancellable_set_error_if_cancelled (self->cancellable, error))
    return FALSE;
  if (_yp_sync_executor_downloads_take (self, action))
    return _yp_sync_executor_downloads_add (self, action, error);
  if (!does_not_touch_the_batch (action) && !_yp_sync_executor_downloads_flush (self, error))
    return FALSE;
  if (_yp_sync_executor_batch_takes (self, action))
    return _yp_sync_executor_batch_add (self, action, error);
  /* What the batch holds comes first in the plan, so it is sent before
   * anything that could change where it goes; a new folder cannot (an
   * upload waits only for its own folder), and the plan has one after
   * another's files: a first sync's batches would end at every folder. */
  if (!does_not_touch_the_batch (action) && !_yp_sync_executor_batch_flush (self, error))
    return FALSE;
  apply (self, action, &local_error);
  return _yp_sync_executor_finish_action (self, action, local_error, error);
}

gboolean
yp_sync_executor_run_sync (YpSyncExecutor  *self,
                           YpSyncPlan      *plan,
                           YpSyncTree      *remote,
                           GCancellable    *cancellable,
                           GError         **error)
{
  g_autoptr(YpSyncTree) base = NULL;
  g_autoptr(GError) flush_error = NULL;
  gboolean ok = TRUE;
  guint n;

  g_return_val_if_fail (YP_IS_SYNC_EXECUTOR (self), FALSE);
  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (!self->running, FALSE);

  base = yp_sync_state_load_base_sync (self->state, error);
  if (base == NULL)
    return FALSE;
  start_run (self, plan, base, remote);
  self->running = TRUE;
  self->cancellable = cancellable != NULL ? g_object_ref (cancellable) : NULL;
  _yp_sync_executor_progress (self);

  n = yp_sync_plan_get_n_actions (plan);
  for (guint i = 0; ok && i < n; i++)
    ok = run_action (self, yp_sync_plan_get_action (plan, i), error);
  if (ok)
    ok = _yp_sync_executor_downloads_flush (self, error)
         && _yp_sync_executor_batch_flush (self, error);
  /* a run that stopped leaves what it did not send for the next one */
  g_ptr_array_set_size (self->upload_batch, 0);
  g_ptr_array_set_size (self->download_queue, 0);
  self->upload_batch_bytes = 0;

  /* what was done stays recorded, whatever stopped the run */
  if (!_yp_sync_executor_flush (self, &flush_error))
    {
      if (ok)
        g_propagate_error (error, g_steal_pointer (&flush_error));
      else
        g_warning ("Could not record the end of a sync run: %s", flush_error->message);
      ok = FALSE;
    }
  g_clear_object (&self->cancellable);
  /* the next run learns the folders' ids again from its own trees */
  g_hash_table_remove_all (self->remote_ids);
  self->running = FALSE;
  return ok;
}
