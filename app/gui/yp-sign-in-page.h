/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-session.h"

G_BEGIN_DECLS

#define YP_TYPE_SIGN_IN_PAGE (yp_sign_in_page_get_type ())

G_DECLARE_FINAL_TYPE (YpSignInPage, yp_sign_in_page, YP, SIGN_IN_PAGE, AdwBin)

/* Signs SESSION in, or registers an account on it. */
GtkWidget *yp_sign_in_page_new        (YpSession    *session);
/* Fills the server address in (the last one used). */
void       yp_sign_in_page_set_server (YpSignInPage *self,
                                       const char   *server);

G_END_DECLS
