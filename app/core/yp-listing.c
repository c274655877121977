/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "yp-client-private.h"
#include "yp-listing.h"

G_DEFINE_BOXED_TYPE (YpListing, yp_listing, yp_listing_ref, yp_listing_unref)
G_DEFINE_BOXED_TYPE (YpChange, yp_change, yp_change_ref, yp_change_unref)
G_DEFINE_BOXED_TYPE (YpChanges, yp_changes, yp_changes_ref, yp_changes_unref)

YpListing *
_yp_listing_new (YpNode *folder,
                 gint64  total,
                 gint64  offset)
{
  YpListing *listing = g_atomic_rc_box_new0 (YpListing);

  listing->folder = g_object_ref (folder);
  listing->entries = g_ptr_array_new_with_free_func (g_object_unref);
  listing->total = total;
  listing->offset = offset;
  return listing;
}

YpListing *
yp_listing_ref (YpListing *listing)
{
  return g_atomic_rc_box_acquire (listing);
}

static void
listing_clear (YpListing *listing)
{
  g_clear_object (&listing->folder);
  g_clear_pointer (&listing->entries, g_ptr_array_unref);
}

void
yp_listing_unref (YpListing *listing)
{
  g_atomic_rc_box_release_full (listing, (GDestroyNotify) listing_clear);
}

YpChange *
_yp_change_new (gint64      cursor,
                YpChangeOp  op,
                YpNode     *node,
                const char *old_path)
{
  YpChange *change = g_atomic_rc_box_new0 (YpChange);

  change->cursor = cursor;
  change->op = op;
  change->node = node ? g_object_ref (node) : NULL;
  change->old_path = g_strdup (old_path);
  return change;
}

YpChange *
yp_change_ref (YpChange *change)
{
  return g_atomic_rc_box_acquire (change);
}

static void
change_clear (YpChange *change)
{
  g_clear_object (&change->node);
  g_clear_pointer (&change->old_path, g_free);
}

void
yp_change_unref (YpChange *change)
{
  g_atomic_rc_box_release_full (change, (GDestroyNotify) change_clear);
}

YpChanges *
_yp_changes_new (gint64   cursor,
                 gint64   latest,
                 gboolean has_more)
{
  YpChanges *changes = g_atomic_rc_box_new0 (YpChanges);

  changes->changes = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_change_unref);
  changes->cursor = cursor;
  changes->latest = latest;
  changes->has_more = has_more;
  return changes;
}

YpChanges *
yp_changes_ref (YpChanges *changes)
{
  return g_atomic_rc_box_acquire (changes);
}

static void
changes_clear (YpChanges *changes)
{
  g_clear_pointer (&changes->changes, g_ptr_array_unref);
}

void
yp_changes_unref (YpChanges *changes)
{
  g_atomic_rc_box_release_full (changes, (GDestroyNotify) changes_clear);
}
