/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The request layer against a real server: repeats that are safe when an
 * answer was lost, `429` retried after Retry-After, and a connection for
 * a listing while uploads hold the others.
 */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-client.h"
#include "yp-test-fixture.h"
#include "yp-test-proxy.h"

/* A move whose answer was lost is sent again with its Idempotency-Key: the
 * server answers the repeat from the first try instead of `not_found`, and
 * the folder moved once. */
static void
test_request_move_answer_lost (Fixture       *f,
                               gconstpointer  data)
{
  YpRetryPolicy fast = { 5, 10, 50 };
  Proxy *proxy = proxy_start (f->server, "POST " YP_API_PREFIX "/files/move");
  g_autoptr(YpClient) client = yp_client_new (proxy->url);
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(YpNode) moved = NULL;
  g_autoptr(YpChanges) changes = NULL;
  g_autoptr(GPtrArray) moves = NULL;
  guint n_moves = 0;

  yp_client_set_token (client, token);
  yp_client_set_retry_policy (client, &fast);
  folder = yp_client_mkdir_sync (client, YP_TARGET_PATH ("/a"), FALSE, NULL, &error);
  g_assert_no_error (error);

  moved = yp_client_move_sync (client, YP_TARGET_PATH ("/a"), YP_TARGET_PATH ("/b"), YP_VERSION_ANY,
                               NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (moved), ==, "/b");
  g_assert_cmpint (g_atomic_int_get (&proxy->lost), ==, 1);

  /* both tries reached the server, and the second changed nothing */
  moves = yp_test_server_wait_log_lines (f->server, "/files/move", 2);
  g_assert_cmpuint (moves->len, ==, 2);
  changes = yp_client_changes_sync (f->client, 0, 0, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < changes->changes->len; i++)
    if (((YpChange *) g_ptr_array_index (changes->changes, i))->op == YP_CHANGE_MOVE)
      n_moves++;
  g_assert_cmpuint (n_moves, ==, 1);

  assert_released (G_OBJECT (g_steal_pointer (&client)));
  proxy_stop (proxy);
}

/* A password change whose answer was lost is sent again with its key: the
 * repeat gets the first answer, where a plain repeat would be refused
 * (the old password is no longer the password) and count as a failure. */
