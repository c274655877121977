/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"

G_BEGIN_DECLS

/**
 * YpSessionState:
 * @YP_SESSION_STATE_RESTORING: looking for a saved session
 * @YP_SESSION_STATE_SIGNED_OUT: no session; sign in
 * @YP_SESSION_STATE_SIGNED_IN: a client with a token is ready
 * @YP_SESSION_STATE_NO_KEYRING: no Secret Service to keep a session in
 */
typedef enum
{
  YP_SESSION_STATE_RESTORING,
  YP_SESSION_STATE_SIGNED_OUT,
  YP_SESSION_STATE_SIGNED_IN,
  YP_SESSION_STATE_NO_KEYRING,
} YpSessionState;

#define YP_TYPE_SESSION (yp_session_get_type ())

G_DECLARE_FINAL_TYPE (YpSession, yp_session, YP, SESSION, GObject)

YpSession      *yp_session_new            (void);
YpSessionState  yp_session_get_state      (YpSession           *self);
/* The signed-in client, else NULL. */
YpClient       *yp_session_get_client     (YpSession           *self);
const char     *yp_session_get_server     (YpSession           *self);
const char     *yp_session_get_username   (YpSession           *self);

/* Looks for the account and its token; ends in SIGNED_IN, SIGNED_OUT or
 * NO_KEYRING. */
void            yp_session_restore        (YpSession           *self);

/* REGISTER: create the account first. On success the token is in the
 * keyring, the account remembered and the state SIGNED_IN. */
void            yp_session_sign_in_async  (YpSession           *self,
                                           const char          *server,
                                           const char          *username,
                                           const char          *password,
                                           gboolean             register_first,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean        yp_session_sign_in_finish (YpSession           *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* Ends the session on the server (if it answers), removes the token from
 * the keyring and forgets the account; the state is SIGNED_OUT after. */
void            yp_session_sign_out_async (YpSession           *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean        yp_session_sign_out_finish (YpSession          *self,
                                            GAsyncResult       *result,
                                            GError            **error);

G_END_DECLS
