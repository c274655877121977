/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/* Accounts: registering, signing in and out. */

static void
read_user (YpClient   *self,
           JsonObject *reply)
{
  JsonObject *user = _yp_json_object (reply, "user");

  if (user != NULL)
    _yp_client_set_user (self, json_object_get_int_member_with_default (user, "id", 0),
                        json_object_get_string_member_with_default (user, "username", NULL));
}

static gpointer
reply_ok (YpClient    *client,
          JsonObject  *reply,
          gpointer     data,
          GError     **error)
{
  return YP_CALL_OK;
}

/* The token is kept as soon as the answer is read, whatever becomes of the
 * call: a login the server made is never left unknown to the client. */
static gpointer
reply_login (YpClient    *client,
             JsonObject  *reply,
             gpointer     data,
             GError     **error)
{
  const char *token = json_object_get_string_member_with_default (reply, "token", NULL);

  if (token == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server sent no session token"));
      return NULL;
    }
  yp_client_set_token (client, token);
  read_user (client, reply);
  return YP_CALL_OK;
}

static gpointer
reply_signed_out (YpClient    *client,
                  JsonObject  *reply,
                  gpointer     data,
                  GError     **error)
{
  yp_client_set_token (client, NULL);
  return YP_CALL_OK;
}

static gpointer
reply_whoami (YpClient    *client,
              JsonObject  *reply,
              gpointer     data,
              GError     **error)
{
  gint64 cursor = json_object_get_int_member_with_default (reply, "cursor", 0);

  read_user (client, reply);
  return _yp_call_int64_result (cursor);
}

static YpCall *
credentials_call (YpClient   *self,
                  const char *api_path,
                  const char *username,
                  const char *password)
{
  YpCall *call = _yp_call_new (self, "POST", api_path);
  JsonObject *body = _yp_call_get_body (call);

  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  return call;
}

static YpCall *
register_call (YpClient   *self,
               const char *username,
               const char *password)
{
  YpCall *call = credentials_call (self, "/account/register", username, password);

  /* a repeat after a lost answer would be told the name is taken */
  _yp_call_set_flags (call, YP_CALL_ONCE);
  _yp_call_set_reply (call, reply_ok, NULL);
  return call;
}

static YpCall *
login_call (YpClient   *self,
            const char *username,
            const char *password)
{
  YpCall *call = credentials_call (self, "/account/login", username, password);

  /* a repeat makes another session, and the unused one expires */
  _yp_call_set_flags (call, YP_CALL_IDEMPOTENT);
  _yp_call_set_reply (call, reply_login, NULL);
  return call;
}

static YpCall *
logout_call (YpClient   *self,
             const char *api_path)
{
  YpCall *call = _yp_call_new (self, "POST", api_path);

  _yp_call_set_flags (call, YP_CALL_KEYED | YP_CALL_DONE_ON_401);
  _yp_call_set_reply (call, reply_signed_out, NULL);
  return call;
}

static YpCall *
change_password_call (YpClient   *self,
                      const char *old_password,
                      const char *new_password)
{
  YpCall *call = _yp_call_new (self, "POST", "/account/password");
  JsonObject *body = _yp_call_get_body (call);

  json_object_set_string_member (body, "old_password", old_password);
  json_object_set_string_member (body, "new_password", new_password);
  /* keyed: a plain repeat would be checked against the new password */
  _yp_call_set_flags (call, YP_CALL_KEYED);
  _yp_call_set_reply (call, reply_ok, NULL);
  return call;
}

static YpCall *
whoami_call (YpClient *self)
{
  YpCall *call = _yp_call_new (self, "GET", "/account/whoami");

  _yp_call_set_reply (call, reply_whoami, g_free);
  return call;
}

gboolean
yp_client_register_sync (YpClient      *self,
                         const char    *username,
                         const char    *password,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  return _yp_call_run_sync (register_call (self, username, password), cancellable, error)
         != NULL;
}

void
yp_client_register_async (YpClient            *self,
                          const char          *username,
                          const char          *password,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  _yp_call_run_async (register_call (self, username, password), yp_client_register_async,
                      cancellable, callback, user_data);
}

gboolean
yp_client_register_finish (YpClient      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return _yp_call_finish (self, result, yp_client_register_async, error) != NULL;
}

gboolean
yp_client_login_sync (YpClient      *self,
                      const char    *username,
                      const char    *password,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  return _yp_call_run_sync (login_call (self, username, password), cancellable, error) != NULL;
}

void
yp_client_login_async (YpClient            *self,
                       const char          *username,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));
  g_return_if_fail (username != NULL && password != NULL);

  _yp_call_run_async (login_call (self, username, password), yp_client_login_async,
                      cancellable, callback, user_data);
}

gboolean
yp_client_login_finish (YpClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return _yp_call_finish (self, result, yp_client_login_async, error) != NULL;
}

gboolean
yp_client_logout_sync (YpClient      *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  return _yp_call_run_sync (logout_call (self, "/account/logout"), cancellable, error) != NULL;
}

void
yp_client_logout_async (YpClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (logout_call (self, "/account/logout"), yp_client_logout_async,
                      cancellable, callback, user_data);
}

gboolean
yp_client_logout_finish (YpClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return _yp_call_finish (self, result, yp_client_logout_async, error) != NULL;
}

gboolean
yp_client_logout_all_sync (YpClient      *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  return _yp_call_run_sync (logout_call (self, "/account/logout-all"), cancellable, error)
         != NULL;
}

void
yp_client_logout_all_async (YpClient            *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (logout_call (self, "/account/logout-all"), yp_client_logout_all_async,
                      cancellable, callback, user_data);
}

gboolean
yp_client_logout_all_finish (YpClient      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return _yp_call_finish (self, result, yp_client_logout_all_async, error) != NULL;
}

gboolean
yp_client_change_password_sync (YpClient      *self,
                                const char    *old_password,
                                const char    *new_password,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (old_password != NULL && new_password != NULL, FALSE);

  return _yp_call_run_sync (change_password_call (self, old_password, new_password),
                            cancellable, error) != NULL;
}

void
yp_client_change_password_async (YpClient            *self,
                                 const char          *old_password,
                                 const char          *new_password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));
  g_return_if_fail (old_password != NULL && new_password != NULL);

  _yp_call_run_async (change_password_call (self, old_password, new_password),
                      yp_client_change_password_async, cancellable, callback, user_data);
}

gboolean
yp_client_change_password_finish (YpClient      *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return _yp_call_finish (self, result, yp_client_change_password_async, error) != NULL;
}

gboolean
yp_client_whoami_sync (YpClient      *self,
                       gint64        *cursor,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  return _yp_call_take_int64 (_yp_call_run_sync (whoami_call (self), cancellable, error),
                              cursor);
}

void
yp_client_whoami_async (YpClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  _yp_call_run_async (whoami_call (self), yp_client_whoami_async, cancellable, callback,
                      user_data);
}

gboolean
yp_client_whoami_finish (YpClient      *self,
                         GAsyncResult  *result,
                         gint64        *cursor,
                         GError       **error)
{
  return _yp_call_take_int64 (_yp_call_finish (self, result, yp_client_whoami_async, error),
                              cursor);
}
