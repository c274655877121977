/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-application.h"
#include "yp-autostart.h"
#include "yp-preferences-window.h"
#include "yp-window.h"

/*
 * One process per user: a second launch hands its command line to the
 * first, which raises its window (or, with --background, keeps running
 * without one).
 */
struct _YpApplication
{
  AdwApplication  parent_instance;

  /* owned references */
  GSettings      *settings;
  GCancellable   *cancellable;
  YpSession      *session;
  YpSyncManager  *sync;

  /* state */
  gboolean        held;
  /* held while sync folders run in the background */
  gboolean        sync_held;
  /* the autostart entry is being written or removed */
  gboolean        autostart_busy;
  gboolean        autostart_target;
};

G_DEFINE_FINAL_TYPE (YpApplication, yp_application, ADW_TYPE_APPLICATION)

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* The main window most recently used, if any: the application's list is
 * in focus order, and the preferences or about window may be on top. */
static YpWindow *
main_window (YpApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (YP_IS_WINDOW (l->data))
      return l->data;
  return NULL;
}

/* Every window shows the one account: signing out is for all of them. */
static void
sign_out_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  YpWindow *window = main_window (YP_APPLICATION (user_data));

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
}

static void
preferences_activated (GSimpleAction *action,
                       GVariant      *parameter,
                       gpointer       user_data)
{
  YpApplication *self = YP_APPLICATION (user_data);
  YpWindow *window = main_window (self);
  YpSession *session = self->session;
  const char *username = NULL;
  const char *server = NULL;
  GtkWidget *preferences;

  if (session != NULL && yp_session_get_state (session) == YP_SESSION_STATE_SIGNED_IN)
    {
      username = yp_session_get_username (session);
      server = yp_session_get_server (session);
    }
  preferences = yp_preferences_window_new (GTK_WINDOW (window), username, server);
  /* without a main window (started with --background) it is still ours */
  gtk_window_set_application (GTK_WINDOW (preferences), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (preferences));
}

static void
about_activated (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  static const char *developers[] = { "The Yunpan developers", NULL };
  GtkApplication *application = GTK_APPLICATION (user_data);
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", gtk_application_get_active_window (application),
                        "modal", TRUE,
                        "application", application,
                        "application-name", _("Yunpan"),
                        "application-icon", APPLICATION_ID,
                        "version", PACKAGE_VERSION,
                        "developer-name", _("The Yunpan developers"),
                        "copyright", _("© 2026 The Yunpan developers"),
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "website", "https://github.com/yunpan/yunpan",
                        "issue-url", "https://github.com/yunpan/yunpan/issues",
                        "developers", developers,
                        /* Translators: your names, one a line, with an
                         * optional e-mail address or web page:
                         * "Name <email>" or "Name https://…" */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_activated },
  { .name = "sign-out", .activate = sign_out_activated },
  { .name = "preferences", .activate = preferences_activated },
  { .name = "about", .activate = about_activated },
};

/* Every shortcut the app has, here so that one table is what the shortcuts
 * window (gtk/help-overlay.ui) lists; the win. actions are the main
 * window's. */
static const struct
{
  const char *action;
  const char *accels[2];
} app_accels[] = {
  { "app.preferences", { "<Control>comma", NULL } },
  { "win.show-help-overlay", { "<Control>question", NULL } },
  { "app.quit", { "<Control>q", NULL } },
  { "win.upload", { "<Control>o", NULL } },
  { "win.new-folder", { "<Control><Shift>n", NULL } },
  { "win.search", { "<Control>f", NULL } },
  { "win.download", { "<Control>s", NULL } },
  { "win.properties", { "<Alt>Return", NULL } },
  { "win.go-up", { "<Alt>Up", NULL } },
  { "win.reload", { "F5", NULL } },
  { "win.view-list", { "<Control>1", NULL } },
  { "win.view-grid", { "<Control>2", NULL } },
  { "win.show-files", { "<Alt>1", NULL } },
  { "win.show-transfers", { "<Alt>2", NULL } },
  { "win.show-sync", { "<Alt>3", NULL } },
};

static void sync_autostart (YpApplication *self);

static void
autostart_synced_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(YpApplication) self = user_data;
  g_autoptr(GError) error = NULL;

  self->autostart_busy = FALSE;
  if (!yp_autostart_sync_finish (result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    g_warning ("The autostart entry was left as it was: %s", error->message);

  /* shut down meanwhile */
  if (self->settings == NULL)
    return;
  /* the key changed again while the entry was being written */
  if (g_settings_get_boolean (self->settings, "start-at-login") != self->autostart_target)
    sync_autostart (self);
}

/* One write or removal at a time: overlapping ones could finish in any
 * order and leave the entry saying the opposite of the key. */
static void
sync_autostart (YpApplication *self)
{
  if (self->autostart_busy)
    return;

  self->autostart_busy = TRUE;
  self->autostart_target = g_settings_get_boolean (self->settings, "start-at-login");
  yp_autostart_sync_async (self->autostart_target, self->cancellable, autostart_synced_cb,
                           g_object_ref (self));
}

static void
yp_application_activate (GApplication *application)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (application));

  if (window == NULL)
    window = GTK_WINDOW (yp_window_new (GTK_APPLICATION (application)));
  gtk_window_present (window);
}

