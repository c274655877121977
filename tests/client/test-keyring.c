/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The session token in a real Secret Service: gnome-keyring, started by this
 * test on the private session bus that `dbus-run-session` gives it.
 */
#include <signal.h>
#include <string.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "yp-client-error.h"
#include "yp-keyring.h"
#include "yp-server-url.h"

#define SERVER "http://127.0.0.1:8765"

static GSubprocess *keyring_daemon;
static char *keyring_home;

static void
start_keyring (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL, *runtime = NULL;
  g_autoptr(GDBusConnection) bus = NULL;

  keyring_home = g_dir_make_tmp ("yp-keyring-XXXXXX", &error);
  g_assert_no_error (error);
  data = g_build_filename (keyring_home, "data", NULL);
  runtime = g_build_filename (keyring_home, "run", NULL);
  g_mkdir_with_parents (data, 0700);
  g_mkdir_with_parents (runtime, 0700);
  g_setenv ("XDG_DATA_HOME", data, TRUE);
  g_setenv ("XDG_RUNTIME_DIR", runtime, TRUE);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  keyring_daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon",
                                                "--foreground", "--unlock",
                                                "--components=secrets", NULL);
  g_assert_no_error (error);
  /* the login keyring's password, so that nothing ever prompts */
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (keyring_daemon), "test", 4, NULL,
                             NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (g_subprocess_get_stdin_pipe (keyring_daemon), NULL, NULL);

  /* wait for our daemon to own the name: asking the Secret Service before
   * that would let the bus start a second one */
  bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 200; i++)
    {
      g_autoptr(GVariant) reply = NULL;
      gboolean owned = FALSE;

      reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner",
                                           g_variant_new ("(s)", "org.freedesktop.secrets"),
                                           G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                           NULL, &error);
      g_assert_no_error (error);
      g_variant_get (reply, "(b)", &owned);
      if (owned)
        return;
      g_usleep (G_USEC_PER_SEC / 20);
    }
  g_error ("gnome-keyring-daemon did not come up");
}

static void
stop_keyring (void)
{
  g_autofree char *command = NULL;

  g_subprocess_send_signal (keyring_daemon, SIGTERM);
  g_subprocess_wait (keyring_daemon, NULL, NULL);
  g_clear_object (&keyring_daemon);
  command = g_strdup_printf ("rm -rf '%s'", keyring_home);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (keyring_home);
}

static void
test_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *other = NULL;

  g_assert_true (yp_keyring_store_token_sync (SERVER, "alice", "token-a1", NULL, &error));
  g_assert_no_error (error);
  g_assert_true (yp_keyring_store_token_sync (SERVER, "alice", "token-a2", NULL, &error));
  g_assert_true (yp_keyring_store_token_sync ("http://other:1", "alice", "token-b", NULL, &error));
  g_assert_no_error (error);

  /* keyed by server and username; storing again replaces */
  token = yp_keyring_lookup_token_sync (SERVER, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "token-a2");
  other = yp_keyring_lookup_token_sync ("http://other:1", "alice", NULL, &error);
  g_assert_cmpstr (other, ==, "token-b");

  g_assert_true (yp_keyring_clear_token_sync (SERVER, "alice", NULL, &error));
  g_assert_no_error (error);
  g_clear_pointer (&token, g_free);
  token = yp_keyring_lookup_token_sync (SERVER, "alice", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (token);
}

static void
lookup_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  char **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = yp_keyring_lookup_token_finish (result, &error);
  g_assert_no_error (error);
}

static void
test_async (void)
{
  g_autoptr(GError) error = NULL;
  char *token = NULL;

  g_assert_true (yp_keyring_store_token_sync (SERVER, "bob", "token-bob", NULL, &error));
  yp_keyring_lookup_token_async (SERVER, "bob", NULL, lookup_cb, &token);
  while (token == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (token, ==, "token-bob");
  g_free (token);
}

/* Without a Secret Service: a clear error, and no fallback anywhere. */
static void
test_no_service (void)
{
  if (g_test_subprocess ())
    {
      g_autoptr(GError) error = NULL;

      g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
      g_assert_false (yp_keyring_store_token_sync (SERVER, "carol", "t", NULL, &error));
      g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NO_KEYRING);
      /* inside a Flatpak there is nothing to install: name no product */
      g_assert_nonnull (strstr (error->message, "system keyring"));
      g_assert_null (strstr (error->message, "gnome-keyring"));
      g_assert_null (strstr (error->message, "apt-get"));
      return;
    }
  g_test_trap_subprocess (NULL, 10 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

/* ------------------------------------------------------------------------
 * Clearing asynchronously, timeouts, server URLs
 * ------------------------------------------------------------------------ */

static void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  *(GAsyncResult **) user_data = g_object_ref (result);
}

static GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}

