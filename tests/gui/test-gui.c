/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The window against a real server and a real gnome-keyring on the private
 * session bus of dbus-run-session, under Xvfb: sign in through the widgets,
 * see the files, start again into the files from the keyring, sign out; and
 * the real `yunpan` binary, once signed in, lists the files at start and is
 * single-instance. Screenshots go to YP_SCREENSHOT_DIR.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "yp-account.h"
#include "yp-files-page.h"
#include "yp-keyring.h"
#include "yp-server-url.h"
#include "yp-sign-in-page.h"
#include "yp-test-fixture.h"
#include "yp-window.h"

#define WAIT_MS 20000

static YpTestServer *server;
static GSubprocess *keyring_daemon;
static char *home;
static const char *uploaded_name = "report-2026.txt";

/* -- the world ------------------------------------------------------------ */

static void
make_home (void)
{
  static const char *const dirs[] = { "config", "data", "cache", "run" };
  static const char *const vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                                      "XDG_RUNTIME_DIR" };
  g_autoptr(GError) error = NULL;

  home = g_dir_make_tmp ("yp-gui-XXXXXX", &error);
  g_assert_no_error (error);
  /* before anything asks GLib for these folders: it caches them */
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *dir = g_build_filename (home, dirs[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (vars[i], dir, TRUE);
    }
  g_setenv ("HOME", home, TRUE);
  g_setenv ("YP_GUI_TEST_HOME", home, TRUE);
}

/* Whether NAME gets an owner on the session bus within 10 s. */
static gboolean
wait_for_name (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);

  g_assert_no_error (error);
  for (int i = 0; i < 200; i++)
    {
      g_autoptr(GVariant) reply = NULL;
      gboolean owned = FALSE;

      reply = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                           "org.freedesktop.DBus", "NameHasOwner",
                                           g_variant_new ("(s)", name), G_VARIANT_TYPE ("(b)"),
                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
      if (reply != NULL)
        g_variant_get (reply, "(b)", &owned);
      if (owned)
        return TRUE;
      g_usleep (50 * 1000);
    }
  return FALSE;
}

static void
start_keyring (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE
                                        | G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  keyring_daemon = g_subprocess_launcher_spawn (launcher, &error, "gnome-keyring-daemon",
                                                "--foreground", "--unlock",
                                                "--components=secrets", NULL);
  g_assert_no_error (error);
  /* the login keyring's password, so that nothing ever prompts */
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (keyring_daemon), "test", 4, NULL,
                             NULL, &error);
  g_assert_no_error (error);
  g_output_stream_close (g_subprocess_get_stdin_pipe (keyring_daemon), NULL, NULL);

  /* asking before our daemon owns the name would let the bus start another */
  if (!wait_for_name ("org.freedesktop.secrets"))
    g_error ("gnome-keyring-daemon did not take org.freedesktop.secrets");
}

static void
stop_keyring (void)
{
  g_subprocess_send_signal (keyring_daemon, SIGTERM);
  g_subprocess_wait (keyring_daemon, NULL, NULL);
  g_clear_object (&keyring_daemon);
}

/* "alice" with one file in her top folder. */
static void
make_alice (void)
{
  g_autoptr(YpClient) alice = new_user (server, "alice");
  g_autoptr(GError) error = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autofree char *local = make_file (home, uploaded_name, 12345, 7, NULL);
  g_autofree char *remote = g_strconcat ("/", uploaded_name, NULL);

  transfer = upload (alice, local, remote, &error);
  g_assert_no_error (error);
}

/* -- driving the widgets ------------------------------------------------- */

typedef gboolean (*Condition) (gpointer data);

static void
wait_for (Condition   condition,
          gpointer    data,
          const char *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
}

static GtkStack *
window_stack (YpWindow *window)
{
  return GTK_STACK (gtk_widget_get_template_child (GTK_WIDGET (window), YP_TYPE_WINDOW,
                                                   "stack"));
}

typedef struct
{
  GtkStack   *stack;
  const char *page;
} PageWait;

