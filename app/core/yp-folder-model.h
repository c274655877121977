/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-client.h"

G_BEGIN_DECLS

#define YP_TYPE_FOLDER_MODEL (yp_folder_model_get_type ())

G_DECLARE_FINAL_TYPE (YpFolderModel, yp_folder_model, YP, FOLDER_MODEL, GObject)

/* Entries per request unless the caller chooses; the server takes 1000 at most. */
#define YP_FOLDER_MODEL_PAGE_SIZE     200
#define YP_FOLDER_MODEL_PAGE_SIZE_MAX 1000

YpFolderModel *yp_folder_model_new          (YpClient            *client,
                                             const YpTarget      *folder,
                                             const YpListOptions *options,
                                             guint                page_size);
void           yp_folder_model_reload       (YpFolderModel       *self);
gboolean       yp_folder_model_get_loading  (YpFolderModel       *self);
guint          yp_folder_model_get_n_loaded (YpFolderModel       *self);
guint          yp_folder_model_get_total    (YpFolderModel       *self);
const GError  *yp_folder_model_get_error    (YpFolderModel       *self);
YpNode        *yp_folder_model_get_folder   (YpFolderModel       *self);

G_END_DECLS
