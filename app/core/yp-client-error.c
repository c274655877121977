/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include <gio/gio.h>

#include "yp-client-error.h"

/*
 * What the server said beyond the message: the protocol's code keeps apart
 * what the few YpClientError values merge (`exists` and `not_a_folder`, say),
 * and the members tell a caller how to go on.
 */
typedef struct
{
  yp_status_t status;       /* YP_STATUS_COUNT: not from the server */
  guint       http_status;
  guint       retry_after;  /* seconds; 0: none */
  gint64      version;      /* -1: absent */
  gint64      offset;
  gint64      used;
  gint64      quota;
} YpClientErrorPrivate;

static void
yp_client_error_private_init (YpClientErrorPrivate *priv)
{
  priv->status = YP_STATUS_COUNT;
  priv->http_status = 0;
  priv->retry_after = 0;
  priv->version = priv->offset = priv->used = priv->quota = -1;
}

static void
yp_client_error_private_copy (const YpClientErrorPrivate *src,
                              YpClientErrorPrivate       *dest)
{
  *dest = *src;
}

static void
yp_client_error_private_clear (YpClientErrorPrivate *priv)
{
}

G_DEFINE_EXTENDED_ERROR (YpClientError, yp_client_error)

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
    case YP_STATUS_CURSOR_EXPIRED:
      return YP_CLIENT_ERROR_CURSOR_EXPIRED;
    case YP_STATUS_RATE_LIMITED:
      return YP_CLIENT_ERROR_RATE_LIMITED;
    case YP_STATUS_REQUEST_IN_PROGRESS:
      return YP_CLIENT_ERROR_IN_PROGRESS;
    case YP_STATUS_IDEMPOTENCY_KEY_REUSED:
      /* the client sent one key with two requests: nothing to retry */
      return YP_CLIENT_ERROR_FAILED;
    default:
      break;
    }

  if (http_status == 401)
    return YP_CLIENT_ERROR_AUTH_EXPIRED;
  if (http_status == 404)
    return YP_CLIENT_ERROR_NOT_FOUND;
  if (http_status == 429)
    return YP_CLIENT_ERROR_RATE_LIMITED;
  if (http_status >= 500)
    return YP_CLIENT_ERROR_SERVER;
  if (http_status >= 400)
    return YP_CLIENT_ERROR_INVALID;
  return YP_CLIENT_ERROR_FAILED;
}

GError *
yp_client_error_new_from_server (guint        http_status,
                                 yp_status_t  status,
                                 guint        retry_after,
                                 gint64       version,
                                 gint64       offset,
                                 gint64       used,
                                 gint64       quota,
                                 const char  *message)
{
  GError *error = g_error_new_literal (YP_CLIENT_ERROR,
                                       yp_client_error_from_status (status, http_status),
                                       message);
  YpClientErrorPrivate *priv = yp_client_error_get_private (error);

  priv->status = status;
  priv->http_status = http_status;
  priv->retry_after = retry_after;
  priv->version = version;
  priv->offset = offset;
  priv->used = used;
  priv->quota = quota;
  return error;
}

static const YpClientErrorPrivate *
server_private (const GError *error)
{
  if (error == NULL || error->domain != YP_CLIENT_ERROR)
    return NULL;
  return yp_client_error_get_private (error);
}

yp_status_t
yp_client_error_get_status (const GError *error)
{
  const YpClientErrorPrivate *priv = server_private (error);

  return priv ? priv->status : YP_STATUS_COUNT;
}

guint
yp_client_error_get_http_status (const GError *error)
{
  const YpClientErrorPrivate *priv = server_private (error);

  return priv ? priv->http_status : 0;
}

guint
yp_client_error_get_retry_after (const GError *error)
{
  const YpClientErrorPrivate *priv = server_private (error);

  return priv ? priv->retry_after : 0;
}

static gboolean
get_member (gint64  member,
            gint64 *out)
{
  if (member < 0)
    return FALSE;
  if (out != NULL)
    *out = member;
  return TRUE;
}

gboolean
yp_client_error_get_version (const GError *error,
                             gint64       *version)
{
  const YpClientErrorPrivate *priv = server_private (error);

  return priv && get_member (priv->version, version);
}

gboolean
yp_client_error_get_offset (const GError *error,
                            gint64       *offset)
{
  const YpClientErrorPrivate *priv = server_private (error);

  return priv && get_member (priv->offset, offset);
}

gboolean
yp_client_error_get_quota (const GError *error,
                           gint64       *used,
                           gint64       *quota)
{
  const YpClientErrorPrivate *priv = server_private (error);

  if (priv == NULL || priv->used < 0 || priv->quota < 0)
    return FALSE;
  get_member (priv->used, used);
  get_member (priv->quota, quota);
  return TRUE;
}

/* Network trouble, server failures and "not now" answers may pass; other
 * answers will not. */
gboolean
yp_client_error_is_transient (const GError *error)
{
  if (error == NULL)
    return FALSE;
  if (error->domain == YP_CLIENT_ERROR)
    switch ((YpClientError) error->code)
      {
      case YP_CLIENT_ERROR_NETWORK:
      case YP_CLIENT_ERROR_RESOLVE:
      case YP_CLIENT_ERROR_SERVER:
      case YP_CLIENT_ERROR_RATE_LIMITED:
      case YP_CLIENT_ERROR_IN_PROGRESS:
        return TRUE;
      default:
        return FALSE;
      }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return FALSE;
  if (error->domain == G_TLS_ERROR)
    return FALSE;
  return error->domain == G_IO_ERROR || error->domain == G_RESOLVER_ERROR;
}