static gboolean
page_shown (gpointer data)
{
  PageWait *wait = data;

  return g_strcmp0 (gtk_stack_get_visible_child_name (wait->stack), wait->page) == 0;
}

static void
wait_for_stack_page (GtkStack   *stack,
                     const char *page)
{
  PageWait wait = { stack, page };

  wait_for (page_shown, &wait, page);
}

static void
wait_for_page (YpWindow   *window,
               const char *page)
{
  wait_for_stack_page (window_stack (window), page);
}

/* The first widget of TYPE in the tree under WIDGET. */
static GtkWidget *
find_descendant (GtkWidget *widget,
                 GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

static GtkWidget *
page_child (YpWindow   *window,
            const char *page,
            GType       page_type,
            const char *name)
{
  GtkWidget *widget = gtk_stack_get_child_by_name (window_stack (window), page);

  g_assert_nonnull (widget);
  widget = find_descendant (widget, page_type);
  g_assert_nonnull (widget);
  return GTK_WIDGET (gtk_widget_get_template_child (widget, page_type, name));
}

static GtkWidget *
sign_in_child (YpWindow   *window,
               const char *name)
{
  return page_child (window, "sign-in", YP_TYPE_SIGN_IN_PAGE, name);
}

static void
fill_in (YpWindow   *window,
         const char *server_url,
         const char *username,
         const char *password)
{
  gtk_editable_set_text (GTK_EDITABLE (sign_in_child (window, "server_row")), server_url);
  gtk_editable_set_text (GTK_EDITABLE (sign_in_child (window, "username_row")), username);
  gtk_editable_set_text (GTK_EDITABLE (sign_in_child (window, "password_row")), password);
}

static void
press (YpWindow   *window,
       const char *button)
{
  GtkWidget *widget = sign_in_child (window, button);

  g_assert_true (gtk_widget_is_sensitive (widget));
  /* as a click does; gtk_widget_activate() would only click after a delay */
  g_signal_emit_by_name (widget, "clicked");
}

static gboolean
error_shown (gpointer data)
{
  GtkWidget *label = sign_in_child (data, "error_label");
  GtkWidget *button = sign_in_child (data, "sign_in_button");

  /* sensitive again: the answer is in */
  return gtk_widget_get_visible (label) && gtk_widget_is_sensitive (button);
}

/* The inline error after pressing BUTTON, which must be EXPECTED. */
static void
assert_error_after (YpWindow   *window,
                    const char *button,
                    const char *expected)
{
  GtkWidget *label = sign_in_child (window, "error_label");

  press (window, button);
  wait_for (error_shown, window, expected);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (label)), ==, expected);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (window_stack (window)), ==, "sign-in");
}

static YpWindow *
open_window (void)
{
  YpWindow *window = yp_window_new (NULL);

  gtk_window_present (GTK_WINDOW (window));
  return window;
}

static void
close_window (YpWindow *window)
{
  g_autoptr(YpSession) session = g_object_ref (yp_window_get_session (window));

  gtk_window_destroy (GTK_WINDOW (window));
  flush_main_context ();
  /* nothing in the window keeps its session alive */
  assert_released (G_OBJECT (g_steal_pointer (&session)));
}

/* A label in the tree under WIDGET that shows TEXT: what the user sees. */
static gboolean
find_label (GtkWidget  *widget,
            const char *text)
{
  if (GTK_IS_LABEL (widget) && gtk_widget_get_mapped (widget)
      && g_strcmp0 (gtk_label_get_text (GTK_LABEL (widget)), text) == 0)
    return TRUE;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    if (find_label (child, text))
      return TRUE;
  return FALSE;
}

static gboolean
file_shown (gpointer data)
{
  return find_label (GTK_WIDGET (data), uploaded_name);
}

