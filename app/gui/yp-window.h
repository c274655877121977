/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-session.h"

G_BEGIN_DECLS

#define YP_TYPE_WINDOW (yp_window_get_type ())

G_DECLARE_FINAL_TYPE (YpWindow, yp_window, YP, WINDOW, AdwApplicationWindow)

/* APPLICATION may be NULL (tests). The window looks for a saved session at
 * once and shows the files, the sign-in page or why neither can be. */
YpWindow        *yp_window_new                (GtkApplication *application);
YpSession       *yp_window_get_session        (YpWindow       *self);
AdwToastOverlay *yp_window_get_toast_overlay  (YpWindow       *self);
/* The pages of the signed-in window; NULL when signed out. */
GtkWidget       *yp_window_get_files_page     (YpWindow       *self);
GtkWidget       *yp_window_get_transfers_page (YpWindow       *self);

G_END_DECLS
