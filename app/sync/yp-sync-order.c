/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-sync-reconcile-private.h"

/*
 * The order of the plan: deletes of files, skips, then moves and content
 * by destination path, then deletes of folders; a name an item leaves in
 * the plan is handed over before another takes it (rotations, swaps).
 */

/* ------------------------------------------------------------------ */
/* Paths as the moves planned so far leave them                       */

/* Where PATH is once the MOVES planned so far have run. */
static char *
path_after (GPtrArray  *moves,
            const char *path)
{
  char *current = g_strdup (path);

  for (guint i = 0; i < moves->len; i++)
    {
      YpSyncAction *move = g_ptr_array_index (moves, i);

      if (strcmp (current, move->from_path) == 0 || yp_sync_path_is_under (current, move->from_path))
        {
          char *moved = g_strconcat (move->path, current + strlen (move->from_path), NULL);

          g_free (current);
          current = moved;
        }
    }
  return current;
}

static void
emit_move (Reconcile       *rc,
           Node            *node,
           YpSyncActionKind kind)
{
  gboolean local = kind == YP_SYNC_ACTION_MOVE_LOCAL;
  GPtrArray *moves = local ? rc->local_moves : rc->remote_moves;
  YpSyncAction *action = _yp_reconcile_emit (rc, kind, node->target, node);

  action->from_path = path_after (moves, local ? node->local->path : node->remote->path);
  if (node->remote != NULL)
    action->if_version = node->remote->remote_version;
  if (local && node->base != NULL && node->remote != NULL
      && _yp_reconcile_moved_on (rc, node, rc->by_local, node->local->path)
      && _yp_reconcile_moved_on (rc, node, rc->by_remote, node->remote->path))
    action->reason = g_strdup ("renamed on both sides: the name on the server is kept");
  g_ptr_array_add (moves, yp_sync_action_ref (action));
}

/* Where the item now at PATH was before the MOVES planned so far. */
static char *
path_before (GPtrArray  *moves,
             const char *path)
{
  char *current = g_strdup (path);

  for (guint i = moves->len; i-- > 0;)
    {
      YpSyncAction *move = g_ptr_array_index (moves, i);

      if (strcmp (current, move->path) == 0 || yp_sync_path_is_under (current, move->path))
        {
          char *moved = g_strconcat (move->from_path, current + strlen (move->path), NULL);

          g_free (current);
          current = moved;
        }
    }
  return current;
}

/* The node whose item is at PATH on a side at this point of the plan. */
static Node *
occupant (Reconcile  *rc,
          gboolean    local,
          const char *path)
{
  GPtrArray *moves = local ? rc->local_moves : rc->remote_moves;
  g_autofree char *origin = path_before (moves, path);
  g_autofree char *now = NULL;
  Node *node = g_hash_table_lookup (local ? rc->by_local : rc->by_remote, origin);

  if (node == NULL)
    return NULL;
  now = path_after (moves, origin);
  return strcmp (now, path) == 0 ? node : NULL;
}

/* ------------------------------------------------------------------ */
/* Emitting: name hand-overs, rotations and swaps                     */

static void emit_node (Reconcile *rc,
                       Node      *node,
                       gboolean   out_of_order);

/* Moves a node that is itself waiting for its destination out of the way
 * of another: a swap or a longer cycle of renames. */
static void
park (Reconcile *rc,
      Node      *node,
      gboolean   local)
{
  GPtrArray *moves = local ? rc->local_moves : rc->remote_moves;
  YpSyncItem *item = local ? node->local : node->remote;
  g_autofree char *from = path_after (moves, item->path);
  g_autofree char *aside = g_strconcat (from, ".~yp-moving", NULL);
  YpSyncAction *action = _yp_reconcile_emit (rc, local ? YP_SYNC_ACTION_MOVE_LOCAL
                                                       : YP_SYNC_ACTION_MOVE_REMOTE,
                                             aside, node);

  action->from_path = g_steal_pointer (&from);
  if (node->remote != NULL)
    action->if_version = node->remote->remote_version;
  g_ptr_array_add (moves, yp_sync_action_ref (action));
}

/* Sees that NODE's target is free on a side before NODE goes there: what
 * is there and leaves in this plan (a rotation "log" -> "log.1", "new" ->
 * "log") leaves first. */
static void
free_target (Reconcile *rc,
             Node      *node,
             gboolean   local)
{
  Node *there = occupant (rc, local, node->target);

  if (there == NULL || there == node || there->emitted || !there->planned
      || !(local ? there->move_local : there->move_remote))
    return;
  if (there->emitting)
    park (rc, there, local);
  else
    emit_node (rc, there, TRUE);
}

/* Emits NODE's moves and content actions. OUT_OF_ORDER: it is emitted
 * ahead of its turn, so the folders it goes into are emitted first. */
static void
emit_node (Reconcile *rc,
           Node      *node,
           gboolean   out_of_order)
{
  guint first_action = yp_sync_plan_get_n_actions (rc->plan);

  if (node->emitted || node->emitting)
    return;
  node->emitting = TRUE;
  if (out_of_order)
    {
      g_autofree char *dir = g_strdup (node->target);
      char *slash;

      while ((slash = strrchr (dir, '/')) != NULL)
        {
          *slash = '\0';
          for (Node *above = g_hash_table_lookup (rc->by_target, dir); above;
               above = above->next_at_target)
            if (above->planned)
              emit_node (rc, above, TRUE);
        }
    }
  if (node->move_local || node->local == NULL)
    free_target (rc, node, TRUE);
  if (node->move_remote || node->remote == NULL)
    free_target (rc, node, FALSE);
  if (node->move_remote)
    emit_move (rc, node, YP_SYNC_ACTION_MOVE_REMOTE);
  if (node->move_local)
    emit_move (rc, node, YP_SYNC_ACTION_MOVE_LOCAL);
  _yp_reconcile_emit_content (rc, node);
  node->emitting = FALSE;
  node->emitted = TRUE;
  if (node->note != NULL)
    {
      for (guint i = first_action; i < yp_sync_plan_get_n_actions (rc->plan); i++)
        {
          YpSyncAction *action = yp_sync_plan_get_action (rc->plan, i);

          /* the first of this node's own, after those that freed its name */
          if (action->path == NULL || strcmp (action->path, node->target) != 0
              || action->reason != NULL)
            continue;
          action->reason = g_strdup (node->note);
          break;
        }
    }
}

