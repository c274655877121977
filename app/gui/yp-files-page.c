/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-client-error.h"
#include "yp-files-page-private.h"
#include "yp-node-display.h"

/*
 * The model chain: the folder, paged in from the server, then the search
 * filter, then the sort the views ask for, then the selection both views
 * share. Only the folder model changes when another folder is shown.
 */

G_DEFINE_FINAL_TYPE (YpFilesPage, yp_files_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_TRANSFERS,
  PROP_TITLE,
  PROP_SEARCH_MODE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

#define RELOAD_DELAY_MS 300

static const struct
{
  const char *category;
  const char *title;
  const char *empty_title;
  const char *icon_name;
} categories[] = {
  { "document", N_("Documents"), N_("No Documents"), "x-office-document-symbolic" },
  { "image", N_("Pictures"), N_("No Pictures"), "image-x-generic-symbolic" },
  { "video", N_("Videos"), N_("No Videos"), "video-x-generic-symbolic" },
  { "audio", N_("Music"), N_("No Music"), "audio-x-generic-symbolic" },
  { "archive", N_("Archives"), N_("No Archives"), "package-x-generic-symbolic" },
  { "other", N_("Other"), N_("No Other Files"), "text-x-generic-symbolic" },
};

static int
category_index (const char *category)
{
  for (guint i = 0; category != NULL && i < G_N_ELEMENTS (categories); i++)
    if (g_strcmp0 (categories[i].category, category) == 0)
      return i;
  return -1;
}

const char *
yp_files_page_get_title (YpFilesPage *self)
{
  int index;

  g_return_val_if_fail (YP_IS_FILES_PAGE (self), NULL);

  index = category_index (self->category);
  if (index >= 0)
    return _(categories[index].title);
  if (self->folder_path == NULL || g_str_equal (self->folder_path, "/"))
    return _("My Files");
  return strrchr (self->folder_path, '/') + 1;
}

void
_yp_files_page_show_toast (YpFilesPage *self,
                           const char  *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);
  AdwToast *toast = adw_toast_new (message);

  g_debug ("%s", message);
  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), toast);
  else
    g_object_unref (g_object_ref_sink (toast));
}

void
_yp_files_page_show_error (YpFilesPage  *self,
                           const char   *what,
                           const GError *error)
{
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* Translators: what failed, then why */
  message = g_strdup_printf (_("%s: %s"), what, error->message);
  _yp_files_page_show_toast (self, message);
}

/* -- the view's state -------------------------------------------------- */

static gboolean
showing_grid (YpFilesPage *self)
{
  g_autofree char *mode = g_settings_get_string (self->settings, "view-mode");

  return g_str_equal (mode, "grid");
}

static void
update_status (YpFilesPage *self)
{
  guint loaded = yp_folder_model_get_n_loaded (self->model);
  guint total = yp_folder_model_get_total (self->model);
  gboolean loading = yp_folder_model_get_loading (self->model) && loaded > 0;
  g_autofree char *text = NULL;

  if (loading)
    /* Translators: while a big folder loads: entries in so far, of all */
    text = g_strdup_printf (_("Loading… %u of %u"), loaded, MAX (loaded, total));
  gtk_label_set_text (self->status_label, text != NULL ? text : "");
  gtk_revealer_set_reveal_child (self->status_revealer, loading);
}

static void
show_error (YpFilesPage  *self,
            const GError *error)
{
  gboolean offline = g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NETWORK)
                     || g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_RESOLVE);

  adw_status_page_set_icon_name (self->error_page, offline ? "network-offline-symbolic"
                                                           : "dialog-warning-symbolic");
  adw_status_page_set_title (self->error_page, offline ? _("Offline") : _("Files Unavailable"));
  adw_status_page_set_description (self->error_page, error->message);
}

/* Which of loading, the view, empty, no results and error the models'
 * state calls for. */
static void
update_view (YpFilesPage *self)
{
  const GError *error = yp_folder_model_get_error (self->model);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  guint n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->sorted));
  const char *page;

  if (n_shown > 0)
    page = showing_grid (self) ? "grid" : "list";
  else if (error != NULL)
    {
      show_error (self, error);
      page = "error";
    }
  else if (yp_folder_model_get_loading (self->model))
    page = "loading";
  else if (n_items > 0)
    page = "no-results";
  else
    page = "empty";

  gtk_stack_set_visible_child_name (self->stack, page);
  update_status (self);
}

