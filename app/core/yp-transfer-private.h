/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-rate-limiter.h"
#include "yp-transfer.h"

G_BEGIN_DECLS

/* Called from the worker thread that runs the transfer; the properties
 * change in the main context the transfer was created in, at most ten times
 * a second. */
void           _yp_transfer_set_state     (YpTransfer      *self,
                                           YpTransferState  state);
void           _yp_transfer_set_total     (YpTransfer      *self,
                                           guint64          total);
void           _yp_transfer_set_done      (YpTransfer      *self,
                                           guint64          done);
void           _yp_transfer_add_done      (YpTransfer      *self,
                                           guint64          bytes);
void           _yp_transfer_add_sent      (YpTransfer      *self,
                                           guint64          bytes);
void           _yp_transfer_set_instant   (YpTransfer      *self,
                                           gboolean         instant);
void           _yp_transfer_finish        (YpTransfer      *self,
                                           YpNode          *node,
                                           const GError    *error);
void           _yp_transfer_set_limiter   (YpTransfer      *self,
                                           YpRateLimiter   *limiter);
YpRateLimiter *_yp_transfer_get_limiter   (YpTransfer      *self);

G_END_DECLS
