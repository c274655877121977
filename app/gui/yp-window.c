/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-application.h"
#include "yp-files-page.h"
#include "yp-sign-in-page.h"
#include "yp-sync-page.h"
#include "yp-transfers-page.h"
#include "yp-window.h"

struct _YpWindow
{
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *stack;
  AdwBin               *sign_in_bin;
  AdwLeaflet           *leaflet;
  GtkListBox           *sidebar;
  GtkWidget            *content;
  GtkStack             *content_stack;
  AdwWindowTitle       *window_title;
  GtkWidget            *add_button;
  GtkWidget            *view_button;
  GtkWidget            *search_button;

  /* owned references */
  YpSession            *session;
  GSettings            *settings;
  YpTransferQueue      *transfers;
  YpSyncManager        *sync_manager;
  GBinding             *search_binding;

  /* borrowed references: children of stack and content_stack */
  GtkWidget            *sign_in_page;
  GtkWidget            *files_page;
  GtkWidget            *transfers_page;
  GtkWidget            *sync_page;
  GtkWidget            *transfers_count;
};

G_DEFINE_FINAL_TYPE (YpWindow, yp_window, ADW_TYPE_APPLICATION_WINDOW)

/* The sidebar: the categories of My Files, then the other places. */
typedef struct
{
  const char *name;
  const char *icon_name;
  const char *label;
  const char *category;
} SidebarItem;

static const SidebarItem sidebar_items[] = {
  { "files", "folder-symbolic", N_("All Files"), NULL },
  { "document", "x-office-document-symbolic", N_("Documents"), "document" },
  { "image", "image-x-generic-symbolic", N_("Pictures"), "image" },
  { "video", "video-x-generic-symbolic", N_("Videos"), "video" },
  { "audio", "audio-x-generic-symbolic", N_("Music"), "audio" },
  { "archive", "package-x-generic-symbolic", N_("Archives"), "archive" },
  { "other", "text-x-generic-symbolic", N_("Other"), "other" },
  { "transfers", "network-transmit-receive-symbolic", N_("Transfers"), NULL },
  { "sync", "emblem-synchronizing-symbolic", N_("Sync Folders"), NULL },
};

#define SIDEBAR_TRANSFERS (G_N_ELEMENTS (sidebar_items) - 2)
#define SIDEBAR_SYNC      (G_N_ELEMENTS (sidebar_items) - 1)

/* The files page's actions, offered by the window so that their
 * accelerators work wherever the focus is. */
static const char *const files_actions[] = {
  "upload", "new-folder", "search", "rename", "delete", "download", "properties",
  "go-up", "reload", "view-list", "view-grid", "sort-descending",
};

static GtkWidget *
sidebar_row_new (const SidebarItem *item,
                 GtkWidget        **count_label)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *label = gtk_label_new (_(item->label));

  gtk_widget_set_name (row, item->name);
  gtk_box_append (GTK_BOX (box), gtk_image_new_from_icon_name (item->icon_name));
  gtk_label_set_xalign (GTK_LABEL (label), 0.0);
  gtk_widget_set_hexpand (label, TRUE);
  gtk_box_append (GTK_BOX (box), label);
  if (count_label != NULL)
    {
      *count_label = gtk_label_new (NULL);
      gtk_widget_add_css_class (*count_label, "dim-label");
      gtk_widget_add_css_class (*count_label, "numeric");
      gtk_widget_set_visible (*count_label, FALSE);
      gtk_box_append (GTK_BOX (box), *count_label);
    }
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  return row;
}

static void
sidebar_header_func (GtkListBoxRow *row,
                     GtkListBoxRow *before,
                     gpointer       user_data)
{
  gboolean first_place = g_strcmp0 (gtk_widget_get_name (GTK_WIDGET (row)), "transfers") == 0;

  gtk_list_box_row_set_header (row, first_place ? gtk_separator_new (GTK_ORIENTATION_HORIZONTAL)
                                                : NULL);
}

/* Sync folders need the application's manager: a window on its own (in
 * tests) has none. */
static void
fill_sidebar (YpWindow *self,
              gboolean  with_sync)
{
  for (guint i = 0; i < (with_sync ? G_N_ELEMENTS (sidebar_items) : SIDEBAR_SYNC); i++)
    gtk_list_box_append (self->sidebar,
                         sidebar_row_new (&sidebar_items[i],
                                          i == SIDEBAR_TRANSFERS ? &self->transfers_count : NULL));
  gtk_list_box_set_header_func (self->sidebar, sidebar_header_func, NULL, NULL);
}

