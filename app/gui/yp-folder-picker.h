/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-client.h"

G_BEGIN_DECLS

#define YP_TYPE_FOLDER_PICKER (yp_folder_picker_get_type ())

G_DECLARE_FINAL_TYPE (YpFolderPicker, yp_folder_picker, YP, FOLDER_PICKER, AdwWindow)

/* Lets the user pick a folder on the server, starting at START_PATH, to
 * move MOVING (element-type YpNode) into: folders among them cannot be
 * entered, so nothing is moved into itself. Finishes with the folder's
 * node, or NULL (G_IO_ERROR_CANCELLED) when the window was closed. */
void    yp_folder_picker_choose_async  (GtkWindow           *parent,
                                        YpClient            *client,
                                        const char          *start_path,
                                        GPtrArray           *moving,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
YpNode *yp_folder_picker_choose_finish (GAsyncResult        *result,
                                        GError             **error);

/* The folder shown, once listed. */
YpNode *yp_folder_picker_get_folder    (YpFolderPicker      *self);
void    yp_folder_picker_open_path     (YpFolderPicker      *self,
                                        const char          *path);

G_END_DECLS