static void
test_clear_async (void)
{
  g_autoptr(GAsyncResult) cleared = NULL, again = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  g_assert_true (yp_keyring_store_token_sync (SERVER, "dave", "token-d", NULL, &error));
  g_assert_no_error (error);
  yp_keyring_clear_token_async (SERVER, "dave", NULL, store_result, &cleared);
  g_assert_true (yp_keyring_clear_token_finish (wait_result (&cleared), &error));
  g_assert_no_error (error);
  token = yp_keyring_lookup_token_sync (SERVER, "dave", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (token);

  /* nothing left to clear is no error */
  yp_keyring_clear_token_async (SERVER, "dave", NULL, store_result, &again);
  g_assert_true (yp_keyring_clear_token_finish (wait_result (&again), &error));
  g_assert_no_error (error);
}

static void
test_server_url_normalize (void)
{
  static const char *cases[][2] = {
    { "http://Host:80/", "http://host" },
    { "http://host", "http://host" },
    { "HTTPS://Example.ORG:443//", "https://example.org" },
    { "https://example.org:8443/", "https://example.org:8443" },
    { "http://127.0.0.1:8765", "http://127.0.0.1:8765" },
    { "http://host:443", "http://host:443" },
    { "http://host/yunpan/", "http://host/yunpan" },
    { "http://[::1]:80/", "http://[::1]" },
    { "http://127.0.0.1:8765/api/v1", "http://127.0.0.1:8765" },
    { "HTTP://127.0.0.1:8765/api/v1/", "http://127.0.0.1:8765" },
    { "http://host/yunpan/api/v1", "http://host/yunpan" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *normal = yp_server_url_normalize (cases[i][0]);

      g_assert_cmpstr (normal, ==, cases[i][1]);
    }
}

/* The command line and the window may spell one server differently; the
 * keyring item is the same. */
static void
test_same_item_for_one_server (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  g_assert_true (yp_keyring_store_token_sync ("http://Keyring.Test:80/", "erin", "token-e",
                                              NULL, &error));
  g_assert_no_error (error);
  token = yp_keyring_lookup_token_sync ("http://keyring.test", "erin", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "token-e");
  g_assert_true (yp_keyring_clear_token_sync ("http://keyring.test/", "erin", NULL, &error));
  g_clear_pointer (&token, g_free);
  token = yp_keyring_lookup_token_sync ("http://Keyring.Test:80", "erin", NULL, &error);
  g_assert_no_error (error);
  g_assert_null (token);
}

/* The schema of yp-keyring.c, spelled out: an item stored by an earlier
 * version must look exactly like this. */
static const SecretSchema session_schema = {
  "io.github.yunpan.Yunpan.Session", SECRET_SCHEMA_NONE,
  {
    { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
    { NULL, 0 },
  },
};

static guint
count_items (const char *username)
{
  g_autoptr(GError) error = NULL;
  GList *items;
  guint n;

  items = secret_password_search_sync (&session_schema, SECRET_SEARCH_ALL, NULL, &error,
                                       "username", username, NULL);
  g_assert_no_error (error);
  n = g_list_length (items);
  g_list_free_full (items, g_object_unref);
  return n;
}

/* Earlier versions keyed the item by the server as typed; a lookup by the
 * normal spelling finds it and moves it to the normal key. */
static void
test_old_spelling_moves (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  g_autofree char *old = NULL;
  g_autofree char *again = NULL;

  g_assert_true (secret_password_store_sync (&session_schema, SECRET_COLLECTION_DEFAULT,
                                             "old item", "token-g", NULL, &error,
                                             "server", "HTTP://127.0.0.1:8765/",
                                             "username", "gina", NULL));
  g_assert_no_error (error);
  /* another user's item under an old spelling stays where it is */
  g_assert_true (secret_password_store_sync (&session_schema, SECRET_COLLECTION_DEFAULT,
                                             "old item", "token-h", NULL, &error,
                                             "server", "http://127.0.0.1:9999/",
                                             "username", "gina", NULL));
  g_assert_no_error (error);

  token = yp_keyring_lookup_token_sync (SERVER, "gina", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (token, ==, "token-g");

  /* moved: the normal key holds it, the old one is gone */
  old = secret_password_lookup_sync (&session_schema, NULL, &error,
                                     "server", "HTTP://127.0.0.1:8765/", "username", "gina",
                                     NULL);
  g_assert_no_error (error);
  g_assert_null (old);
  again = secret_password_lookup_sync (&session_schema, NULL, &error,
                                       "server", SERVER, "username", "gina", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (again, ==, "token-g");
  g_assert_cmpuint (count_items ("gina"), ==, 2);

  g_assert_true (yp_keyring_clear_token_sync (SERVER, "gina", NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count_items ("gina"), ==, 1);
  g_clear_pointer (&token, g_free);
  token = yp_keyring_lookup_token_sync ("http://127.0.0.1:9999", "gina", NULL, &error);
  g_assert_cmpstr (token, ==, "token-h");
  g_assert_true (yp_keyring_clear_token_sync ("http://127.0.0.1:9999", "gina", NULL, &error));
  g_assert_cmpuint (count_items ("gina"), ==, 0);
}

/* A bus that takes the connection and never says a word stands for a
 * keyring that waits on an unlock prompt nobody sees. */
static void
test_timeout (gconstpointer data)
{
  gboolean sync = GPOINTER_TO_INT (data);

  if (g_test_subprocess ())
    {
      g_autoptr(GSocket) socket = NULL;
      g_autoptr(GSocketAddress) address = NULL;
      g_autoptr(GAsyncResult) result = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *dir = g_dir_make_tmp ("yp-mute-bus-XXXXXX", NULL);
      g_autofree char *path = g_build_filename (dir, "bus", NULL);
      g_autofree char *bus = g_strdup_printf ("unix:path=%s", path);
      gint64 start;

      socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);
      g_assert_no_error (error);
      address = g_unix_socket_address_new (path);
      g_assert_true (g_socket_bind (socket, address, TRUE, &error));
      g_assert_true (g_socket_listen (socket, &error));
      g_setenv ("DBUS_SESSION_BUS_ADDRESS", bus, TRUE);
      yp_keyring_set_timeout (1);

      start = g_get_monotonic_time ();
      if (sync)
        g_assert_null (yp_keyring_lookup_token_sync (SERVER, "frank", NULL, &error));
      else
        {
          yp_keyring_lookup_token_async (SERVER, "frank", NULL, store_result, &result);
          g_assert_null (yp_keyring_lookup_token_finish (wait_result (&result), &error));
        }
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT);
      g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
      g_clear_error (&error);

      /* after that, an error that says the keyring failed, not "cancelled" */
      g_assert_null (yp_keyring_lookup_token_sync (SERVER, "frank", NULL, &error));
      g_assert_false (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED));
      g_unlink (path);
      g_rmdir (dir);
      return;
    }
  g_test_trap_subprocess (NULL, 20 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_DEFAULT);
  g_test_trap_assert_passed ();
}

int
main (int    argc,
      char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/yunpan/keyring/round-trip", test_round_trip);
  g_test_add_func ("/yunpan/keyring/async", test_async);
  g_test_add_func ("/yunpan/keyring/no-service", test_no_service);
  g_test_add_func ("/yunpan/keyring/clear-async", test_clear_async);
  g_test_add_func ("/yunpan/keyring/server-url-normalize", test_server_url_normalize);
  g_test_add_func ("/yunpan/keyring/same-item-for-one-server", test_same_item_for_one_server);
  g_test_add_func ("/yunpan/keyring/old-spelling-moves", test_old_spelling_moves);
  g_test_add_data_func ("/yunpan/keyring/timeout/async", GINT_TO_POINTER (FALSE), test_timeout);
  g_test_add_data_func ("/yunpan/keyring/timeout/sync", GINT_TO_POINTER (TRUE), test_timeout);
  if (g_test_subprocess ())
    return g_test_run ();
  start_keyring ();
  rc = g_test_run ();
  stop_keyring ();
  return rc;
}
