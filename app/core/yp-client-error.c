/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include <gio/gio.h>

#include "yp-client-error.h"

G_DEFINE_QUARK (yp-client-error-quark, yp_client_error)

/*
 * Maps the protocol's error code, or failing that the HTTP status, to what a
 * client can do about it.
 */
YpClientError
yp_client_error_from_status (yp_status_t status,
                             guint       http_status)
{
  switch (status)
    {
    case YP_STATUS_UNAUTHORIZED:
    case YP_STATUS_TOKEN_EXPIRED:
      return YP_CLIENT_ERROR_AUTH_EXPIRED;
    case YP_STATUS_INVALID_CREDENTIALS:
      return YP_CLIENT_ERROR_INVALID_CREDENTIALS;
    case YP_STATUS_NOT_FOUND:
      return YP_CLIENT_ERROR_NOT_FOUND;
    case YP_STATUS_CONFLICT:
    case YP_STATUS_OFFSET_MISMATCH:
      return YP_CLIENT_ERROR_CONFLICT;
    case YP_STATUS_EXISTS:
    case YP_STATUS_USERNAME_TAKEN:
      return YP_CLIENT_ERROR_EXISTS;
    case YP_STATUS_QUOTA_EXCEEDED:
      return YP_CLIENT_ERROR_QUOTA;
    case YP_STATUS_HASH_MISMATCH:
      return YP_CLIENT_ERROR_HASH_MISMATCH;
    case YP_STATUS_INTERNAL:
    case YP_STATUS_UNAVAILABLE:
      return YP_CLIENT_ERROR_SERVER;
    default:
      break;
    }

  if (http_status == 401)
    return YP_CLIENT_ERROR_AUTH_EXPIRED;
  if (http_status == 404)
    return YP_CLIENT_ERROR_NOT_FOUND;
  if (http_status >= 500)
    return YP_CLIENT_ERROR_SERVER;
  if (http_status >= 400)
    return YP_CLIENT_ERROR_INVALID;
  return YP_CLIENT_ERROR_FAILED;
}

/* Network trouble and server failures may pass; a 4xx answer will not. */
gboolean
yp_client_error_is_transient (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain == YP_CLIENT_ERROR)
    return error->code == YP_CLIENT_ERROR_NETWORK || error->code == YP_CLIENT_ERROR_SERVER;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  return error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR;
}
