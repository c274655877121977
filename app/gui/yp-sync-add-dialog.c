/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-sync-add-dialog.h"

struct _YpSyncAddDialog
{
  AdwWindow             parent_instance;

  /* template children */
  AdwActionRow         *local_row;
  AdwEntryRow          *remote_row;
  GtkLabel             *error_label;

  /* owned references */
  YpSyncManager        *manager;
  GFile                *folder;
  GtkFileChooserNative *chooser;

  /* state: the remote path last proposed, replaced while left as it is */
  char                 *proposed_remote;
};

G_DEFINE_FINAL_TYPE (YpSyncAddDialog, yp_sync_add_dialog, ADW_TYPE_WINDOW)

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
show_error (YpSyncAddDialog *self,
            const char      *message)
{
  gtk_label_set_text (self->error_label, message != NULL ? message : "");
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), message != NULL);
}

void
yp_sync_add_dialog_set_folder (YpSyncAddDialog *self,
                               GFile           *folder)
{
  const char *remote;
  g_autofree char *shown = NULL;
  g_autofree char *name = NULL;

  g_return_if_fail (YP_IS_SYNC_ADD_DIALOG (self));
  g_return_if_fail (G_IS_FILE (folder));

  g_set_object (&self->folder, folder);
  shown = g_file_get_parse_name (folder);
  adw_action_row_set_subtitle (self->local_row, shown);
  show_error (self, NULL);

  remote = gtk_editable_get_text (GTK_EDITABLE (self->remote_row));
  if (g_strcmp0 (remote, "/") != 0 && g_strcmp0 (remote, self->proposed_remote) != 0)
    return;
  name = g_file_get_basename (folder);
  g_free (self->proposed_remote);
  self->proposed_remote = g_strconcat ("/", name != NULL && strcmp (name, "/") != 0 ? name : "",
                                       NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->remote_row), self->proposed_remote);
}

static void
chooser_response_cb (GtkNativeDialog *chooser,
                     int              response,
                     YpSyncAddDialog *self)
{
  g_autoptr(GFile) folder = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    folder = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (folder != NULL)
    yp_sync_add_dialog_set_folder (self, folder);
  g_clear_object (&self->chooser);
}

static void
choose_activated (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  YpSyncAddDialog *self = YP_SYNC_ADD_DIALOG (widget);

  if (self->chooser != NULL)
    return;
  self->chooser = gtk_file_chooser_native_new (_("Choose a Folder to Sync"), GTK_WINDOW (self),
                                               GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER,
                                               _("_Choose"), _("_Cancel"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (self->chooser), TRUE);
  g_signal_connect (self->chooser, "response", G_CALLBACK (chooser_response_cb), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (self->chooser));
}

/* The manager's checks need no disk or network; the engine creates the
 * folders in its own thread. */
static void
add_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  YpSyncAddDialog *self = YP_SYNC_ADD_DIALOG (widget);
  g_autofree char *local = self->folder != NULL ? g_file_get_path (self->folder) : NULL;
  const char *remote = gtk_editable_get_text (GTK_EDITABLE (self->remote_row));
  g_autoptr(GError) error = NULL;

  if (yp_sync_manager_add_pair (self->manager, local, remote, &error) == NULL)
    {
      show_error (self, error->message);
      return;
    }
  gtk_window_close (GTK_WINDOW (self));
}

static void
remote_activated_cb (YpSyncAddDialog *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "dialog.add", NULL);
}

static void
yp_sync_add_dialog_dispose (GObject *object)
{
  YpSyncAddDialog *self = YP_SYNC_ADD_DIALOG (object);

  if (self->chooser != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->chooser, self);
      gtk_native_dialog_destroy (GTK_NATIVE_DIALOG (self->chooser));
      g_clear_object (&self->chooser);
    }
  g_clear_object (&self->folder);
  g_clear_object (&self->manager);
  g_clear_pointer (&self->proposed_remote, g_free);

  G_OBJECT_CLASS (yp_sync_add_dialog_parent_class)->dispose (object);
}

static void
yp_sync_add_dialog_set_property (GObject      *object,
                                 guint         prop_id,
                                 const GValue *value,
                                 GParamSpec   *pspec)
{
  YpSyncAddDialog *self = YP_SYNC_ADD_DIALOG (object);

  switch (prop_id)
    {
    case PROP_MANAGER:
      self->manager = g_value_dup_object (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_add_dialog_class_init (YpSyncAddDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = yp_sync_add_dialog_dispose;
  object_class->set_property = yp_sync_add_dialog_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, YP_TYPE_SYNC_MANAGER,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-sync-add-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, YpSyncAddDialog, local_row);
  gtk_widget_class_bind_template_child (widget_class, YpSyncAddDialog, remote_row);
  gtk_widget_class_bind_template_child (widget_class, YpSyncAddDialog, error_label);
  gtk_widget_class_bind_template_callback (widget_class, remote_activated_cb);

  gtk_widget_class_install_action (widget_class, "dialog.choose", NULL, choose_activated);
  gtk_widget_class_install_action (widget_class, "dialog.add", NULL, add_activated);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
yp_sync_add_dialog_init (YpSyncAddDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
yp_sync_add_dialog_new (YpSyncManager *manager,
                        GtkWindow     *parent)
{
  g_return_val_if_fail (YP_IS_SYNC_MANAGER (manager), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (YP_TYPE_SYNC_ADD_DIALOG, "manager", manager, "transient-for", parent,
                       NULL);
}
