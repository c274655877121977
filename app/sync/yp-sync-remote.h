/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"
#include "yp-sync-ignore.h"
#include "yp-sync-tree.h"

G_BEGIN_DECLS

/*
 * The remote side of a pair as a YpSyncTree: one listing of the pair's
 * folder on the server, then kept current from the change feed.
 *
 * Items carry the node's id and version; a file's mtime_ns is the
 * protocol's mtime (seconds) in nanoseconds. Paths are relative to the
 * pair's root folder, whatever the root is called or wherever it is moved.
 */

/* Lists the whole subtree of the folder ROOT_ID, leaving out what IGNORE
 * (nullable) matches. CURSOR is set to the change-feed cursor read before
 * the listing started: reading the feed from there replays every change
 * made meanwhile, which yp_sync_remote_apply_changes() applies harmlessly
 * to what the listing already saw. A folder deleted or moved away while it
 * is listed is skipped; the feed says where it went. */
YpSyncTree *yp_sync_remote_list_sync     (YpClient      *client,
                                          gint64         root_id,
                                          YpSyncIgnore  *ignore,
                                          GCancellable  *cancellable,
                                          gint64        *cursor,
                                          GError       **error);

/*
 * Updates TREE, the remote tree of the folder ROOT_ID, with one page of
 * the change feed. Pure: no call to the server.
 *
 * A node is placed by its parent's id: a node whose parent is the root, or
 * a folder in TREE, is in the pair; any other is outside it (elsewhere on
 * the server, or in an ignored folder), and a node moved there leaves TREE
 * with everything under it. A change TREE already reflects (the item has
 * that version or a newer one) changes nothing, so a page can be applied
 * again, and the feed replayed over a listing that saw part of it.
 *
 * ROOT_PATH (inout): the root's absolute path on the server as of the
 * first change of CHANGES; replaced when the root, or a folder above it, is
 * renamed or moved, and set to %NULL when the root is deleted (TREE is
 * emptied then). Only the root's own changes name it by id: the deletion of
 * a folder above it is one change of that folder, which the engine learns
 * of when it next reads the root (not found).
 *
 * NEEDS_LISTING (nullable) is set to %TRUE (never back to %FALSE) when a
 * folder came into the pair from outside: the feed does not list what it
 * holds, so TREE has the folder but not its content until the engine lists
 * the pair again.
 */
void        yp_sync_remote_apply_changes (YpSyncTree    *tree,
                                          gint64         root_id,
                                          char         **root_path,
                                          YpChanges     *changes,
                                          gboolean      *needs_listing);

/* The item for NODE at PATH, as the listing and the feed make it. */
YpSyncItem *yp_sync_remote_item_new      (YpNode        *node,
                                          const char    *path);

G_END_DECLS
