/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-sync-item.h"

G_DEFINE_BOXED_TYPE (YpSyncItem, yp_sync_item, yp_sync_item_ref, yp_sync_item_unref)

YpSyncItem *
yp_sync_item_new (const char *path,
                  YpSyncKind  kind)
{
  YpSyncItem *item = g_atomic_rc_box_new0 (YpSyncItem);

  item->path = g_strdup (path);
  item->kind = kind;
  return item;
}

YpSyncItem *
yp_sync_item_copy (const YpSyncItem *item)
{
  YpSyncItem *copy = g_atomic_rc_box_new0 (YpSyncItem);

  *copy = *item;
  copy->path = g_strdup (item->path);
  return copy;
}

YpSyncItem *
yp_sync_item_ref (YpSyncItem *item)
{
  return g_atomic_rc_box_acquire (item);
}

static void
item_clear (YpSyncItem *item)
{
  g_free (item->path);
}

void
yp_sync_item_unref (YpSyncItem *item)
{
  g_atomic_rc_box_release_full (item, (GDestroyNotify) item_clear);
}

gboolean
yp_sync_item_same_content (const YpSyncItem *a,
                           const YpSyncItem *b)
{
  if (a->kind != b->kind)
    return FALSE;
  if (a->kind == YP_SYNC_KIND_FOLDER)
    return TRUE;
  return a->sha256[0] != '\0' && strcmp (a->sha256, b->sha256) == 0;
}

gboolean
yp_sync_item_same_stat (const YpSyncItem *a,
                        const YpSyncItem *b)
{
  if (a->kind != b->kind || a->inode != b->inode || a->device != b->device)
    return FALSE;
  return a->kind == YP_SYNC_KIND_FOLDER || (a->size == b->size && a->mtime_ns == b->mtime_ns);
}