static void
update_empty_page (YpFilesPage *self)
{
  int index = category_index (self->category);

  if (index >= 0)
    {
      adw_status_page_set_icon_name (self->empty_page, categories[index].icon_name);
      adw_status_page_set_title (self->empty_page, _(categories[index].empty_title));
      adw_status_page_set_description (self->empty_page,
                                       _("Files of this kind appear here, from every folder."));
    }
  else
    {
      adw_status_page_set_icon_name (self->empty_page, "folder-symbolic");
      adw_status_page_set_title (self->empty_page, _("Folder Is Empty"));
      adw_status_page_set_description (self->empty_page,
                                       _("Drop files here, or upload them with the + button."));
    }
}

/* -- breadcrumbs --------------------------------------------------------- */

static void
crumb_clicked_cb (GtkButton   *button,
                  YpFilesPage *self)
{
  yp_files_page_open_path (self, g_object_get_data (G_OBJECT (button), "yp-path"));
}

static void
add_crumb (YpFilesPage *self,
           const char  *label,
           const char  *path,
           gboolean     current)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_add_css_class (button, "flat");
  if (current)
    gtk_widget_add_css_class (button, "heading");
  g_object_set_data_full (G_OBJECT (button), "yp-path", g_strdup (path), g_free);
  g_signal_connect (button, "clicked", G_CALLBACK (crumb_clicked_cb), self);
  if (gtk_widget_get_first_child (GTK_WIDGET (self->crumbs)) != NULL)
    {
      GtkWidget *separator = gtk_label_new ("/");

      gtk_widget_add_css_class (separator, "dim-label");
      gtk_box_append (self->crumbs, separator);
    }
  gtk_box_append (self->crumbs, button);
}

static void
update_crumbs (YpFilesPage *self)
{
  GtkWidget *child;
  g_auto(GStrv) parts = NULL;
  g_autoptr(GString) path = g_string_new (NULL);

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->crumbs))) != NULL)
    gtk_box_remove (self->crumbs, child);
  gtk_widget_set_visible (self->crumbs_bar, self->category == NULL);
  if (self->category != NULL || self->folder_path == NULL)
    return;

  add_crumb (self, _("My Files"), "/", g_str_equal (self->folder_path, "/"));
  parts = g_strsplit (self->folder_path + 1, "/", -1);
  for (guint i = 0; parts[i] != NULL && *parts[i] != '\0'; i++)
    {
      g_string_append_printf (path, "/%s", parts[i]);
      add_crumb (self, parts[i], path->str, parts[i + 1] == NULL);
    }
}

/* -- navigation ---------------------------------------------------------- */

