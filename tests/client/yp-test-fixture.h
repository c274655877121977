/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"
#include "yp-test-server.h"

G_BEGIN_DECLS

#define PASSWORD "correct horse battery"
#define MIB (1024 * 1024)

/*
 * A case's world: its own server, "alice" signed in to it, and an empty
 * folder for local files, all gone after the case.
 */
typedef struct
{
  YpTestServer *server;
  YpClient     *client;
  char         *dir;
} Fixture;

/* Sets F up with a server started with SERVER_ARGS (NULL-terminated, for
 * yunpan-server) or none. */
void        fixture_start      (Fixture           *f,
                                const char *const *server_args);
void        fixture_set_up     (Fixture       *f,
                                gconstpointer  data);
void        fixture_tear_down  (Fixture       *f,
                                gconstpointer  data);

/* Adds the case PATH, FUNC run between fixture_set_up and fixture_tear_down. */
#define fixture_add(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

/* A new account USERNAME (password PASSWORD) on SERVER, signed in. */
YpClient   *new_user           (YpTestServer  *server,
                                const char    *username);
/* Drops the last reference to OBJECT and fails unless it is finalized. */
void        assert_released    (GObject       *object);

/* Writes LEN bytes derived from SEED to DIR/NAME, with their hash in
 * SHA256 unless it is NULL; returns the path. */
char       *make_file          (const char    *dir,
                                const char    *name,
                                gsize          len,
                                guint32        seed,
                                char           sha256[65]);
/* Fails unless the files A and B hold the same bytes. */
void        assert_same_file   (const char    *a,
                                const char    *b);

/* Runs what is pending in the default main context, and returns. */
/* A GAsyncReadyCallback that keeps the result in the GAsyncResult * DATA,
 * and the wait for it. */
void          store_result     (GObject       *source,
                                GAsyncResult  *result,
                                gpointer       data);
GAsyncResult *wait_result      (GAsyncResult **slot);

void        flush_main_context (void);
/* Iterates the default main context for MS milliseconds. */
void        iterate_for        (guint          ms);
/* For a signal whose instance is swapped with the data: counts emissions. */
void        count_signal       (guint         *count,
                                gpointer       instance);
/* A thread function: cancels the GCancellable DATA after a second. */
gpointer    cancel_later       (gpointer       data);

/* Uploads LOCAL to REMOTE, or downloads REMOTE to LOCAL, and lets the
 * transfer's notifications run; the transfer is returned either way. */
YpTransfer *upload             (YpClient      *client,
                                const char    *local,
                                const char    *remote,
                                GError       **error);
YpTransfer *download           (YpClient      *client,
                                const char    *remote,
                                const char    *local,
                                GError       **error);

/* Returns once the server's access log has every request answered so far. */
void        log_barrier        (Fixture       *f);
/* How many requests whose request line contains NEEDLE were answered. */
guint       logged_requests    (Fixture       *f,
                                const char    *needle);

G_END_DECLS
