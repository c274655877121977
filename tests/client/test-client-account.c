/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Accounts against a real server: signing up, in and out, a sign-in
 * cancelled midway, and a server that cannot be reached.
 */
#include <string.h>

#include "yp-client-error.h"
#include "yp-client.h"
#include "yp-test-fixture.h"

static void
test_account (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpClient) other = yp_client_new (f->server->url);
  gint64 cursor = -1;

  g_assert_true (yp_client_whoami_sync (f->client, &cursor, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (yp_client_get_username (f->client), ==, "alice");
  g_assert_cmpint (cursor, >=, 1);

  g_assert_false (yp_client_login_sync (other, "alice", "wrong password", NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);
  g_assert_false (yp_client_register_sync (other, "ALICE", PASSWORD, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS);
  g_clear_error (&error);

  g_assert_true (yp_client_logout_sync (f->client, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (yp_client_dup_token (f->client));
  g_assert_false (yp_client_whoami_sync (f->client, NULL, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);
}

static void
test_unreachable (void)
{
  YpRetryPolicy fast = { 3, 10, 20 };
  g_autoptr(YpClient) client = yp_client_new ("http://127.0.0.1:9");
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = NULL;

  yp_client_set_retry_policy (client, &fast);
  node = yp_client_stat_sync (client, YP_TARGET_PATH ("/"), NULL, &error);
  g_assert_null (node);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK);
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} LoginResult;

static void
login_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  LoginResult *r = data;

  r->ok = yp_client_login_finish (YP_CLIENT (source), result, &r->error);
  r->done = TRUE;
}

/* A login cancelled after the server made the session reports it: the
 * caller gets the token it now holds, and can store it or log it out. */
static void
test_request_login_cancelled (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(YpClient) client = yp_client_new (f->server->url);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  LoginResult r = { 0 };

  yp_client_login_async (client, "alice", PASSWORD, cancellable, login_done_cb, &r);
  /* the answer has been read once the token is set; a cancel from then on
   * does not take the result away */
  for (int i = 0; i < 10000 && (token = yp_client_dup_token (client)) == NULL; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_nonnull (token);
  g_cancellable_cancel (cancellable);
  while (!r.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (r.error);
  g_assert_true (r.ok);
  g_assert_true (yp_client_whoami_sync (client, NULL, NULL, &error));
  g_assert_no_error (error);

  /* cancelled before it was sent: no session, no token */
  yp_client_set_token (client, NULL);
  g_assert_false (yp_client_login_sync (client, "alice", PASSWORD, cancellable, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (yp_client_dup_token (client));

  assert_released (G_OBJECT (g_steal_pointer (&client)));
}

/* A host name that does not resolve and a connection that is not secure
 * are told apart from a server that does not answer. */
static void
test_request_resolve_and_tls (Fixture       *f,
                              gconstpointer  data)
{
  YpRetryPolicy fast = { 2, 10, 20 };
  g_autoptr(YpClient) nowhere = yp_client_new ("http://no-such-host.invalid");
  g_autofree char *https = NULL;
  g_autoptr(YpClient) insecure = NULL;
  g_autoptr(GError) error = NULL;

  yp_client_set_retry_policy (nowhere, &fast);
  g_assert_null (yp_client_stat_sync (nowhere, YP_TARGET_PATH ("/"), NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_RESOLVE);
  g_clear_error (&error);

  /* TLS spoken to a plain HTTP port */
  g_assert_true (g_str_has_prefix (f->server->url, "http://"));
  https = g_strconcat ("https://", f->server->url + strlen ("http://"), NULL);
  insecure = yp_client_new (https);
  yp_client_set_retry_policy (insecure, &fast);
  g_assert_null (yp_client_stat_sync (insecure, YP_TARGET_PATH ("/"), NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_TLS);
  g_assert_false (yp_client_error_is_transient (error));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/account", test_account);
  g_test_add_func ("/yunpan/client/unreachable", test_unreachable);
  fixture_add ("/yunpan/client/request/login-cancelled", test_request_login_cancelled);
  fixture_add ("/yunpan/client/request/resolve-and-tls", test_request_resolve_and_tls);

  return g_test_run ();
}
