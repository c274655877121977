/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/*
 * What the sync engine knows of one path on one side of a pair, or in the
 * base (the state both sides had when the path was last synced). The three
 * trees the reconciler compares are made of these.
 *
 * Paths are relative to the pair's root, with "/" between components and
 * no leading or trailing slash ("Photos/cat.jpg"); the root itself is not
 * an item. Names are compared byte for byte, as both sides store them.
 */

typedef enum
{
  YP_SYNC_KIND_FILE,
  YP_SYNC_KIND_FOLDER,
} YpSyncKind;

#define YP_TYPE_SYNC_ITEM (yp_sync_item_get_type ())

/**
 * YpSyncItem:
 * @path: see above
 * @kind: file or folder
 * @size: a file's size in bytes
 * @mtime_ns: a file's modification time, nanoseconds since the epoch
 * @device: local items and the base: the file system the file is on; 0
 *   when unknown
 * @inode: local items and the base: the inode number; 0 when unknown
 * @sha256: a file's content hash (hex); "" when unknown (a local file not
 *   hashed yet)
 * @remote_id: remote items and the base: the node's id on the server; 0
 *   when unknown
 * @remote_version: remote items and the base: the node's version
 *
 * Reference-counted; not changed once it is in a tree.
 */
typedef struct
{
  char       *path;
  YpSyncKind  kind;
  guint64     size;
  gint64      mtime_ns;
  guint64     device;
  guint64     inode;
  char        sha256[65];
  gint64      remote_id;
  gint64      remote_version;
} YpSyncItem;

GType       yp_sync_item_get_type  (void) G_GNUC_CONST;
YpSyncItem *yp_sync_item_new       (const char       *path,
                                    YpSyncKind        kind);
YpSyncItem *yp_sync_item_copy      (const YpSyncItem *item);
YpSyncItem *yp_sync_item_ref       (YpSyncItem       *item);
void        yp_sync_item_unref     (YpSyncItem       *item);
/* Whether A and B hold the same content: both folders, or files with the
 * same SHA-256 (known on both). */
gboolean    yp_sync_item_same_content (const YpSyncItem *a,
                                       const YpSyncItem *b);
/* Whether local item A still looks like base item B without reading it:
 * same kind, size, modification time and inode. */
gboolean    yp_sync_item_same_stat    (const YpSyncItem *a,
                                       const YpSyncItem *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncItem, yp_sync_item_unref)

G_END_DECLS
