/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-sync-reconcile.h"

G_BEGIN_DECLS

/* Building trees in a few lines */
YpSyncItem *file_new          (const char *path,
                               const char *sha,
                               guint64     inode,
                               gint64      remote_id,
                               gint64      version);
void        tree_add_file     (YpSyncTree *tree,
                               const char *path,
                               const char *sha,
                               guint64     inode,
                               gint64      remote_id,
                               gint64      version);
void        tree_add_unhashed (YpSyncTree *tree,
                               const char *path,
                               const char *content,
                               guint64     inode);
void        tree_add_folder   (YpSyncTree *tree,
                               const char *path,
                               guint64     inode,
                               gint64      remote_id);
void        assert_same_tree  (YpSyncTree *got,
                               YpSyncTree *want);

/* Plans as one line: "kind path; kind from->to" */
char *describe_action (YpSyncAction *action);
char *describe_plan   (YpSyncPlan   *plan);

/* The reconciler's small cases: three trees, the options and the plan.
 * Named apart from the client tests' Fixture, which programs against a
 * server include beside this header. */
typedef struct
{
  YpSyncTree             *local;
  YpSyncTree             *remote;
  YpSyncTree             *base;
  YpSyncReconcileOptions  options;
  GDateTime              *time;
  YpSyncPlan             *plan;
} TreesFixture;

void          trees_set_up      (TreesFixture  *fx,
                                 gconstpointer  data);
void          trees_tear_down   (TreesFixture  *fx,
                                 gconstpointer  data);
void          synced_file       (TreesFixture  *fx,
                                 const char    *path,
                                 const char    *sha,
                                 guint64        inode);
void          synced_folder     (TreesFixture  *fx,
                                 const char    *path,
                                 guint64        inode);
YpSyncPlan   *reconcile         (TreesFixture  *fx,
                                 const char    *expected);
YpSyncAction *action_at         (TreesFixture  *fx,
                                 guint          index);

G_END_DECLS
