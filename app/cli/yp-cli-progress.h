/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-transfer.h"

G_BEGIN_DECLS

typedef struct _YpCliProgress YpCliProgress;

YpCliProgress *yp_cli_progress_new    (YpTransfer    *transfer,
                                       int            fd);
void           yp_cli_progress_free   (YpCliProgress *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpCliProgress, yp_cli_progress_free)

G_END_DECLS
