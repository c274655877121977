/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The sync folders against a real server, under Xvfb: the manager's
 * checks and saved pairs, and the page driven through its actions: add a
 * folder in the dialog, see it sync, pause and resume, a conflict listed,
 * remove it with both sides' files kept, and the empty state. A
 * screenshot of the page goes to YP_SCREENSHOT_DIR.
 */
#include <string.h>

#include <glib/gstdio.h>
#include <gtk/gtk.h>

#include "yp-sync-add-dialog.h"
#include "yp-sync-manager.h"
#include "yp-sync-page.h"
#include "yp-sync-row.h"
#include "yp-sync-state.h"
#include "yp-test-fixture.h"

#define WAIT_MS 20000

static YpTestServer *server;
static YpClient *alice;
static YpClient *bob;
static GSettings *settings;
static char *home;

/* The page and its window, shared by the page cases, which go on from
 * where the one before left it, as a person would. */
static YpSyncManager *manager;
static GtkWindow *window;
static YpSyncPage *page;

/* -- the world ------------------------------------------------------------ */

/* The default app for folders and text files: it writes the paths it is
 * given to HOME/opened, one a line. Set up before GIO reads these. */
static void
make_opener (void)
{
  g_autofree char *apps = g_build_filename (home, "XDG_DATA_HOME", "applications", NULL);
  g_autofree char *desktop = g_build_filename (apps, "yp-test-opener.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (home, "XDG_CONFIG_HOME", "mimeapps.list", NULL);
  g_autofree char *log = g_build_filename (home, "opened", NULL);
  g_autofree char *entry = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (g_mkdir_with_parents (apps, 0700), ==, 0);
  entry = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Opener\nNoDisplay=true\n"
                           "MimeType=inode/directory;text/plain;\n"
                           "Exec=sh -c 'echo \"$1\" >> %s' sh %%f\n", log);
  g_file_set_contents (desktop, entry, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (mimeapps,
                       "[Default Applications]\ninode/directory=yp-test-opener.desktop\n"
                       "text/plain=yp-test-opener.desktop\n", -1, &error);
  g_assert_no_error (error);
}

static void
make_home (void)
{
  static const char *const vars[] = { "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
                                      "XDG_RUNTIME_DIR" };
  g_autoptr(GError) error = NULL;

  home = g_dir_make_tmp ("yp-sync-page-XXXXXX", &error);
  g_assert_no_error (error);
  /* before anything asks GLib for these folders: it caches them */
  for (guint i = 0; i < G_N_ELEMENTS (vars); i++)
    {
      g_autofree char *dir = g_build_filename (home, vars[i], NULL);

      g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
      g_setenv (vars[i], dir, TRUE);
    }
  g_setenv ("HOME", home, TRUE);
  make_opener ();
}

static char *
home_path (const char *name)
{
  return g_build_filename (home, name, NULL);
}

static void
set_alice (YpSyncManager *m)
{
  g_autofree char *token = yp_client_dup_token (alice);

  yp_sync_manager_set_account (m, server->url, "alice", token);
}

static void
set_bob (YpSyncManager *m)
{
  g_autofree char *token = yp_client_dup_token (bob);

  yp_sync_manager_set_account (m, server->url, "bob", token);
}

static guint
n_saved_pairs (void)
{
  g_autoptr(GVariant) pairs = g_settings_get_value (settings, "sync-folders");

  return g_variant_n_children (pairs);
}

static gboolean
remote_exists (const char *path)
{
  g_autoptr(YpNode) node = yp_client_stat_sync (alice, YP_TARGET_PATH (path), NULL, NULL);

  return node != NULL;
}

static void
write_file (const char *path,
            const char *contents)
{
  g_autoptr(GError) error = NULL;

  g_file_set_contents (path, contents, -1, &error);
  g_assert_no_error (error);
}

/* Replaces whatever version REMOTE has, as another computer would. */
static void
put_remote (const char *remote,
            const char *contents)
{
  g_autofree char *local = home_path ("upload.tmp");
  g_autoptr(YpTransfer) transfer = NULL;
  g_autoptr(GError) error = NULL;

  write_file (local, contents);
  transfer = yp_transfer_new_upload (local, remote, YP_VERSION_ANY);
  yp_client_upload_sync (alice, transfer, &error);
  g_assert_no_error (error);
  g_unlink (local);
}

/* -- waiting -------------------------------------------------------------- */

typedef gboolean (*Condition) (gconstpointer data);

static void
wait_for (Condition      condition,
          gconstpointer  data,
          const char    *what)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * G_TIME_SPAN_MILLISECOND;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting for %s", what);
      iterate_for (20);
    }
}

