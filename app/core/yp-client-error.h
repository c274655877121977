/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "yp-protocol.h"

G_BEGIN_DECLS

#define YP_CLIENT_ERROR (yp_client_error_quark ())

/**
 * YpClientError:
 * @YP_CLIENT_ERROR_FAILED: anything not listed below
 * @YP_CLIENT_ERROR_NETWORK: the server could not be reached; retrying may help
 * @YP_CLIENT_ERROR_AUTH_EXPIRED: no valid session; sign in again
 * @YP_CLIENT_ERROR_INVALID_CREDENTIALS: wrong username or password
 * @YP_CLIENT_ERROR_NOT_FOUND: no such file, folder or upload
 * @YP_CLIENT_ERROR_CONFLICT: it changed on the server since the version given
 * @YP_CLIENT_ERROR_EXISTS: the name is taken
 * @YP_CLIENT_ERROR_INVALID: the server refused the request as malformed
 * @YP_CLIENT_ERROR_QUOTA: no space left in the account
 * @YP_CLIENT_ERROR_SERVER: the server failed (5xx)
 * @YP_CLIENT_ERROR_HASH_MISMATCH: content did not match its SHA-256
 * @YP_CLIENT_ERROR_CHANGED: the local file changed while it was transferred
 * @YP_CLIENT_ERROR_NO_KEYRING: no Secret Service to keep the session in
 * @YP_CLIENT_ERROR_TLS: the secure connection failed (e.g. a bad certificate);
 *   retrying will not help
 * @YP_CLIENT_ERROR_RESOLVE: the server's host name could not be resolved
 * @YP_CLIENT_ERROR_CURSOR_EXPIRED: the change feed no longer reaches back to
 *   the cursor given; list the tree again
 * @YP_CLIENT_ERROR_RATE_LIMITED: too many requests; retry after
 *   yp_client_error_get_retry_after() seconds
 * @YP_CLIENT_ERROR_IN_PROGRESS: the same change is still running on the
 *   server; retry after yp_client_error_get_retry_after() seconds
 *
 * Errors a user interface can act on. An error the server sent also keeps
 * the protocol's own code (yp_client_error_get_status()) and the members
 * that came with it.
 */
typedef enum
{
  YP_CLIENT_ERROR_FAILED,
  YP_CLIENT_ERROR_NETWORK,
  YP_CLIENT_ERROR_AUTH_EXPIRED,
  YP_CLIENT_ERROR_INVALID_CREDENTIALS,
  YP_CLIENT_ERROR_NOT_FOUND,
  YP_CLIENT_ERROR_CONFLICT,
  YP_CLIENT_ERROR_EXISTS,
  YP_CLIENT_ERROR_INVALID,
  YP_CLIENT_ERROR_QUOTA,
  YP_CLIENT_ERROR_SERVER,
  YP_CLIENT_ERROR_HASH_MISMATCH,
  YP_CLIENT_ERROR_CHANGED,
  YP_CLIENT_ERROR_NO_KEYRING,
  YP_CLIENT_ERROR_TLS,
  YP_CLIENT_ERROR_RESOLVE,
  YP_CLIENT_ERROR_CURSOR_EXPIRED,
  YP_CLIENT_ERROR_RATE_LIMITED,
  YP_CLIENT_ERROR_IN_PROGRESS,
} YpClientError;

GQuark        yp_client_error_quark        (void);
YpClientError yp_client_error_from_status  (yp_status_t status,
                                            guint       http_status);
gboolean      yp_client_error_is_transient (const GError *error);

/* The protocol's code of an error the server sent, else YP_STATUS_COUNT. */
yp_status_t   yp_client_error_get_status      (const GError *error);
/* The HTTP status of an error the server sent, else 0. */
guint         yp_client_error_get_http_status (const GError *error);
/* Seconds the server asked to wait before a retry (Retry-After), else 0. */
guint         yp_client_error_get_retry_after (const GError *error);
/* The current version of the node of a `conflict`. */
gboolean      yp_client_error_get_version     (const GError *error,
                                               gint64       *version);
/* Where the upload stands, of an `offset_mismatch`. */
gboolean      yp_client_error_get_offset      (const GError *error,
                                               gint64       *offset);
/* Bytes used and allowed, of a `quota_exceeded`. */
gboolean      yp_client_error_get_quota       (const GError *error,
                                               gint64       *used,
                                               gint64       *quota);

/* An error the server answered with: HTTP_STATUS, the protocol's code STATUS
 * (YP_STATUS_COUNT when it named none), RETRY_AFTER seconds (0: none) and
 * the members VERSION, OFFSET, USED and QUOTA (-1: absent). */
GError       *yp_client_error_new_from_server (guint        http_status,
                                               yp_status_t  status,
                                               guint        retry_after,
                                               gint64       version,
                                               gint64       offset,
                                               gint64       used,
                                               gint64       quota,
                                               const char  *message);

G_END_DECLS
