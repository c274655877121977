/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-folder-model.h"
#include "yp-folder-picker.h"

struct _YpFolderPicker
{
  AdwWindow           parent_instance;

  /* template children */
  GtkWidget          *up_button;
  AdwWindowTitle     *title;
  GtkWidget          *accept_button;
  GtkStack           *stack;
  GtkListView        *list_view;

  /* owned references */
  YpClient           *client;
  YpFolderModel      *model;
  GtkFilterListModel *folders;
  GHashTable         *moving_ids;
  GTask              *task;
};

G_DEFINE_FINAL_TYPE (YpFolderPicker, yp_folder_picker, ADW_TYPE_WINDOW)

static gboolean
is_enterable (gpointer item,
              gpointer user_data)
{
  YpFolderPicker *self = user_data;
  gint64 id = yp_node_get_id (item);

  return yp_node_is_folder (item) && !g_hash_table_contains (self->moving_ids, &id);
}

static void
update_state (YpFolderPicker *self)
{
  YpNode *folder = yp_folder_model_get_folder (self->model);
  guint n_folders = g_list_model_get_n_items (G_LIST_MODEL (self->folders));
  gboolean loading = yp_folder_model_get_loading (self->model);

  adw_window_title_set_subtitle (self->title, folder != NULL ? yp_node_get_path (folder) : NULL);
  gtk_widget_set_sensitive (self->accept_button, folder != NULL);
  gtk_widget_set_sensitive (self->up_button,
                            folder != NULL && g_strcmp0 (yp_node_get_path (folder), "/") != 0);
  gtk_stack_set_visible_child_name (self->stack, n_folders > 0 || loading ? "list" : "empty");
}

void
yp_folder_picker_open_path (YpFolderPicker *self,
                            const char     *path)
{
  g_autoptr(YpFolderModel) model = NULL;

  g_return_if_fail (YP_IS_FOLDER_PICKER (self));

  model = yp_folder_model_new (self->client, YP_TARGET_PATH (path), NULL, 0);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_set_object (&self->model, model);
  g_signal_connect_object (model, "notify::folder", G_CALLBACK (update_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (model, "notify::loading", G_CALLBACK (update_state), self,
                           G_CONNECT_SWAPPED);
  gtk_filter_list_model_set_model (self->folders, G_LIST_MODEL (model));
  update_state (self);
}

YpNode *
yp_folder_picker_get_folder (YpFolderPicker *self)
{
  g_return_val_if_fail (YP_IS_FOLDER_PICKER (self), NULL);

  return yp_folder_model_get_folder (self->model);
}

static void
folder_activated_cb (YpFolderPicker *self,
                     guint           position)
{
  g_autoptr(YpNode) node = g_list_model_get_item (G_LIST_MODEL (self->folders), position);

  if (node != NULL)
    yp_folder_picker_open_path (self, yp_node_get_path (node));
}

static void
up_clicked_cb (YpFolderPicker *self)
{
  YpNode *folder = yp_folder_model_get_folder (self->model);
  g_autofree char *parent = NULL;

  if (folder == NULL)
    return;
  parent = g_path_get_dirname (yp_node_get_path (folder));
  yp_folder_picker_open_path (self, parent);
}

static void
accept_clicked_cb (YpFolderPicker *self)
{
  YpNode *folder = yp_folder_model_get_folder (self->model);
  g_autoptr(GTask) task = g_steal_pointer (&self->task);

  if (folder == NULL || task == NULL)
    return;
  g_task_return_pointer (task, g_object_ref (folder), g_object_unref);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (NULL);

  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name ("folder-symbolic"));
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_box_append (GTK_BOX (box), label);
  gtk_list_item_set_child (item, box);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item)
{
  GtkWidget *label = gtk_widget_get_last_child (gtk_list_item_get_child (item));

  gtk_label_set_text (GTK_LABEL (label), yp_node_get_name (gtk_list_item_get_item (item)));
}

static void
yp_folder_picker_dispose (GObject *object)
{
  YpFolderPicker *self = YP_FOLDER_PICKER (object);

  if (self->task != NULL)
    g_task_return_new_error (g_steal_pointer (&self->task), G_IO_ERROR, G_IO_ERROR_CANCELLED,
                             "%s", _("No folder was chosen"));
  g_clear_object (&self->task);
  if (self->model != NULL)
    g_signal_handlers_disconnect_by_data (self->model, self);
  g_clear_object (&self->model);
  g_clear_object (&self->folders);
  g_clear_object (&self->client);
  g_clear_pointer (&self->moving_ids, g_hash_table_unref);

  G_OBJECT_CLASS (yp_folder_picker_parent_class)->dispose (object);
}

static void
yp_folder_picker_class_init (YpFolderPickerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = yp_folder_picker_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-folder-picker.ui");
  gtk_widget_class_bind_template_child (widget_class, YpFolderPicker, up_button);
  gtk_widget_class_bind_template_child (widget_class, YpFolderPicker, title);
  gtk_widget_class_bind_template_child (widget_class, YpFolderPicker, accept_button);
  gtk_widget_class_bind_template_child (widget_class, YpFolderPicker, stack);
  gtk_widget_class_bind_template_child (widget_class, YpFolderPicker, list_view);
  gtk_widget_class_bind_template_callback (widget_class, folder_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, up_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, accept_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
yp_folder_picker_init (YpFolderPicker *self)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkCustomFilter *filter;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->moving_ids = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  filter = gtk_custom_filter_new (is_enterable, self, NULL);
  self->folders = gtk_filter_list_model_new (NULL, GTK_FILTER (filter));
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (gtk_no_selection_new (
                             G_LIST_MODEL (g_object_ref (self->folders)))));
  g_signal_connect_object (self->folders, "items-changed", G_CALLBACK (update_state), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), NULL);
  gtk_list_view_set_factory (self->list_view, factory);
}

void
yp_folder_picker_choose_async (GtkWindow           *parent,
                               YpClient            *client,
                               const char          *start_path,
                               GPtrArray           *moving,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  YpFolderPicker *self;

  g_return_if_fail (YP_IS_CLIENT (client));

  self = g_object_new (YP_TYPE_FOLDER_PICKER, "transient-for", parent, NULL);
  self->client = g_object_ref (client);
  self->task = g_task_new (NULL, NULL, callback, user_data);
  g_task_set_source_tag (self->task, yp_folder_picker_choose_async);
  for (guint i = 0; moving != NULL && i < moving->len; i++)
    g_hash_table_add (self->moving_ids,
                      g_memdup2 (&(gint64) { yp_node_get_id (g_ptr_array_index (moving, i)) },
                                 sizeof (gint64)));
  yp_folder_picker_open_path (self, start_path != NULL ? start_path : "/");
  gtk_window_present (GTK_WINDOW (self));
}

YpNode *
yp_folder_picker_choose_finish (GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