static void
test_request_password_answer_lost (Fixture       *f,
                                   gconstpointer  data)
{
  YpRetryPolicy fast = { 5, 10, 50 };
  Proxy *proxy = proxy_start (f->server, "POST " YP_API_PREFIX "/account/password");
  g_autoptr(YpClient) client = yp_client_new (proxy->url);
  g_autoptr(YpClient) other = yp_client_new (f->server->url);
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tries = NULL;

  yp_client_set_token (client, token);
  yp_client_set_retry_policy (client, &fast);
  g_assert_true (yp_client_change_password_sync (client, PASSWORD, "a new battery staple",
                                                 NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (g_atomic_int_get (&proxy->lost), ==, 1);
  tries = yp_test_server_wait_log_lines (f->server, "/account/password", 2);
  g_assert_cmpuint (tries->len, ==, 2);

  g_assert_false (yp_client_login_sync (other, "alice", PASSWORD, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID_CREDENTIALS);
  g_clear_error (&error);
  g_assert_true (yp_client_login_sync (other, "alice", "a new battery staple", NULL, &error));
  g_assert_no_error (error);

  /* logging out everywhere ends the other session too */
  g_assert_true (yp_client_logout_all_sync (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_null (yp_client_dup_token (client));
  g_assert_false (yp_client_whoami_sync (other, NULL, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);

  assert_released (G_OBJECT (g_steal_pointer (&client)));
  proxy_stop (proxy);
}

typedef struct
{
  YpClient     *client;
  char         *upload_id;
  guint64       size;
  GCancellable *cancellable;
  int           pipe_fds[2];
  GThread      *thread;
} HeldChunk;

/* Sends a chunk whose body never comes, so that it holds its connection. */
static gpointer
held_chunk_send (gpointer data)
{
  HeldChunk *held = data;
  g_autofree char *api_path = g_strdup_printf ("/uploads/%s", held->upload_id);
  g_autoptr(SoupMessage) msg = _yp_client_new_message (held->client, "PUT", api_path, "offset=0");
  g_autoptr(GInputStream) body = g_unix_input_stream_new (held->pipe_fds[0], FALSE);
  g_autoptr(GBytes) reply = NULL;

  soup_message_set_request_body (msg, "application/octet-stream", body, (gssize) held->size);
  reply = soup_session_send_and_read (_yp_client_get_session (held->client), msg,
                                      held->cancellable, NULL);
  return NULL;
}

typedef struct
{
  GCancellable *done;      /* the call is over */
  HeldChunk    *held;      /* let go when it took too long */
  guint         n_held;
} Deadline;

/* A call queued for a connection does not see its cancellable: letting the
 * held chunks go is what frees one, so that the test fails instead of
 * hanging. */
static gpointer
deadline_thread (gpointer data)
{
  Deadline *d = data;

  if (_yp_sleep_cancellable (10000, d->done, NULL))
    for (guint i = 0; i < d->n_held; i++)
      g_cancellable_cancel (d->held[i].cancellable);
  return NULL;
}

/* A listing is never queued behind uploads: with every upload of a busy
 * transfer queue holding its connections (two chunks each), a list call
 * still gets one at once. */
static void
test_request_list_beside_uploads (Fixture       *f,
                                  gconstpointer  data)
{
  enum { UPLOADS = 6, CHUNKS_EACH = 2 };
  HeldChunk held[UPLOADS * CHUNKS_EACH];
  g_autoptr(GError) error = NULL;
  g_autoptr(YpListing) listing = NULL;
  g_autoptr(GCancellable) done = g_cancellable_new ();
  Deadline d = { done, held, G_N_ELEMENTS (held) };
  GThread *timer;
  gint64 start;

  for (guint u = 0; u < UPLOADS; u++)
    {
      g_autoptr(JsonObject) body = json_object_new ();
      g_autoptr(JsonObject) reply = NULL;
      g_autofree char *path = g_strdup_printf ("/big-%u", u);
      char sha256[65];
      guint64 size = 1 << 20;

      memset (sha256, 'a' + (char) u, 64);
      sha256[64] = '\0';
      json_object_set_string_member (body, "path", path);
      json_object_set_int_member (body, "size", (gint64) size);
      json_object_set_string_member (body, "sha256", sha256);
      reply = _yp_client_call (f->client, "POST", "/uploads", NULL, body, NULL, &error);
      g_assert_no_error (error);
      for (guint c = 0; c < CHUNKS_EACH; c++)
        {
          HeldChunk *h = &held[u * CHUNKS_EACH + c];

          h->client = f->client;
          h->upload_id = g_strdup (json_object_get_string_member (
                                     json_object_get_object_member (reply, "upload"), "id"));
          h->size = size;
          h->cancellable = g_cancellable_new ();
          g_assert_cmpint (pipe (h->pipe_fds), ==, 0);
          h->thread = g_thread_new ("held-chunk", held_chunk_send, h);
        }
    }

  /* time for every held chunk to take its connection */
  g_usleep (500 * G_TIME_SPAN_MILLISECOND);

  /* fail rather than hang when the list call is queued */
  timer = g_thread_new ("deadline", deadline_thread, &d);
  start = g_get_monotonic_time ();
  listing = yp_client_list_sync (f->client, YP_TARGET_PATH ("/"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (listing);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_TIME_SPAN_SECOND);
  g_cancellable_cancel (done);
  g_thread_join (timer);

  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_cancellable_cancel (held[i].cancellable);
      g_thread_join (held[i].thread);
      close (held[i].pipe_fds[0]);
      close (held[i].pipe_fds[1]);
      g_object_unref (held[i].cancellable);
      g_free (held[i].upload_id);
    }
}

typedef struct
{
  HeldChunk *held;
  guint      n_held;
  guint      after_ms;
} LetGo;

static gpointer
let_go_later (gpointer data)
{
  LetGo *let_go = data;

  g_usleep (let_go->after_ms * G_TIME_SPAN_MILLISECOND);
  for (guint i = 0; i < let_go->n_held; i++)
    g_cancellable_cancel (let_go->held[i].cancellable);
  return NULL;
}

/* `429 rate_limited` is tried again, after the Retry-After the server gave
 * rather than the (here much shorter) backoff. nginx refuses a fourth chunk
 * in flight for one upload with it; the first three let go soon after. */
static void
test_request_rate_limited_retried (Fixture       *f,
                                   gconstpointer  data)
{
  YpRetryPolicy fast = { 3, 10, 20 };
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonObject) third = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) tries = NULL;
  g_autofree char *api_path = NULL;
  HeldChunk held[3];
  LetGo let_go = { held, G_N_ELEMENTS (held), 300 };
  GThread *thread;
  gint64 start;
  char sha256[65];

  memset (sha256, 'b', 64);
  sha256[64] = '\0';
  json_object_set_string_member (body, "path", "/big");
  json_object_set_int_member (body, "size", 1 << 20);
  json_object_set_string_member (body, "sha256", sha256);
  reply = _yp_client_call (f->client, "POST", "/uploads", NULL, body, NULL, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      held[i].client = f->client;
      held[i].upload_id = g_strdup (json_object_get_string_member (
                                      json_object_get_object_member (reply, "upload"), "id"));
      held[i].size = 1 << 20;
      held[i].cancellable = g_cancellable_new ();
      g_assert_cmpint (pipe (held[i].pipe_fds), ==, 0);
      held[i].thread = g_thread_new ("held-chunk", held_chunk_send, &held[i]);
    }
  g_usleep (300 * G_TIME_SPAN_MILLISECOND);

  yp_client_set_retry_policy (f->client, &fast);
  api_path = g_strdup_printf ("/uploads/%s", held[0].upload_id);
  thread = g_thread_new ("let-go", let_go_later, &let_go);
  start = g_get_monotonic_time ();
  third = _yp_client_call (f->client, "PUT", api_path, "offset=0", NULL, NULL, &error);
  /* what the application says about an empty chunk does not matter here */
  g_assert_false (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_RATE_LIMITED));
  g_assert_cmpint (g_get_monotonic_time () - start, >=, G_TIME_SPAN_SECOND);
  g_thread_join (thread);

  tries = yp_test_server_wait_log_lines (f->server, api_path, 2);
  g_assert_cmpuint (tries->len, >=, 2);   /* the 429 and the retry */
  for (guint i = 0; i < G_N_ELEMENTS (held); i++)
    {
      g_thread_join (held[i].thread);
      close (held[i].pipe_fds[0]);
      close (held[i].pipe_fds[1]);
      g_object_unref (held[i].cancellable);
      g_free (held[i].upload_id);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/request/move-answer-lost", test_request_move_answer_lost);
  fixture_add ("/yunpan/client/request/list-beside-uploads", test_request_list_beside_uploads);
  fixture_add ("/yunpan/client/request/rate-limited-retried", test_request_rate_limited_retried);
  fixture_add ("/yunpan/client/request/password-answer-lost", test_request_password_answer_lost);

  return g_test_run ();
}