static gboolean
showing_files (YpWindow *self)
{
  return self->files_page != NULL
         && gtk_stack_get_visible_child (self->content_stack) == self->files_page;
}

static void
update_title (YpWindow *self)
{
  gboolean files = showing_files (self);
  const char *title = _("Yunpan");

  if (files)
    title = yp_files_page_get_title (YP_FILES_PAGE (self->files_page));
  else if (self->transfers_page != NULL
           && gtk_stack_get_visible_child (self->content_stack) == self->transfers_page)
    title = _("Transfers");
  else if (self->sync_page != NULL
           && gtk_stack_get_visible_child (self->content_stack) == self->sync_page)
    title = _("Sync Folders");
  adw_window_title_set_title (self->window_title, title);
  if (gtk_stack_get_visible_child (self->stack) == gtk_stack_get_child_by_name (self->stack, "main"))
    {
      /* Translators: the window's title: the place shown, then the app */
      g_autofree char *window_title = g_strdup_printf (_("%s — Yunpan"), title);

      gtk_window_set_title (GTK_WINDOW (self), window_title);
    }
  else
    gtk_window_set_title (GTK_WINDOW (self), _("Yunpan"));

  gtk_widget_set_visible (self->add_button, files);
  gtk_widget_set_visible (self->view_button, files);
  gtk_widget_set_visible (self->search_button, files);
  for (guint i = 0; i < G_N_ELEMENTS (files_actions); i++)
    {
      g_autofree char *name = g_strconcat ("win.", files_actions[i], NULL);

      gtk_widget_action_set_enabled (GTK_WIDGET (self), name, files);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sort", files);
}

static void
sidebar_row_selected_cb (YpWindow      *self,
                         GtkListBoxRow *row)
{
  int index = row != NULL ? gtk_list_box_row_get_index (row) : -1;

  if (index < 0 || self->files_page == NULL)
    return;
  if ((guint) index == SIDEBAR_TRANSFERS)
    gtk_stack_set_visible_child (self->content_stack, self->transfers_page);
  else if ((guint) index == SIDEBAR_SYNC)
    gtk_stack_set_visible_child (self->content_stack, self->sync_page);
  else
    {
      yp_files_page_set_category (YP_FILES_PAGE (self->files_page),
                                  sidebar_items[index].category);
      gtk_stack_set_visible_child (self->content_stack, self->files_page);
    }
  update_title (self);
}

static void
sidebar_row_activated_cb (YpWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
}

static void
back_clicked_cb (YpWindow *self)
{
  adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_BACK);
}

static void
update_transfers_count (YpWindow *self)
{
  guint left = yp_transfer_queue_get_items_left (self->transfers);
  g_autofree char *text = g_strdup_printf ("%u", left);

  gtk_label_set_text (GTK_LABEL (self->transfers_count), text);
  gtk_widget_set_visible (self->transfers_count, left > 0);
}

static void
drop_main (YpWindow *self)
{
  if (self->files_page == NULL)
    return;
  g_clear_object (&self->search_binding);
  gtk_stack_remove (self->content_stack, self->files_page);
  gtk_stack_remove (self->content_stack, self->transfers_page);
  if (self->sync_page != NULL)
    gtk_stack_remove (self->content_stack, self->sync_page);
  self->files_page = NULL;
  self->transfers_page = NULL;
  self->sync_page = NULL;
  if (self->transfers != NULL)
    g_signal_handlers_disconnect_by_data (self->transfers, self);
  g_clear_object (&self->transfers);
  adw_window_title_set_subtitle (self->window_title, NULL);
}

static gboolean
kib_to_bytes (GValue   *value,
              GVariant *variant,
              gpointer  user_data)
{
  g_value_set_uint64 (value, (guint64) g_variant_get_uint32 (variant) * 1024);
  return TRUE;
}

