/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The event stream against a real server: changes pushed at once, a
 * session that ends, a quiet stream that must stay open, and retries in
 * the caller's main context.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yp-client-private.h"
#include "yp-client.h"
#include "yp-event-stream.h"
#include "yp-protocol.h"
#include "yp-test-fixture.h"

static void
on_changed (YpEventStream *stream,
            gint64         cursor,
            gint64        *seen)
{
  *seen = MAX (*seen, cursor);
  (*(seen + 1))++;
}

static gboolean
wait_until (gint64  *value,
            gint64   at_least,
            gint64   timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  while (*value < at_least && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  return *value >= at_least;
}

/* A change pushes the new cursor within a second, without polling. */
static void
test_events (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(YpEventStream) stream = yp_event_stream_new (f->client);
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  gint64 seen[2] = { 0, 0 };     /* newest cursor, number of signals */
  gint64 start;

  g_signal_connect (stream, "changed", G_CALLBACK (on_changed), seen);
  yp_event_stream_start (stream);
  /* connected: the stream asks for one read of the feed */
  g_assert_true (wait_until (&seen[1], 1, 5 * G_USEC_PER_SEC));

  start = g_get_monotonic_time ();
  folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/pushed"), FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until (&seen[0], yp_node_get_version (folder), 5 * G_USEC_PER_SEC));
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC);

  /* stopping lets go of everything once the cancelled reads come back */
  yp_event_stream_stop (stream);
  g_object_add_weak_pointer (G_OBJECT (stream), (gpointer *) &stream);
  g_object_unref (stream);
  for (int i = 0; i < 5000 && stream != NULL; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_null (stream);
}

/* Stream requests answered so far; BARRIER is a signed-in client, for a
 * log barrier as in log_barrier(). */
static guint
count_stream_requests (Fixture  *f,
                       YpClient *barrier)
{
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GError) error = NULL;
  guint before = 0, now = 0;

  yp_test_server_request_bytes (f->server, "GET /api/v1/account/whoami", &before);
  g_assert_true (yp_client_whoami_sync (barrier, NULL, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 200 && now <= before; i++)
    {
      g_usleep (G_USEC_PER_SEC / 100);
      yp_test_server_request_bytes (f->server, "GET /api/v1/account/whoami", &now);
    }
  lines = yp_test_server_log_lines (f->server, "GET " YP_API_PREFIX "/events/");
  return lines->len;
}

static void
wait_connected (YpEventStream *stream,
                gboolean       connected)
{
  for (int i = 0; i < 10000 && yp_event_stream_get_connected (stream) != connected; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_true (yp_event_stream_get_connected (stream) == connected);
}

/* Ending the session cuts the stream; the reconnect is refused, and the
 * stream says so and stops instead of retrying forever. */
static void
test_events_token_rejected (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(YpEventStream) stream = yp_event_stream_new (f->client);
  g_autoptr(YpClient) other = yp_client_new (f->server->url);
  g_autoptr(YpClient) bob = new_user (f->server, "bob");
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(GError) error = NULL;
  guint rejected = 0, requests;

  g_signal_connect_swapped (stream, "token-rejected", G_CALLBACK (count_signal), &rejected);
  yp_event_stream_start (stream);
  wait_connected (stream, TRUE);

  yp_client_set_token (other, token);
  g_assert_true (yp_client_logout_sync (other, NULL, &error));
  g_assert_no_error (error);
  for (int i = 0; i < 10000 && rejected == 0; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpuint (rejected, ==, 1);
  g_assert_false (yp_event_stream_get_connected (stream));

  /* the stream that was cut, and the refused reconnect */
  requests = count_stream_requests (f, bob);
  g_assert_cmpuint (requests, >=, 2);
  iterate_for (3000);
  g_assert_cmpuint (count_stream_requests (f, bob), ==, requests);
  g_assert_cmpuint (rejected, ==, 1);
}

/* The server may say nothing for minutes: the client's read timeout must
 * not cut the stream (shortened here from two minutes). */
static void
test_events_outlive_timeout (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(YpClient) client = yp_client_new (f->server->url);
  g_autoptr(YpEventStream) stream = NULL;
  g_autofree char *token = yp_client_dup_token (f->client);
  guint connected_changes = 0;
  gint64 seen[2] = { 0, 0 };

  /* set before the session opens a connection, which keeps its timeout */
  g_object_set (_yp_client_get_session (client), "timeout", 1, NULL);
  yp_client_set_token (client, token);
  _yp_client_set_user (client, yp_client_get_user_id (f->client), "alice");
  stream = yp_event_stream_new (client);
  g_signal_connect (stream, "changed", G_CALLBACK (on_changed), seen);
  g_signal_connect_swapped (stream, "notify::connected", G_CALLBACK (count_signal),
                            &connected_changes);
  yp_event_stream_start (stream);
  wait_connected (stream, TRUE);
  iterate_for (4000);

  g_assert_true (yp_event_stream_get_connected (stream));
  g_assert_cmpuint (connected_changes, ==, 1);
  /* every reconnect would ask for a read of the feed */
  g_assert_cmpint (seen[1], ==, 1);
  yp_event_stream_stop (stream);
  g_assert_false (yp_event_stream_get_connected (stream));
  g_assert_cmpuint (connected_changes, ==, 2);
  assert_released (G_OBJECT (g_steal_pointer (&stream)));
  assert_released (G_OBJECT (g_steal_pointer (&client)));
}

typedef struct
{
  int   fd;
  guint accepted;
  gint  stop;
} Slammer;

/* Accepts connections and closes them at once. */
static gpointer
slam_doors (gpointer data)
{
  Slammer *s = data;

  while (!g_atomic_int_get (&s->stop))
    {
      struct pollfd pfd = { s->fd, POLLIN, 0 };
      int conn;

      if (poll (&pfd, 1, 50) <= 0)
        continue;
      conn = accept (s->fd, NULL, NULL);
      if (conn < 0)
        continue;
      g_atomic_int_inc ((gint *) &s->accepted);
      close (conn);
    }
  return NULL;
}

/* A stream started in a thread's own main context retries there, not in
 * the default context that this thread never runs. */
static void
test_events_retry_in_caller_context (void)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  Slammer slammer = { socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), 0, 0 };
  g_autofree char *url = NULL;
  g_autoptr(YpClient) client = NULL;
  YpEventStream *stream;
  GThread *thread;
  gint64 end;

  g_assert_cmpint (bind (slammer.fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  g_assert_cmpint (listen (slammer.fd, 16), ==, 0);
  g_assert_cmpint (getsockname (slammer.fd, (struct sockaddr *) &addr, &len), ==, 0);
  url = g_strdup_printf ("http://127.0.0.1:%u", ntohs (addr.sin_port));
  thread = g_thread_new ("slam", slam_doors, &slammer);

  g_main_context_push_thread_default (context);
  client = yp_client_new (url);
  _yp_client_set_user (client, 1, "nobody");
  stream = yp_event_stream_new (client);
  yp_event_stream_start (stream);
  end = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end && g_atomic_int_get ((gint *) &slammer.accepted) < 3)
    {
      if (!g_main_context_iteration (context, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpuint (g_atomic_int_get ((gint *) &slammer.accepted), >=, 3);
  g_assert_false (yp_event_stream_get_connected (stream));

  yp_event_stream_stop (stream);
  g_object_unref (stream);
  g_object_unref (g_steal_pointer (&client));
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_atomic_int_set (&slammer.stop, 1);
  g_thread_join (thread);
  close (slammer.fd);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/events", test_events);
  fixture_add ("/yunpan/client/events/token-rejected", test_events_token_rejected);
  fixture_add ("/yunpan/client/events/outlive-timeout", test_events_outlive_timeout);
  g_test_add_func ("/yunpan/client/events/retry-in-caller-context",
                   test_events_retry_in_caller_context);

  return g_test_run ();
}