static void
folder_changed_cb (YpFilesPage *self)
{
  YpNode *folder = yp_folder_model_get_folder (self->model);

  /* the path as the server knows it now, renames included */
  if (folder == NULL || self->category != NULL
      || g_strcmp0 (yp_node_get_path (folder), self->folder_path) == 0)
    return;
  g_free (self->folder_path);
  self->folder_path = g_strdup (yp_node_get_path (folder));
  self->folder_id = yp_node_get_id (folder);
  update_crumbs (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

static void
set_model (YpFilesPage   *self,
           YpFolderModel *model)
{
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_set_object (&self->model, model);

  g_signal_connect_object (model, "items-changed", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (model, "notify::loading", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (model, "notify::error", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (model, "notify::folder", G_CALLBACK (folder_changed_cb), self,
                           G_CONNECT_SWAPPED);
  gtk_filter_list_model_set_model (self->filtered, G_LIST_MODEL (model));
  gtk_selection_model_unselect_all (GTK_SELECTION_MODEL (self->selection));
  update_empty_page (self);
  update_view (self);
  _yp_files_page_update_actions (self);
}

static void
load (YpFilesPage *self)
{
  g_autoptr(YpFolderModel) model = NULL;

  if (self->category != NULL)
    {
      YpListOptions options = { .category = self->category, .recursive = TRUE };

      model = yp_folder_model_new (self->client, YP_TARGET_PATH ("/"), &options, 0);
    }
  else if (self->folder_id > 0)
    model = yp_folder_model_new (self->client, YP_TARGET_ID (self->folder_id), NULL, 0);
  else
    model = yp_folder_model_new (self->client, YP_TARGET_PATH (self->folder_path), NULL, 0);
  set_model (self, model);
}

void
_yp_files_page_navigate (YpFilesPage *self,
                         gint64       folder_id,
                         const char  *folder_path)
{
  g_clear_pointer (&self->category, g_free);
  self->folder_id = folder_id;
  g_free (self->folder_path);
  self->folder_path = g_strdup (folder_path);
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  load (self);
  update_crumbs (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

void
yp_files_page_open_path (YpFilesPage *self,
                         const char  *path)
{
  g_return_if_fail (YP_IS_FILES_PAGE (self));
  g_return_if_fail (path != NULL && path[0] == '/');

  _yp_files_page_navigate (self, 0, path);
}

void
yp_files_page_set_category (YpFilesPage *self,
                            const char  *category)
{
  g_return_if_fail (YP_IS_FILES_PAGE (self));

  if (g_strcmp0 (category, self->category) == 0 && self->model != NULL)
    return;
  if (category == NULL)
    {
      /* back to the tree where it was left */
      g_clear_pointer (&self->category, g_free);
      load (self);
    }
  else
    {
      g_free (self->category);
      self->category = g_strdup (category);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
      load (self);
    }
  update_crumbs (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TITLE]);
}

const char *
yp_files_page_get_path (YpFilesPage *self)
{
  g_return_val_if_fail (YP_IS_FILES_PAGE (self), NULL);

  return self->folder_path;
}

const char *
_yp_files_page_get_upload_folder (YpFilesPage *self)
{
  return self->category == NULL ? self->folder_path : NULL;
}

static gboolean
reload_cb (gpointer user_data)
{
  YpFilesPage *self = user_data;

  self->reload_source = 0;
  yp_folder_model_reload (self->model);
  return G_SOURCE_REMOVE;
}

void
_yp_files_page_reload_soon (YpFilesPage *self)
{
  if (self->reload_source == 0)
    self->reload_source = g_timeout_add (RELOAD_DELAY_MS, reload_cb, self);
}

static void
item_activated_cb (YpFilesPage *self,
                   guint        position)
{
  g_autoptr(YpNode) node = g_list_model_get_item (G_LIST_MODEL (self->sorted), position);

  if (node == NULL)
    return;
  if (yp_node_is_folder (node))
    _yp_files_page_navigate (self, yp_node_get_id (node), yp_node_get_path (node));
  else
    gtk_widget_activate_action (GTK_WIDGET (self), "files.properties", NULL);
}

GPtrArray *
_yp_files_page_dup_selected (YpFilesPage *self)
{
  g_autoptr(GtkBitset) selected = gtk_selection_model_get_selection (
    GTK_SELECTION_MODEL (self->selection));
  GPtrArray *nodes = g_ptr_array_new_with_free_func (g_object_unref);
  GtkBitsetIter iter;
  guint position;

  if (gtk_bitset_iter_init_first (&iter, selected, &position))
    do
      g_ptr_array_add (nodes, g_list_model_get_item (G_LIST_MODEL (self->sorted), position));
    while (gtk_bitset_iter_next (&iter, &position));
  return nodes;
}

/* -- search ---------------------------------------------------------------- */

static void
search_changed_cb (YpFilesPage *self)
{
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));

  gtk_string_filter_set_search (self->search_filter, *text != '\0' ? text : NULL);
}

static void
stop_search_cb (YpFilesPage *self)
{
  gtk_search_bar_set_search_mode (self->search_bar, FALSE);
}

static void
search_mode_cb (YpFilesPage *self)
{
  if (!gtk_search_bar_get_search_mode (self->search_bar))
    gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SEARCH_MODE]);
}

/* -- set-up -------------------------------------------------------------- */

/* Folders before files, whichever column sorts and in which direction. */
static int
folders_first (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return (int) yp_node_is_folder ((YpNode *) b) - (int) yp_node_is_folder ((YpNode *) a);
}

static void
make_models (YpFilesPage *self)
{
  GtkExpression *name = gtk_property_expression_new (YP_TYPE_NODE, NULL, "name");
  GtkMultiSorter *sorter = gtk_multi_sorter_new ();

  self->search_filter = gtk_string_filter_new (name);
  gtk_string_filter_set_match_mode (self->search_filter, GTK_STRING_FILTER_MATCH_MODE_SUBSTRING);
  gtk_string_filter_set_ignore_case (self->search_filter, TRUE);
  self->filtered = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->search_filter)));
  gtk_filter_list_model_set_incremental (self->filtered, TRUE);

  gtk_multi_sorter_append (sorter, GTK_SORTER (gtk_custom_sorter_new (folders_first, NULL, NULL)));
  gtk_multi_sorter_append (sorter, g_object_ref (gtk_column_view_get_sorter (self->column_view)));
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->filtered)),
                                          GTK_SORTER (sorter));
  gtk_sort_list_model_set_incremental (self->sorted, TRUE);
  g_signal_connect_object (self->sorted, "items-changed", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);

  self->selection = gtk_multi_selection_new (G_LIST_MODEL (g_object_ref (self->sorted)));
  g_signal_connect_object (self->selection, "selection-changed",
                           G_CALLBACK (_yp_files_page_update_actions), self, G_CONNECT_SWAPPED);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));
  gtk_grid_view_set_model (self->grid_view, GTK_SELECTION_MODEL (self->selection));
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         YpFilesPage   *self)
{
  GSList *files = g_value_get_boxed (value);

  if (_yp_files_page_get_upload_folder (self) == NULL)
    {
      _yp_files_page_show_toast (self, _("Open a folder to upload into it"));
      return FALSE;
    }
  _yp_files_page_upload_files (self, files);
  return TRUE;
}

