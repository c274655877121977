/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-node.h"
#include "yp-sync-reconcile-private.h"

/*
 * The reconciler's steps: what each base entry is on each side, what
 * changed, what survives, and what to do with each path's content.
 */

/* ------------------------------------------------------------------ */
/* Nodes: each base entry with what the sides hold of it, new items   */

static Node *
add_node (Reconcile  *rc,
          YpSyncItem *base,
          YpSyncItem *local,
          YpSyncItem *remote)
{
  Node *node = &rc->nodes[rc->n_nodes++];

  node->base = base;
  node->local = local;
  node->remote = remote;
  if (base != NULL)
    g_hash_table_insert (rc->by_base, base->path, node);
  if (local != NULL)
    g_hash_table_insert (rc->by_local, local->path, node);
  if (remote != NULL)
    g_hash_table_insert (rc->by_remote, remote->path, node);
  return node;
}

typedef struct
{
  GHashTable *claimed;
  GPtrArray  *items;
} NewItems;

static void
collect_new (YpSyncItem *item,
             gpointer    user_data)
{
  NewItems *new_items = user_data;

  if (!g_hash_table_contains (new_items->claimed, item->path))
    g_ptr_array_add (new_items->items, item);
}

static int
compare_item_paths (gconstpointer a,
                    gconstpointer b)
{
  return strcmp ((*(YpSyncItem **) a)->path, (*(YpSyncItem **) b)->path);
}

static void
add_new_items (Reconcile  *rc,
               YpSyncTree *tree,
               GHashTable *claimed,
               gboolean    local)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();
  NewItems new_items = { claimed, items };

  /* node order settles ties later (which of two names differing only in
   * case stays), so new items come in path order; only they are sorted,
   * not every item of the side */
  yp_sync_tree_foreach (tree, collect_new, &new_items);
  g_ptr_array_sort (items, compare_item_paths);
  for (guint i = 0; i < items->len; i++)
    {
      YpSyncItem *item = g_ptr_array_index (items, i);

      add_node (rc, NULL, local ? item : NULL, local ? NULL : item);
    }
}

/* ------------------------------------------------------------------ */
/* Changes                                                            */

static gboolean
local_changed (const YpSyncItem *local,
               const YpSyncItem *base)
{
  if (local->kind == YP_SYNC_KIND_FOLDER)
    return FALSE;
  if (local->sha256[0] != '\0')
    return strcmp (local->sha256, base->sha256) != 0;
  return !yp_sync_item_same_stat (local, base);
}

static gboolean
remote_changed (const YpSyncItem *remote,
                const YpSyncItem *base)
{
  return remote->kind == YP_SYNC_KIND_FILE && strcmp (remote->sha256, base->sha256) != 0;
}

/* Whether a remote delete of REMOTE could destroy something the base does
 * not hold: any change of the node, even one keeping the content. */
static gboolean
remote_touched (const YpSyncItem *remote,
                const YpSyncItem *base)
{
  return remote->remote_id != base->remote_id || remote->remote_version != base->remote_version;
}

/* ------------------------------------------------------------------ */
/* Survival                                                           */

/* A node present on one side only (deleted on the other) survives when
 * the present side renamed it, or renamed the folder deleted with it, or
 * changed its content. */
static void
decide_alive (Reconcile *rc,
              Node      *node)
{
  YpSyncItem *present = node->local != NULL ? node->local : node->remote;
  gboolean local_gone = node->local == NULL;
  Node *parent;

  if (node->base == NULL || (node->local != NULL && node->remote != NULL))
    {
      node->alive = TRUE;
      return;
    }
  if (present == NULL)
    return;
  parent = _yp_reconcile_parent_in (rc->by_base, node->base->path);
  node->restored = _yp_reconcile_moved_on (rc, node, local_gone ? rc->by_remote : rc->by_local,
                                           present->path)
                   || (parent != NULL && parent->restored
                       && (local_gone ? parent->local == NULL : parent->remote == NULL));
  if (node->restored || present->kind == YP_SYNC_KIND_FOLDER)
    node->alive = node->restored;
  else if (local_gone)
    node->alive = remote_changed (present, node->base) || remote_touched (present, node->base);
  else
    node->alive = local_changed (present, node->base)
                  || !yp_sync_item_same_stat (present, node->base);
}