/* Saves the screen as NAME.png next to the test, and fails if it is blank. */
static void
screenshot (const char *name)
{
  const char *dir = g_getenv ("YP_SCREENSHOT_DIR");
  g_autofree char *file = NULL;
  g_autofree char *file_name = g_strconcat (name, ".png", NULL);
  g_autofree char *colours = NULL;
  g_autoptr(GError) error = NULL;
  int status;

  /* let the last changes be drawn */
  for (int i = 0; i < 30; i++)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  file = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), file_name, NULL);
  g_spawn_sync (NULL, (char *[]) { "import", "-window", "root", file, NULL }, NULL,
                G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  g_spawn_sync (NULL, (char *[]) { "convert", file, "-format", "%k", "info:", NULL }, NULL,
                G_SPAWN_SEARCH_PATH, NULL, NULL, &colours, NULL, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpint (atoi (colours), >, 1);
  g_test_message ("screenshot %s: %s colours", file, g_strstrip (colours));
}

static char *
stored_token (const char *username)
{
  g_autoptr(GError) error = NULL;
  char *token = yp_keyring_lookup_token_sync (server->url, username, NULL, &error);

  g_assert_no_error (error);
  return token;
}

static gboolean
account_saved (void)
{
  g_autofree char *path = yp_account_path ();

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

/* -- the cases ------------------------------------------------------------ */

static void
test_wrong_password (void)
{
  YpWindow *window = open_window ();
  g_autofree char *token = NULL;

  wait_for_page (window, "sign-in");
  fill_in (window, server->url, "alice", "not the password");
  assert_error_after (window, "sign_in_button", "Wrong username or password.");
  /* nothing was kept */
  token = stored_token ("alice");
  g_assert_null (token);
  g_assert_false (account_saved ());
  screenshot ("sign-in-error");
  close_window (window);
}

static void
test_unreachable (void)
{
  YpWindow *window = open_window ();

  wait_for_page (window, "sign-in");
  /* the discard port: nothing listens there */
  fill_in (window, "127.0.0.1:9", "alice", PASSWORD);
  assert_error_after (window, "sign_in_button",
                      "The server cannot be reached. Check the address and your connection.");
  close_window (window);
}

static void
test_register_errors (void)
{
  YpWindow *window = open_window ();

  wait_for_page (window, "sign-in");
  fill_in (window, server->url, "alice", "a different long passphrase");
  assert_error_after (window, "register_button",
                      "That username is taken. Choose another one, or sign in.");
  fill_in (window, server->url, "carol", "password1");
  assert_error_after (window, "register_button",
                      "This password is too easy to guess. Use a longer one, or a few "
                      "unrelated words.");
  fill_in (window, server->url, "no spaces allowed", PASSWORD);
  assert_error_after (window, "register_button",
                      "Usernames are 3 to 32 letters, digits, “_”, “.” or “-”.");
  close_window (window);
}

static void
test_sign_in_shows_files (void)
{
  YpWindow *window = open_window ();
  GtkWidget *files_page;
  g_autofree char *token = NULL;
  g_autofree char *saved_server = NULL;
  g_autofree char *saved_user = NULL;
  g_autofree char *size = NULL;
  g_autofree char *normal_url = yp_server_url_normalize (server->url);
  g_autoptr(GError) error = NULL;

  wait_for_page (window, "sign-in");
  fill_in (window, server->url, "alice", PASSWORD);
  press (window, "sign_in_button");
  wait_for_page (window, "main");
  wait_for (file_shown, window, "the uploaded file in the list");

  files_page = yp_window_get_files_page (window);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (
    yp_files_page_get_model (YP_FILES_PAGE (files_page)))), ==, 1);
  size = g_format_size (12345);
  g_assert_true (find_label (files_page, size));
  /* the password does not stay in the entry */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (sign_in_child (window, "password_row"))),
                   ==, "");

  token = stored_token ("alice");
  g_assert_nonnull (token);
  g_assert_true (yp_account_load (&saved_server, &saved_user, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (saved_server, ==, normal_url);
  g_assert_cmpstr (saved_user, ==, "alice");
  screenshot ("files");
  close_window (window);
}

static void
note_sign_in_page (GtkStack *stack,
                   GParamSpec *pspec,
                   gboolean *seen)
{
  if (g_strcmp0 (gtk_stack_get_visible_child_name (stack), "sign-in") == 0)
    *seen = TRUE;
}

static void
test_restore_opens_files (void)
{
  YpWindow *window = yp_window_new (NULL);
  gboolean sign_in_seen = FALSE;

  g_signal_connect (window_stack (window), "notify::visible-child",
                    G_CALLBACK (note_sign_in_page), &sign_in_seen);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_page (window, "main");
  wait_for (file_shown, window, "the uploaded file in the list");
  g_assert_false (sign_in_seen);
  close_window (window);
}

/* The process has not ended (its exit would have been reaped by now). */
static gboolean
still_running (GSubprocess *process)
{
  flush_main_context ();
  return g_subprocess_get_identifier (process) != NULL;
}

/* Asks the running app to quit (app.quit over D-Bus) and waits for it. */
static void
quit_app (GSubprocess *app)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GVariant) reply = NULL;

  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (bus, "io.github.yunpan.Yunpan", "/io/github/yunpan/Yunpan",
                                       "org.gtk.Actions", "Activate",
                                       g_variant_new ("(sava{sv})", "quit", NULL, NULL),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (app, NULL, &error));
  g_assert_no_error (error);
}