/* (transfer full): the delete of NODE's item on a side, at the path it has
 * once the moves planned so far have run */
static YpSyncAction *
delete_new (Reconcile *rc,
            Node      *node,
            gboolean   local)
{
  GPtrArray *moves = local ? rc->local_moves : rc->remote_moves;
  g_autofree char *path = path_after (moves, local ? node->local->path : node->remote->path);
  YpSyncAction *action = _yp_reconcile_action_new (local ? YP_SYNC_ACTION_DELETE_LOCAL
                                                         : YP_SYNC_ACTION_DELETE_REMOTE,
                                                   path, node);

  if (!local)
    action->if_version = node->remote->remote_version;
  return action;
}

/* Whether something left alone is in the folder at PATH on a side: what
 * is left of a folder made one with another is then not deleted, so that
 * it is not deleted with it. */
static gboolean
holds_skipped (Reconcile  *rc,
               const char *path,
               gboolean    local)
{
  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];
      YpSyncItem *item = local ? node->local : node->remote;

      if (item != NULL && yp_sync_path_is_under (item->path, path)
          && _yp_reconcile_under_skipped (rc, node))
        return TRUE;
    }
  return FALSE;
}

/* A folder's deletes on each side that still holds it: both, for what is
 * left of two folders made one. */
static void
add_folder_deletes (Reconcile *rc,
                    Node      *node,
                    GPtrArray *deletes)
{
  for (int local = 1; local >= 0; local--)
    {
      YpSyncItem *item = local ? node->local : node->remote;

      if (item != NULL && !(node->emptied && holds_skipped (rc, item->path, local)))
        g_ptr_array_add (deletes, delete_new (rc, node, local));
    }
}

static int
compare_targets (gconstpointer a,
                 gconstpointer b)
{
  const Node *x = *(Node **) a, *y = *(Node **) b;
  int order = strcmp (x->target, y->target);

  /* equal targets keep node order, so that the result is stable */
  return order != 0 ? order : (x < y ? -1 : x > y);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b)
{
  const YpSyncAction *x = *(YpSyncAction **) a, *y = *(YpSyncAction **) b;

  return strcmp (x->path, y->path);
}

/* innermost first: a folder's path is a prefix of what it holds */
static int
compare_deletes (gconstpointer a,
                 gconstpointer b)
{
  return -compare_paths (a, b);
}

/* ------------------------------------------------------------------ */
/* The plan in order                                                  */

void
_yp_reconcile_plan_actions (Reconcile *rc)
{
  g_autoptr(GPtrArray) placed = g_ptr_array_new ();
  g_autoptr(GPtrArray) folders = g_ptr_array_new ();
  g_autoptr(GPtrArray) folder_deletes = NULL;
  g_autoptr(GPtrArray) skips = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);

  /* files deleted, at the paths the sides have now; forgotten entries */
  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];

      if (node->merged || node->alive || _yp_reconcile_under_skipped (rc, node))
        continue;
      if (node->local == NULL && node->remote == NULL)
        _yp_reconcile_emit (rc, YP_SYNC_ACTION_FORGET, node->base->path, node);
      else if (any_item (node)->kind == YP_SYNC_KIND_FOLDER)
        g_ptr_array_add (folders, node);
      else
        {
          g_autoptr(YpSyncAction) action = delete_new (rc, node, node->local != NULL);

          yp_sync_plan_add (rc->plan, action);
        }
    }
  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];

      if (node->skipped && !node->merged)
        {
          const char *path = node->target ? node->target : any_item (node)->path;
          YpSyncAction *action = _yp_reconcile_action_new (YP_SYNC_ACTION_SKIP, path, node);

          action->skip_code = node->skip_code;
          action->reason = g_strdup (node->skip_reason);
          g_ptr_array_add (skips, action);
        }
      else if (node->alive && !node->merged && !_yp_reconcile_under_skipped (rc, node))
        g_ptr_array_add (placed, node);
    }

  for (guint i = 0; i < placed->len; i++)
    ((Node *) g_ptr_array_index (placed, i))->planned = TRUE;
  g_ptr_array_sort (skips, compare_paths);
  for (guint i = 0; i < skips->len; i++)
    yp_sync_plan_add (rc->plan, g_ptr_array_index (skips, i));

  g_ptr_array_sort (placed, compare_targets);
  for (guint i = 0; i < placed->len; i++)
    emit_node (rc, g_ptr_array_index (placed, i), FALSE);

  /* folders last, innermost first, once what they held has moved out */
  folder_deletes = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  for (guint i = 0; i < folders->len; i++)
    add_folder_deletes (rc, g_ptr_array_index (folders, i), folder_deletes);
  g_ptr_array_sort (folder_deletes, compare_deletes);
  for (guint i = 0; i < folder_deletes->len; i++)
    yp_sync_plan_add (rc->plan, g_ptr_array_index (folder_deletes, i));
}
