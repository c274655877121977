/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-sync-item.h"

G_BEGIN_DECLS

/*
 * A set of YpSyncItems indexed by path, and by inode and by remote id where
 * items have them: one side of a pair, or the base. Not thread-safe; a tree
 * given to the reconciler is not changed while it runs.
 */
typedef struct _YpSyncTree YpSyncTree;

typedef void (*YpSyncTreeFunc) (YpSyncItem *item,
                                gpointer    user_data);

#define YP_TYPE_SYNC_TREE (yp_sync_tree_get_type ())

GType       yp_sync_tree_get_type       (void) G_GNUC_CONST;
YpSyncTree *yp_sync_tree_new            (void);
YpSyncTree *yp_sync_tree_ref            (YpSyncTree       *tree);
void        yp_sync_tree_unref          (YpSyncTree       *tree);
/* Adds ITEM (a reference is taken), replacing an item of the same path. */
void        yp_sync_tree_add            (YpSyncTree       *tree,
                                         YpSyncItem       *item);
gboolean    yp_sync_tree_remove         (YpSyncTree       *tree,
                                         const char       *path);
guint       yp_sync_tree_size           (YpSyncTree       *tree);
/* (transfer none) (nullable) */
YpSyncItem *yp_sync_tree_lookup         (YpSyncTree       *tree,
                                         const char       *path);
YpSyncItem *yp_sync_tree_lookup_inode   (YpSyncTree       *tree,
                                         guint64           device,
                                         guint64           inode);
YpSyncItem *yp_sync_tree_lookup_remote  (YpSyncTree       *tree,
                                         gint64            remote_id);
/* (transfer container) (element-type YpSyncItem): every item, sorted by
 * path so that a folder comes before what is inside it. */
GPtrArray  *yp_sync_tree_dup_items      (YpSyncTree       *tree);
/* Calls FUNC on every item, in no order: cheaper than dup_items() where
 * the order does not matter. FUNC does not change TREE. */
void        yp_sync_tree_foreach        (YpSyncTree       *tree,
                                         YpSyncTreeFunc    func,
                                         gpointer          user_data);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncTree, yp_sync_tree_unref)

/* The folder part of PATH ("a/b" of "a/b/c", "" of "c"), newly allocated. */
char       *yp_sync_path_dirname        (const char       *path);
/* Whether PATH is INSIDE or under it. */
gboolean    yp_sync_path_is_under       (const char       *path,
                                         const char       *folder);

G_END_DECLS
