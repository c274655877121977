/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The preferences, about and shortcuts windows in process, under Xvfb on
 * a private session bus with GSettings in memory: what the preferences show
 * and write (the keys, the autostart entry under a fresh XDG_CONFIG_HOME),
 * and that every shortcut listed has its accelerator. A screenshot of the
 * preferences goes to YP_SCREENSHOT_DIR.
 */
#include <glib/gstdio.h>
#include <adwaita.h>

#include "yp-application.h"
#include "yp-autostart.h"
#include "yp-preferences-window.h"

#define APP_ID "io.github.yunpan.Yunpan"
#define WAIT_MS 10000

static YpApplication *app;
static char *home;

/* What the shortcuts window must list, and the accelerators the
 * application must give those actions. */
static const struct
{
  const char *action;
  const char *accel;
} expected_accels[] = {
  { "app.preferences", "<Control>comma" },
  { "win.show-help-overlay", "<Control>question" },
  { "app.quit", "<Control>q" },
  { "win.upload", "<Control>o" },
  { "win.new-folder", "<Shift><Control>n" },
  { "win.search", "<Control>f" },
  { "win.download", "<Control>s" },
  { "win.properties", "<Alt>Return" },
  { "win.go-up", "<Alt>Up" },
  { "win.reload", "F5" },
  { "win.view-list", "<Control>1" },
  { "win.view-grid", "<Control>2" },
  { "win.show-files", "<Alt>1" },
  { "win.show-transfers", "<Alt>2" },
  { "win.show-sync", "<Alt>3" },
};

/* -- waiting on the main loop --------------------------------------------- */

typedef gboolean (*Condition) (gpointer data);

static gboolean
wake_cb (gpointer data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until CONDITION holds; the periodic wake-up only lets
 * the deadline be checked when nothing else happens. */
static void
wait_for (Condition   condition,
          gpointer    data,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  guint wake = g_timeout_add (50, wake_cb, NULL);

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (wake);
}

static void
flush (void)
{
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

static gboolean
file_exists (gpointer data)
{
  return g_file_test (data, G_FILE_TEST_EXISTS);
}

static gboolean
file_missing (gpointer data)
{
  return !g_file_test (data, G_FILE_TEST_EXISTS);
}

typedef struct
{
  GtkWidget *widget;
  gint64     frame;
} FrameWait;

static gboolean
frame_painted (gpointer data)
{
  FrameWait *wait = data;

  return gdk_frame_clock_get_frame_counter (gtk_widget_get_frame_clock (wait->widget))
         > wait->frame;
}

/* -- helpers ----------------------------------------------------------------- */

static GtkWidget *
child (GtkWidget  *window,
       const char *name)
{
  GObject *object = gtk_widget_get_template_child (window, YP_TYPE_PREFERENCES_WINDOW, name);

  g_assert_nonnull (object);
  return GTK_WIDGET (object);
}

static GtkWidget *
open_preferences (const char *username,
                  const char *server)
{
  GtkWidget *window = yp_preferences_window_new (NULL, username, server);

  gtk_window_set_application (GTK_WINDOW (window), GTK_APPLICATION (app));
  gtk_window_present (GTK_WINDOW (window));
  flush ();
  return window;
}

static void
close_window (GtkWidget *window)
{
  g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
  gtk_window_destroy (GTK_WINDOW (window));
  flush ();
  /* nothing else keeps it: its bindings and settings went with it */
  g_assert_null (window);
}

/* The first window of the application of TYPE, else NULL. */
static GtkWindow *
find_window (GType type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

/* The distinct colours of TEXTURE: 1 is a blank window. */
static guint
count_colours (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint32 *pixels = g_new (guint32, (gsize) width * height);
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);

  gdk_texture_download (texture, (guchar *) pixels, width * sizeof (guint32));
  for (gsize i = 0; i < (gsize) width * height; i++)
    g_hash_table_add (colours, GUINT_TO_POINTER (pixels[i]));
  return g_hash_table_size (colours);
}

/* Renders WINDOW alone (not the screen: nothing else on it counts) to
 * NAME.png next to the test, and fails if it is blank. */
static void
screenshot (GtkWidget  *window,
            const char *name)
{
  const char *dir = g_getenv ("YP_SCREENSHOT_DIR");
  g_autofree char *file_name = g_strconcat (name, ".png", NULL);
  g_autofree char *file = NULL;
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  int width;
  int height;
  guint colours;
  FrameWait wait = { window, 0 };

  /* one frame after the last change: laid out as it is shown */
  g_assert_true (gtk_widget_get_mapped (window));
  wait.frame = gdk_frame_clock_get_frame_counter (gtk_widget_get_frame_clock (window));
  gtk_widget_queue_draw (window);
  wait_for (frame_painted, &wait, "a frame");
  width = gtk_widget_get_width (window);
  height = gtk_widget_get_height (window);
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));

  file = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, file));
  colours = count_colours (texture);
  g_assert_cmpuint (colours, >, 1);
  g_test_message ("screenshot %s: %u colours", file, colours);
}

