/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include <string.h>

#include "yp-protocol.h"
#include "yp-server-url.h"

static int
default_port (const char *scheme)
{
  if (g_strcmp0 (scheme, "http") == 0)
    return 80;
  if (g_strcmp0 (scheme, "https") == 0)
    return 443;
  return -1;
}

/**
 * yp_server_url_normalize:
 * @url: a server's base URL as a person typed it
 *
 * One spelling for one server, so that whatever names it (the command line,
 * the window, the keyring) agrees: the scheme and host in lower case, no
 * default port, no user info, query or fragment, and no trailing slashes.
 * "http://Host:80/" and "http://host" are both "http://host". The API's
 * own address ("http://host/api/v1"), which a person may copy from a
 * server's documentation, is the server's too: requests add that part.
 *
 * Returns: (transfer full): the normal form, or a copy of @url when it is
 *   not an absolute URL with a host
 */
char *
yp_server_url_normalize (const char *url)
{
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GUri) normal = NULL;
  g_autofree char *scheme = NULL, *host = NULL, *path = NULL;
  int port;
  gsize len;

  g_return_val_if_fail (url != NULL, NULL);

  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_PATH, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0')
    return g_strdup (url);

  scheme = g_ascii_strdown (g_uri_get_scheme (uri), -1);
  host = g_ascii_strdown (g_uri_get_host (uri), -1);
  port = g_uri_get_port (uri);
  if (port == default_port (scheme))
    port = -1;
  path = g_strdup (g_uri_get_path (uri));
  len = strlen (path);
  while (len > 0 && path[len - 1] == '/')
    path[--len] = '\0';
  if (g_str_has_suffix (path, YP_API_PREFIX))
    {
      len -= strlen (YP_API_PREFIX);
      path[len] = '\0';
      while (len > 0 && path[len - 1] == '/')
        path[--len] = '\0';
    }

  normal = g_uri_build (G_URI_FLAGS_ENCODED_PATH, scheme, NULL, host, port, path, NULL, NULL);
  return g_uri_to_string (normal);
}
