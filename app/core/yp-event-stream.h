/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"

G_BEGIN_DECLS

#define YP_TYPE_EVENT_STREAM (yp_event_stream_get_type ())

G_DECLARE_FINAL_TYPE (YpEventStream, yp_event_stream, YP, EVENT_STREAM, GObject)

YpEventStream *yp_event_stream_new    (YpClient      *client);
void           yp_event_stream_start  (YpEventStream *self);
void           yp_event_stream_stop   (YpEventStream *self);
gint64         yp_event_stream_get_cursor (YpEventStream *self);
gboolean       yp_event_stream_get_connected (YpEventStream *self);

G_END_DECLS
