/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-transfer-queue.h"

G_BEGIN_DECLS

#define YP_TYPE_TRANSFERS_PAGE (yp_transfers_page_get_type ())

G_DECLARE_FINAL_TYPE (YpTransfersPage, yp_transfers_page, YP, TRANSFERS_PAGE, AdwBin)

/* The uploads and downloads of QUEUE, with cancel, retry and clear; a
 * toast says when a batch is over. */
GtkWidget *yp_transfers_page_new   (YpTransferQueue *queue);
/* Queues TRANSFER anew as a transfer of the same file. */
void       yp_transfers_page_retry (YpTransfersPage *self,
                                    YpTransfer      *transfer);

G_END_DECLS
