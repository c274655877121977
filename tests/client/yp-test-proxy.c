/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "yp-test-proxy.h"

typedef struct
{
  Proxy             *proxy;
  GSocketConnection *down;
} Pump;

static gboolean
send_all (int         fd,
          const char *buf,
          gssize      len)
{
  while (len > 0)
    {
      gssize n = send (fd, buf, (size_t) len, MSG_NOSIGNAL);

      if (n <= 0)
        return FALSE;
      buf += n;
      len -= n;
    }
  return TRUE;
}

static gpointer
proxy_pump (gpointer data)
{
  Pump *pump = data;
  Proxy *proxy = pump->proxy;
  g_autoptr(GSocketClient) connector = g_socket_client_new ();
  g_autoptr(GSocketConnection) up = g_socket_client_connect_to_host (connector, "127.0.0.1",
                                                                     proxy->upstream_port,
                                                                     NULL, NULL);
  gboolean lose_next = FALSE;
  g_autofree char *buf = g_malloc (65536);

  while (up != NULL && !g_cancellable_is_cancelled (proxy->cancellable))
    {
      struct pollfd fds[2] = {
        { g_socket_get_fd (g_socket_connection_get_socket (pump->down)), POLLIN, 0 },
        { g_socket_get_fd (g_socket_connection_get_socket (up)), POLLIN, 0 },
      };
      gssize len;

      if (poll (fds, 2, 100) <= 0)
        continue;
      if (fds[0].revents)
        {
          if ((len = recv (fds[0].fd, buf, 65536, 0)) <= 0)
            break;
          if (proxy->lose_answer_to != NULL && g_atomic_int_get (&proxy->lost) == 0
              && memmem (buf, (size_t) len, proxy->lose_answer_to,
                         strlen (proxy->lose_answer_to)) != NULL)
            lose_next = TRUE;
          if (!send_all (fds[1].fd, buf, len))
            break;
        }
      if (fds[1].revents)
        {
          if ((len = recv (fds[1].fd, buf, 65536, 0)) <= 0)
            break;
          if (lose_next)
            {
              g_atomic_int_inc (&proxy->lost);
              break;
            }
          if (!send_all (fds[0].fd, buf, len))
            break;
        }
    }
  if (up != NULL)
    g_io_stream_close (G_IO_STREAM (up), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (pump->down), NULL, NULL);
  g_object_unref (pump->down);
  g_free (pump);
  return NULL;
}

static gpointer
proxy_accept (gpointer data)
{
  Proxy *proxy = data;
  GSocketConnection *down;

  while ((down = g_socket_listener_accept (proxy->listener, NULL, proxy->cancellable,
                                           NULL)) != NULL)
    {
      Pump *pump = g_new0 (Pump, 1);

      pump->proxy = proxy;
      pump->down = down;
      g_mutex_lock (&proxy->mutex);
      g_ptr_array_add (proxy->pumps, g_thread_new ("proxy-pump", proxy_pump, pump));
      g_mutex_unlock (&proxy->mutex);
    }
  return NULL;
}

Proxy *
proxy_start (YpTestServer *server,
             const char   *lose_answer_to)
{
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autoptr(GUri) uri = g_uri_parse (server->url, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GError) error = NULL;
  guint16 port;

  g_assert_nonnull (uri);
  proxy->upstream_port = (guint16) g_uri_get_port (uri);
  proxy->lose_answer_to = g_strdup (lose_answer_to);
  proxy->cancellable = g_cancellable_new ();
  proxy->pumps = g_ptr_array_new ();
  g_mutex_init (&proxy->mutex);
  proxy->listener = g_socket_listener_new ();
  port = g_socket_listener_add_any_inet_port (proxy->listener, NULL, &error);
  g_assert_no_error (error);
  proxy->url = g_strdup_printf ("http://127.0.0.1:%u", port);
  proxy->thread = g_thread_new ("proxy-accept", proxy_accept, proxy);
  return proxy;
}

void
proxy_stop (Proxy *proxy)
{
  g_cancellable_cancel (proxy->cancellable);
  g_thread_join (proxy->thread);
  for (guint i = 0; i < proxy->pumps->len; i++)
    g_thread_join (g_ptr_array_index (proxy->pumps, i));
  g_ptr_array_unref (proxy->pumps);
  g_socket_listener_close (proxy->listener);
  g_object_unref (proxy->listener);
  g_object_unref (proxy->cancellable);
  g_mutex_clear (&proxy->mutex);
  g_free (proxy->lose_answer_to);
  g_free (proxy->url);
  g_free (proxy);
}
