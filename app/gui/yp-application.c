/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <glib/gi18n.h>

#include "yp-application.h"
#include "yp-window.h"

/*
 * One process per user: a second launch hands its command line to the
 * first, which raises its window (or, with --background, keeps running
 * without one).
 */
struct _YpApplication
{
  AdwApplication  parent_instance;

  /* state */
  gboolean        held;
};

G_DEFINE_FINAL_TYPE (YpApplication, yp_application, ADW_TYPE_APPLICATION)

static void
quit_activated (GSimpleAction *action,
                GVariant      *parameter,
                gpointer       user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

/* Every window shows the one account: signing out is for all of them. */
static void
sign_out_activated (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (user_data));

  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
}

static const GActionEntry app_actions[] = {
  { .name = "quit", .activate = quit_activated },
  { .name = "sign-out", .activate = sign_out_activated },
};

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

static void
yp_application_startup (GApplication *application)
{
  static const char *quit_accels[] = { "<Control>q", NULL };

  G_APPLICATION_CLASS (yp_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (application), app_actions,
                                   G_N_ELEMENTS (app_actions), application);
  gtk_application_set_accels_for_action (GTK_APPLICATION (application), "app.quit",
                                         quit_accels);
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
