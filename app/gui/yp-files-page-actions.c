/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-files-page-private.h"
#include "yp-folder-picker.h"
#include "yp-name-dialog.h"
#include "yp-properties-window.h"
#include "yp-upload-collect.h"

/*
 * What can be done to the folder shown and to the selection. Every change
 * is one asynchronous call; the folder is listed again once it is made,
 * and a failure is a toast that says what and why.
 */

static GtkWindow *
page_window (YpFilesPage *self)
{
  return GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self)));
}

/* The one node an action on a single item acts on, else NULL. */
static YpNode *
dup_single_selected (YpFilesPage *self)
{
  g_autoptr(GPtrArray) nodes = _yp_files_page_dup_selected (self);

  return nodes->len == 1 ? g_object_ref (g_ptr_array_index (nodes, 0)) : NULL;
}

void
_yp_files_page_update_actions (YpFilesPage *self)
{
  g_autoptr(GPtrArray) nodes = _yp_files_page_dup_selected (self);
  gboolean files_only = nodes->len > 0;
  gboolean in_folder = _yp_files_page_get_upload_folder (self) != NULL;
  GtkWidget *widget = GTK_WIDGET (self);

  for (guint i = 0; i < nodes->len; i++)
    files_only &= !yp_node_is_folder (g_ptr_array_index (nodes, i));

  gtk_widget_action_set_enabled (widget, "files.rename", nodes->len == 1);
  gtk_widget_action_set_enabled (widget, "files.properties", nodes->len == 1);
  gtk_widget_action_set_enabled (widget, "files.delete", nodes->len > 0);
  gtk_widget_action_set_enabled (widget, "files.move", nodes->len > 0);
  gtk_widget_action_set_enabled (widget, "files.download", files_only);
  gtk_widget_action_set_enabled (widget, "files.upload", in_folder);
  gtk_widget_action_set_enabled (widget, "files.new-folder", in_folder);
  gtk_widget_action_set_enabled (widget, "files.go-up",
                                 in_folder && g_strcmp0 (self->folder_path, "/") != 0);
}

/* What an action asked about needs when the answer comes: the page and
 * the nodes it was asked for. */
typedef struct
{
  YpFilesPage *page;
  GPtrArray   *nodes;
} Request;

static Request *
request_new (YpFilesPage *self)
{
  Request *request = g_new0 (Request, 1);

  request->page = g_object_ref (self);
  request->nodes = _yp_files_page_dup_selected (self);
  return request;
}

static void
request_free (Request *request)
{
  g_object_unref (request->page);
  g_ptr_array_unref (request->nodes);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Request, request_free)

/* -- new folder, rename, move ------------------------------------------ */

static void
mkdir_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(YpFilesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = yp_client_mkdir_finish (YP_CLIENT (source), result, &error);

  if (node == NULL)
    _yp_files_page_show_error (self, _("The folder could not be created"), error);
  else
    _yp_files_page_reload_soon (self);
}

static void
new_folder_named_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(YpFilesPage) self = user_data;
  g_autofree char *name = yp_name_dialog_ask_finish (result, NULL);
  g_autofree char *path = NULL;

  if (name == NULL || _yp_files_page_get_upload_folder (self) == NULL)
    return;
  path = g_build_path ("/", self->folder_path, name, NULL);
  yp_client_mkdir_async (self->client, YP_TARGET_PATH (path), FALSE, self->cancellable,
                         mkdir_done_cb, g_object_ref (self));
}

static void
new_folder_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  yp_name_dialog_ask_async (page_window (YP_FILES_PAGE (widget)), _("New Folder"),
                            _("New Folder"), _("C_reate"), new_folder_named_cb,
                            g_object_ref (widget));
}

static void
move_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(YpFilesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = yp_client_move_finish (YP_CLIENT (source), result, &error);

  if (node == NULL)
    _yp_files_page_show_error (self, _("The change could not be made"), error);
  _yp_files_page_reload_soon (self);
}

/* By version: what changed meanwhile elsewhere is not moved blindly. */
static void
move_node (YpFilesPage    *self,
           YpNode         *node,
           const YpTarget *to)
{
  yp_client_move_async (self->client, YP_TARGET_ID (yp_node_get_id (node)), to,
                        yp_node_get_version (node), self->cancellable, move_done_cb,
                        g_object_ref (self));
}

static void
rename_named_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autofree char *name = yp_name_dialog_ask_finish (result, NULL);
  YpNode *node = g_ptr_array_index (request->nodes, 0);

  if (name != NULL && g_strcmp0 (name, yp_node_get_name (node)) != 0)
    move_node (request->page, node, &(YpTarget) { .name = name });
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);
  Request *request = request_new (self);

  if (request->nodes->len != 1)
    {
      request_free (request);
      return;
    }
  yp_name_dialog_ask_async (page_window (self), _("Rename"),
                            yp_node_get_name (g_ptr_array_index (request->nodes, 0)),
                            _("_Rename"), rename_named_cb, request);
}