static gboolean
remote_exists_cond (gconstpointer data)
{
  return remote_exists (data);
}

/* -- the page's widgets --------------------------------------------------- */

static GtkWidget *
page_child (const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (page), YP_TYPE_SYNC_PAGE, name));
}

static const char *
visible_page (void)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (page_child ("stack")));
}

static guint
n_rows (void)
{
  GtkListBox *list = GTK_LIST_BOX (page_child ("list_box"));
  guint n = 0;

  while (gtk_list_box_get_row_at_index (list, n) != NULL)
    n++;
  return n;
}

static YpSyncRow *
first_row (void)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (page_child ("list_box")), 0);

  g_assert_true (YP_IS_SYNC_ROW (row));
  return YP_SYNC_ROW (row);
}

static GtkWidget *
row_child (YpSyncRow  *row,
           const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (row), YP_TYPE_SYNC_ROW, name));
}

static const char *
row_status (void)
{
  return gtk_label_get_text (GTK_LABEL (row_child (first_row (), "status_label")));
}

static gboolean
status_is (gconstpointer data)
{
  return n_rows () == 1 && g_strcmp0 (row_status (), data) == 0;
}

static void
wait_for_status (const char *status)
{
  g_autofree char *what = g_strdup_printf ("the row to say “%s”", status);

  wait_for (status_is, status, what);
}

static gboolean
conflict_listed (gconstpointer data)
{
  GtkWidget *list = row_child (first_row (), "conflicts_list");

  return gtk_widget_get_visible (row_child (first_row (), "conflicts_box"))
         && gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0) != NULL;
}

/* The visible toplevel of TYPE, or NULL. */
static GtkWindow *
find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (toplevel, type)
          && gtk_widget_get_visible (GTK_WIDGET (toplevel)))
        return toplevel;
    }
  return NULL;
}

static GtkWidget *
dialog_child (GtkWindow  *dialog,
              const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (dialog),
                                                    YP_TYPE_SYNC_ADD_DIALOG, name));
}

static const char *
dialog_error (GtkWindow *dialog)
{
  GtkWidget *label = dialog_child (dialog, "error_label");

  return gtk_widget_get_visible (label) ? gtk_label_get_text (GTK_LABEL (label)) : NULL;
}

static gboolean
has_size (gconstpointer data)
{
  return gtk_widget_get_mapped ((GtkWidget *) data) && gtk_widget_get_width ((GtkWidget *) data) > 0;
}

/* Renders WIDGET as NAME.png next to the test, and fails if it is blank. */
static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  const char *dir = g_getenv ("YP_SCREENSHOT_DIR");
  int width, height;
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autoptr(GHashTable) colours = g_hash_table_new (NULL, NULL);
  g_autofree guint32 *pixels = NULL;
  g_autofree char *file_name = g_strconcat (name, ".png", NULL);
  g_autofree char *file = g_build_filename (dir != NULL ? dir : g_get_tmp_dir (), file_name,
                                            NULL);

  /* mapped, laid out and drawn */
  wait_for (has_size, widget, "the widget to be shown");
  iterate_for (300);
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_to_node (snapshot);
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_true (gdk_texture_save_to_png (texture, file));

  pixels = g_new (guint32, (gsize) width * height);
  gdk_texture_download (texture, (guchar *) pixels, width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    g_hash_table_add (colours, GUINT_TO_POINTER (pixels[i]));
  /* text, icons and buttons, not one flat colour */
  g_assert_cmpuint (g_hash_table_size (colours), >, 16);
  g_test_message ("screenshot %s: %u colours", file, g_hash_table_size (colours));
}