static void
add_drop_target (YpFilesPage *self)
{
  GtkDropTarget *target = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  g_signal_connect (target, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self->stack), GTK_EVENT_CONTROLLER (target));
}

static void
view_mode_changed_cb (YpFilesPage *self)
{
  update_view (self);
}

static void
yp_files_page_constructed (GObject *object)
{
  YpFilesPage *self = YP_FILES_PAGE (object);

  G_OBJECT_CLASS (yp_files_page_parent_class)->constructed (object);

  g_assert (self->client != NULL && self->transfers != NULL);
  make_models (self);
  g_signal_connect_object (self->settings, "changed::view-mode",
                           G_CALLBACK (view_mode_changed_cb), self, G_CONNECT_SWAPPED);
  gtk_column_view_sort_by_column (self->column_view, self->name_column, GTK_SORT_ASCENDING);
  _yp_files_page_navigate (self, 0, "/");
}

static void
yp_files_page_dispose (GObject *object)
{
  YpFilesPage *self = YP_FILES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_source, g_source_remove);
  g_clear_pointer (&self->item_popover, gtk_widget_unparent);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  gtk_column_view_set_model (self->column_view, NULL);
  gtk_grid_view_set_model (self->grid_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->filtered);
  g_clear_object (&self->search_filter);
  g_clear_object (&self->model);
  g_clear_object (&self->transfers);
  g_clear_object (&self->client);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (yp_files_page_parent_class)->dispose (object);
}

static void
yp_files_page_finalize (GObject *object)
{
  YpFilesPage *self = YP_FILES_PAGE (object);

  g_free (self->category);
  g_free (self->folder_path);
  g_free (self->sort_key);

  G_OBJECT_CLASS (yp_files_page_parent_class)->finalize (object);
}

static void
yp_files_page_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  YpFilesPage *self = YP_FILES_PAGE (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, yp_files_page_get_title (self));
      break;

    case PROP_SEARCH_MODE:
      g_value_set_boolean (value, gtk_search_bar_get_search_mode (self->search_bar));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_files_page_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  YpFilesPage *self = YP_FILES_PAGE (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;

    case PROP_TRANSFERS:
      self->transfers = g_value_dup_object (value);
      break;

    case PROP_SEARCH_MODE:
      gtk_search_bar_set_search_mode (self->search_bar, g_value_get_boolean (value));
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_files_page_class_init (YpFilesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = yp_files_page_constructed;
  object_class->dispose = yp_files_page_dispose;
  object_class->finalize = yp_files_page_finalize;
  object_class->get_property = yp_files_page_get_property;
  object_class->set_property = yp_files_page_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, YP_TYPE_CLIENT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TRANSFERS] =
    g_param_spec_object ("transfers", NULL, NULL, YP_TYPE_TRANSFER_QUEUE,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_SEARCH_MODE] =
    g_param_spec_boolean ("search-mode", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-files-page.ui");
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, search_bar);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, crumbs_bar);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, crumbs);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, name_column);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, size_column);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, modified_column);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, downloads_column);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, grid_view);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, error_page);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, status_revealer);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, status_label);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, item_menu);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, stop_search_cb);
  gtk_widget_class_bind_template_callback (widget_class, item_activated_cb);

  _yp_files_page_class_init_actions (widget_class);
}

static void
yp_files_page_init (YpFilesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  self->cancellable = g_cancellable_new ();
  self->item_popover = gtk_popover_menu_new_from_model (self->item_menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->item_popover), FALSE);
  gtk_widget_set_halign (self->item_popover, GTK_ALIGN_START);
  gtk_widget_set_parent (self->item_popover, GTK_WIDGET (self));
  g_signal_connect_object (self->search_bar, "notify::search-mode-enabled",
                           G_CALLBACK (search_mode_cb), self, G_CONNECT_SWAPPED);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));
  _yp_files_page_setup_cells (self);
  add_drop_target (self);
}

GtkWidget *
yp_files_page_new (YpClient        *client,
                   YpTransferQueue *transfers)
{
  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (transfers), NULL);

  return g_object_new (YP_TYPE_FILES_PAGE, "client", client, "transfers", transfers, NULL);
}

YpFolderModel *
yp_files_page_get_model (YpFilesPage *self)
{
  g_return_val_if_fail (YP_IS_FILES_PAGE (self), NULL);

  return self->model;
}

GListModel *
yp_files_page_get_view_model (YpFilesPage *self)
{
  g_return_val_if_fail (YP_IS_FILES_PAGE (self), NULL);

  return G_LIST_MODEL (self->sorted);
}
