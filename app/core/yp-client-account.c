/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/* Accounts: registering, signing in and out. */

static JsonObject *
credentials_object (const char *username,
                    const char *password)
{
  JsonObject *body = json_object_new ();

  json_object_set_string_member (body, "username", username);
  json_object_set_string_member (body, "password", password);
  return body;
}

gboolean
yp_client_register_sync (YpClient      *self,
                         const char    *username,
                         const char    *password,
                         GCancellable  *cancellable,
                         GError       **error)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  body = credentials_object (username, password);
  /* a repeat after a lost answer would be told the name is taken */
  reply = _yp_client_call_full (self, "POST", "/account/register", NULL, body, YP_CALL_ONCE,
                                cancellable, error);
  return reply != NULL;
}

static void
read_user (YpClient   *self,
           JsonObject *reply)
{
  JsonObject *user = _yp_json_object (reply, "user");

  if (user != NULL)
    _yp_client_set_user (self, json_object_get_int_member_with_default (user, "id", 0),
                        json_object_get_string_member_with_default (user, "username", NULL));
}

gboolean
yp_client_login_sync (YpClient      *self,
                      const char    *username,
                      const char    *password,
                      GCancellable  *cancellable,
                      GError       **error)
{
  g_autoptr(JsonObject) body = NULL;
  g_autoptr(JsonObject) reply = NULL;
  const char *token;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (username != NULL && password != NULL, FALSE);

  body = credentials_object (username, password);
  /* a repeat makes another session, and the unused one expires */
  reply = _yp_client_call_full (self, "POST", "/account/login", NULL, body, YP_CALL_IDEMPOTENT,
                                cancellable, error);
  if (reply == NULL)
    return FALSE;
  token = json_object_get_string_member_with_default (reply, "token", NULL);
  if (token == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED,
                   _("The server sent no session token"));
      return FALSE;
    }
  yp_client_set_token (self, token);
  read_user (self, reply);
  return TRUE;
}

gboolean
yp_client_logout_sync (YpClient      *self,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  reply = _yp_client_call_full (self, "POST", "/account/logout", NULL, NULL,
                                YP_CALL_KEYED | YP_CALL_DONE_ON_401, cancellable, error);
  if (reply == NULL)
    return FALSE;
  yp_client_set_token (self, NULL);
  return TRUE;
}

gboolean
yp_client_logout_all_sync (YpClient      *self,
                           GCancellable  *cancellable,
                           GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  reply = _yp_client_call_full (self, "POST", "/account/logout-all", NULL, NULL,
                                YP_CALL_KEYED | YP_CALL_DONE_ON_401, cancellable, error);
  if (reply == NULL)
    return FALSE;
  yp_client_set_token (self, NULL);
  return TRUE;
}

gboolean
yp_client_change_password_sync (YpClient      *self,
                                const char    *old_password,
                                const char    *new_password,
                                GCancellable  *cancellable,
                                GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (old_password != NULL && new_password != NULL, FALSE);

  json_object_set_string_member (body, "old_password", old_password);
  json_object_set_string_member (body, "new_password", new_password);
  /* keyed: a plain repeat would be checked against the new password */
  reply = _yp_client_call_full (self, "POST", "/account/password", NULL, body, YP_CALL_KEYED,
                                cancellable, error);
  return reply != NULL;
}

gboolean
yp_client_whoami_sync (YpClient      *self,
                       gint64        *cursor,
                       GCancellable  *cancellable,
                       GError       **error)
{
  g_autoptr(JsonObject) reply = NULL;

  g_return_val_if_fail (YP_IS_CLIENT (self), FALSE);

  reply = _yp_client_call (self, "GET", "/account/whoami", NULL, NULL, cancellable, error);
  if (reply == NULL)
    return FALSE;
  read_user (self, reply);
  if (cursor != NULL)
    *cursor = json_object_get_int_member_with_default (reply, "cursor", 0);
  return TRUE;
}

