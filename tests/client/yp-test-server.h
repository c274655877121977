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
/* With SERVER_ARGS (NULL-terminated) for yunpan-server, after "--". */
YpTestServer *yp_test_server_start_with_args (const char *const *server_args);
void          yp_test_server_stop  (YpTestServer *server);
/* Bytes the server received in requests whose request line contains NEEDLE. */
guint64       yp_test_server_request_bytes (YpTestServer *server,
                                            const char   *needle,
                                            guint        *count);

/* The access log's lines whose request line contains NEEDLE, oldest first. */
GPtrArray    *yp_test_server_log_lines (YpTestServer *server,
                                        const char   *needle);
/* The same once at least COUNT lines match, or after 5 s: nginx logs a
 * request after it has sent the answer, so a client that has just read
 * the answer may look before the line is written. */
GPtrArray    *yp_test_server_wait_log_lines (YpTestServer *server,
                                             const char   *needle,
                                             guint         count);
/* SIGKILLs nginx's worker processes, as a crash or a dropped network would:
 * every connection dies at once. The master starts new ones; returns once
 * one is there. */
void          yp_test_server_kill_nginx_workers (YpTestServer *server);

G_END_DECLS
