/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-node.h"
#include "yp-sync-reconcile.h"

/*
 * One thing being synced: a base entry with what each side holds of it, or
 * an item new on one side (or on both, under the same name). Items are
 * borrowed from the trees, which outlive the reconcile.
 */
typedef struct _Node Node;

struct _Node
{
  YpSyncItem *base;            /* NULL: new */
  YpSyncItem *local;           /* NULL: not there */
  YpSyncItem *remote;          /* NULL: not there */
  char       *target;          /* where it ends up on both sides; NULL: a cycle */
  Node       *next_at_target;
  guint       placing : 1;
  guint       placed : 1;
  guint       restored : 1;    /* deleted on one side but renamed on the other */
  guint       alive : 1;       /* present on both sides after the plan */
  guint       merged : 1;      /* a new remote item folded into a new local one */
  guint       skipped : 1;
  guint       move_local : 1;
  guint       move_remote : 1;
  guint       planned : 1;     /* gets actions in the second phase */
  guint       emitting : 1;
  guint       emitted : 1;
  YpSyncError skip_code;
  const char *skip_reason;
  const char *note;            /* for the user, on its first action */
};

typedef struct
{
  const YpSyncReconcileOptions *options;
  YpSyncTree *local_tree;
  YpSyncTree *remote_tree;
  YpSyncTree *base_tree;
  Node       *nodes;
  guint       n_nodes;
  GHashTable *by_base;         /* base path -> Node */
  GHashTable *by_local;        /* local path -> Node */
  GHashTable *by_remote;       /* remote path -> Node */
  GHashTable *by_target;       /* target -> first Node placed there */
  GHashTable *skipped;         /* target -> skipped Node */
  GHashTable *conflict_names;  /* the conflict names given out */
  GPtrArray  *local_moves;     /* YpSyncAction, the moves planned so far */
  GPtrArray  *remote_moves;
  YpSyncPlan *plan;
} Reconcile;

static const char *
basename_of (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash ? slash + 1 : path;
}

/* The conflict name of PATH; the Nth of them from N = 2 on. */
static char *
conflict_name (const char *path,
               const char *host,
               GDateTime  *time,
               guint       n)
{
  const char *name = basename_of (path);
  const char *dot = strrchr (name, '.');
  g_autoptr(GDateTime) now = time ? g_date_time_ref (time) : g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H%M%S");
  g_autofree char *count = n > 1 ? g_strdup_printf (" %u", n) : g_strdup ("");

  /* a dotfile's only dot starts its name, it is no extension */
  if (dot == NULL || dot == name)
    dot = name + strlen (name);
  return g_strdup_printf ("%.*s (conflict %s from %s%s)%s",
                          (int) (dot - path), path, stamp, host ? host : "unknown", count, dot);
}

/* The node holding the folder PATH is in, in MAP; NULL for the root or a
 * folder MAP does not hold. */
static Node *
parent_in (GHashTable *map,
           const char *path)
{
  const char *slash = strrchr (path, '/');
  gsize len = slash ? (gsize) (slash - path) : 0;
  char stack[256];
  g_autofree char *heap = NULL;
  char *dir = stack;

  if (slash == NULL)
    return NULL;
  /* called several times for every path: no allocation for most */
  if (len >= sizeof stack)
    dir = heap = g_malloc (len + 1);
  memcpy (dir, path, len);
  dir[len] = '\0';
  return g_hash_table_lookup (map, dir);
}

static YpSyncItem *
any_item (Node *node)
{
  return node->base ? node->base : node->local ? node->local : node->remote;
}

/* ------------------------------------------------------------------ */
/* Identity: what each side holds of a base entry                     */

static YpSyncItem *
find_local (Reconcile  *rc,
            YpSyncItem *base)
{
  YpSyncItem *item = yp_sync_tree_lookup_inode (rc->local_tree, base->device, base->inode);

  if (item != NULL && strcmp (item->path, base->path) != 0 && item->kind == base->kind
      && (item->kind == YP_SYNC_KIND_FOLDER
          || (item->size == base->size && item->mtime_ns == base->mtime_ns))
      && yp_sync_tree_lookup (rc->base_tree, item->path) == NULL)
    return item;
  item = yp_sync_tree_lookup (rc->local_tree, base->path);
  return item != NULL && item->kind == base->kind ? item : NULL;
}

