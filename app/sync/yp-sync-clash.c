/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-sync-reconcile-private.h"

/*
 * Names that cannot be had as they are: two items wanting one name, names
 * a side cannot hold or that differ only in case on a case-folding side;
 * what is skipped and everything under it.
 */

/* ------------------------------------------------------------------ */
/* Skips                                                              */

void
_yp_reconcile_skip (Reconcile  *rc,
                    Node       *node,
                    YpSyncError code,
                    const char *reason)
{
  if (node->skipped)
    return;
  node->skipped = TRUE;
  node->skip_code = code;
  node->skip_reason = reason;
  if (node->target != NULL)
    g_hash_table_insert (rc->skipped, node->target, node);
}

gboolean
_yp_reconcile_under_skipped (Reconcile *rc,
                             Node      *node)
{
  g_autofree char *dir = NULL;
  char *slash;

  if (node->skipped)
    return TRUE;
  if (g_hash_table_size (rc->skipped) == 0 || node->target == NULL)
    return FALSE;
  dir = g_strdup (node->target);
  while ((slash = strrchr (dir, '/')) != NULL)
    {
      *slash = '\0';
      if (g_hash_table_contains (rc->skipped, dir))
        return TRUE;
    }
  return FALSE;
}

/* ------------------------------------------------------------------ */
/* Clashes: two items wanting one name                                */

/* Whether NODE's remote item holds its target already. */
static gboolean
remote_in_place (Reconcile *rc,
                 Node      *node)
{
  return node->remote != NULL
         && _yp_reconcile_in_place (rc, rc->by_remote, node->remote->path, node->target);
}

/* Takes NODE out of the chain at its target, leaving it with none. */
static void
leave_target (Reconcile *rc,
              Node      *node)
{
  Node *first = g_hash_table_lookup (rc->by_target, node->target);
  Node **link = &first;

  while (*link != node)
    link = &(*link)->next_at_target;
  *link = node->next_at_target;
  node->next_at_target = NULL;
  /* the table's key may be NODE's own string, about to be freed */
  g_hash_table_remove (rc->by_target, node->target);
  if (first != NULL)
    g_hash_table_insert (rc->by_target, first->target, first);
  g_clear_pointer (&node->target, g_free);
}

/* Gives NODE another TARGET (owned), out of the chain at its old one. */
static void
retarget (Reconcile *rc,
          Node      *node,
          char      *target)
{
  leave_target (rc, node);
  node->target = target;
  g_hash_table_insert (rc->by_target, node->target, node);
}

/* Two items wanting one name, one of them there on the server: as in a
 * conflict, the server's keeps the name and the other file takes a
 * conflict name. */
static gboolean
resolve_by_conflict_name (Reconcile *rc,
                          Node      *one,
                          Node      *other)
{
  Node *loser;

  if (remote_in_place (rc, one) == remote_in_place (rc, other))
    return FALSE;
  loser = remote_in_place (rc, one) ? other : one;
  retarget (rc, loser, _yp_reconcile_unique_conflict_name (rc, loser->target));
  loser->note = "another item took the name: this one is kept under a conflict name";
  return TRUE;
}

/* A file and a folder wanting one name: the folder, whose content is
 * placed in it already, keeps the name; the file takes a conflict name. */
static void
resolve_file_and_folder (Reconcile *rc,
                         Node      *one,
                         Node      *other)
{
  Node *file = any_item (one)->kind == YP_SYNC_KIND_FILE ? one : other;

  retarget (rc, file, _yp_reconcile_unique_conflict_name (rc, file->target));
  file->note = "a folder took the name: the file is kept under a conflict name";
}

/* Of two folders wanting one name, the one whose item on a side (MAP) is
 * there already; else the first that has one. */
static Node *
keeper_on_side (Reconcile *rc,
                Node      *one,
                Node      *other,
                gboolean   local)
{
  GHashTable *map = local ? rc->by_local : rc->by_remote;
  YpSyncItem *mine = local ? one->local : one->remote;
  YpSyncItem *theirs = local ? other->local : other->remote;

  if (theirs == NULL)
    return one;
  if (mine == NULL)
    return other;
  return !_yp_reconcile_in_place (rc, map, mine->path, one->target)
         && _yp_reconcile_in_place (rc, map, theirs->path, other->target) ? other : one;
}

/* Two folders wanting one name become one: what each holds is placed in
 * it already. The server's folder there keeps its id; the local folder
 * there stays. What is left of the other (a folder elsewhere on a side,
 * emptied by the moves of its content) is deleted once the moves ran. */