static void
show_main (YpWindow *self)
{
  YpClient *client = yp_session_get_client (self->session);
  g_autofree char *subtitle = NULL;

  drop_main (self);
  self->transfers = yp_transfer_queue_new (client);
  g_signal_connect_object (self->transfers, "notify::items-left",
                           G_CALLBACK (update_transfers_count), self, G_CONNECT_SWAPPED);
  update_transfers_count (self);
  g_settings_bind_with_mapping (self->settings, "upload-limit", self->transfers, "upload-limit",
                                G_SETTINGS_BIND_GET, kib_to_bytes, NULL, NULL, NULL);
  g_settings_bind_with_mapping (self->settings, "download-limit", self->transfers,
                                "download-limit", G_SETTINGS_BIND_GET, kib_to_bytes, NULL, NULL,
                                NULL);

  self->files_page = yp_files_page_new (client, self->transfers);
  g_signal_connect_object (self->files_page, "notify::title", G_CALLBACK (update_title), self,
                           G_CONNECT_SWAPPED);
  self->search_binding = g_object_ref (
    g_object_bind_property (self->search_button, "active", self->files_page, "search-mode",
                            G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE));
  gtk_stack_add_named (self->content_stack, self->files_page, "files");
  self->transfers_page = yp_transfers_page_new (self->transfers);
  gtk_stack_add_named (self->content_stack, self->transfers_page, "transfers");
  if (self->sync_manager != NULL)
    {
      self->sync_page = yp_sync_page_new (self->sync_manager);
      gtk_stack_add_named (self->content_stack, self->sync_page, "sync");
    }

  gtk_list_box_select_row (self->sidebar, gtk_list_box_get_row_at_index (self->sidebar, 0));
  gtk_stack_set_visible_child (self->content_stack, self->files_page);
  gtk_stack_set_visible_child_name (self->stack, "main");
  update_title (self);

  /* Translators: the window's subtitle: the user and the server */
  subtitle = g_strdup_printf (_("%s on %s"), yp_session_get_username (self->session),
                              yp_session_get_server (self->session));
  adw_window_title_set_subtitle (self->window_title, subtitle);
  g_settings_set_string (self->settings, "last-server", yp_session_get_server (self->session));
}

static void
show_sign_in (YpWindow *self)
{
  g_autofree char *server = g_settings_get_string (self->settings, "last-server");

  /* first run: the server a local instance listens on (build-aux/run.sh
   * names the one it started) */
  if (*server == '\0')
    {
      g_free (server);
      server = g_strdup (g_getenv ("YUNPAN_SERVER") != NULL ? g_getenv ("YUNPAN_SERVER")
                                                           : "http://127.0.0.1:8765");
    }
  yp_sign_in_page_set_server (YP_SIGN_IN_PAGE (self->sign_in_page), server);
  gtk_stack_set_visible_child_name (self->stack, "sign-in");
}

static void
session_state_cb (YpWindow *self)
{
  YpSessionState state = yp_session_get_state (self->session);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out",
                                 state == YP_SESSION_STATE_SIGNED_IN);
  if (state != YP_SESSION_STATE_SIGNED_IN)
    drop_main (self);

  switch (state)
    {
    case YP_SESSION_STATE_RESTORING:
      gtk_stack_set_visible_child_name (self->stack, "restoring");
      break;

    case YP_SESSION_STATE_SIGNED_OUT:
      show_sign_in (self);
      break;

    case YP_SESSION_STATE_SIGNED_IN:
      show_main (self);
      break;

    case YP_SESSION_STATE_NO_KEYRING:
      gtk_stack_set_visible_child_name (self->stack, "no-keyring");
      break;

    default:
      g_assert_not_reached ();
    }
  if (state != YP_SESSION_STATE_SIGNED_IN)
    update_title (self);
}

static void
sign_out_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(YpWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (!yp_session_sign_out_finish (YP_SESSION (source), result, &error))
    {
      g_warning ("Signing out left the keyring as it was: %s", error->message);
      adw_toast_overlay_add_toast (self->toast_overlay,
                                   adw_toast_new (_("The session could not be removed from the keyring")));
    }
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  YpWindow *self = YP_WINDOW (widget);

  gtk_widget_action_set_enabled (widget, "win.sign-out", FALSE);
  /* before the token goes: the engines would take it for a revoked one */
  if (self->sync_manager != NULL)
    yp_sync_manager_clear_account (self->sync_manager);
  yp_session_sign_out_async (self->session, NULL, sign_out_done_cb, g_object_ref (self));
}

static void
restore_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  yp_session_restore (YP_WINDOW (widget)->session);
}

/* win.NAME runs files.NAME on the files page. */
static void
files_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  YpWindow *self = YP_WINDOW (widget);
  g_autofree char *name = NULL;

  if (self->files_page == NULL)
    return;
  name = g_strconcat ("files.", action_name + strlen ("win."), NULL);
  gtk_widget_activate_action_variant (self->files_page, name, parameter);
}