/* The real binary: started signed in, it lists the files at once (the
 * server sees it ask), a second start hands over to it, and app.quit over
 * D-Bus ends it. */
static void
test_app_binary (void)
{
  const char *binary = g_getenv ("YP_GUI_BINARY");
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GPtrArray) before = NULL;
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (binary);
  before = yp_test_server_log_lines (server, "/api/v1/files/list");
  app = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, binary, NULL);
  g_assert_no_error (error);
  after = yp_test_server_wait_log_lines (server, "/api/v1/files/list", before->len + 1);
  g_assert_cmpuint (after->len, >, before->len);
  g_assert_true (still_running (app));
  screenshot ("app");

  second = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, binary, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (second, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (still_running (app));

  quit_app (app);
}

/* The app's visible windows on the display, by xdotool. */
static guint
count_app_windows (void)
{
  g_autofree char *out = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  int status;

  g_spawn_sync (NULL, (char *[]) { "xdotool", "search", "--onlyvisible", "--name", "Yunpan$",
                                   NULL },
                NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                &status, &error);
  g_assert_no_error (error);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  /* no match: an empty output, which splits into no lines */
  return g_strv_length (lines);
}

/* --background keeps the app running without a window; a plain start then
 * shows one, in the same process. */
static void
test_app_background (void)
{
  const char *binary = g_getenv ("YP_GUI_BINARY");
  g_autoptr(GSubprocess) app = NULL;
  g_autoptr(GSubprocess) second = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deadline;

  g_assert_cmpuint (count_app_windows (), ==, 0);
  app = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, binary, "--background", NULL);
  g_assert_no_error (error);
  g_assert_true (wait_for_name ("io.github.yunpan.Yunpan"));
  iterate_for (1000);
  g_assert_true (still_running (app));
  g_assert_cmpuint (count_app_windows (), ==, 0);

  second = g_subprocess_new (G_SUBPROCESS_FLAGS_NONE, &error, binary, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (second, NULL, &error));
  deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;
  while (count_app_windows () == 0)
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      iterate_for (100);
    }
  g_assert_cmpuint (count_app_windows (), ==, 1);
  quit_app (app);
}

static void
test_sign_out (void)
{
  YpWindow *window = open_window ();
  g_autofree char *token = NULL;
  g_autofree char *normal_url = yp_server_url_normalize (server->url);

  wait_for_page (window, "main");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
  wait_for_page (window, "sign-in");
  token = stored_token ("alice");
  g_assert_null (token);
  g_assert_false (account_saved ());
  /* the server is offered again */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (sign_in_child (window, "server_row"))),
                   ==, normal_url);
  screenshot ("signed-out");
  close_window (window);
}