/* -- the manager ---------------------------------------------------------- */

static void
assert_refused (YpSyncManager      *m,
                const char         *local,
                const char         *remote,
                YpSyncManagerError  code,
                const char         *expected)
{
  g_autoptr(GError) error = NULL;
  guint saved = n_saved_pairs ();
  guint running = g_list_model_get_n_items (yp_sync_manager_get_pairs (m));

  g_assert_null (yp_sync_manager_add_pair (m, local, remote, &error));
  g_assert_error (error, YP_SYNC_MANAGER_ERROR, (int) code);
  g_assert_cmpstr (error->message, ==, expected);
  g_assert_cmpuint (n_saved_pairs (), ==, saved);
  g_assert_cmpuint (g_list_model_get_n_items (yp_sync_manager_get_pairs (m)), ==, running);
}

static void
test_manager_validation (void)
{
  g_autoptr(YpSyncManager) m = yp_sync_manager_new (settings);
  g_autofree char *docs = home_path ("Docs");
  g_autofree char *docs_slash = g_strconcat (docs, "/./", NULL);
  g_autofree char *inside = home_path ("Docs/Inner");
  g_autofree char *other = home_path ("Other");
  g_autofree char *message = NULL;
  g_autoptr(GError) error = NULL;
  YpSyncEngine *engine;

  assert_refused (m, docs, "/Docs", YP_SYNC_MANAGER_ERROR_SIGNED_OUT,
                  "Sign in to add a sync folder.");
  set_alice (m);
  assert_refused (m, "Docs", "/Docs", YP_SYNC_MANAGER_ERROR_LOCAL_PATH,
                  "“Docs” is not a full path: it must start with “/”.");
  assert_refused (m, "", "/Docs", YP_SYNC_MANAGER_ERROR_LOCAL_PATH,
                  "Choose a folder on this computer.");
  assert_refused (m, docs, "Docs", YP_SYNC_MANAGER_ERROR_REMOTE_PATH,
                  "The folder on the server must start with “/”.");
  assert_refused (m, docs, "/Do\tcs", YP_SYNC_MANAGER_ERROR_REMOTE_PATH,
                  "“/Do\tcs” is not a valid folder name on the server.");
  assert_refused (m, docs, "/a//b", YP_SYNC_MANAGER_ERROR_REMOTE_PATH,
                  "“/a//b” is not a valid folder name on the server.");

  engine = yp_sync_manager_add_pair (m, docs, "/Docs/", &error);
  g_assert_no_error (error);
  g_assert_nonnull (engine);
  g_assert_cmpstr (yp_sync_engine_get_local_path (engine), ==, docs);
  g_assert_cmpstr (yp_sync_engine_get_remote_path (engine), ==, "/Docs");
  g_assert_true (yp_sync_manager_has_pairs (m));
  g_assert_cmpuint (n_saved_pairs (), ==, 1);

  message = g_strdup_printf ("“%s” is already a sync folder.", docs);
  assert_refused (m, docs_slash, "/Elsewhere", YP_SYNC_MANAGER_ERROR_DUPLICATE, message);
  g_free (message);
  message = g_strdup_printf ("“%s” is inside the sync folder “%s”.", inside, docs);
  assert_refused (m, inside, "/Elsewhere", YP_SYNC_MANAGER_ERROR_NESTED, message);
  g_free (message);
  message = g_strdup_printf ("“%s” holds the sync folder “%s”.", home, docs);
  assert_refused (m, home, "/Elsewhere", YP_SYNC_MANAGER_ERROR_NESTED, message);
  assert_refused (m, other, "/Docs/Sub", YP_SYNC_MANAGER_ERROR_NESTED,
                  "“/Docs/Sub” on the server overlaps “/Docs”, which is already synced.");
  assert_refused (m, other, "/", YP_SYNC_MANAGER_ERROR_NESTED,
                  "“/” on the server overlaps “/Docs”, which is already synced.");

  /* another account may use the same remote path, not the same folder */
  set_bob (m);
  g_assert_false (yp_sync_manager_has_pairs (m));
  g_free (message);
  message = g_strdup_printf ("“%s” is already a sync folder.", docs);
  assert_refused (m, docs, "/Docs", YP_SYNC_MANAGER_ERROR_DUPLICATE, message);

  set_alice (m);
  g_assert_cmpuint (g_list_model_get_n_items (yp_sync_manager_get_pairs (m)), ==, 1);
  engine = g_list_model_get_item (yp_sync_manager_get_pairs (m), 0);
  yp_sync_manager_remove_pair (m, engine);
  /* stopped, and the manager holds it no more */
  g_assert_cmpint (yp_sync_engine_get_status (engine), ==, YP_SYNC_STATUS_STOPPED);
  assert_released (G_OBJECT (engine));
  g_assert_false (yp_sync_manager_has_pairs (m));
  g_assert_cmpuint (n_saved_pairs (), ==, 0);
  assert_released (G_OBJECT (g_steal_pointer (&m)));
}

