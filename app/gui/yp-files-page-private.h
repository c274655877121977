/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-files-page.h"

G_BEGIN_DECLS

struct _YpFilesPage
{
  AdwBin               parent_instance;

  /* template children */
  GtkSearchBar        *search_bar;
  GtkSearchEntry      *search_entry;
  GtkWidget           *crumbs_bar;
  GtkBox              *crumbs;
  GtkStack            *stack;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *size_column;
  GtkColumnViewColumn *modified_column;
  GtkColumnViewColumn *downloads_column;
  GtkGridView         *grid_view;
  AdwStatusPage       *empty_page;
  AdwStatusPage       *error_page;
  GtkRevealer         *status_revealer;
  GtkLabel            *status_label;
  GMenuModel          *item_menu;

  /* owned references */
  YpClient            *client;
  YpTransferQueue     *transfers;
  GSettings           *settings;
  YpFolderModel       *model;
  GtkFilterListModel  *filtered;
  GtkStringFilter     *search_filter;
  GtkSortListModel    *sorted;
  GtkMultiSelection   *selection;
  GCancellable        *cancellable;
  char                *category;
  /* the folder shown, by id once known (0: by path) */
  gint64               folder_id;
  char                *folder_path;
  guint                reload_source;
  char                *sort_key;
  gboolean             sort_descending;

  /* borrowed references */
  GtkWidget           *item_popover;
};

/* yp-files-page.c */
void        _yp_files_page_show_toast       (YpFilesPage *self,
                                             const char  *message);
void        _yp_files_page_show_error       (YpFilesPage  *self,
                                             const char   *what,
                                             const GError *error);
/* Reloads soon, once for a burst of changes. */
void        _yp_files_page_reload_soon      (YpFilesPage *self);
void        _yp_files_page_navigate         (YpFilesPage *self,
                                             gint64       folder_id,
                                             const char  *folder_path);
/* (element-type YpNode) (transfer container): the selected nodes in view order */
GPtrArray  *_yp_files_page_dup_selected     (YpFilesPage *self);
/* The folder new files go to; NULL while a category is shown. */
const char *_yp_files_page_get_upload_folder (YpFilesPage *self);

/* yp-files-page-cells.c */
void        _yp_files_page_setup_cells      (YpFilesPage *self);

/* yp-files-page-actions.c */
void        _yp_files_page_class_init_actions (GtkWidgetClass *widget_class);
void        _yp_files_page_update_actions   (YpFilesPage *self);
void        _yp_files_page_upload_files     (YpFilesPage *self,
                                             GSList      *files);
/* (element-type YpNode) NODES: files */
void        _yp_files_page_download_to      (YpFilesPage *self,
                                             GPtrArray   *nodes,
                                             GFile       *folder);

G_END_DECLS
