/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "yp-account.h"
#include "yp-client-error.h"
#include "yp-keyring.h"
#include "yp-server-url.h"
#include "yp-session.h"

/*
 * Who is signed in: the account (server and username, yp-account.h), its
 * token (yp-keyring.h) and the client that uses it. Every step is
 * asynchronous, so a slow server or keyring never blocks the window.
 */
struct _YpSession
{
  GObject         parent_instance;

  /* owned references */
  YpClient       *client;
  char           *server;
  char           *username;
  GCancellable   *cancellable;

  /* state */
  YpSessionState  state;
};

G_DEFINE_FINAL_TYPE (YpSession, yp_session, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* What sign-in needs between its steps. */
typedef struct
{
  YpClient *client;
  char     *server;
  char     *username;
  char     *password;
  gboolean  register_first;
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_clear_object (&sign_in->client);
  g_free (sign_in->server);
  g_free (sign_in->username);
  /* the password should not linger in freed memory */
  if (sign_in->password != NULL)
    memset (sign_in->password, 0, strlen (sign_in->password));
  g_free (sign_in->password);
  g_free (sign_in);
}

static void
set_state (YpSession      *self,
           YpSessionState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
forget_client (YpSession *self)
{
  g_clear_object (&self->client);
  g_clear_pointer (&self->server, g_free);
  g_clear_pointer (&self->username, g_free);
}

static void
yp_session_dispose (GObject *object)
{
  YpSession *self = YP_SESSION (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  forget_client (self);

  G_OBJECT_CLASS (yp_session_parent_class)->dispose (object);
}

static void
yp_session_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  YpSession *self = YP_SESSION (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_uint (value, self->state);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_session_class_init (YpSessionClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = yp_session_dispose;
  object_class->get_property = yp_session_get_property;

  /**
   * YpSession:state:
   *
   * A #YpSessionState.
   */
  properties[PROP_STATE] =
    g_param_spec_uint ("state", NULL, NULL,
                       YP_SESSION_STATE_RESTORING, YP_SESSION_STATE_NO_KEYRING,
                       YP_SESSION_STATE_RESTORING,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_session_init (YpSession *self)
{
  self->cancellable = g_cancellable_new ();
  self->state = YP_SESSION_STATE_RESTORING;
}

YpSession *
yp_session_new (void)
{
  return g_object_new (YP_TYPE_SESSION, NULL);
}

YpSessionState
yp_session_get_state (YpSession *self)
{
  g_return_val_if_fail (YP_IS_SESSION (self), YP_SESSION_STATE_SIGNED_OUT);

  return self->state;
}

YpClient *
yp_session_get_client (YpSession *self)
{
  g_return_val_if_fail (YP_IS_SESSION (self), NULL);

  return self->client;
}

const char *
yp_session_get_server (YpSession *self)
{
  g_return_val_if_fail (YP_IS_SESSION (self), NULL);

  return self->server;
}

const char *
yp_session_get_username (YpSession *self)
{
  g_return_val_if_fail (YP_IS_SESSION (self), NULL);

  return self->username;
}

static void
restore_lookup_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(YpSession) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  token = yp_keyring_lookup_token_finish (result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NO_KEYRING))
    {
      forget_client (self);
      set_state (self, YP_SESSION_STATE_NO_KEYRING);
      return;
    }
  if (error != NULL)
    g_warning ("Could not read the session from the keyring: %s", error->message);
  if (token == NULL)
    {
      forget_client (self);
      set_state (self, YP_SESSION_STATE_SIGNED_OUT);
      return;
    }

  self->client = yp_client_new (self->server);
  yp_client_set_token (self->client, token);
  set_state (self, YP_SESSION_STATE_SIGNED_IN);
}

void
yp_session_restore (YpSession *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (YP_IS_SESSION (self));

  forget_client (self);
  set_state (self, YP_SESSION_STATE_RESTORING);

  if (!yp_account_load (&server, &username, &error) || server == NULL || username == NULL)
    {
      /* a first start has none: only a broken file is worth a word */
      if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        g_warning ("Could not read the account: %s", error->message);
      set_state (self, YP_SESSION_STATE_SIGNED_OUT);
      return;
    }

  self->server = g_steal_pointer (&server);
  self->username = g_steal_pointer (&username);
  yp_keyring_lookup_token_async (self->server, self->username, self->cancellable,
                                 restore_lookup_cb, g_object_ref (self));
}

/* What a person types may lack the scheme: a bare host means http. */
static char *
server_url_from_input (const char *input)
{
  g_autofree char *stripped = g_strstrip (g_strdup (input));

  if (strstr (stripped, "://") == NULL)
    {
      g_autofree char *with_scheme = g_strconcat ("http://", stripped, NULL);
      return yp_server_url_normalize (with_scheme);
    }
  return yp_server_url_normalize (stripped);
}

static void
sign_in_stored_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  YpSession *self = g_task_get_source_object (task);
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!yp_keyring_store_token_finish (result, &error))
    {
      if (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NO_KEYRING))
        set_state (self, YP_SESSION_STATE_NO_KEYRING);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* a few bytes of configuration: not worth a thread */
  if (!yp_account_save (sign_in->server, sign_in->username, &error))
    g_warning ("Could not remember the account: %s", error->message);

  forget_client (self);
  self->client = g_steal_pointer (&sign_in->client);
  self->server = g_steal_pointer (&sign_in->server);
  self->username = g_steal_pointer (&sign_in->username);
  set_state (self, YP_SESSION_STATE_SIGNED_IN);
  g_task_return_boolean (task, TRUE);
}

static void
sign_in_login_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  if (!yp_client_login_finish (sign_in->client, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  token = yp_client_dup_token (sign_in->client);
  yp_keyring_store_token_async (sign_in->server, sign_in->username, token,
                                g_task_get_cancellable (task), sign_in_stored_cb,
                                g_object_ref (task));
}

static void
sign_in_login (GTask *task)
{
  SignIn *sign_in = g_task_get_task_data (task);

  yp_client_login_async (sign_in->client, sign_in->username, sign_in->password,
                         g_task_get_cancellable (task), sign_in_login_cb,
                         g_object_ref (task));
}

static void
sign_in_register_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  SignIn *sign_in = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;

  if (!yp_client_register_finish (sign_in->client, result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  sign_in_login (task);
}

void
yp_session_sign_in_async (YpSession           *self,
                          const char          *server,
                          const char          *username,
                          const char          *password,
                          gboolean             register_first,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  SignIn *sign_in;
  /* a person waits for the answer: fail soon rather than retry at length */
  const YpRetryPolicy policy = { 2, 250, 1000 };

  g_return_if_fail (YP_IS_SESSION (self));
  g_return_if_fail (server != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, yp_session_sign_in_async);

  sign_in = g_new0 (SignIn, 1);
  sign_in->server = server_url_from_input (server);
  sign_in->username = g_strdup (username);
  sign_in->password = g_strdup (password);
  sign_in->register_first = register_first;
  sign_in->client = yp_client_new (sign_in->server);
  yp_client_set_retry_policy (sign_in->client, &policy);
  g_task_set_task_data (task, sign_in, (GDestroyNotify) sign_in_free);

  if (register_first)
    yp_client_register_async (sign_in->client, sign_in->username, sign_in->password,
                              cancellable, sign_in_register_cb, g_object_ref (task));
  else
    sign_in_login (task);
}

gboolean
yp_session_sign_in_finish (YpSession     *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
sign_out_cleared_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  YpSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) account_error = NULL;

  yp_keyring_clear_token_finish (result, &error);
  if (!yp_account_forget (&account_error))
    g_warning ("Could not forget the account: %s", account_error->message);

  forget_client (self);
  set_state (self, YP_SESSION_STATE_SIGNED_OUT);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
sign_out_logout_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  YpSession *self = g_task_get_source_object (task);
  g_autoptr(GError) error = NULL;

  /* an unreachable server or an expired token must not keep anyone signed
   * in: the local session goes either way */
  if (!yp_client_logout_finish (YP_CLIENT (source), result, &error))
    g_debug ("The server did not end the session: %s", error->message);

  yp_keyring_clear_token_async (self->server, self->username, g_task_get_cancellable (task),
                                sign_out_cleared_cb, g_object_ref (task));
}

void
yp_session_sign_out_async (YpSession           *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (YP_IS_SESSION (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, yp_session_sign_out_async);

  if (self->client == NULL)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }
  yp_client_logout_async (self->client, cancellable, sign_out_logout_cb,
                          g_object_ref (task));
}

gboolean
yp_session_sign_out_finish (YpSession     *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
