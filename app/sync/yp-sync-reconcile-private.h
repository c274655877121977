/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>

#include "yp-sync-reconcile.h"

G_BEGIN_DECLS

/*
 * One reconcile as yp-sync-reconcile.c runs it (identity, changes,
 * survival, what to do with each path's content), shared with placement
 * and rename detection (yp-sync-renames.c), names two items want or a side
 * cannot hold (yp-sync-clash.c), conflict names (yp-sync-conflict-name.c)
 * and the order of the plan (yp-sync-order.c).
 */

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
  guint       emptied : 1;     /* what is left of a folder made one with another */
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

static inline const char *
basename_of (const char *path)
{
  const char *slash = strrchr (path, '/');

  return slash ? slash + 1 : path;
}

static inline YpSyncItem *
any_item (Node *node)
{
  return node->base ? node->base : node->local ? node->local : node->remote;
}

/* yp-sync-reconcile.c: the actions of one node and what to do with its content */
YpSyncAction *_yp_reconcile_action_new           (YpSyncActionKind  kind,
                                                  const char       *path,
                                                  Node             *node);
YpSyncAction *_yp_reconcile_emit                 (Reconcile        *rc,
                                                  YpSyncActionKind  kind,
                                                  const char       *path,
                                                  Node             *node);
void          _yp_reconcile_emit_content         (Reconcile        *rc,
                                                  Node             *node);

/* yp-sync-renames.c: identity across renames, and where each node ends up */
Node         *_yp_reconcile_parent_in            (GHashTable       *map,
                                                  const char       *path);
YpSyncItem   *_yp_reconcile_find_local           (Reconcile        *rc,
                                                  YpSyncItem       *base);
YpSyncItem   *_yp_reconcile_find_remote          (Reconcile        *rc,
                                                  YpSyncItem       *base);
gboolean      _yp_reconcile_moved_on             (Reconcile        *rc,
                                                  Node             *node,
                                                  GHashTable       *map,
                                                  const char       *side_path);
gboolean      _yp_reconcile_in_place             (Reconcile        *rc,
                                                  GHashTable       *map,
                                                  const char       *path,
                                                  const char       *target);
const char   *_yp_reconcile_place                (Reconcile        *rc,
                                                  Node             *node);

/* yp-sync-clash.c: names two items want, names a side cannot hold */
void          _yp_reconcile_skip                 (Reconcile        *rc,
                                                  Node             *node,
                                                  YpSyncError       code,
                                                  const char       *reason);
void          _yp_reconcile_resolve_clash        (Reconcile        *rc,
                                                  Node             *first);
void          _yp_reconcile_check_names          (Reconcile        *rc,
                                                  Node             *node);
void          _yp_reconcile_check_case           (Reconcile        *rc,
                                                  GHashTable       *folded,
                                                  Node             *node);
gboolean      _yp_reconcile_under_skipped        (Reconcile        *rc,
                                                  Node             *node);

/* yp-sync-conflict-name.c */
char         *_yp_reconcile_unique_conflict_name (Reconcile        *rc,
                                                  const char       *target);

/* yp-sync-order.c: the order of the plan, and names handed over in it */
void          _yp_reconcile_plan_actions         (Reconcile        *rc);

G_END_DECLS
