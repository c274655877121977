/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Asks for a file or folder name in a dialog over PARENT; INITIAL is shown
 * selected up to its extension. Finishes with the name, or NULL (and
 * G_IO_ERROR_CANCELLED) when the dialog was dismissed. Only names the
 * server accepts can be confirmed. */
void  yp_name_dialog_ask_async  (GtkWindow           *parent,
                                 const char          *heading,
                                 const char          *initial,
                                 const char          *accept_label,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data);
char *yp_name_dialog_ask_finish (GAsyncResult        *result,
                                 GError             **error);

G_END_DECLS
