/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-files-page.h"

struct _YpFilesPage
{
  AdwBin               parent_instance;

  /* template children */
  GtkStack            *stack;
  GtkColumnView       *column_view;
  GtkColumnViewColumn *name_column;
  GtkColumnViewColumn *size_column;
  GtkColumnViewColumn *modified_column;
  AdwStatusPage       *error_page;

  /* owned references */
  YpClient            *client;
  YpFolderModel       *model;
};

G_DEFINE_FINAL_TYPE (YpFilesPage, yp_files_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* Which of loading, list, empty and error the model's state calls for. */
static void
update_view (YpFilesPage *self)
{
  const GError *error = yp_folder_model_get_error (self->model);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->model));
  const char *page;

  if (n_items > 0)
    page = "list";
  else if (error != NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      page = "error";
    }
  else if (yp_folder_model_get_loading (self->model))
    page = "loading";
  else
    page = "empty";

  gtk_stack_set_visible_child_name (self->stack, page);
}

static void
retry_clicked_cb (YpFilesPage *self)
{
  yp_folder_model_reload (self->model);
}

/* Each cell is a label; the columns differ in what they show and where. */
static void
setup_label_cb (GtkSignalListItemFactory *factory,
                GtkListItem              *item,
                gpointer                  user_data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), GPOINTER_TO_INT (user_data) ? 1.0 : 0.0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_list_item_set_child (item, label);
}

static void
bind_name_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  YpNode *node = gtk_list_item_get_item (item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), yp_node_get_name (node));
}

static void
bind_size_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              gpointer                  user_data)
{
  YpNode *node = gtk_list_item_get_item (item);
  g_autofree char *text = NULL;

  if (!yp_node_is_folder (node))
    text = g_format_size (yp_node_get_size (node));
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text != NULL ? text : "");
}

static void
bind_modified_cb (GtkSignalListItemFactory *factory,
                  GtkListItem              *item,
                  gpointer                  user_data)
{
  YpNode *node = gtk_list_item_get_item (item);
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (yp_node_get_modified (node));
  g_autofree char *text = NULL;

  if (time != NULL)
    /* Translators: a file's modification date and time, see strftime(3) */
    text = g_date_time_format (time, _("%x %X"));
  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (item)), text != NULL ? text : "");
}

static void
set_factory (GtkColumnViewColumn *column,
             GCallback            bind,
             gboolean             end_aligned)
{
  g_autoptr(GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (setup_label_cb),
                    GINT_TO_POINTER (end_aligned));
  g_signal_connect (factory, "bind", bind, NULL);
  gtk_column_view_column_set_factory (column, factory);
}

static void
yp_files_page_constructed (GObject *object)
{
  YpFilesPage *self = YP_FILES_PAGE (object);
  g_autoptr(GtkSelectionModel) selection = NULL;

  G_OBJECT_CLASS (yp_files_page_parent_class)->constructed (object);

  g_assert (self->client != NULL);
  self->model = yp_folder_model_new (self->client, YP_TARGET_PATH ("/"), NULL, 0);
  g_signal_connect_object (self->model, "items-changed", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::loading", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->model, "notify::error", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);

  selection = GTK_SELECTION_MODEL (gtk_single_selection_new (
    G_LIST_MODEL (g_object_ref (self->model))));
  gtk_single_selection_set_autoselect (GTK_SINGLE_SELECTION (selection), FALSE);
  gtk_single_selection_set_can_unselect (GTK_SINGLE_SELECTION (selection), TRUE);
  gtk_column_view_set_model (self->column_view, selection);

  update_view (self);
}

static void
yp_files_page_dispose (GObject *object)
{
  YpFilesPage *self = YP_FILES_PAGE (object);

  g_clear_object (&self->model);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (yp_files_page_parent_class)->dispose (object);
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
  object_class->set_property = yp_files_page_set_property;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, YP_TYPE_CLIENT,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-files-page.ui");
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, stack);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, name_column);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, size_column);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, modified_column);
  gtk_widget_class_bind_template_child (widget_class, YpFilesPage, error_page);
  gtk_widget_class_bind_template_callback (widget_class, retry_clicked_cb);
}

static void
yp_files_page_init (YpFilesPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  set_factory (self->name_column, G_CALLBACK (bind_name_cb), FALSE);
  set_factory (self->size_column, G_CALLBACK (bind_size_cb), TRUE);
  set_factory (self->modified_column, G_CALLBACK (bind_modified_cb), FALSE);
}

GtkWidget *
yp_files_page_new (YpClient *client)
{
  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);

  return g_object_new (YP_TYPE_FILES_PAGE, "client", client, NULL);
}

YpFolderModel *
yp_files_page_get_model (YpFilesPage *self)
{
  g_return_val_if_fail (YP_IS_FILES_PAGE (self), NULL);

  return self->model;
}
