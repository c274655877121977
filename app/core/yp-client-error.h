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
 *
 * Errors a user interface can act on.
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
} YpClientError;

GQuark        yp_client_error_quark        (void);
YpClientError yp_client_error_from_status  (yp_status_t status,
                                            guint       http_status);
gboolean      yp_client_error_is_transient (const GError *error);

G_END_DECLS