/* A folder something lives in survives too, with every folder above it. */
static void
keep_folders_above (Reconcile  *rc,
                    const char *target)
{
  g_autofree char *dir = g_strdup (target);
  char *slash;

  while ((slash = strrchr (dir, '/')) != NULL)
    {
      gboolean was_alive = FALSE;

      *slash = '\0';
      for (Node *node = g_hash_table_lookup (rc->by_target, dir); node; node = node->next_at_target)
        {
          if (any_item (node)->kind != YP_SYNC_KIND_FOLDER)
            continue;
          was_alive |= node->alive;
          node->alive = TRUE;
        }
      if (was_alive)
        return;
    }
}

/* ------------------------------------------------------------------ */
/* Actions                                                            */

YpSyncAction *
_yp_reconcile_action_new (YpSyncActionKind kind,
                          const char      *path,
                          Node            *node)
{
  YpSyncAction *action = yp_sync_action_new (kind, path);

  if (node->local != NULL)
    action->local = yp_sync_item_ref (node->local);
  if (node->remote != NULL)
    action->remote = yp_sync_item_ref (node->remote);
  if (node->base != NULL)
    action->base = yp_sync_item_ref (node->base);
  return action;
}

/* (transfer none): the action, owned by the plan */
YpSyncAction *
_yp_reconcile_emit (Reconcile       *rc,
                    YpSyncActionKind kind,
                    const char      *path,
                    Node            *node)
{
  g_autoptr(YpSyncAction) action = _yp_reconcile_action_new (kind, path, node);

  yp_sync_plan_add (rc->plan, action);
  return action;
}

/* Whether the base entry needs refreshing although both sides agree: it
 * moved (not along with its folder, whose record moves what is under it),
 * or its stat or version changed with the same content. */
static gboolean
base_stale (Reconcile *rc,
            Node      *node)
{
  YpSyncItem *base = node->base;

  if (base == NULL || !_yp_reconcile_in_place (rc, rc->by_base, base->path, node->target))
    return TRUE;
  if (base->kind == YP_SYNC_KIND_FOLDER)
    return node->remote->remote_id != base->remote_id;
  return remote_touched (node->remote, base) || !yp_sync_item_same_stat (node->local, base);
}

void
_yp_reconcile_emit_content (Reconcile *rc,
                            Node      *node)
{
  YpSyncItem *local = node->local, *remote = node->remote;
  YpSyncKind kind = any_item (node)->kind;
  gboolean local_new, remote_new;

  if (local == NULL)
    {
      _yp_reconcile_emit (rc, kind == YP_SYNC_KIND_FOLDER ? YP_SYNC_ACTION_MKDIR_LOCAL
                                                          : YP_SYNC_ACTION_DOWNLOAD,
                          node->target, node);
      return;
    }
  if (remote == NULL)
    {
      YpSyncActionKind action_kind = kind == YP_SYNC_KIND_FOLDER ? YP_SYNC_ACTION_MKDIR_REMOTE
                                                                  : YP_SYNC_ACTION_UPLOAD;
      YpSyncAction *action = _yp_reconcile_emit (rc, action_kind, node->target, node);

      action->if_version = YP_VERSION_NONE;
      return;
    }
  local_new = node->base == NULL || local_changed (local, node->base);
  remote_new = node->base == NULL || remote_changed (remote, node->base);
  if (kind == YP_SYNC_KIND_FILE && local_new && remote_new
      && (local->sha256[0] == '\0' || strcmp (local->sha256, remote->sha256) != 0))
    {
      YpSyncAction *action = _yp_reconcile_emit (rc, YP_SYNC_ACTION_CONFLICT, node->target, node);

      action->conflict_path = _yp_reconcile_unique_conflict_name (rc, node->target);
      action->if_version = YP_VERSION_NONE;
    }
  else if (kind == YP_SYNC_KIND_FILE && local_new && !remote_new)
    _yp_reconcile_emit (rc, YP_SYNC_ACTION_UPLOAD, node->target, node)->if_version =
      remote->remote_version;
  else if (kind == YP_SYNC_KIND_FILE && remote_new && !local_new)
    _yp_reconcile_emit (rc, YP_SYNC_ACTION_DOWNLOAD, node->target, node);
  else if ((kind == YP_SYNC_KIND_FILE && local_new && remote_new)
           || (!node->move_local && !node->move_remote && base_stale (rc, node)))
    _yp_reconcile_emit (rc, YP_SYNC_ACTION_RECORD, node->target, node);
}

/* ------------------------------------------------------------------ */

