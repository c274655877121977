/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define YP_TYPE_PREFERENCES_WINDOW (yp_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (YpPreferencesWindow, yp_preferences_window, YP, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

/* PARENT (may be NULL) lends the window its application, so that the
 * account buttons reach app.sign-out. USERNAME and SERVER are shown as
 * they are; both NULL (signed out) hide the account group. */
GtkWidget *yp_preferences_window_new (GtkWindow  *parent,
                                      const char *username,
                                      const char *server);

G_END_DECLS