static void
note_has_pairs (guint *count)
{
  (*count)++;
}

/* Saved pairs start again for their account only, and dispose stops them. */
static void
test_manager_persisted (void)
{
  g_autoptr(YpSyncManager) first = yp_sync_manager_new (settings);
  g_autoptr(YpSyncManager) second = NULL;
  g_autofree char *kept = home_path ("Kept");
  g_autoptr(YpSyncEngine) engine = NULL;
  g_autoptr(GError) error = NULL;
  GListModel *pairs;
  guint notified = 0;

  set_alice (first);
  engine = g_object_ref (yp_sync_manager_add_pair (first, kept, "/Kept", &error));
  g_assert_no_error (error);
  assert_released (G_OBJECT (g_steal_pointer (&first)));
  /* dispose stopped it: its thread is gone */
  g_assert_cmpint (yp_sync_engine_get_status (engine), ==, YP_SYNC_STATUS_STOPPED);
  g_assert_cmpuint (n_saved_pairs (), ==, 1);

  second = yp_sync_manager_new (settings);
  pairs = yp_sync_manager_get_pairs (second);
  g_signal_connect_swapped (second, "notify::has-pairs", G_CALLBACK (note_has_pairs), &notified);
  g_assert_cmpuint (g_list_model_get_n_items (pairs), ==, 0);

  set_bob (second);
  g_assert_cmpuint (g_list_model_get_n_items (pairs), ==, 0);
  g_assert_cmpuint (notified, ==, 0);

  set_alice (second);
  g_assert_cmpuint (g_list_model_get_n_items (pairs), ==, 1);
  g_assert_cmpuint (notified, ==, 1);
  g_clear_object (&engine);
  engine = g_list_model_get_item (pairs, 0);
  g_assert_cmpstr (yp_sync_engine_get_local_path (engine), ==, kept);
  g_assert_cmpstr (yp_sync_engine_get_remote_path (engine), ==, "/Kept");
  g_assert_cmpint (yp_sync_engine_get_status (engine), !=, YP_SYNC_STATUS_STOPPED);

  /* another account: the first's engines stop, its pairs stay saved */
  set_bob (second);
  g_assert_cmpuint (g_list_model_get_n_items (pairs), ==, 0);
  g_assert_cmpint (yp_sync_engine_get_status (engine), ==, YP_SYNC_STATUS_STOPPED);
  g_assert_cmpuint (n_saved_pairs (), ==, 1);

  yp_sync_manager_clear_account (second);
  g_assert_false (yp_sync_manager_get_signed_in (second));
  set_alice (second);
  g_clear_object (&engine);
  engine = g_list_model_get_item (pairs, 0);
  yp_sync_manager_remove_pair (second, engine);
  g_assert_cmpuint (n_saved_pairs (), ==, 0);
  g_signal_handlers_disconnect_by_data (second, &notified);
  assert_released (G_OBJECT (g_steal_pointer (&second)));
}

