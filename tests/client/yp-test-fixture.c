/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What the client library's tests share: a real server with a signed-in
 * client and a folder for local files, and the small steps many cases take.
 */
#include <glib/gstdio.h>

#include "yp-hash.h"
#include "yp-test-fixture.h"

YpClient *
new_user (YpTestServer *server,
          const char   *username)
{
  g_autoptr(YpClient) client = yp_client_new (server->url);
  g_autoptr(GError) error = NULL;

  g_assert_true (yp_client_register_sync (client, username, PASSWORD, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (yp_client_login_sync (client, username, PASSWORD, NULL, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&client);
}

void
fixture_start (Fixture           *f,
               const char *const *server_args)
{
  g_autoptr(GError) error = NULL;

  f->server = server_args ? yp_test_server_start_with_args (server_args)
                          : yp_test_server_start ();
  f->client = new_user (f->server, "alice");
  f->dir = g_dir_make_tmp ("yp-client-files-XXXXXX", &error);
  g_assert_no_error (error);
}

void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  fixture_start (f, NULL);
}

/*
 * Drops the last reference to OBJECT and checks it is finalized. A worker
 * thread of a finished GTask may still hold the task, and through it its
 * source object, for a moment after the callback ran: wait for that, and
 * fail only on a reference that stays.
 */
void
assert_released (GObject *object)
{
  gpointer weak = object;

  g_object_add_weak_pointer (object, &weak);
  g_object_unref (object);
  for (int i = 0; i < 5000 && weak != NULL; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_null (weak);
}

void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GDir) dir = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (dir && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (f->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  assert_released (G_OBJECT (f->client));
  yp_test_server_stop (f->server);
}

/* Writes LEN bytes derived from SEED to DIR/NAME; returns the path. */
char *
make_file (const char *dir,
           const char *name,
           gsize       len,
           guint32     seed,
           char        sha256[65])
{
  g_autofree guint8 *bytes = g_malloc (len + 1);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  g_autoptr(GError) error = NULL;
  char *path = g_build_filename (dir, name, NULL);

  for (gsize i = 0; i < len; i++)
    bytes[i] = (guint8) g_rand_int (rand);
  g_file_set_contents (path, (const char *) bytes, (gssize) len, &error);
  g_assert_no_error (error);
  if (sha256 != NULL)
    yp_sha256_hex (bytes, len, sha256);
  return path;
}

void
assert_same_file (const char *a,
                  const char *b)
{
  g_autofree char *da = NULL, *db = NULL;
  gsize la = 0, lb = 0;

  g_assert_true (g_file_get_contents (a, &da, &la, NULL));
  g_assert_true (g_file_get_contents (b, &db, &lb, NULL));
  g_assert_cmpmem (da, la, db, lb);
}

/* Lets the transfers' notifications run, as a main loop would. */
void
flush_main_context (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

YpTransfer *
upload (YpClient   *client,
        const char *local,
        const char *remote,
        GError    **error)
{
  YpTransfer *transfer = yp_transfer_new_upload (local, remote, 0);

  yp_client_upload_sync (client, transfer, error);
  flush_main_context ();
  return transfer;
}

YpTransfer *
download (YpClient   *client,
          const char *remote,
          const char *local,
          GError    **error)
{
  YpTransfer *transfer = yp_transfer_new_download (remote, local);

  yp_client_download_sync (client, transfer, error);
  flush_main_context ();
  return transfer;
}

/*
 * nginx logs a request after answering it: a client can see the answer
 * before the line is written. A request sent now is logged after every
 * request that was answered before it, so waiting for its line makes the
 * log complete up to here.
 */
void
log_barrier (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  guint before = 0;

  yp_test_server_request_bytes (f->server, "GET /api/v1/account/whoami", &before);
  g_assert_true (yp_client_whoami_sync (f->client, NULL, NULL, &error));
  g_assert_no_error (error);
  lines = yp_test_server_wait_log_lines (f->server, "GET /api/v1/account/whoami", before + 1);
  g_assert_cmpuint (lines->len, >, before);
}

guint
logged_requests (Fixture    *f,
                 const char *needle)
{
  guint count = 0;

  log_barrier (f);
  yp_test_server_request_bytes (f->server, needle, &count);
  return count;
}

void
iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < end)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
}

/* connected swapped: the counter comes first */
void
count_signal (guint    *count,
              gpointer  instance)
{
  (*count)++;
}

gpointer
cancel_later (gpointer data)
{
  g_usleep (G_USEC_PER_SEC);
  g_cancellable_cancel (data);
  return NULL;
}

void
store_result (GObject      *source,
              GAsyncResult *result,
              gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

GAsyncResult *
wait_result (GAsyncResult **slot)
{
  while (*slot == NULL)
    g_main_context_iteration (NULL, TRUE);
  return *slot;
}
