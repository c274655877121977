/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Where the XDG autostart entry that starts the app at login lives:
 * $XDG_CONFIG_HOME/autostart/APPLICATION_ID.desktop. */
char     *yp_autostart_get_path    (void);

/* Writes the entry (ENABLED) or removes it, without blocking the caller.
 * Inside a Flatpak sandbox the entry would name a command the host cannot
 * run, so this fails with G_IO_ERROR_NOT_SUPPORTED there; the sandbox asks
 * the Background portal instead. Calls that overlap finish in any order:
 * callers that toggle quickly wait for one before starting the next. */
void      yp_autostart_sync_async  (gboolean              enabled,
                                    GCancellable         *cancellable,
                                    GAsyncReadyCallback   callback,
                                    gpointer              user_data);
gboolean  yp_autostart_sync_finish (GAsyncResult         *result,
                                    GError              **error);

G_END_DECLS
