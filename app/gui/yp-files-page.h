/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "yp-client.h"
#include "yp-folder-model.h"
#include "yp-transfer-queue.h"

G_BEGIN_DECLS

#define YP_TYPE_FILES_PAGE (yp_files_page_get_type ())

G_DECLARE_FINAL_TYPE (YpFilesPage, yp_files_page, YP, FILES_PAGE, AdwBin)

/*
 * My files: one folder of the account (or every file of a category) in a
 * list or a grid, with the actions on it (files.upload, files.new-folder,
 * files.rename, files.move, files.delete, files.download,
 * files.properties, files.go-up, files.reload, files.view-list,
 * files.view-grid, files.sort, files.sort-descending, files.search).
 * Transfers go to TRANSFERS.
 */
GtkWidget     *yp_files_page_new          (YpClient        *client,
                                           YpTransferQueue *transfers);
YpFolderModel *yp_files_page_get_model    (YpFilesPage     *self);
/* (element-type YpNode): what the views show, filtered and sorted */
GListModel    *yp_files_page_get_view_model (YpFilesPage   *self);
/* The folder's name, or the category's. */
const char    *yp_files_page_get_title    (YpFilesPage     *self);
/* NULL: the folder tree from "/"; else every file of CATEGORY. */
void           yp_files_page_set_category (YpFilesPage     *self,
                                           const char      *category);
/* Shows the folder at PATH. */
void           yp_files_page_open_path    (YpFilesPage     *self,
                                           const char      *path);
const char    *yp_files_page_get_path     (YpFilesPage     *self);

G_END_DECLS
