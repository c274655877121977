/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-private.h"
#include "yp-protocol.h"

/*
 * Thumbnails of image files: the server's PNG as it came, for the caller
 * to decode (the desktop app hands it to gdk_texture_new_from_bytes).
 */

/* A thumbnail is at most 256 × 256 pixels; a PNG of that many is well
 * below this, so a larger answer is not a thumbnail. */
#define THUMBNAIL_MAX_BYTES (4 * 1024 * 1024)

static YpCall *
thumbnail_call (YpClient *self,
                gint64    node_id,
                guint     size)
{
  YpCall *call = _yp_call_new (self, "GET", "/files/thumbnail");

  if (node_id <= 0)
    _yp_call_take_invalid (call, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                              _("A file's id is a number above 0")));
  if (size != YP_THUMBNAIL_SMALL && size != YP_THUMBNAIL_LARGE)
    _yp_call_take_invalid (call, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                              _("Thumbnails are %d or %d pixels"),
                                              YP_THUMBNAIL_SMALL, YP_THUMBNAIL_LARGE));
  _yp_call_add_query_int (call, "id", node_id);
  _yp_call_add_query_int (call, "size", size);
  _yp_call_set_reply_bytes (call, THUMBNAIL_MAX_BYTES);
  return call;
}

GBytes *
yp_client_thumbnail_sync (YpClient      *self,
                          gint64         node_id,
                          guint          size,
                          GCancellable  *cancellable,
                          GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), NULL);

  return _yp_call_run_sync (thumbnail_call (self, node_id, size), cancellable, error);
}

void
yp_client_thumbnail_async (YpClient            *self,
                           gint64               node_id,
                           guint                size,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (thumbnail_call (self, node_id, size), yp_client_thumbnail_async,
                      cancellable, callback, user_data);
}

GBytes *
yp_client_thumbnail_finish (YpClient      *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return _yp_call_finish (self, result, yp_client_thumbnail_async, error);
}