static void
test_register_new_account (void)
{
  YpWindow *window = open_window ();
  GtkWidget *files_page;
  g_autofree char *token = NULL;

  wait_for_page (window, "sign-in");
  fill_in (window, server->url, "bob", PASSWORD);
  press (window, "register_button");
  wait_for_page (window, "main");
  files_page = yp_window_get_files_page (window);
  wait_for_stack_page (GTK_STACK (gtk_widget_get_template_child (files_page, YP_TYPE_FILES_PAGE,
                                                                 "stack")),
                       "empty");
  token = stored_token ("bob");
  g_assert_nonnull (token);
  screenshot ("empty");
  gtk_widget_activate_action (GTK_WIDGET (window), "win.sign-out", NULL);
  wait_for_page (window, "sign-in");
  close_window (window);
}

/* Run in a child whose session bus is gone: no Secret Service. */
static void
test_no_keyring (void)
{
  if (g_test_subprocess ())
    {
      YpWindow *window;
      g_autoptr(GError) error = NULL;

      g_assert_true (yp_account_save ("http://127.0.0.1:9", "alice", &error));
      g_assert_no_error (error);
      window = open_window ();
      wait_for_page (window, "no-keyring");
      screenshot ("no-keyring");
      gtk_window_destroy (GTK_WINDOW (window));
      return;
    }

  {
    g_autofree char *bus = g_strdup (g_getenv ("DBUS_SESSION_BUS_ADDRESS"));
    g_autofree char *config = g_build_filename (home, "config-no-keyring", NULL);
    g_autofree char *saved_config = g_strdup (g_getenv ("XDG_CONFIG_HOME"));

    g_setenv ("DBUS_SESSION_BUS_ADDRESS", "disabled:", TRUE);
    g_setenv ("XDG_CONFIG_HOME", config, TRUE);
    g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
    g_setenv ("DBUS_SESSION_BUS_ADDRESS", bus, TRUE);
    g_setenv ("XDG_CONFIG_HOME", saved_config, TRUE);
    g_test_trap_assert_passed ();
  }
}

int
main (int   argc,
      char *argv[])
{
  int status;

  /* a child of g_test_trap_subprocess() lives in its parent's */
  if (g_getenv ("YP_GUI_TEST_HOME") == NULL)
    make_home ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  yp_keyring_set_timeout (10);

  if (g_test_subprocess ())
    {
      g_test_add_func ("/yunpan/gui/no-keyring", test_no_keyring);
      return g_test_run ();
    }

  start_keyring ();
  server = yp_test_server_start ();
  make_alice ();

  g_test_add_func ("/yunpan/gui/sign-in-wrong-password", test_wrong_password);
  g_test_add_func ("/yunpan/gui/sign-in-unreachable", test_unreachable);
  g_test_add_func ("/yunpan/gui/register-errors", test_register_errors);
  g_test_add_func ("/yunpan/gui/sign-in-shows-files", test_sign_in_shows_files);
  g_test_add_func ("/yunpan/gui/restore-opens-files", test_restore_opens_files);
  g_test_add_func ("/yunpan/gui/app-binary", test_app_binary);
  g_test_add_func ("/yunpan/gui/app-background", test_app_background);
  g_test_add_func ("/yunpan/gui/sign-out", test_sign_out);
  g_test_add_func ("/yunpan/gui/register-new-account", test_register_new_account);
  g_test_add_func ("/yunpan/gui/no-keyring", test_no_keyring);
  /* in order: each case starts from where the one before left the
   * account, as a person would go on (one suite, so GTest keeps it) */
  status = g_test_run ();

  yp_test_server_stop (server);
  stop_keyring ();
  g_spawn_sync (NULL, (char *[]) { "rm", "-rf", home, NULL }, NULL, G_SPAWN_SEARCH_PATH, NULL,
                NULL, NULL, NULL, NULL, NULL);
  g_clear_pointer (&home, g_free);
  return status;
}