static int
yp_application_command_line (GApplication            *application,
                              GApplicationCommandLine *command_line)
{
  YpApplication *self = YP_APPLICATION (application);
  GVariantDict *options = g_application_command_line_get_options_dict (command_line);

  if (g_variant_dict_contains (options, "background"))
    {
      /* nothing to show yet: the sync engine will keep the process busy */
      if (!self->held)
        {
          g_application_hold (application);
          self->held = TRUE;
        }
      return EXIT_SUCCESS;
    }

  g_application_activate (application);
  return EXIT_SUCCESS;
}

/* The sync engines run for the account the session holds. */
static void
session_state_cb (YpApplication *self)
{
  YpClient *client = yp_session_get_client (self->session);
  g_autofree char *token = NULL;

  if (yp_session_get_state (self->session) != YP_SESSION_STATE_SIGNED_IN || client == NULL)
    {
      yp_sync_manager_clear_account (self->sync);
      return;
    }
  token = yp_client_dup_token (client);
  yp_sync_manager_set_account (self->sync, yp_session_get_server (self->session),
                               yp_session_get_username (self->session), token);
}

/* Closing the last window keeps the process, and its sync, running while
 * there are sync folders and the user wants it. */
static void
update_sync_hold (YpApplication *self)
{
  gboolean want = yp_sync_manager_has_pairs (self->sync)
                  && g_settings_get_boolean (self->settings, "run-in-background");

  if (want == self->sync_held)
    return;
  self->sync_held = want;
  if (want)
    g_application_hold (G_APPLICATION (self));
  else
    g_application_release (G_APPLICATION (self));
}

static void
start_sync (YpApplication *self)
{
  self->sync = yp_sync_manager_new (self->settings);
  g_signal_connect_object (self->sync, "notify::has-pairs", G_CALLBACK (update_sync_hold), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (self->settings, "changed::run-in-background",
                           G_CALLBACK (update_sync_hold), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->session, "notify::state", G_CALLBACK (session_state_cb), self,
                           G_CONNECT_SWAPPED);
  session_state_cb (self);
  update_sync_hold (self);
}

static void
yp_application_startup (GApplication *application)
{
  YpApplication *self = YP_APPLICATION (application);

  G_APPLICATION_CLASS (yp_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), app_actions,
                                   G_N_ELEMENTS (app_actions), application);
  for (guint i = 0; i < G_N_ELEMENTS (app_accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (application), app_accels[i].action,
                                           app_accels[i].accels);

  /* here rather than in the preferences window: the key may change with
   * the window closed (gsettings, another instance's window) */
  self->settings = g_settings_new (APPLICATION_ID);
  self->cancellable = g_cancellable_new ();
  g_signal_connect_object (self->settings, "changed::start-at-login",
                           G_CALLBACK (sync_autostart), self, G_CONNECT_SWAPPED);

  /* the account outlives any window: background sync goes on with it */
  self->session = yp_session_new ();
  start_sync (self);
  yp_session_restore (self->session);
}

static void
yp_application_shutdown (GApplication *application)
{
  YpApplication *self = YP_APPLICATION (application);

  if (self->held)
    {
      self->held = FALSE;
      g_application_release (application);
    }
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->settings);
  if (self->sync_held)
    {
      self->sync_held = FALSE;
      g_application_release (application);
    }
  if (self->sync != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->sync, self);
      yp_sync_manager_clear_account (self->sync);
    }
  g_clear_object (&self->sync);
  if (self->session != NULL)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);

  G_APPLICATION_CLASS (yp_application_parent_class)->shutdown (application);
}

static void
yp_application_class_init (YpApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  app_class->activate = yp_application_activate;
  app_class->command_line = yp_application_command_line;
  app_class->startup = yp_application_startup;
  app_class->shutdown = yp_application_shutdown;
}

static void
yp_application_init (YpApplication *self)
{
  static const GOptionEntry options[] = {
    { "background", 0, G_OPTION_FLAG_NONE, G_OPTION_ARG_NONE, NULL,
      N_("Start without a window"), NULL },
    { NULL }
  };

  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

YpApplication *
yp_application_new (void)
{
  return g_object_new (YP_TYPE_APPLICATION,
                       "application-id", APPLICATION_ID,
                       "flags", G_APPLICATION_HANDLES_COMMAND_LINE,
                       "resource-base-path", "/io/github/yunpan/Yunpan",
                       NULL);
}

YpSession *
yp_application_get_session (YpApplication *self)
{
  g_return_val_if_fail (YP_IS_APPLICATION (self), NULL);

  return self->session;
}

YpSyncManager *
yp_application_get_sync_manager (YpApplication *self)
{
  g_return_val_if_fail (YP_IS_APPLICATION (self), NULL);

  return self->sync;
}
