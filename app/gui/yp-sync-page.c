/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-sync-add-dialog.h"
#include "yp-sync-page.h"
#include "yp-sync-row.h"

struct _YpSyncPage
{
  AdwBin           parent_instance;

  /* template children */
  AdwToastOverlay *toast_overlay;
  GtkStack        *stack;
  GtkListBox      *list_box;

  /* owned references */
  YpSyncManager   *manager;
};

G_DEFINE_FINAL_TYPE (YpSyncPage, yp_sync_page, ADW_TYPE_BIN)

enum {
  PROP_0,
  PROP_MANAGER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
update_view (YpSyncPage *self)
{
  gboolean signed_in = yp_sync_manager_get_signed_in (self->manager);
  const char *page;

  if (!signed_in)
    page = "signed-out";
  else if (yp_sync_manager_has_pairs (self->manager))
    page = "list";
  else
    page = "empty";
  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "sync.add", signed_in);
}

static void
launch_failed_cb (YpSyncPage *self,
                  const char *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay,
                               adw_toast_new (_("The folder or file could not be opened")));
}

static GtkWidget *
create_row_cb (gpointer item,
               gpointer user_data)
{
  YpSyncPage *self = user_data;
  GtkWidget *row = yp_sync_row_new (self->manager, item);

  g_signal_connect_object (row, "launch-failed", G_CALLBACK (launch_failed_cb), self,
                           G_CONNECT_SWAPPED);
  return row;
}

static void
add_activated (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  YpSyncPage *self = YP_SYNC_PAGE (widget);
  GtkRoot *root = gtk_widget_get_root (widget);
  GtkWidget *dialog;

  dialog = yp_sync_add_dialog_new (self->manager, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
yp_sync_page_constructed (GObject *object)
{
  YpSyncPage *self = YP_SYNC_PAGE (object);

  G_OBJECT_CLASS (yp_sync_page_parent_class)->constructed (object);

  g_assert (self->manager != NULL);
  gtk_list_box_bind_model (self->list_box, yp_sync_manager_get_pairs (self->manager),
                           create_row_cb, self, NULL);
  g_signal_connect_object (self->manager, "notify::has-pairs", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->manager, "notify::signed-in", G_CALLBACK (update_view), self,
                           G_CONNECT_SWAPPED);
  update_view (self);
}

static void
yp_sync_page_dispose (GObject *object)
{
  YpSyncPage *self = YP_SYNC_PAGE (object);

  /* the model outlives the page */
  if (self->list_box != NULL)
    gtk_list_box_bind_model (self->list_box, NULL, NULL, NULL, NULL);
  g_clear_object (&self->manager);

  G_OBJECT_CLASS (yp_sync_page_parent_class)->dispose (object);
}

static void
yp_sync_page_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  YpSyncPage *self = YP_SYNC_PAGE (object);

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
yp_sync_page_class_init (YpSyncPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = yp_sync_page_constructed;
  object_class->dispose = yp_sync_page_dispose;
  object_class->set_property = yp_sync_page_set_property;

  properties[PROP_MANAGER] =
    g_param_spec_object ("manager", NULL, NULL, YP_TYPE_SYNC_MANAGER,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-sync-page.ui");
  gtk_widget_class_bind_template_child (widget_class, YpSyncPage, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, YpSyncPage, stack);
  gtk_widget_class_bind_template_child (widget_class, YpSyncPage, list_box);

  gtk_widget_class_install_action (widget_class, "sync.add", NULL, add_activated);
}

static void
yp_sync_page_init (YpSyncPage *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
yp_sync_page_new (YpSyncManager *manager)
{
  g_return_val_if_fail (YP_IS_SYNC_MANAGER (manager), NULL);

  return g_object_new (YP_TYPE_SYNC_PAGE, "manager", manager, NULL);
}

YpSyncManager *
yp_sync_page_get_manager (YpSyncPage *self)
{
  g_return_val_if_fail (YP_IS_SYNC_PAGE (self), NULL);

  return self->manager;
}
