/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "yp-node.h"

G_BEGIN_DECLS

/*
 * What listing a folder and reading the change feed answer: boxed,
 * reference-counted and never changed once made, so that they can be
 * handed between threads, kept in a GValue or a signal argument and shared
 * by whoever holds a reference.
 */

#define YP_TYPE_LISTING (yp_listing_get_type ())
#define YP_TYPE_CHANGE  (yp_change_get_type ())
#define YP_TYPE_CHANGES (yp_changes_get_type ())

/**
 * YpListing:
 * @folder: the folder listed
 * @entries: (element-type YpNode): one page of its entries
 * @total: entries matching in all
 * @offset: the position of the page's first entry among them
 */
typedef struct
{
  YpNode    *folder;
  GPtrArray *entries;
  gint64     total;
  gint64     offset;
} YpListing;

GType      yp_listing_get_type (void) G_GNUC_CONST;
YpListing *yp_listing_ref      (YpListing *listing);
void       yp_listing_unref    (YpListing *listing);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpListing, yp_listing_unref)

typedef enum
{
  YP_CHANGE_CREATE,
  YP_CHANGE_MODIFY,
  YP_CHANGE_MOVE,
  YP_CHANGE_DELETE,
} YpChangeOp;

/**
 * YpChange:
 * @cursor: the change's place in the feed
 * @op: what happened to the node
 * @node: the node as it is after the change (for a delete, as it was)
 * @old_path: (nullable): for a move, the path the node had before
 */
typedef struct
{
  gint64      cursor;
  YpChangeOp  op;
  YpNode     *node;
  char       *old_path;
} YpChange;

GType      yp_change_get_type  (void) G_GNUC_CONST;
YpChange  *yp_change_ref       (YpChange  *change);
void       yp_change_unref     (YpChange  *change);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpChange, yp_change_unref)

/**
 * YpChanges:
 * @changes: (element-type YpChange): the changes after the cursor asked for
 * @cursor: the cursor to ask from next time
 * @latest: the newest cursor on the server
 * @has_more: whether to ask again at once
 */
typedef struct
{
  GPtrArray *changes;
  gint64     cursor;
  gint64     latest;
  gboolean   has_more;
} YpChanges;

GType      yp_changes_get_type (void) G_GNUC_CONST;
YpChanges *yp_changes_ref      (YpChanges *changes);
void       yp_changes_unref    (YpChanges *changes);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpChanges, yp_changes_unref)

G_END_DECLS
