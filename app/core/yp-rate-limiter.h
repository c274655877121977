/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define YP_TYPE_RATE_LIMITER (yp_rate_limiter_get_type ())

G_DECLARE_FINAL_TYPE (YpRateLimiter, yp_rate_limiter, YP, RATE_LIMITER, GObject)

YpRateLimiter *yp_rate_limiter_new      (guint64         bytes_per_second);
guint64        yp_rate_limiter_get_rate (YpRateLimiter  *self);
void           yp_rate_limiter_set_rate (YpRateLimiter  *self,
                                         guint64         bytes_per_second);
gboolean       yp_rate_limiter_consume  (YpRateLimiter  *self,
                                         gsize           bytes,
                                         GCancellable   *cancellable,
                                         GError        **error);

G_END_DECLS
