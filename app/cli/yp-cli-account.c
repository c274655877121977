/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <stdio.h>

#include <glib/gi18n.h>

#include "yp-account.h"
#include "yp-cli.h"
#include "yp-client-error.h"
#include "yp-keyring.h"

/*
 * register, login, logout, whoami. The account (server URL and username)
 * is kept by yp-account.c in $XDG_CONFIG_HOME; the session token only in the
 * keyring. One account is signed in at a time, as in the desktop app, which
 * shares both.
 */

static JsonObject *
user_json (gint64      id,
           const char *username)
{
  JsonObject *user = json_object_new ();

  if (id > 0)
    json_object_set_int_member (user, "id", id);
  json_object_set_string_member (user, "username", username);
  return user;
}

gboolean
yp_cli_register (YpCli               *cli,
                 const YpCliCommand  *command,
                 int                  argc,
                 char               **argv,
                 GError             **error)
{
  gboolean password_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read the password from the first line of standard input"), NULL },
    { NULL }
  };
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpCliSecret) password = NULL;
  g_autofree char *server = NULL;
  const char *username;

  if (!yp_cli_parse_command_line (cli, command, entries, &argc, &argv, 1, 1, error))
    return FALSE;
  username = argv[1];

  server = yp_cli_dup_server (cli);
  client = yp_cli_new_client (cli, server, error);
  if (client == NULL)
    return FALSE;
  password = yp_cli_read_password (_("New password: "), password_stdin, TRUE, error);
  if (password == NULL)
    return FALSE;
  if (!yp_client_register_sync (client, username, password, NULL, error))
    return FALSE;

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      json_object_set_object_member (root, "user", user_json (0, username));
      json_object_set_string_member (root, "server", server);
      yp_cli_print_json (root);
    }
  else
    {
      printf (_("Registered %s on %s; sign in with “yunpan-cli login %s”\n"),
              username, server, username);
    }
  return TRUE;
}

/*
 * Ends the session saved for SERVER and USERNAME, on the server (when it can
 * be reached) and in the keyring. Login calls it for the session it replaces,
 * which would otherwise stay valid with nobody holding its token.
 */
static void
forget_previous_session (const char *server,
                         const char *username)
{
  g_autoptr(YpCliSecret) token = NULL;
  g_autoptr(YpClient) client = NULL;
  g_autoptr(GError) error = NULL;
  YpRetryPolicy once = { 1, 0, 0 };

  token = yp_keyring_lookup_token_sync (server, username, NULL, &error);
  if (token == NULL)
    return;
  client = yp_client_new (server);
  /* a courtesy: one try, and a failure does not stop the new sign-in */
  yp_client_set_retry_policy (client, &once);
  yp_client_set_token (client, token);
  if (!yp_client_logout_sync (client, NULL, &error))
    g_debug ("Could not end the previous session on %s: %s", server, error->message);
  g_clear_error (&error);
  if (!yp_keyring_clear_token_sync (server, username, NULL, &error))
    g_debug ("Could not forget the previous session: %s", error->message);
}