/* -- the cases ---------------------------------------------------------------- */

static void
test_account_shown (void)
{
  GtkWidget *window = open_preferences ("alice", "https://disk.example.org");

  g_assert_true (gtk_widget_get_visible (child (window, "account_group")));
  g_assert_true (gtk_widget_get_visible (child (window, "account_page")));
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (child (window, "username_row"))),
                   ==, "alice");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (child (window, "server_row"))),
                   ==, "https://disk.example.org");

  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), "general");
  screenshot (window, "preferences");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), "network");
  screenshot (window, "preferences-network");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), "account");
  screenshot (window, "preferences-account");
  close_window (window);
}

static void
test_signed_out (void)
{
  GtkWidget *window = open_preferences (NULL, NULL);

  g_assert_false (gtk_widget_get_visible (child (window, "account_group")));
  g_assert_false (gtk_widget_get_visible (child (window, "account_page")));
  close_window (window);
}

/* app.preferences without a main window (started in the background): the
 * application's own window, with no account to show. */
static void
test_action_opens (void)
{
  GtkWindow *window;

  g_assert_null (find_window (YP_TYPE_PREFERENCES_WINDOW));
  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  flush ();
  window = find_window (YP_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (window);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (window)));
  g_assert_false (gtk_widget_get_visible (child (GTK_WIDGET (window), "account_group")));
  close_window (GTK_WIDGET (window));
}

static void
count_activation (GSimpleAction *action,
                  GVariant      *parameter,
                  guint         *count)
{
  (*count)++;
}

/* Both account buttons sign out (switching is signing in again after), and
 * the window, whose account is gone, closes. */
static void
test_sign_out (void)
{
  static const char *const buttons[] = { "sign_out_button", "switch_account_row" };
  GAction *sign_out = g_action_map_lookup_action (G_ACTION_MAP (app), "sign-out");
  guint count = 0;
  gulong handler;

  g_assert_nonnull (sign_out);
  handler = g_signal_connect (sign_out, "activate", G_CALLBACK (count_activation), &count);
  for (guint i = 0; i < G_N_ELEMENTS (buttons); i++)
    {
      GtkWidget *window = open_preferences ("alice", "https://disk.example.org");
      GtkWidget *button = child (window, buttons[i]);

      g_object_add_weak_pointer (G_OBJECT (window), (gpointer *) &window);
      if (GTK_IS_BUTTON (button))
        g_signal_emit_by_name (button, "clicked");
      else
        adw_action_row_activate (ADW_ACTION_ROW (button));
      flush ();
      g_assert_cmpuint (count, ==, i + 1);
      g_assert_null (window);
    }
  g_signal_handler_disconnect (sign_out, handler);
}