static void
reconcile_clear (Reconcile *rc)
{
  for (guint i = 0; i < rc->n_nodes; i++)
    g_free (rc->nodes[i].target);
  g_free (rc->nodes);
  g_hash_table_unref (rc->by_base);
  g_hash_table_unref (rc->by_local);
  g_hash_table_unref (rc->by_remote);
  g_hash_table_unref (rc->by_target);
  g_hash_table_unref (rc->skipped);
  g_hash_table_unref (rc->conflict_names);
  g_ptr_array_unref (rc->local_moves);
  g_ptr_array_unref (rc->remote_moves);
}

static void
claim (Reconcile *rc,
       GPtrArray *base_items)
{
  for (guint i = 0; i < base_items->len; i++)
    {
      YpSyncItem *base = g_ptr_array_index (base_items, i);

      add_node (rc, base, _yp_reconcile_find_local (rc, base),
                _yp_reconcile_find_remote (rc, base));
    }
  add_new_items (rc, rc->local_tree, rc->by_local, TRUE);
  add_new_items (rc, rc->remote_tree, rc->by_remote, FALSE);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* Places every node, decides what survives, and sets aside what cannot be
 * synced. */
static void
decide (Reconcile *rc)
{
  g_autoptr(GHashTable) folded = NULL;
  g_autoptr(GPtrArray) clashes = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];
      Node *first;

      if (_yp_reconcile_place (rc, node) == NULL)
        continue;
      first = g_hash_table_lookup (rc->by_target, node->target);
      if (first != NULL)
        {
          Node *last = first;

          /* note each clash once, keep node order in the chain */
          if (first->next_at_target == NULL)
            g_ptr_array_add (clashes, g_strdup (first->target));
          while (last->next_at_target != NULL)
            last = last->next_at_target;
          last->next_at_target = node;
        }
      else
        g_hash_table_insert (rc->by_target, node->target, node);
    }
  /* base order: a folder's restored flag is known before its content's */
  for (guint i = 0; i < rc->n_nodes; i++)
    decide_alive (rc, &rc->nodes[i]);
  for (guint i = 0; i < rc->n_nodes; i++)
    if (rc->nodes[i].alive && rc->nodes[i].target != NULL)
      keep_folders_above (rc, rc->nodes[i].target);
  /* a folder's clash first: resolving it decides where its content goes */
  g_ptr_array_sort (clashes, compare_strings);
  for (guint i = 0; i < clashes->len; i++)
    _yp_reconcile_resolve_clash (rc, g_hash_table_lookup (rc->by_target,
                                                          g_ptr_array_index (clashes, i)));

  if (rc->options->case_insensitive_local)
    folded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];

      if (!node->alive || node->merged)
        continue;
      if (node->target == NULL)
        {
          _yp_reconcile_skip (rc, node, YP_SYNC_ERROR_FAILED,
                              "moves on the two sides form a cycle");
          continue;
        }
      if (node->local != NULL)
        node->move_local = !_yp_reconcile_in_place (rc, rc->by_local, node->local->path,
                                                    node->target);
      if (node->remote != NULL)
        node->move_remote = !_yp_reconcile_in_place (rc, rc->by_remote, node->remote->path,
                                                     node->target);
      _yp_reconcile_check_names (rc, node);
      if (folded != NULL && !node->skipped)
        _yp_reconcile_check_case (rc, folded, node);
    }
}

YpSyncPlan *
yp_sync_reconcile (YpSyncTree                   *local,
                   YpSyncTree                   *remote,
                   YpSyncTree                   *base,
                   const YpSyncReconcileOptions *options)
{
  g_autoptr(GPtrArray) base_items = NULL;
  Reconcile rc = { 0, };

  g_return_val_if_fail (local != NULL && remote != NULL && base != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  base_items = yp_sync_tree_dup_items (base);
  rc.options = options;
  rc.local_tree = local;
  rc.remote_tree = remote;
  rc.base_tree = base;
  rc.nodes = g_new0 (Node, base_items->len + yp_sync_tree_size (local)
                           + yp_sync_tree_size (remote));
  rc.by_base = g_hash_table_new (g_str_hash, g_str_equal);
  rc.by_local = g_hash_table_new (g_str_hash, g_str_equal);
  rc.by_remote = g_hash_table_new (g_str_hash, g_str_equal);
  rc.by_target = g_hash_table_new (g_str_hash, g_str_equal);
  rc.skipped = g_hash_table_new (g_str_hash, g_str_equal);
  rc.conflict_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rc.local_moves = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  rc.remote_moves = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  rc.plan = yp_sync_plan_new ();

  claim (&rc, base_items);
  decide (&rc);
  _yp_reconcile_plan_actions (&rc);

  reconcile_clear (&rc);
  return rc.plan;
}