static void
merge_folders (Reconcile *rc,
               Node      *one,
               Node      *other)
{
  Node *kept = keeper_on_side (rc, one, other, FALSE);
  Node *gone = kept == one ? other : one;
  gboolean swap = keeper_on_side (rc, one, other, TRUE) == gone;
  YpSyncItem *left_local = swap ? kept->local : gone->local;

  if (swap)
    {
      kept->local = gone->local;
      gone->local = left_local;
      g_hash_table_insert (rc->by_local, kept->local->path, kept);
      if (left_local != NULL)
        g_hash_table_insert (rc->by_local, left_local->path, gone);
    }
  if (gone->local == NULL && gone->remote == NULL)
    {
      gone->merged = TRUE;
      return;
    }
  /* no target: what it held is not in place under its old path, so moves
   * take it into the kept folder */
  gone->alive = FALSE;
  gone->emptied = TRUE;
  leave_target (rc, gone);
}

/* Two new nodes, one local, one on the server: the same thing created
 * on both sides. */
static gboolean
merge_new (Node *one,
           Node *other)
{
  Node *local = one->local ? one : other;
  Node *remote = one->local ? other : one;

  if (one->base != NULL || other->base != NULL || (one->local == NULL) == (other->local == NULL))
    return FALSE;
  local->remote = remote->remote;
  remote->merged = TRUE;
  return TRUE;
}

/* Two nodes wanting one name: the same thing created on both sides; a
 * file and a folder, the file moves aside; two folders, one; a file there
 * on the server and another file, a conflict. Three or more are left
 * alone. */
void
_yp_reconcile_resolve_clash (Reconcile *rc,
                             Node      *first)
{
  Node *alive[2] = { NULL, NULL };
  YpSyncKind kinds[2];
  guint n = 0;

  for (Node *node = first; node != NULL; node = node->next_at_target)
    if (node->alive && !node->merged && n++ < 2)
      alive[n - 1] = node;
  if (n < 2)
    return;
  if (n == 2)
    {
      kinds[0] = any_item (alive[0])->kind;
      kinds[1] = any_item (alive[1])->kind;
      if (kinds[0] != kinds[1])
        {
          resolve_file_and_folder (rc, alive[0], alive[1]);
          return;
        }
      if (merge_new (alive[0], alive[1]))
        return;
      if (kinds[0] == YP_SYNC_KIND_FOLDER)
        {
          merge_folders (rc, alive[0], alive[1]);
          return;
        }
      if (kinds[0] == YP_SYNC_KIND_FILE && resolve_by_conflict_name (rc, alive[0], alive[1]))
        return;
    }
  for (Node *node = first; node != NULL; node = node->next_at_target)
    if (node->alive && !node->merged)
      _yp_reconcile_skip (rc, node, YP_SYNC_ERROR_FAILED, "two items want the same name");
}

/* ------------------------------------------------------------------ */
/* Names a side cannot hold                                           */

void
_yp_reconcile_check_names (Reconcile *rc,
                           Node      *node)
{
  const YpSyncReconcileOptions *options = rc->options;
  const char *name = basename_of (node->target);

  if (options->name_valid == NULL)
    return;
  if ((node->local == NULL || node->move_local)
      && !options->name_valid (name, YP_SYNC_SIDE_LOCAL, options->user_data))
    _yp_reconcile_skip (rc, node, YP_SYNC_ERROR_INVALID_NAME,
                        "the name is not valid on this computer");
  else if ((node->remote == NULL || node->move_remote)
           && !options->name_valid (name, YP_SYNC_SIDE_REMOTE, options->user_data))
    _yp_reconcile_skip (rc, node, YP_SYNC_ERROR_INVALID_NAME,
                        "the name is not valid on the server");
}

/* On a case-folding local side, of two targets that differ only in case
 * the one already there locally stays, the other is left alone. */
void
_yp_reconcile_check_case (Reconcile  *rc,
                          GHashTable *folded,
                          Node       *node)
{
  g_autofree char *key = g_utf8_casefold (node->target, -1);
  Node *other = g_hash_table_lookup (folded, key);

  if (other == NULL)
    {
      g_hash_table_insert (folded, g_steal_pointer (&key), node);
      return;
    }
  if (other->local == NULL && node->local != NULL)
    {
      g_hash_table_insert (folded, g_steal_pointer (&key), node);
      node = other;
    }
  _yp_reconcile_skip (rc, node, YP_SYNC_ERROR_CASE_CLASH,
                      "another name differing only in case cannot be stored on this computer");
}