static void
show_place_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  YpWindow *self = YP_WINDOW (widget);
  const char *place = action_name + strlen ("win.show-");
  GtkListBoxRow *row;

  for (int i = 0; (row = gtk_list_box_get_row_at_index (self->sidebar, i)) != NULL; i++)
    if (g_strcmp0 (gtk_widget_get_name (GTK_WIDGET (row)), place) == 0)
      {
        gtk_list_box_select_row (self->sidebar, row);
        adw_leaflet_navigate (self->leaflet, ADW_NAVIGATION_DIRECTION_FORWARD);
        return;
      }
}

static void
yp_window_constructed (GObject *object)
{
  YpWindow *self = YP_WINDOW (object);
  GtkApplication *application = gtk_window_get_application (GTK_WINDOW (self));

  G_OBJECT_CLASS (yp_window_parent_class)->constructed (object);

  g_settings_bind (self->settings, "window-width", self, "default-width",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized",
                   G_SETTINGS_BIND_DEFAULT);

  if (YP_IS_APPLICATION (application))
    {
      self->session = g_object_ref (yp_application_get_session (YP_APPLICATION (application)));
      self->sync_manager =
        g_object_ref (yp_application_get_sync_manager (YP_APPLICATION (application)));
    }
  else
    {
      self->session = yp_session_new ();
      yp_session_restore (self->session);
    }
  fill_sidebar (self, self->sync_manager != NULL);
  self->sign_in_page = yp_sign_in_page_new (self->session);
  adw_bin_set_child (self->sign_in_bin, self->sign_in_page);

  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (session_state_cb), self,
                           G_CONNECT_SWAPPED);
  session_state_cb (self);
}

static void
yp_window_dispose (GObject *object)
{
  YpWindow *self = YP_WINDOW (object);

  drop_main (self);
  self->sign_in_page = NULL;
  self->transfers_count = NULL;
  g_clear_object (&self->session);
  g_clear_object (&self->sync_manager);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (yp_window_parent_class)->dispose (object);
}

static void
install_files_actions (GtkWidgetClass *widget_class)
{
  for (guint i = 0; i < G_N_ELEMENTS (files_actions); i++)
    {
      g_autofree char *name = g_strconcat ("win.", files_actions[i], NULL);

      gtk_widget_class_install_action (widget_class, name, NULL, files_action);
    }
  gtk_widget_class_install_action (widget_class, "win.sort", "s", files_action);
  gtk_widget_class_install_action (widget_class, "win.show-files", NULL, show_place_action);
  gtk_widget_class_install_action (widget_class, "win.show-transfers", NULL, show_place_action);
  gtk_widget_class_install_action (widget_class, "win.show-sync", NULL, show_place_action);
}

static void
yp_window_class_init (YpWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = yp_window_constructed;
  object_class->dispose = yp_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-window.ui");
  gtk_widget_class_bind_template_child (widget_class, YpWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, sign_in_bin);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, content);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, content_stack);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, add_button);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, view_button);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, search_button);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_selected_cb);
  gtk_widget_class_bind_template_callback (widget_class, sidebar_row_activated_cb);
  gtk_widget_class_bind_template_callback (widget_class, back_clicked_cb);
  gtk_widget_class_bind_template_callback (widget_class, update_title);

  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.restore", NULL, restore_action);
  install_files_actions (widget_class);
}

static void
yp_window_init (YpWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
}

YpWindow *
yp_window_new (GtkApplication *application)
{
  g_return_val_if_fail (application == NULL || GTK_IS_APPLICATION (application), NULL);

  return g_object_new (YP_TYPE_WINDOW, "application", application, NULL);
}

YpSession *
yp_window_get_session (YpWindow *self)
{
  g_return_val_if_fail (YP_IS_WINDOW (self), NULL);

  return self->session;
}

AdwToastOverlay *
yp_window_get_toast_overlay (YpWindow *self)
{
  g_return_val_if_fail (YP_IS_WINDOW (self), NULL);

  return self->toast_overlay;
}

GtkWidget *
yp_window_get_files_page (YpWindow *self)
{
  g_return_val_if_fail (YP_IS_WINDOW (self), NULL);

  return self->files_page;
}

GtkWidget *
yp_window_get_transfers_page (YpWindow *self)
{
  g_return_val_if_fail (YP_IS_WINDOW (self), NULL);

  return self->transfers_page;
}
