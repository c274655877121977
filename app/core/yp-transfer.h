/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-node.h"

G_BEGIN_DECLS

#define YP_TYPE_TRANSFER (yp_transfer_get_type ())

G_DECLARE_FINAL_TYPE (YpTransfer, yp_transfer, YP, TRANSFER, GObject)

typedef enum
{
  YP_TRANSFER_UPLOAD,
  YP_TRANSFER_DOWNLOAD,
} YpTransferDirection;

typedef enum
{
  YP_TRANSFER_QUEUED,
  YP_TRANSFER_HASHING,
  YP_TRANSFER_RUNNING,
  YP_TRANSFER_DONE,
  YP_TRANSFER_FAILED,
  YP_TRANSFER_CANCELLED,
} YpTransferState;

YpTransfer          *yp_transfer_new_upload      (const char   *local_path,
                                                  const char   *remote_path,
                                                  gint64        if_version);
YpTransfer          *yp_transfer_new_download    (const char   *remote_path,
                                                  const char   *local_path);
YpTransferDirection  yp_transfer_get_direction   (YpTransfer   *self);
const char          *yp_transfer_get_local_path  (YpTransfer   *self);
const char          *yp_transfer_get_remote_path (YpTransfer   *self);
gint64               yp_transfer_get_if_version  (YpTransfer   *self);
YpTransferState      yp_transfer_get_state       (YpTransfer   *self);
guint64              yp_transfer_get_bytes_done  (YpTransfer   *self);
guint64              yp_transfer_get_total_bytes (YpTransfer   *self);
guint64              yp_transfer_get_rate        (YpTransfer   *self);
gboolean             yp_transfer_get_instant     (YpTransfer   *self);
guint64              yp_transfer_get_bytes_sent  (YpTransfer   *self);
const GError        *yp_transfer_get_error       (YpTransfer   *self);
YpNode              *yp_transfer_get_node        (YpTransfer   *self);
GCancellable        *yp_transfer_get_cancellable (YpTransfer   *self);
void                 yp_transfer_cancel          (YpTransfer   *self);

G_END_DECLS