static void
assert_entry (const char *path)
{
  g_autoptr(GKeyFile) entry = g_key_file_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *exec = NULL;
  g_autofree char *type = NULL;
  g_autofree char *name = NULL;
  g_autofree char *icon = NULL;

  g_assert_true (g_key_file_load_from_file (entry, path, G_KEY_FILE_NONE, &error));
  g_assert_no_error (error);
  exec = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, "Exec", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (exec, ==, "yunpan --background");
  type = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, "Type", &error);
  g_assert_cmpstr (type, ==, "Application");
  name = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, "Name", &error);
  g_assert_cmpstr (name, ==, "Yunpan");
  icon = g_key_file_get_string (entry, G_KEY_FILE_DESKTOP_GROUP, "Icon", &error);
  g_assert_cmpstr (icon, ==, APP_ID);
  g_assert_true (g_key_file_get_boolean (entry, G_KEY_FILE_DESKTOP_GROUP,
                                         "X-GNOME-Autostart-enabled", &error));
  g_assert_no_error (error);
}

/* The switch writes the key and the application, not the window, writes
 * the entry: it is still written and removed with the window closed. */
static void
test_start_at_login (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *path = yp_autostart_get_path ();
  g_autofree char *expected = g_build_filename (home, "config", "autostart",
                                                APP_ID ".desktop", NULL);
  GtkWidget *window = open_preferences ("alice", "https://disk.example.org");
  GtkWidget *row = gtk_widget_get_ancestor (child (window, "start_at_login_switch"),
                                            ADW_TYPE_ACTION_ROW);

  g_assert_cmpstr (path, ==, expected);
  /* not even ~/.config exists yet: the entry makes its folders */
  g_assert_false (g_file_test (g_get_user_config_dir (), G_FILE_TEST_EXISTS));
  g_assert_false (g_settings_get_boolean (settings, "start-at-login"));
  g_assert_false (gtk_switch_get_active (GTK_SWITCH (child (window, "start_at_login_switch"))));

  /* what a click on the row does */
  adw_action_row_activate (ADW_ACTION_ROW (row));
  g_assert_true (gtk_switch_get_active (GTK_SWITCH (child (window, "start_at_login_switch"))));
  g_assert_true (g_settings_get_boolean (settings, "start-at-login"));
  wait_for (file_exists, path, "the autostart entry");
  assert_entry (path);

  adw_action_row_activate (ADW_ACTION_ROW (row));
  g_assert_false (g_settings_get_boolean (settings, "start-at-login"));
  wait_for (file_missing, path, "the autostart entry to go");
  close_window (window);

  g_settings_set_boolean (settings, "start-at-login", TRUE);
  wait_for (file_exists, path, "the autostart entry, with no window open");
  assert_entry (path);
  g_settings_set_boolean (settings, "start-at-login", FALSE);
  wait_for (file_missing, path, "the autostart entry to go, with no window open");
}

typedef struct
{
  gboolean  done;
  gboolean  ok;
  GError   *error;
} SyncResult;

static void
sync_done_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SyncResult *sync = user_data;

  sync->ok = yp_autostart_sync_finish (result, &sync->error);
  sync->done = TRUE;
}

static gboolean
sync_done (gpointer data)
{
  return ((SyncResult *) data)->done;
}

/* Removing an entry that is not there is what was asked: no error; a
 * replaced entry leaves no temporary file behind. */
static void
test_autostart_direct (void)
{
  g_autofree char *path = yp_autostart_get_path ();
  g_autofree char *folder = g_path_get_dirname (path);
  g_autoptr(GDir) dir = NULL;
  SyncResult sync = { 0 };
  guint n_files = 0;

  for (int i = 0; i < 3; i++)
    {
      gboolean enabled = i < 2;

      sync = (SyncResult) { 0 };
      yp_autostart_sync_async (enabled, NULL, sync_done_cb, &sync);
      wait_for (sync_done, &sync, "the autostart entry");
      g_assert_no_error (sync.error);
      g_assert_true (sync.ok);
      g_assert_true (g_file_test (path, G_FILE_TEST_EXISTS) == enabled);
    }

  sync = (SyncResult) { 0 };
  yp_autostart_sync_async (FALSE, NULL, sync_done_cb, &sync);
  wait_for (sync_done, &sync, "removing a missing entry");
  g_assert_no_error (sync.error);
  g_assert_true (sync.ok);

  dir = g_dir_open (folder, 0, NULL);
  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    n_files++;
  g_assert_cmpuint (n_files, ==, 0);
}

