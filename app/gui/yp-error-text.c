/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-client-error.h"
#include "yp-error-text.h"

/* Errors that YpClientError folds together (an invalid request) are told
 * apart by the protocol's own code. */
static const char *
text_for_status (yp_status_t status)
{
  switch (status)
    {
    case YP_STATUS_INVALID_USERNAME:
      return _("Usernames are 3 to 32 letters, digits, “_”, “.” or “-”.");
    case YP_STATUS_WEAK_PASSWORD:
      return _("This password is too easy to guess. Use a longer one, or a few unrelated words.");
    case YP_STATUS_USERNAME_TAKEN:
      return _("That username is taken. Choose another one, or sign in.");
    default:
      return NULL;
    }
}

const char *
yp_error_text_for_sign_in (const GError *error)
{
  const char *text;

  g_return_val_if_fail (error != NULL, NULL);

  text = text_for_status (yp_client_error_get_status (error));
  if (text != NULL)
    return text;

  if (error->domain != YP_CLIENT_ERROR)
    return _("Signing in failed. Try again.");

  switch ((YpClientError) error->code)
    {
    case YP_CLIENT_ERROR_INVALID_CREDENTIALS:
      return _("Wrong username or password.");
    case YP_CLIENT_ERROR_NETWORK:
    case YP_CLIENT_ERROR_RESOLVE:
      return _("The server cannot be reached. Check the address and your connection.");
    case YP_CLIENT_ERROR_TLS:
      return _("The secure connection to the server failed.");
    case YP_CLIENT_ERROR_EXISTS:
      return _("That username is taken. Choose another one, or sign in.");
    case YP_CLIENT_ERROR_NO_KEYRING:
      return _("No keyring is available to keep the session in.");
    case YP_CLIENT_ERROR_RATE_LIMITED:
      return _("Too many attempts. Wait a moment and try again.");
    case YP_CLIENT_ERROR_SERVER:
      return _("The server failed. Try again later.");
    default:
      return _("Signing in failed. Try again.");
    }
}
