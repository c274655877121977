/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"

G_BEGIN_DECLS

#define YP_TYPE_CHANGE_PAGER (yp_change_pager_get_type ())

G_DECLARE_FINAL_TYPE (YpChangePager, yp_change_pager, YP, CHANGE_PAGER, GObject)

/* Changes per request unless the caller chooses; the server takes 1000 at most. */
#define YP_CHANGE_PAGER_PAGE_SIZE     500
#define YP_CHANGE_PAGER_PAGE_SIZE_MAX 1000

YpChangePager *yp_change_pager_new         (YpClient      *client,
                                            gint64         cursor,
                                            guint          page_size);
void           yp_change_pager_pull        (YpChangePager *self);
void           yp_change_pager_set_cursor  (YpChangePager *self,
                                            gint64         cursor);
gint64         yp_change_pager_get_cursor  (YpChangePager *self);
gint64         yp_change_pager_get_latest  (YpChangePager *self);
gboolean       yp_change_pager_get_reading (YpChangePager *self);

G_END_DECLS