static void
test_limits (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkWidget *window = open_preferences (NULL, NULL);
  GtkSpinButton *upload = GTK_SPIN_BUTTON (child (window, "upload_limit_spin"));
  GtkSpinButton *download = GTK_SPIN_BUTTON (child (window, "download_limit_spin"));

  g_assert_cmpuint (g_settings_get_uint (settings, "upload-limit"), ==, 0);
  g_assert_cmpfloat (gtk_spin_button_get_value (upload), ==, 0);

  gtk_spin_button_spin (upload, GTK_SPIN_STEP_FORWARD, 0);
  g_assert_cmpuint (g_settings_get_uint (settings, "upload-limit"), ==, 64);
  gtk_spin_button_set_value (upload, 512);
  g_assert_cmpuint (g_settings_get_uint (settings, "upload-limit"), ==, 512);

  /* typed in, as a person would */
  gtk_editable_set_text (GTK_EDITABLE (download), "2048");
  gtk_spin_button_update (download);
  g_assert_cmpuint (g_settings_get_uint (settings, "download-limit"), ==, 2048);
  /* and back to unlimited */
  gtk_editable_set_text (GTK_EDITABLE (download), "0");
  gtk_spin_button_update (download);
  g_assert_cmpuint (g_settings_get_uint (settings, "download-limit"), ==, 0);

  /* the other way too */
  g_settings_set_uint (settings, "upload-limit", 100);
  flush ();
  g_assert_cmpfloat (gtk_spin_button_get_value (upload), ==, 100);
  g_settings_reset (settings, "upload-limit");
  close_window (window);
}

static void
test_switches (void)
{
  static const struct
  {
    const char *widget;
    const char *key;
  } switches[] = {
    { "run_in_background_switch", "run-in-background" },
    { "notifications_switch", "notifications" },
  };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkWidget *window = open_preferences (NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (switches); i++)
    {
      GtkWidget *widget = child (window, switches[i].widget);

      /* both on unless turned off */
      g_assert_true (g_settings_get_boolean (settings, switches[i].key));
      g_assert_true (gtk_switch_get_active (GTK_SWITCH (widget)));
      adw_action_row_activate (ADW_ACTION_ROW (gtk_widget_get_ancestor (widget,
                                                                        ADW_TYPE_ACTION_ROW)));
      g_assert_false (g_settings_get_boolean (settings, switches[i].key));
      g_settings_reset (settings, switches[i].key);
      flush ();
      g_assert_true (gtk_switch_get_active (GTK_SWITCH (widget)));
    }
  close_window (window);
}

static void
test_about (void)
{
  AdwAboutWindow *about;

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  flush ();
  about = ADW_ABOUT_WINDOW (find_window (ADW_TYPE_ABOUT_WINDOW));
  g_assert_nonnull (about);
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (about)));
  g_assert_cmpstr (adw_about_window_get_version (about), ==, YP_TEST_VERSION);
  g_assert_cmpstr (adw_about_window_get_application_name (about), ==, "Yunpan");
  g_assert_cmpstr (adw_about_window_get_application_icon (about), ==, APP_ID);
  g_assert_cmpint (adw_about_window_get_license_type (about), ==, GTK_LICENSE_GPL_3_0);
  g_assert_cmpstr (adw_about_window_get_website (about), ==, "https://github.com/yunpan/yunpan");
  g_assert_nonnull (adw_about_window_get_issue_url (about));
  g_assert_nonnull (adw_about_window_get_developers (about));
  close_window (GTK_WIDGET (about));
}

/* The resource GtkApplication picks up as win.show-help-overlay, and an
 * accelerator for every action it shows. */
