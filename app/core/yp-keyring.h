/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/*
 * The session token in the system keyring (Secret Service), keyed by server
 * URL and username. Nothing else is kept there and the token is never
 * written anywhere else. Without a Secret Service every call fails with
 * YP_CLIENT_ERROR_NO_KEYRING and a message that says what to do; a call
 * the keyring does not answer in time fails with G_IO_ERROR_TIMED_OUT.
 * The server URL is normalised (yp_server_url_normalize()) first, so every
 * spelling of one server finds the same item; an item an earlier version
 * stored under another spelling is found too, and moved to the normal one.
 */
void      yp_keyring_set_timeout       (guint                 seconds);

gboolean  yp_keyring_store_token_sync  (const char           *server,
                                        const char           *username,
                                        const char           *token,
                                        GCancellable         *cancellable,
                                        GError              **error);
/* Returns NULL without an error when no token is stored. */
char     *yp_keyring_lookup_token_sync (const char           *server,
                                        const char           *username,
                                        GCancellable         *cancellable,
                                        GError              **error);
gboolean  yp_keyring_clear_token_sync  (const char           *server,
                                        const char           *username,
                                        GCancellable         *cancellable,
                                        GError              **error);

void      yp_keyring_lookup_token_async  (const char          *server,
                                          const char          *username,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
char     *yp_keyring_lookup_token_finish (GAsyncResult        *result,
                                          GError             **error);
void      yp_keyring_store_token_async   (const char          *server,
                                          const char          *username,
                                          const char          *token,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  yp_keyring_store_token_finish  (GAsyncResult        *result,
                                          GError             **error);
void      yp_keyring_clear_token_async   (const char          *server,
                                          const char          *username,
                                          GCancellable        *cancellable,
                                          GAsyncReadyCallback  callback,
                                          gpointer             user_data);
gboolean  yp_keyring_clear_token_finish  (GAsyncResult        *result,
                                          GError             **error);

G_END_DECLS
