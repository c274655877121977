/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-preferences-window.h"

/*
 * The settings the user may change, each bound to its key: what the app
 * does with them (autostart entry, background, limits) follows the keys,
 * not this window, so that it works with the window closed too.
 */
struct _YpPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template children */
  GtkSwitch            *start_at_login_switch;
  GtkSwitch            *run_in_background_switch;
  GtkSwitch            *notifications_switch;
  GtkSpinButton        *upload_limit_spin;
  GtkSpinButton        *download_limit_spin;
  AdwPreferencesPage   *account_page;
  AdwPreferencesGroup  *account_group;
  AdwActionRow         *username_row;
  AdwActionRow         *server_row;
  GtkButton            *sign_out_button;
  AdwActionRow         *switch_account_row;

  /* owned references */
  GSettings            *settings;

  /* state */
  char                 *username;
  char                 *server;
};

enum {
  PROP_0,
  PROP_USERNAME,
  PROP_SERVER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (YpPreferencesWindow, yp_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* Switching accounts is signing out and then in as someone else: both
 * leave this window showing an account that is gone. */
static void
sign_out_cb (YpPreferencesWindow *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "app.sign-out", NULL);
  gtk_window_close (GTK_WINDOW (self));
}

static void
yp_preferences_window_constructed (GObject *object)
{
  YpPreferencesWindow *self = YP_PREFERENCES_WINDOW (object);
  gboolean signed_in;

  G_OBJECT_CLASS (yp_preferences_window_parent_class)->constructed (object);

  g_settings_bind (self->settings, "start-at-login", self->start_at_login_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "run-in-background", self->run_in_background_switch,
                   "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "notifications", self->notifications_switch, "active",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "upload-limit", self->upload_limit_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "download-limit", self->download_limit_spin, "value",
                   G_SETTINGS_BIND_DEFAULT);

  signed_in = self->username != NULL || self->server != NULL;
  /* an empty page in the switcher would be a dead end */
  gtk_widget_set_visible (GTK_WIDGET (self->account_group), signed_in);
  gtk_widget_set_visible (GTK_WIDGET (self->account_page), signed_in);
  adw_action_row_set_subtitle (self->username_row, self->username != NULL ? self->username : "");
  adw_action_row_set_subtitle (self->server_row, self->server != NULL ? self->server : "");
}

static void
yp_preferences_window_dispose (GObject *object)
{
  YpPreferencesWindow *self = YP_PREFERENCES_WINDOW (object);

  g_clear_object (&self->settings);

  G_OBJECT_CLASS (yp_preferences_window_parent_class)->dispose (object);
}

static void
yp_preferences_window_finalize (GObject *object)
{
  YpPreferencesWindow *self = YP_PREFERENCES_WINDOW (object);

  g_clear_pointer (&self->username, g_free);
  g_clear_pointer (&self->server, g_free);

  G_OBJECT_CLASS (yp_preferences_window_parent_class)->finalize (object);
}

static void
yp_preferences_window_get_property (GObject    *object,
                                    guint       prop_id,
                                    GValue     *value,
                                    GParamSpec *pspec)
{
  YpPreferencesWindow *self = YP_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_USERNAME:
      g_value_set_string (value, self->username);
      break;

    case PROP_SERVER:
      g_value_set_string (value, self->server);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_preferences_window_set_property (GObject      *object,
                                    guint         prop_id,
                                    const GValue *value,
                                    GParamSpec   *pspec)
{
  YpPreferencesWindow *self = YP_PREFERENCES_WINDOW (object);

  switch (prop_id)
    {
    case PROP_USERNAME:
      self->username = g_value_dup_string (value);
      break;

    case PROP_SERVER:
      self->server = g_value_dup_string (value);
      break;

    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_preferences_window_class_init (YpPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = yp_preferences_window_constructed;
  object_class->dispose = yp_preferences_window_dispose;
  object_class->finalize = yp_preferences_window_finalize;
  object_class->get_property = yp_preferences_window_get_property;
  object_class->set_property = yp_preferences_window_set_property;

  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SERVER] =
    g_param_spec_string ("server", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/yunpan/Yunpan/yp-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, start_at_login_switch);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow,
                                        run_in_background_switch);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, notifications_switch);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, upload_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, download_limit_spin);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, account_page);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, account_group);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, username_row);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, sign_out_button);
  gtk_widget_class_bind_template_child (widget_class, YpPreferencesWindow, switch_account_row);
  gtk_widget_class_bind_template_callback (widget_class, sign_out_cb);
}

static void
yp_preferences_window_init (YpPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->settings = g_settings_new (APPLICATION_ID);
}

GtkWidget *
yp_preferences_window_new (GtkWindow  *parent,
                           const char *username,
                           const char *server)
{
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  return g_object_new (YP_TYPE_PREFERENCES_WINDOW,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       "application", parent != NULL ? gtk_window_get_application (parent) : NULL,
                       "username", username,
                       "server", server,
                       NULL);
}
