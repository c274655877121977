/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/*
 * The account a client signs in with: server URL and username, in
 * $XDG_CONFIG_HOME/yunpan/account.ini. No secret is ever written there; the
 * session token lives in the keyring (yp-keyring.h).
 */
gboolean yp_account_load   (char       **server,
                            char       **username,
                            GError     **error);
gboolean yp_account_save   (const char  *server,
                            const char  *username,
                            GError     **error);
gboolean yp_account_forget (GError     **error);
char    *yp_account_path   (void);

G_END_DECLS