gboolean
yp_cli_login (YpCli               *cli,
              const YpCliCommand  *command,
              int                  argc,
              char               **argv,
              GError             **error)
{
  gboolean password_stdin = FALSE;
  const GOptionEntry entries[] = {
    { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &password_stdin,
      N_("Read the password from the first line of standard input"), NULL },
    { NULL }
  };
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpCliSecret) password = NULL;
  g_autoptr(YpCliSecret) token = NULL;
  g_autoptr(YpCliSecret) probe = NULL;
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;
  g_autofree char *previous_server = NULL;
  g_autofree char *previous_username = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!yp_cli_parse_command_line (cli, command, entries, &argc, &argv, 1, 1, error))
    return FALSE;

  server = yp_cli_dup_server (cli);
  client = yp_cli_new_client (cli, server, error);
  if (client == NULL)
    return FALSE;

  /* Without a keyring the session could not be kept: say so before asking
   * for a password and creating a session on the server for nothing. */
  probe = yp_keyring_lookup_token_sync (server, argv[1], NULL, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  password = yp_cli_read_password (_("Password: "), password_stdin, FALSE, error);
  if (password == NULL)
    return FALSE;
  if (!yp_client_login_sync (client, argv[1], password, NULL, error))
    return FALSE;

  /* the server's spelling of the name is the one the keyring knows it by */
  username = g_strdup (yp_client_get_username (client) ? yp_client_get_username (client)
                                                       : argv[1]);
  token = yp_client_dup_token (client);

  if (yp_cli_load_account (&previous_server, &previous_username, NULL)
      && previous_server != NULL && previous_username != NULL)
    forget_previous_session (previous_server, previous_username);

  if (!yp_keyring_store_token_sync (server, username, token, NULL, error)
      || !yp_account_save (server, username, error))
    {
      /* nobody could use this session again: end it */
      yp_client_logout_sync (client, NULL, NULL);
      yp_keyring_clear_token_sync (server, username, NULL, NULL);
      return FALSE;
    }

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      json_object_set_object_member (root, "user",
                                     user_json (yp_client_get_user_id (client), username));
      json_object_set_string_member (root, "server", server);
      yp_cli_print_json (root);
    }
  else
    {
      printf (_("Signed in as %s on %s\n"), username, server);
    }
  return TRUE;
}

gboolean
yp_cli_logout (YpCli               *cli,
               const YpCliCommand  *command,
               int                  argc,
               char               **argv,
               GError             **error)
{
  g_autoptr(YpClient) client = NULL;
  g_autoptr(GError) server_error = NULL;
  g_autofree char *saved_server = NULL;
  g_autofree char *username = NULL;
  const char *server;

  if (!yp_cli_parse_command_line (cli, command, NULL, &argc, &argv, 0, 0, error))
    return FALSE;

  client = yp_cli_open_session (cli, error);
  if (client == NULL)
    return FALSE;
  server = yp_client_get_base_url (client);
  if (!yp_cli_load_account (&saved_server, &username, error))
    return FALSE;

  /* A session the server no longer knows is as good as ended. */
  if (!yp_client_logout_sync (client, NULL, &server_error)
      && g_error_matches (server_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED))
    g_clear_error (&server_error);

  /* Forget the token here even when the server could not be told: signing
   * out of this computer is what the user asked for. The account file stays,
   * so that the next login knows the server. */
  if (!yp_keyring_clear_token_sync (server, username, NULL, error))
    return FALSE;

  if (server_error != NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&server_error),
                                  _("Signed out here, but the server could not end the "
                                    "session: "));
      return FALSE;
    }

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      json_object_set_object_member (root, "user", user_json (0, username));
      json_object_set_string_member (root, "server", server);
      json_object_set_boolean_member (root, "signed_out", TRUE);
      yp_cli_print_json (root);
    }
  else
    {
      printf (_("Signed out %s from %s\n"), username, server);
    }
  return TRUE;
}

gboolean
yp_cli_whoami (YpCli               *cli,
               const YpCliCommand  *command,
               int                  argc,
               char               **argv,
               GError             **error)
{
  g_autoptr(YpClient) client = NULL;
  gint64 cursor = 0;

  if (!yp_cli_parse_command_line (cli, command, NULL, &argc, &argv, 0, 0, error))
    return FALSE;

  client = yp_cli_open_session (cli, error);
  if (client == NULL || !yp_client_whoami_sync (client, &cursor, NULL, error))
    return FALSE;

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      json_object_set_object_member (root, "user",
                                     user_json (yp_client_get_user_id (client),
                                                yp_client_get_username (client)));
      json_object_set_string_member (root, "server", yp_client_get_base_url (client));
      json_object_set_int_member (root, "cursor", cursor);
      yp_cli_print_json (root);
    }
  else
    {
      printf (_("%s on %s (user id %" G_GINT64_FORMAT ", change cursor %" G_GINT64_FORMAT ")\n"),
              yp_client_get_username (client), yp_client_get_base_url (client),
              yp_client_get_user_id (client), cursor);
    }
  return TRUE;
}
