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

/* Gives NODE another TARGET (owned), out of the chain at its old one. */
static void
retarget (Reconcile *rc,
          Node      *node,
          char      *target)
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
  g_free (node->target);
  node->target = target;
  g_hash_table_insert (rc->by_target, node->target, node);
}

/* Two items wanting one name, one of them there on the server: as in a
 * conflict, the server's keeps the name and the other, if a file, takes a
 * conflict name. A folder, whose content is placed already, is left alone. */
static gboolean
resolve_by_conflict_name (Reconcile *rc,
                          Node      *one,
                          Node      *other)
{
  Node *loser;

  if (remote_in_place (rc, one) == remote_in_place (rc, other))
    return FALSE;
  loser = remote_in_place (rc, one) ? other : one;
  if (any_item (loser)->kind != YP_SYNC_KIND_FILE)
    return FALSE;
  retarget (rc, loser, _yp_reconcile_unique_conflict_name (rc, loser->target));
  loser->note = "another item took the name: this one is kept under a conflict name";
  return TRUE;
}

/* Two nodes wanting one name: a new local item and a new remote one are
 * the same thing created on both sides; a file there on the server and
 * another file, a conflict; anything else is left alone. */
void
_yp_reconcile_resolve_clash (Reconcile *rc,
                             Node      *first)
{
  Node *alive[2] = { NULL, NULL };
  guint n = 0;

  for (Node *node = first; node != NULL; node = node->next_at_target)
    if (node->alive && !node->merged && n++ < 2)
      alive[n - 1] = node;
  if (n < 2)
    return;
  if (n == 2 && alive[0]->base == NULL && alive[1]->base == NULL
      && (alive[0]->local == NULL) != (alive[1]->local == NULL))
    {
      Node *local = alive[0]->local ? alive[0] : alive[1];
      Node *remote = alive[0]->local ? alive[1] : alive[0];

      if (local->local->kind != remote->remote->kind)
        {
          _yp_reconcile_skip (rc, local, YP_SYNC_ERROR_FAILED,
                              "a file and a folder have the same name");
          _yp_reconcile_skip (rc, remote, YP_SYNC_ERROR_FAILED,
                              "a file and a folder have the same name");
          return;
        }
      local->remote = remote->remote;
      remote->merged = TRUE;
      return;
    }
  if (n == 2 && resolve_by_conflict_name (rc, alive[0], alive[1]))
    return;
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
