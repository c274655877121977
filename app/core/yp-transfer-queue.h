/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"
#include "yp-transfer.h"

G_BEGIN_DECLS

#define YP_TYPE_TRANSFER_QUEUE (yp_transfer_queue_get_type ())

G_DECLARE_FINAL_TYPE (YpTransferQueue, yp_transfer_queue, YP, TRANSFER_QUEUE, GObject)

YpTransferQueue *yp_transfer_queue_new                (YpClient        *client);
/* (element-type YpTransfer): every transfer added, in order */
GListModel      *yp_transfer_queue_get_transfers      (YpTransferQueue *self);
void             yp_transfer_queue_add                (YpTransferQueue *self,
                                                       YpTransfer      *transfer);
void             yp_transfer_queue_remove_finished    (YpTransferQueue *self);
guint            yp_transfer_queue_get_items_left     (YpTransferQueue *self);
guint64          yp_transfer_queue_get_bytes_left     (YpTransferQueue *self);
/* bytes per second, all unfinished transfers together */
guint64          yp_transfer_queue_get_rate           (YpTransferQueue *self);
guint            yp_transfer_queue_get_max_concurrent (YpTransferQueue *self);
void             yp_transfer_queue_set_max_concurrent (YpTransferQueue *self,
                                                       guint            max_concurrent);
/* bytes per second shared by all uploads (downloads); 0: no limit */
guint64          yp_transfer_queue_get_upload_limit   (YpTransferQueue *self);
void             yp_transfer_queue_set_upload_limit   (YpTransferQueue *self,
                                                       guint64          bytes_per_second);
guint64          yp_transfer_queue_get_download_limit (YpTransferQueue *self);
void             yp_transfer_queue_set_download_limit (YpTransferQueue *self,
                                                       guint64          bytes_per_second);

G_END_DECLS