static void
move_chosen_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(Request) request = user_data;
  g_autoptr(YpNode) folder = yp_folder_picker_choose_finish (result, NULL);

  if (folder == NULL)
    return;
  for (guint i = 0; i < request->nodes->len; i++)
    {
      YpNode *node = g_ptr_array_index (request->nodes, i);

      if (yp_node_get_parent_id (node) != yp_node_get_id (folder))
        move_node (request->page, node, &(YpTarget) { .parent_id = yp_node_get_id (folder) });
    }
}

static void
move_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);
  Request *request = request_new (self);

  if (request->nodes->len == 0)
    {
      request_free (request);
      return;
    }
  yp_folder_picker_choose_async (page_window (self), self->client,
                                 self->category == NULL ? self->folder_path : "/",
                                 request->nodes, move_chosen_cb, request);
}

/* -- delete -------------------------------------------------------------- */

static void
delete_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(YpFilesPage) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!yp_client_delete_finish (YP_CLIENT (source), result, NULL, &error))
    _yp_files_page_show_error (self, _("It could not be deleted"), error);
  _yp_files_page_reload_soon (self);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  g_autoptr(Request) request = user_data;
  YpFilesPage *self = request->page;

  if (g_strcmp0 (response, "delete") != 0)
    return;
  for (guint i = 0; i < request->nodes->len; i++)
    {
      YpNode *node = g_ptr_array_index (request->nodes, i);

      yp_client_delete_async (self->client, YP_TARGET_ID (yp_node_get_id (node)),
                              yp_node_get_version (node), self->cancellable, delete_done_cb,
                              g_object_ref (self));
    }
}

static char *
delete_heading (GPtrArray *nodes)
{
  if (nodes->len == 1)
    /* Translators: the question before deleting one file or folder */
    return g_strdup_printf (_("Delete “%s”?"), yp_node_get_name (g_ptr_array_index (nodes, 0)));
  return g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Delete %u item?", "Delete %u items?",
                                       nodes->len),
                          nodes->len);
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);
  Request *request = request_new (self);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (request->nodes->len == 0)
    {
      request_free (request);
      return;
    }
  heading = delete_heading (request->nodes);
  dialog = adw_message_dialog_new (page_window (self), heading,
                                   _("It is deleted on the server and on every synced computer. "
                                     "A folder is deleted with everything in it."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "delete", _("_Delete"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "delete",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (delete_response_cb), request);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* -- transfers ----------------------------------------------------------- */

static void
upload_finished_cb (YpTransfer  *transfer,
                    YpFilesPage *self)
{
  g_autofree char *parent = g_path_get_dirname (yp_transfer_get_remote_path (transfer));

  if (yp_transfer_get_state (transfer) == YP_TRANSFER_DONE
      && g_strcmp0 (parent, _yp_files_page_get_upload_folder (self)) == 0)
    _yp_files_page_reload_soon (self);
}

static void
uploads_collected_cb (GObject      *source,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr(YpFilesPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) transfers = yp_upload_collect_finish (result, &error);

  if (transfers == NULL)
    {
      _yp_files_page_show_error (self, _("The files could not be uploaded"), error);
      return;
    }
  for (guint i = 0; i < transfers->len; i++)
    {
      YpTransfer *transfer = g_ptr_array_index (transfers, i);

      g_signal_connect_object (transfer, "finished", G_CALLBACK (upload_finished_cb), self, 0);
      yp_transfer_queue_add (self->transfers, transfer);
    }
  /* folders made on the way show at once */
  _yp_files_page_reload_soon (self);
}

void
_yp_files_page_upload_files (YpFilesPage *self,
                             GSList      *files)
{
  const char *folder = _yp_files_page_get_upload_folder (self);

  g_return_if_fail (folder != NULL);
  yp_upload_collect_async (self->client, files, folder, self->cancellable,
                           uploads_collected_cb, g_object_ref (self));
}

static void
upload_chosen_cb (GtkNativeDialog *chooser,
                  int              response,
                  YpFilesPage     *self)
{
  g_autoptr(GListModel) files = NULL;
  GSList *list = NULL;

  if (response == GTK_RESPONSE_ACCEPT && _yp_files_page_get_upload_folder (self) != NULL)
    {
      files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));
      for (guint i = g_list_model_get_n_items (files); i > 0; i--)
        list = g_slist_prepend (list, g_list_model_get_item (files, i - 1));
      _yp_files_page_upload_files (self, list);
      g_slist_free_full (list, g_object_unref);
    }
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
upload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);
  GtkFileChooserNative *chooser;

  if (_yp_files_page_get_upload_folder (self) == NULL)
    return;
  /* native: through the portal inside a sandbox */
  chooser = gtk_file_chooser_native_new (_("Upload Files"), page_window (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Upload"), NULL);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (upload_chosen_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
_yp_files_page_download_to (YpFilesPage *self,
                            GPtrArray   *nodes,
                            GFile       *folder)
{
  g_autofree char *folder_path = g_file_get_path (folder);

  for (guint i = 0; i < nodes->len; i++)
    {
      YpNode *node = g_ptr_array_index (nodes, i);
      g_autofree char *local = g_build_filename (folder_path, yp_node_get_name (node), NULL);
      /* never over a local file: that one may matter more */
      YpDownloadOptions options = {
        .expected_sha256 = yp_node_get_sha256 (node),
        .target = YP_DOWNLOAD_TARGET_ABSENT,
      };
      g_autoptr(YpTransfer) transfer =
        yp_transfer_new_download_full (yp_node_get_path (node), local, &options);

      yp_transfer_queue_add (self->transfers, transfer);
    }
}

static void
download_chosen_cb (GtkNativeDialog *chooser,
                    int              response,
                    Request         *request)
{
  g_autoptr(GFile) folder = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
      if (folder != NULL && g_file_get_path (folder) != NULL)
        _yp_files_page_download_to (request->page, request->nodes, folder);
    }
  g_object_unref (chooser);
  request_free (request);
}

static void
download_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);
  Request *request = request_new (self);
  GtkFileChooserNative *chooser;

  chooser = gtk_file_chooser_native_new (_("Download To"), page_window (self),
                                         GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Download"),
                                         NULL);
  g_signal_connect (chooser, "response", G_CALLBACK (download_chosen_cb), request);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* -- the view ------------------------------------------------------------ */