/* -- the page ------------------------------------------------------------- */

static void
test_page_empty (void)
{
  manager = yp_sync_manager_new (settings);
  page = YP_SYNC_PAGE (yp_sync_page_new (manager));
  window = GTK_WINDOW (gtk_window_new ());
  gtk_window_set_default_size (window, 800, 600);
  gtk_window_set_child (window, GTK_WIDGET (page));
  gtk_window_present (window);

  g_assert_cmpstr (visible_page (), ==, "signed-out");
  /* no account to add a folder to */
  gtk_widget_activate_action (GTK_WIDGET (page), "sync.add", NULL);
  g_assert_null (find_window (YP_TYPE_SYNC_ADD_DIALOG));

  set_alice (manager);
  g_assert_cmpstr (visible_page (), ==, "empty");
  g_assert_cmpuint (n_rows (), ==, 0);
  screenshot (GTK_WIDGET (window), "sync-empty");
}

static void
test_page_add (void)
{
  g_autofree char *local = home_path ("Sync");
  g_autofree char *hello = g_build_filename (local, "hello.txt", NULL);
  g_autoptr(GFile) folder = g_file_new_for_path (local);
  GtkWindow *dialog;
  GtkEditable *remote;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "sync.add", NULL));
  dialog = find_window (YP_TYPE_SYNC_ADD_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (gtk_window_get_transient_for (dialog) == window);
  remote = GTK_EDITABLE (dialog_child (dialog, "remote_row"));

  /* nothing chosen yet */
  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.add", NULL);
  g_assert_cmpstr (dialog_error (dialog), ==, "Choose a folder on this computer.");

  yp_sync_add_dialog_set_folder (YP_SYNC_ADD_DIALOG (dialog), folder);
  g_assert_null (dialog_error (dialog));
  g_assert_cmpstr (gtk_editable_get_text (remote), ==, "/Sync");

  gtk_editable_set_text (remote, "Sync");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.add", NULL);
  g_assert_cmpstr (dialog_error (dialog), ==, "The folder on the server must start with “/”.");
  g_assert_cmpuint (n_rows (), ==, 0);
  g_assert_true (find_window (YP_TYPE_SYNC_ADD_DIALOG) == dialog);
  screenshot (GTK_WIDGET (dialog), "sync-add-error");

  gtk_editable_set_text (remote, "/Sync");
  gtk_widget_activate_action (GTK_WIDGET (dialog), "dialog.add", NULL);
  flush_main_context ();
  g_assert_null (find_window (YP_TYPE_SYNC_ADD_DIALOG));

  g_assert_cmpuint (n_rows (), ==, 1);
  g_assert_cmpstr (visible_page (), ==, "list");
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (row_child (first_row (), "title_label"))), ==,
                   "~/Sync");
  wait_for_status ("Up to date");
  g_assert_true (g_file_test (local, G_FILE_TEST_IS_DIR));
  g_assert_true (remote_exists ("/Sync"));
  g_assert_true (gtk_widget_get_visible (row_child (first_row (), "last_sync_label")));

  write_file (hello, "hello");
  wait_for (remote_exists_cond, "/Sync/hello.txt", "the new file on the server");
  wait_for_status ("Up to date");
  screenshot (GTK_WIDGET (window), "sync-page");
}

static gboolean
engine_paused (gconstpointer data)
{
  YpSyncEngine *engine = yp_sync_row_get_engine ((YpSyncRow *) data);

  return yp_sync_engine_get_status (engine) == YP_SYNC_STATUS_PAUSED;
}

