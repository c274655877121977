/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-transfer.h"

G_BEGIN_DECLS

#define YP_TYPE_TRANSFER_ROW (yp_transfer_row_get_type ())

G_DECLARE_FINAL_TYPE (YpTransferRow, yp_transfer_row, YP, TRANSFER_ROW, AdwBin)

/* One transfer's name, progress and state, kept current while it is set.
 * ::retry (YpTransfer *transfer) asks for the transfer to start again. */
GtkWidget  *yp_transfer_row_new          (void);
void        yp_transfer_row_set_transfer (YpTransferRow *self,
                                          YpTransfer    *transfer);
YpTransfer *yp_transfer_row_get_transfer (YpTransferRow *self);
/* What the row says of TRANSFER's state: progress, rate and time left, or
 * how it ended. */
char       *yp_transfer_row_describe     (YpTransfer    *transfer);

G_END_DECLS