static void
properties_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);
  g_autoptr(YpNode) node = dup_single_selected (self);

  if (node != NULL)
    gtk_window_present (GTK_WINDOW (yp_properties_window_new (page_window (self), node)));
}

static void
go_up_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);
  g_autofree char *parent = NULL;

  if (_yp_files_page_get_upload_folder (self) == NULL || g_str_equal (self->folder_path, "/"))
    return;
  parent = g_path_get_dirname (self->folder_path);
  yp_files_page_open_path (self, parent);
}

static void
reload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  yp_folder_model_reload (YP_FILES_PAGE (widget)->model);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);

  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
view_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);

  g_settings_set_string (self->settings, "view-mode",
                         g_str_equal (action_name, "files.view-grid") ? "grid" : "list");
}

static GtkColumnViewColumn *
column_for_key (YpFilesPage *self,
                const char  *key)
{
  if (g_strcmp0 (key, "size") == 0)
    return self->size_column;
  if (g_strcmp0 (key, "modified") == 0)
    return self->modified_column;
  if (g_strcmp0 (key, "downloads") == 0)
    return self->downloads_column;
  return self->name_column;
}

/* Both views share the list's sort, so the menu sorts the list's columns. */
static void
sort_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  YpFilesPage *self = YP_FILES_PAGE (widget);

  if (g_str_equal (action_name, "files.sort"))
    {
      g_free (self->sort_key);
      self->sort_key = g_variant_dup_string (parameter, NULL);
    }
  else
    self->sort_descending = !self->sort_descending;
  gtk_column_view_sort_by_column (self->column_view, column_for_key (self, self->sort_key),
                                  self->sort_descending ? GTK_SORT_DESCENDING
                                                        : GTK_SORT_ASCENDING);
}

void
_yp_files_page_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "files.upload", NULL, upload_action);
  gtk_widget_class_install_action (widget_class, "files.new-folder", NULL, new_folder_action);
  gtk_widget_class_install_action (widget_class, "files.rename", NULL, rename_action);
  gtk_widget_class_install_action (widget_class, "files.move", NULL, move_action);
  gtk_widget_class_install_action (widget_class, "files.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "files.download", NULL, download_action);
  gtk_widget_class_install_action (widget_class, "files.properties", NULL, properties_action);
  gtk_widget_class_install_action (widget_class, "files.go-up", NULL, go_up_action);
  gtk_widget_class_install_action (widget_class, "files.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "files.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "files.view-list", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "files.view-grid", NULL, view_action);
  gtk_widget_class_install_action (widget_class, "files.sort", "s", sort_action);
  gtk_widget_class_install_action (widget_class, "files.sort-descending", NULL, sort_action);

  /* here, not as application accelerators: a text entry gets them first */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "files.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_KP_Delete, 0, "files.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "files.rename", NULL);
}
