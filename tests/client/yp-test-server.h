/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * A real Yunpan instance (nginx + spawn-fcgi + yunpan-server) for a test:
 * yunpan-server-run on a free loopback port with a temporary data folder.
 */
typedef struct
{
  GSubprocess *process;
  char        *data_dir;
  char        *url;
} YpTestServer;

YpTestServer *yp_test_server_start (void);
void          yp_test_server_stop  (YpTestServer *server);
/* Bytes the server received in requests whose request line contains NEEDLE. */
guint64       yp_test_server_request_bytes (YpTestServer *server,
                                            const char   *needle,
                                            guint        *count);

G_END_DECLS
