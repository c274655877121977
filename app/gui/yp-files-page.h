/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-client.h"
#include "yp-folder-model.h"

G_BEGIN_DECLS

#define YP_TYPE_FILES_PAGE (yp_files_page_get_type ())

G_DECLARE_FINAL_TYPE (YpFilesPage, yp_files_page, YP, FILES_PAGE, AdwBin)

/* The files in the top folder of CLIENT's account. */
GtkWidget     *yp_files_page_new       (YpClient    *client);
YpFolderModel *yp_files_page_get_model (YpFilesPage *self);

G_END_DECLS