static void
test_page_pause (void)
{
  g_autofree char *later = home_path ("Sync/later.txt");
  YpSyncRow *row = first_row ();

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "sync.pause", NULL));
  wait_for_status ("Paused");
  g_assert_true (gtk_widget_get_visible (row_child (row, "resume_button")));
  g_assert_false (gtk_widget_get_visible (row_child (row, "pause_button")));
  /* at once in the row; the engine's thread confirms it */
  wait_for (engine_paused, row, "the engine to pause");

  write_file (later, "later");
  iterate_for (2000);
  g_assert_false (remote_exists ("/Sync/later.txt"));
  g_assert_cmpstr (row_status (), ==, "Paused");

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "sync.resume", NULL));
  wait_for (remote_exists_cond, "/Sync/later.txt", "the file saved while paused on the server");
  wait_for_status ("Up to date");
  g_assert_true (gtk_widget_get_visible (row_child (row, "pause_button")));
}

static void
test_page_conflict (void)
{
  g_autofree char *report = home_path ("Sync/report.txt");
  YpSyncRow *row = first_row ();
  GtkListBoxRow *conflict;
  g_autofree char *copy_path = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;

  write_file (report, "first");
  wait_for (remote_exists_cond, "/Sync/report.txt", "report.txt on the server");
  wait_for_status ("Up to date");

  gtk_widget_activate_action (GTK_WIDGET (row), "sync.pause", NULL);
  wait_for (engine_paused, row, "the engine to pause");
  write_file (report, "edited here");
  put_remote ("/Sync/report.txt", "edited there");
  g_assert_false (conflict_listed (NULL));

  gtk_widget_activate_action (GTK_WIDGET (row), "sync.resume", NULL);
  wait_for (conflict_listed, NULL, "the conflict in the row");
  conflict = gtk_list_box_get_row_at_index (GTK_LIST_BOX (row_child (row, "conflicts_list")), 0);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (conflict)), ==,
                   "report.txt");
  g_assert_null (gtk_list_box_get_row_at_index (
    GTK_LIST_BOX (row_child (row, "conflicts_list")), 1));

  conflicts = yp_sync_engine_dup_conflicts (yp_sync_row_get_engine (row));
  g_assert_cmpuint (conflicts->len, ==, 1);
  copy_path = g_build_filename (home, "Sync",
                                ((YpSyncConflict *) conflicts->pdata[0])->copy_path, NULL);
  g_assert_true (g_str_has_suffix (adw_action_row_get_subtitle (ADW_ACTION_ROW (conflict)),
                                   "”"));
  g_assert_true (strstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (conflict)),
                         ((YpSyncConflict *) conflicts->pdata[0])->copy_path) != NULL);
  g_assert_true (g_file_test (copy_path, G_FILE_TEST_IS_REGULAR));
  wait_for_status ("Up to date");
  screenshot (GTK_WIDGET (window), "sync-conflict");
}

/* As a click on a response's button: the response, then the dialog closes. */
static void
answer (GtkWindow  *dialog,
        const char *response)
{
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (dialog), response);
  gtk_window_close (dialog);
  flush_main_context ();
}

static gboolean
opened (gconstpointer data)
{
  g_autofree char *log = home_path ("opened");
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  if (!g_file_get_contents (log, &contents, NULL, NULL))
    return FALSE;
  lines = g_strsplit (contents, "\n", -1);
  return g_strv_contains ((const char *const *) lines, data);
}

/* The folder, and both versions of a conflict, open in the default app. */
static void
test_page_open (void)
{
  YpSyncRow *row = first_row ();
  g_autoptr(GPtrArray) conflicts = yp_sync_engine_dup_conflicts (yp_sync_row_get_engine (row));
  const YpSyncConflict *conflict;
  g_autofree char *folder = home_path ("Sync");
  g_autofree char *original = NULL;
  g_autofree char *copy = NULL;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "sync.open-folder", NULL));
  wait_for (opened, folder, "the folder opened");

  g_assert_cmpuint (conflicts->len, ==, 1);
  conflict = conflicts->pdata[0];
  original = g_build_filename (folder, conflict->path, NULL);
  copy = g_build_filename (folder, conflict->copy_path, NULL);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (row), "sync.open-conflict", "s",
                                             conflict->copy_path));
  wait_for (opened, original, "the original opened");
  wait_for (opened, copy, "the conflict copy opened");
}