static void
test_shortcuts (void)
{
  g_autoptr(GtkBuilder) builder = NULL;
  g_autoptr(GSList) objects = NULL;
  g_autoptr(GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;
  GtkWidget *window;
  GObject *overlay;

  builder = gtk_builder_new ();
  gtk_builder_add_from_resource (builder, "/io/github/yunpan/Yunpan/gtk/help-overlay.ui", &error);
  g_assert_no_error (error);
  overlay = gtk_builder_get_object (builder, "help_overlay");
  g_assert_true (GTK_IS_SHORTCUTS_WINDOW (overlay));

  objects = gtk_builder_get_objects (builder);
  for (GSList *l = objects; l != NULL; l = l->next)
    {
      g_autofree char *action = NULL;
      g_auto(GStrv) accels = NULL;

      if (!GTK_IS_SHORTCUTS_SHORTCUT (l->data))
        continue;
      g_object_get (l->data, "action-name", &action, NULL);
      /* the files page's own keys, which a text entry must get first */
      if (action == NULL)
        {
          g_autofree char *accelerator = NULL;

          g_object_get (l->data, "accelerator", &accelerator, NULL);
          g_assert_true (g_strcmp0 (accelerator, "F2") == 0
                         || g_strcmp0 (accelerator, "Delete") == 0);
          continue;
        }
      accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), action);
      if (g_strv_length (accels) == 0)
        g_error ("the shortcuts window lists %s, which has no accelerator", action);
      g_hash_table_add (listed, g_steal_pointer (&action));
    }

  for (guint i = 0; i < G_N_ELEMENTS (expected_accels); i++)
    {
      g_auto(GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app),
                                                                    expected_accels[i].action);

      if (!g_hash_table_contains (listed, expected_accels[i].action))
        g_error ("the shortcuts window does not list %s", expected_accels[i].action);
      g_assert_cmpuint (g_strv_length (accels), >=, 1);
      g_assert_cmpstr (accels[0], ==, expected_accels[i].accel);
    }
  g_assert_cmpuint (g_hash_table_size (listed), ==, G_N_ELEMENTS (expected_accels));
  gtk_window_destroy (GTK_WINDOW (overlay));

  /* a libadwaita window gets it as GtkApplicationWindow does */
  window = adw_application_window_new (GTK_APPLICATION (app));
  g_assert_nonnull (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_true (g_action_group_has_action (G_ACTION_GROUP (window), "show-help-overlay"));
  gtk_window_present (GTK_WINDOW (window));
  g_action_group_activate_action (G_ACTION_GROUP (window), "show-help-overlay", NULL);
  flush ();
  overlay = G_OBJECT (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window)));
  g_assert_true (gtk_widget_get_visible (GTK_WIDGET (overlay)));
  screenshot (GTK_WIDGET (overlay), "shortcuts");
  close_window (window);
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GError) error = NULL;
  int status;

  /* before anything asks GLib for the folders: it caches them; the config
   * folder itself is left for the autostart entry to make */
  home = g_dir_make_tmp ("yp-prefs-XXXXXX", &error);
  g_assert_no_error (error);
  {
    g_autofree char *config = g_build_filename (home, "config", NULL);

    g_setenv ("XDG_CONFIG_HOME", config, TRUE);
    g_setenv ("HOME", home, TRUE);
  }

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* a switch toggled with animations on changes only when they end */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

  app = yp_application_new ();
  /* startup: the actions, the accelerators, the watch on start-at-login */
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);

  g_test_add_func ("/yunpan/preferences/account-shown", test_account_shown);
  g_test_add_func ("/yunpan/preferences/signed-out", test_signed_out);
  g_test_add_func ("/yunpan/preferences/action-opens", test_action_opens);
  g_test_add_func ("/yunpan/preferences/sign-out", test_sign_out);
  g_test_add_func ("/yunpan/preferences/start-at-login", test_start_at_login);
  g_test_add_func ("/yunpan/preferences/autostart-direct", test_autostart_direct);
  g_test_add_func ("/yunpan/preferences/limits", test_limits);
  g_test_add_func ("/yunpan/preferences/switches", test_switches);
  g_test_add_func ("/yunpan/about/window", test_about);
  g_test_add_func ("/yunpan/shortcuts/window", test_shortcuts);
  status = g_test_run ();

  g_clear_object (&app);
  g_spawn_sync (NULL, (char *[]) { "rm", "-rf", home, NULL }, NULL, G_SPAWN_SEARCH_PATH, NULL,
                NULL, NULL, NULL, NULL, NULL);
  g_clear_pointer (&home, g_free);
  return status;
}
