/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-files-page.h"
#include "yp-sign-in-page.h"
#include "yp-window.h"

struct _YpWindow
{
  AdwApplicationWindow  parent_instance;

  /* template children */
  AdwToastOverlay      *toast_overlay;
  AdwWindowTitle       *window_title;
  GtkStack             *stack;

  /* owned references */
  YpSession            *session;
  GSettings            *settings;

  /* borrowed references: children of stack */
  GtkWidget            *sign_in_page;
  GtkWidget            *files_page;
};

G_DEFINE_FINAL_TYPE (YpWindow, yp_window, ADW_TYPE_APPLICATION_WINDOW)

static void
drop_files_page (YpWindow *self)
{
  if (self->files_page == NULL)
    return;
  gtk_stack_remove (self->stack, self->files_page);
  self->files_page = NULL;
}

static void
show_files (YpWindow *self)
{
  YpClient *client = yp_session_get_client (self->session);
  g_autofree char *subtitle = NULL;

  drop_files_page (self);
  self->files_page = yp_files_page_new (client);
  gtk_stack_add_named (self->stack, self->files_page, "files");
  gtk_stack_set_visible_child (self->stack, self->files_page);

  /* Translators: the window's subtitle: the user and the server */
  subtitle = g_strdup_printf (_("%s on %s"), yp_session_get_username (self->session),
                              yp_session_get_server (self->session));
  adw_window_title_set_subtitle (self->window_title, subtitle);
  g_settings_set_string (self->settings, "last-server", yp_session_get_server (self->session));
}

static void
session_state_cb (YpWindow *self)
{
  YpSessionState state = yp_session_get_state (self->session);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sign-out",
                                 state == YP_SESSION_STATE_SIGNED_IN);
  if (state != YP_SESSION_STATE_SIGNED_IN)
    {
      drop_files_page (self);
      adw_window_title_set_subtitle (self->window_title, NULL);
    }

  switch (state)
    {
    case YP_SESSION_STATE_RESTORING:
      gtk_stack_set_visible_child_name (self->stack, "restoring");
      break;

    case YP_SESSION_STATE_SIGNED_OUT:
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
        gtk_stack_set_visible_child (self->stack, self->sign_in_page);
      }
      break;

    case YP_SESSION_STATE_SIGNED_IN:
      show_files (self);
      break;

    case YP_SESSION_STATE_NO_KEYRING:
      gtk_stack_set_visible_child_name (self->stack, "no-keyring");
      break;

    default:
      g_assert_not_reached ();
    }
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
  yp_session_sign_out_async (self->session, NULL, sign_out_done_cb, g_object_ref (self));
}

static void
restore_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  yp_session_restore (YP_WINDOW (widget)->session);
}

static void
yp_window_constructed (GObject *object)
{
  YpWindow *self = YP_WINDOW (object);

  G_OBJECT_CLASS (yp_window_parent_class)->constructed (object);

  g_settings_bind (self->settings, "window-width", self, "default-width",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-height", self, "default-height",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "window-maximized", self, "maximized",
                   G_SETTINGS_BIND_DEFAULT);

  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (session_state_cb), self,
                           G_CONNECT_SWAPPED);
  session_state_cb (self);
  yp_session_restore (self->session);
}

static void
yp_window_dispose (GObject *object)
{
  YpWindow *self = YP_WINDOW (object);

  self->sign_in_page = NULL;
  self->files_page = NULL;
  g_clear_object (&self->session);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (yp_window_parent_class)->dispose (object);
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
  gtk_widget_class_bind_template_child (widget_class, YpWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, YpWindow, stack);

  gtk_widget_class_install_action (widget_class, "win.sign-out", NULL, sign_out_action);
  gtk_widget_class_install_action (widget_class, "win.restore", NULL, restore_action);
}

static void
yp_window_init (YpWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
  self->session = yp_session_new ();
  self->sign_in_page = yp_sign_in_page_new (self->session);
  gtk_stack_add_named (self->stack, self->sign_in_page, "sign-in");
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