static void
test_page_remove (void)
{
  g_autofree char *hello = home_path ("Sync/hello.txt");
  g_autoptr(YpSyncEngine) engine = g_object_ref (yp_sync_row_get_engine (first_row ()));
  GtkWindow *dialog;

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (first_row ()), "sync.remove", NULL));
  dialog = find_window (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  g_assert_true (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (dialog)),
                         "The files stay where they are") != NULL);

  /* cancelling keeps it */
  answer (dialog, "cancel");
  g_assert_null (find_window (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_cmpuint (n_rows (), ==, 1);

  gtk_widget_activate_action (GTK_WIDGET (first_row ()), "sync.remove", NULL);
  dialog = find_window (ADW_TYPE_MESSAGE_DIALOG);
  g_assert_nonnull (dialog);
  answer (dialog, "remove");

  g_assert_cmpuint (n_rows (), ==, 0);
  g_assert_cmpstr (visible_page (), ==, "empty");
  g_assert_cmpint (yp_sync_engine_get_status (engine), ==, YP_SYNC_STATUS_STOPPED);
  g_assert_cmpuint (n_saved_pairs (), ==, 0);
  g_assert_true (g_file_test (hello, G_FILE_TEST_IS_REGULAR));
  g_assert_true (remote_exists ("/Sync/hello.txt"));
  g_assert_true (remote_exists ("/Sync/report.txt"));
}

/* Signing out empties the page, and nothing in it keeps the manager. */
static void
test_page_signed_out (void)
{
  g_autofree char *again = home_path ("Again");
  g_autoptr(GError) error = NULL;

  g_assert_nonnull (yp_sync_manager_add_pair (manager, again, "/Again", &error));
  g_assert_cmpuint (n_rows (), ==, 1);
  yp_sync_manager_clear_account (manager);
  g_assert_cmpuint (n_rows (), ==, 0);
  g_assert_cmpstr (visible_page (), ==, "signed-out");
  /* kept for the next sign-in */
  g_assert_cmpuint (n_saved_pairs (), ==, 1);

  gtk_window_destroy (window);
  flush_main_context ();
  assert_released (G_OBJECT (g_steal_pointer (&manager)));
  g_settings_reset (settings, "sync-folders");
}

int
main (int   argc,
      char *argv[])
{
  int status;

  make_home ();
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  server = yp_test_server_start ();
  alice = new_user (server, "alice");
  bob = new_user (server, "bob");
  settings = g_settings_new ("io.github.yunpan.Yunpan");

  g_test_add_func ("/yunpan/sync-page/manager/validation", test_manager_validation);
  g_test_add_func ("/yunpan/sync-page/manager/persisted", test_manager_persisted);
  /* in order: each page case goes on from the one before */
  g_test_add_func ("/yunpan/sync-page/page/empty", test_page_empty);
  g_test_add_func ("/yunpan/sync-page/page/add", test_page_add);
  g_test_add_func ("/yunpan/sync-page/page/pause", test_page_pause);
  g_test_add_func ("/yunpan/sync-page/page/conflict", test_page_conflict);
  g_test_add_func ("/yunpan/sync-page/page/open", test_page_open);
  g_test_add_func ("/yunpan/sync-page/page/remove", test_page_remove);
  g_test_add_func ("/yunpan/sync-page/page/signed-out", test_page_signed_out);
  status = g_test_run ();

  g_clear_object (&settings);
  g_clear_object (&alice);
  g_clear_object (&bob);
  yp_test_server_stop (server);
  g_spawn_sync (NULL, (char *[]) { "rm", "-rf", home, NULL }, NULL, G_SPAWN_SEARCH_PATH, NULL,
                NULL, NULL, NULL, NULL, NULL);
  g_clear_pointer (&home, g_free);
  return status;
}
