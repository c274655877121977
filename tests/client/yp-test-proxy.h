/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-test-server.h"

G_BEGIN_DECLS

/*
 * A TCP proxy in front of nginx that can lose one answer: the request
 * reaches the server, which does what it asks, and the connection closes
 * before the client reads a byte of the reply.
 */
typedef struct
{
  GSocketListener *listener;
  GCancellable    *cancellable;
  GThread         *thread;
  GPtrArray       *pumps;
  GMutex           mutex;
  guint16          upstream_port;
  char            *url;
  char            *lose_answer_to;   /* the request line's start */
  gint             lost;
} Proxy;

/* Listens on 127.0.0.1 in front of SERVER's nginx; the first request whose
 * request line starts with LOSE_ANSWER_TO is passed on, and its answer is
 * dropped (lost counts it). */
Proxy *proxy_start (YpTestServer *server,
                    const char   *lose_answer_to);
void   proxy_stop  (Proxy        *proxy);

G_END_DECLS