static YpSyncItem *
find_remote (Reconcile  *rc,
             YpSyncItem *base)
{
  YpSyncItem *item = yp_sync_tree_lookup_remote (rc->remote_tree, base->remote_id);

  if (item != NULL && item->kind == base->kind)
    return item;
  item = yp_sync_tree_lookup (rc->remote_tree, base->path);
  /* a node the base knows under another path is that entry's, not ours */
  if (item != NULL && item->kind == base->kind
      && yp_sync_tree_lookup_remote (rc->base_tree, item->remote_id) == NULL)
    return item;
  return NULL;
}

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

static void
add_new_items (Reconcile  *rc,
               GPtrArray  *items,
               GHashTable *claimed,
               gboolean    local)
{
  for (guint i = 0; i < items->len; i++)
    {
      YpSyncItem *item = g_ptr_array_index (items, i);

      if (!g_hash_table_contains (claimed, item->path))
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

/* Whether NODE was renamed or moved on a side, where it is at SIDE_PATH in
 * MAP: another name, or another parent than in the base. A move of its
 * folder does not count: the node moves along. */
static gboolean
moved_on (Reconcile  *rc,
          Node       *node,
          GHashTable *map,
          const char *side_path)
{
  if (strcmp (basename_of (side_path), basename_of (node->base->path)) != 0)
    return TRUE;
  return parent_in (map, side_path) != parent_in (rc->by_base, node->base->path);
}

/* ------------------------------------------------------------------ */
/* Placement: where each node ends up                                 */

static const char *place (Reconcile *rc,
                          Node      *node);

/* Where the folder holding PATH in MAP ends up, "" for the root; NULL in
 * a cycle. A folder MAP does not know stays where it is (into DIR). */
static const char *
parent_target (Reconcile   *rc,
               GHashTable  *map,
               const char  *path,
               char       **dir)
{
  Node *parent = parent_in (map, path);

  if (parent != NULL)
    return place (rc, parent);
  if (strrchr (path, '/') == NULL)
    return "";
  *dir = yp_sync_path_dirname (path);
  return *dir;
}

/* Where the item at PATH in MAP ends up if only its folder moves. */
static char *
place_in_parent (Reconcile  *rc,
                 GHashTable *map,
                 const char *path)
{
  g_autofree char *dir = NULL;
  const char *folder = parent_target (rc, map, path, &dir);
  const char *name = basename_of (path);

  if (folder == NULL)
    return NULL;
  return folder[0] != '\0' ? g_strconcat (folder, "/", name, NULL) : g_strdup (name);
}

/* Whether place_in_parent() would give TARGET, without building it. */
static gboolean
in_place (Reconcile  *rc,
          GHashTable *map,
          const char *path,
          const char *target)
{
  g_autofree char *dir = NULL;
  const char *folder = parent_target (rc, map, path, &dir);
  const char *name = basename_of (path);
  gsize len;

  if (folder == NULL || target == NULL)
    return folder == NULL && target == NULL;
  len = strlen (folder);
  if (len == 0)
    return strcmp (target, name) == 0;
  return strncmp (target, folder, len) == 0 && target[len] == '/'
         && strcmp (target + len + 1, name) == 0;
}

/* The server's rename wins over a local one, a rename over staying put; a
 * candidate that would put a folder inside itself (a cycle through other
 * moves) gives way to the next. */
static const char *
place (Reconcile *rc,
       Node      *node)
{
  char *target = NULL;

  if (node->placed)
    return node->target;
  if (node->placing)
    return NULL;
  node->placing = TRUE;
  if (node->base == NULL)
    {
      target = node->local != NULL ? place_in_parent (rc, rc->by_local, node->local->path)
                                   : place_in_parent (rc, rc->by_remote, node->remote->path);
    }
  else
    {
      if (node->remote != NULL && moved_on (rc, node, rc->by_remote, node->remote->path))
        target = place_in_parent (rc, rc->by_remote, node->remote->path);
      if (target == NULL && node->local != NULL
          && moved_on (rc, node, rc->by_local, node->local->path))
        target = place_in_parent (rc, rc->by_local, node->local->path);
      if (target == NULL)
        target = place_in_parent (rc, rc->by_base, node->base->path);
    }
  node->placing = FALSE;
  node->placed = TRUE;
  node->target = target;
  return target;
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
  parent = parent_in (rc->by_base, node->base->path);
  node->restored = moved_on (rc, node, local_gone ? rc->by_remote : rc->by_local, present->path)
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
/* Skips                                                              */

static void
skip (Reconcile  *rc,
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

static gboolean in_place (Reconcile  *rc,
                          GHashTable *map,
                          const char *path,
                          const char *target);

/* A conflict name for TARGET that nothing on either side, nor in the plan,
 * holds. */
static char *
unique_conflict_name (Reconcile  *rc,
                      const char *target)
{
  const YpSyncReconcileOptions *options = rc->options;

  for (guint n = 1;; n++)
    {
      char *name = conflict_name (target, options->host, options->time, n);

      if (!g_hash_table_contains (rc->by_target, name)
          && !g_hash_table_contains (rc->conflict_names, name)
          && yp_sync_tree_lookup (rc->local_tree, name) == NULL
          && yp_sync_tree_lookup (rc->remote_tree, name) == NULL)
        {
          g_hash_table_add (rc->conflict_names, name);
          return g_strdup (name);
        }
      g_free (name);
    }
}

/* Whether NODE's remote item holds its target already. */
static gboolean
remote_in_place (Reconcile *rc,
                 Node      *node)
{
  return node->remote != NULL && in_place (rc, rc->by_remote, node->remote->path, node->target);
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
  retarget (rc, loser, unique_conflict_name (rc, loser->target));
  loser->note = "another item took the name: this one is kept under a conflict name";
  return TRUE;
}

/* Two nodes wanting one name: a new local item and a new remote one are
 * the same thing created on both sides; a file there on the server and
 * another file, a conflict; anything else is left alone. */
static void
resolve_clash (Reconcile *rc,
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
          skip (rc, local, YP_SYNC_ERROR_FAILED, "a file and a folder have the same name");
          skip (rc, remote, YP_SYNC_ERROR_FAILED, "a file and a folder have the same name");
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
      skip (rc, node, YP_SYNC_ERROR_FAILED, "two items want the same name");
}

static void
check_names (Reconcile *rc,
             Node      *node)
{
  const YpSyncReconcileOptions *options = rc->options;
  const char *name = basename_of (node->target);

  if (options->name_valid == NULL)
    return;
  if ((node->local == NULL || node->move_local)
      && !options->name_valid (name, YP_SYNC_SIDE_LOCAL, options->user_data))
    skip (rc, node, YP_SYNC_ERROR_INVALID_NAME, "the name is not valid on this computer");
  else if ((node->remote == NULL || node->move_remote)
           && !options->name_valid (name, YP_SYNC_SIDE_REMOTE, options->user_data))
    skip (rc, node, YP_SYNC_ERROR_INVALID_NAME, "the name is not valid on the server");
}

/* On a case-folding local side, of two targets that differ only in case
 * the one already there locally stays, the other is left alone. */
static void
check_case (Reconcile  *rc,
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
  skip (rc, node, YP_SYNC_ERROR_CASE_CLASH,
        "another name differing only in case cannot be stored on this computer");
}

static gboolean
under_skipped (Reconcile *rc,
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
/* Actions                                                            */

static YpSyncAction *
action_new (YpSyncActionKind kind,
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
static YpSyncAction *
emit (Reconcile       *rc,
      YpSyncActionKind kind,
      const char      *path,
      Node            *node)
{
  g_autoptr(YpSyncAction) action = action_new (kind, path, node);

  yp_sync_plan_add (rc->plan, action);
  return action;
}

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
  YpSyncAction *action = emit (rc, kind, node->target, node);

  action->from_path = path_after (moves, local ? node->local->path : node->remote->path);
  if (node->remote != NULL)
    action->if_version = node->remote->remote_version;
  if (local && node->base != NULL && node->remote != NULL
      && moved_on (rc, node, rc->by_local, node->local->path)
      && moved_on (rc, node, rc->by_remote, node->remote->path))
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

/* Whether the base entry needs refreshing although both sides agree: it
 * moved (not along with its folder, whose record moves what is under it),
 * or its stat or version changed with the same content. */
static gboolean
base_stale (Reconcile *rc,
            Node      *node)
{
  YpSyncItem *base = node->base;

  if (base == NULL || !in_place (rc, rc->by_base, base->path, node->target))
    return TRUE;
  if (base->kind == YP_SYNC_KIND_FOLDER)
    return node->remote->remote_id != base->remote_id;
  return remote_touched (node->remote, base) || !yp_sync_item_same_stat (node->local, base);
}

static void
emit_content (Reconcile *rc,
              Node      *node)
{
  YpSyncItem *local = node->local, *remote = node->remote;
  YpSyncKind kind = any_item (node)->kind;
  gboolean local_new, remote_new;

  if (local == NULL)
    {
      emit (rc, kind == YP_SYNC_KIND_FOLDER ? YP_SYNC_ACTION_MKDIR_LOCAL
                                             : YP_SYNC_ACTION_DOWNLOAD, node->target, node);
      return;
    }
  if (remote == NULL)
    {
      YpSyncAction *action = emit (rc, kind == YP_SYNC_KIND_FOLDER ? YP_SYNC_ACTION_MKDIR_REMOTE
                                                                    : YP_SYNC_ACTION_UPLOAD,
                                   node->target, node);

      action->if_version = YP_VERSION_NONE;
      return;
    }
  local_new = node->base == NULL || local_changed (local, node->base);
  remote_new = node->base == NULL || remote_changed (remote, node->base);
  if (kind == YP_SYNC_KIND_FILE && local_new && remote_new
      && (local->sha256[0] == '\0' || strcmp (local->sha256, remote->sha256) != 0))
    {
      YpSyncAction *action = emit (rc, YP_SYNC_ACTION_CONFLICT, node->target, node);

      action->conflict_path = unique_conflict_name (rc, node->target);
      action->if_version = YP_VERSION_NONE;
    }
  else if (kind == YP_SYNC_KIND_FILE && local_new && !remote_new)
    emit (rc, YP_SYNC_ACTION_UPLOAD, node->target, node)->if_version = remote->remote_version;
  else if (kind == YP_SYNC_KIND_FILE && remote_new && !local_new)
    emit (rc, YP_SYNC_ACTION_DOWNLOAD, node->target, node);
  else if ((kind == YP_SYNC_KIND_FILE && local_new && remote_new)
           || (!node->move_local && !node->move_remote && base_stale (rc, node)))
    emit (rc, YP_SYNC_ACTION_RECORD, node->target, node);
}

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
  YpSyncAction *action = emit (rc, local ? YP_SYNC_ACTION_MOVE_LOCAL : YP_SYNC_ACTION_MOVE_REMOTE,
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
  emit_content (rc, node);
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

/* (transfer full): the delete of the side NODE is still on, at the path it
 * has once the moves planned so far have run */
static YpSyncAction *
delete_new (Reconcile *rc,
            Node      *node)
{
  gboolean local = node->local != NULL;
  GPtrArray *moves = local ? rc->local_moves : rc->remote_moves;
  g_autofree char *path = path_after (moves, local ? node->local->path : node->remote->path);
  YpSyncAction *action = action_new (local ? YP_SYNC_ACTION_DELETE_LOCAL
                                           : YP_SYNC_ACTION_DELETE_REMOTE, path, node);

  if (!local)
    action->if_version = node->base->remote_version;
  return action;
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
       GPtrArray *base_items,
       GPtrArray *local_items,
       GPtrArray *remote_items)
{
  for (guint i = 0; i < base_items->len; i++)
    {
      YpSyncItem *base = g_ptr_array_index (base_items, i);

      add_node (rc, base, find_local (rc, base), find_remote (rc, base));
    }
  add_new_items (rc, local_items, rc->by_local, TRUE);
  add_new_items (rc, remote_items, rc->by_remote, FALSE);
}

/* Places every node, decides what survives, and sets aside what cannot be
 * synced. */
static void
decide (Reconcile *rc)
{
  g_autoptr(GHashTable) folded = NULL;
  g_autoptr(GPtrArray) clashes = g_ptr_array_new ();

  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];
      Node *first;

      if (place (rc, node) == NULL)
        continue;
      first = g_hash_table_lookup (rc->by_target, node->target);
      if (first != NULL)
        {
          Node *last = first;

          /* note each clash once, keep node order in the chain */
          if (first->next_at_target == NULL)
            g_ptr_array_add (clashes, first->target);
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
  for (guint i = 0; i < clashes->len; i++)
    resolve_clash (rc, g_hash_table_lookup (rc->by_target, g_ptr_array_index (clashes, i)));

  if (rc->options->case_insensitive_local)
    folded = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];

      if (!node->alive || node->merged)
        continue;
      if (node->target == NULL)
        {
          skip (rc, node, YP_SYNC_ERROR_FAILED, "moves on the two sides form a cycle");
          continue;
        }
      if (node->local != NULL)
        node->move_local = !in_place (rc, rc->by_local, node->local->path, node->target);
      if (node->remote != NULL)
        node->move_remote = !in_place (rc, rc->by_remote, node->remote->path, node->target);
      check_names (rc, node);
      if (folded != NULL && !node->skipped)
        check_case (rc, folded, node);
    }
}

static void
plan_actions (Reconcile *rc)
{
  g_autoptr(GPtrArray) placed = g_ptr_array_new ();
  g_autoptr(GPtrArray) folders = g_ptr_array_new ();
  g_autoptr(GPtrArray) folder_deletes = NULL;
  g_autoptr(GPtrArray) skips = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);

  /* files deleted, at the paths the sides have now; forgotten entries */
  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];

      if (node->merged || node->alive || under_skipped (rc, node))
        continue;
      if (node->local == NULL && node->remote == NULL)
        emit (rc, YP_SYNC_ACTION_FORGET, node->base->path, node);
      else if (node->base->kind == YP_SYNC_KIND_FOLDER)
        g_ptr_array_add (folders, node);
      else
        {
          g_autoptr(YpSyncAction) action = delete_new (rc, node);

          yp_sync_plan_add (rc->plan, action);
        }
    }
  for (guint i = 0; i < rc->n_nodes; i++)
    {
      Node *node = &rc->nodes[i];

      if (node->skipped && !node->merged)
        {
          YpSyncAction *action = action_new (YP_SYNC_ACTION_SKIP,
                                             node->target ? node->target : any_item (node)->path,
                                             node);

          action->skip_code = node->skip_code;
          action->reason = g_strdup (node->skip_reason);
          g_ptr_array_add (skips, action);
        }
      else if (node->alive && !node->merged && !under_skipped (rc, node))
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
    g_ptr_array_add (folder_deletes, delete_new (rc, g_ptr_array_index (folders, i)));
  g_ptr_array_sort (folder_deletes, compare_deletes);
  for (guint i = 0; i < folder_deletes->len; i++)
    yp_sync_plan_add (rc->plan, g_ptr_array_index (folder_deletes, i));
}

YpSyncPlan *
yp_sync_reconcile (YpSyncTree                   *local,
                   YpSyncTree                   *remote,
                   YpSyncTree                   *base,
                   const YpSyncReconcileOptions *options)
{
  g_autoptr(GPtrArray) base_items = NULL;
  g_autoptr(GPtrArray) local_items = NULL;
  g_autoptr(GPtrArray) remote_items = NULL;
  Reconcile rc = { 0, };

  g_return_val_if_fail (local != NULL && remote != NULL && base != NULL, NULL);
  g_return_val_if_fail (options != NULL, NULL);

  base_items = yp_sync_tree_dup_items (base);
  local_items = yp_sync_tree_dup_items (local);
  remote_items = yp_sync_tree_dup_items (remote);
  rc.options = options;
  rc.local_tree = local;
  rc.remote_tree = remote;
  rc.base_tree = base;
  rc.nodes = g_new0 (Node, base_items->len + local_items->len + remote_items->len);
  rc.by_base = g_hash_table_new (g_str_hash, g_str_equal);
  rc.by_local = g_hash_table_new (g_str_hash, g_str_equal);
  rc.by_remote = g_hash_table_new (g_str_hash, g_str_equal);
  rc.by_target = g_hash_table_new (g_str_hash, g_str_equal);
  rc.skipped = g_hash_table_new (g_str_hash, g_str_equal);
  rc.conflict_names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  rc.local_moves = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  rc.remote_moves = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  rc.plan = yp_sync_plan_new ();

  claim (&rc, base_items, local_items, remote_items);
  decide (&rc);
  plan_actions (&rc);

  reconcile_clear (&rc);
  return rc.plan;
}

char *
yp_sync_conflict_name (const char *path,
                       const char *host,
                       GDateTime  *time)
{
  g_return_val_if_fail (path != NULL, NULL);

  return conflict_name (path, host, time, 1);
}
