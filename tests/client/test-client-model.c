/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a window binds to, against a real server: nodes' properties and a
 * folder as a list model that loads page by page without blocking.
 */
#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-folder-model.h"
#include "yp-test-fixture.h"

/* ------------------------------------------------------------------------
 * YpNode
 * ------------------------------------------------------------------------ */

static JsonObject *
stat_json (Fixture    *f,
           const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *escaped = g_uri_escape_string (path, NULL, FALSE);
  g_autofree char *query = g_strconcat ("path=", escaped, NULL);
  JsonObject *reply = _yp_client_call (f->client, "GET", "/files/stat", query, NULL, NULL,
                                       &error);

  g_assert_no_error (error);
  return json_object_ref (json_object_get_object_member (reply, "node"));
}

static void
assert_node_properties (YpNode     *node,
                        JsonObject *json)
{
  g_autofree char *name = NULL, *path = NULL, *sha256 = NULL, *category = NULL;
  gint64 id, parent_id, size, mtime, created, modified, version, downloads;
  gboolean is_folder;

  g_object_get (node,
                "id", &id, "parent-id", &parent_id, "name", &name, "path", &path,
                "is-folder", &is_folder, "size", &size, "sha256", &sha256,
                "category", &category, "mtime", &mtime, "created", &created,
                "modified", &modified, "version", &version, "downloads", &downloads,
                NULL);

  g_assert_cmpint (id, ==, yp_node_get_id (node));
  g_assert_cmpint (id, ==, json_object_get_int_member (json, "id"));
  g_assert_cmpint (parent_id, ==, yp_node_get_parent_id (node));
  g_assert_cmpint (parent_id, ==, json_object_get_int_member (json, "parent_id"));
  g_assert_cmpstr (name, ==, yp_node_get_name (node));
  g_assert_cmpstr (name, ==, json_object_get_string_member (json, "name"));
  g_assert_cmpstr (path, ==, yp_node_get_path (node));
  g_assert_cmpstr (path, ==, json_object_get_string_member (json, "path"));
  g_assert_cmpint (is_folder, ==, yp_node_is_folder (node));
  g_assert_cmpint (is_folder, ==,
                   g_str_equal (json_object_get_string_member (json, "type"), "folder"));
  g_assert_cmpint (size, ==, yp_node_get_size (node));
  g_assert_cmpint (size, ==, json_object_get_int_member_with_default (json, "size", 0));
  g_assert_cmpstr (sha256, ==, yp_node_get_sha256 (node));
  g_assert_cmpstr (sha256, ==, json_object_get_string_member_with_default (json, "sha256", NULL));
  g_assert_cmpstr (category, ==, yp_node_get_category (node));
  g_assert_cmpstr (category, ==,
                   json_object_get_string_member_with_default (json, "category", NULL));
  g_assert_cmpint (mtime, ==, yp_node_get_mtime (node));
  g_assert_cmpint (mtime, ==, json_object_get_int_member_with_default (json, "mtime", 0));
  g_assert_cmpint (created, ==, yp_node_get_created (node));
  g_assert_cmpint (created, ==, json_object_get_int_member (json, "created"));
  g_assert_cmpint (modified, ==, yp_node_get_modified (node));
  g_assert_cmpint (modified, ==, json_object_get_int_member (json, "modified"));
  g_assert_cmpint (version, ==, yp_node_get_version (node));
  g_assert_cmpint (version, ==, json_object_get_int_member (json, "version"));
  g_assert_cmpint (downloads, ==, yp_node_get_downloads (node));
  g_assert_cmpint (downloads, ==, json_object_get_int_member_with_default (json, "downloads", 0));
}

/* Every field is a property with the getter's value and the JSON's. */
static void
test_node_properties (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autofree char *local = make_file (f->dir, "cat.jpg", 1000, 3, NULL);
  g_autoptr(YpTransfer) fetched = NULL;
  g_autofree char *copy = g_build_filename (f->dir, "copy.jpg", NULL);
  const char *paths[] = { "/Photos", "/Photos/cat.jpg" };

  folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/Photos"), FALSE, NULL, &error);
  g_assert_no_error (error);
  transfer = upload (f->client, local, "/Photos/cat.jpg", &error);
  g_assert_no_error (error);
  fetched = download (f->client, "/Photos/cat.jpg", copy, &error);
  g_assert_no_error (error);

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autoptr(JsonObject) json = stat_json (f, paths[i]);
      g_autoptr(YpNode) node = yp_node_new_from_json (json);

      g_assert_nonnull (node);
      assert_node_properties (node, json);
    }

  /* the file's fields are all there, not just defaults */
  {
    g_autoptr(JsonObject) json = stat_json (f, "/Photos/cat.jpg");
    g_autoptr(YpNode) node = yp_node_new_from_json (json);
    g_autofree char *sha256 = NULL, *category = NULL;
    gint64 parent_id = 0, size = 0, downloads = 0, version = 0;

    g_object_get (node, "sha256", &sha256, "category", &category, "parent-id", &parent_id,
                  "size", &size, "downloads", &downloads, "version", &version, NULL);
    g_assert_cmpuint (strlen (sha256), ==, 64);
    g_assert_cmpstr (category, ==, "image");
    g_assert_cmpint (parent_id, ==, yp_node_get_id (folder));
    g_assert_cmpint (size, ==, 1000);
    g_assert_cmpint (downloads, ==, 1);
    g_assert_cmpint (version, >, 0);
  }
}

/* ------------------------------------------------------------------------
 * YpFolderModel
 * ------------------------------------------------------------------------ */

typedef struct
{
  guint in_flight;
  guint failures;
} Creating;

static void
mkdir_done_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      data)
{
  Creating *creating = data;
  g_autoptr(YpNode) node = yp_client_mkdir_finish (YP_CLIENT (source), result, NULL);

  creating->in_flight--;
  creating->failures += node == NULL;
}

/*
 * N empty folders "e0000", "e0001", … in PARENT, a few requests at a time,
 * made in a shuffled order so that listing them sorted is the server's work.
 */
static void
make_entries (Fixture *f,
              gint64   parent,
              guint    n)
{
  Creating creating = { 0 };

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *name = g_strdup_printf ("e%04u", (i * 7 + 3) % n);

      while (creating.in_flight >= 8)
        g_main_context_iteration (NULL, TRUE);
      creating.in_flight++;
      yp_client_mkdir_async (f->client, YP_TARGET_CHILD (parent, name), FALSE, NULL,
                             mkdir_done_cb, &creating);
    }
  while (creating.in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (creating.failures, ==, 0);
}

static gint64
make_folder (Fixture    *f,
             const char *path,
             guint       n_entries)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;

  folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH (path), FALSE, NULL, &error);
  g_assert_no_error (error);
  make_entries (f, yp_node_get_id (folder), n_entries);
  return yp_node_get_id (folder);
}

typedef struct
{
  guint position;
  guint removed;
  guint added;
  guint total;
} Change;

/* What a view would see of a model. */
typedef struct
{
  YpFolderModel *model;
  GArray        *changes;
  GArray        *loading;
  guint          error_notifies;
  gint64         last_tick;
  gint64         longest_gap;
  guint          tick_source;
} Watch;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Watch      *watch)
{
  Change change = { position, removed, added, yp_folder_model_get_total (watch->model) };

  g_array_append_val (watch->changes, change);
}

static void
loading_cb (YpFolderModel *model,
            GParamSpec    *pspec,
            Watch         *watch)
{
  gboolean loading = yp_folder_model_get_loading (model);

  g_array_append_val (watch->loading, loading);
}

static gboolean
tick_cb (gpointer data)
{
  Watch *watch = data;
  gint64 now = g_get_monotonic_time ();

  watch->longest_gap = MAX (watch->longest_gap, now - watch->last_tick);
  watch->last_tick = now;
  return G_SOURCE_CONTINUE;
}

static void
watch_start (Watch         *watch,
             YpFolderModel *model)
{
  watch->model = model;
  watch->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  watch->loading = g_array_new (FALSE, FALSE, sizeof (gboolean));
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), watch);
  g_signal_connect (model, "notify::loading", G_CALLBACK (loading_cb), watch);
  g_signal_connect_swapped (model, "notify::error", G_CALLBACK (count_signal),
                            &watch->error_notifies);
  watch->last_tick = g_get_monotonic_time ();
  watch->tick_source = g_timeout_add (10, tick_cb, watch);
}

static void
watch_stop (Watch *watch)
{
  g_signal_handlers_disconnect_by_data (watch->model, watch);
  g_signal_handlers_disconnect_by_data (watch->model, &watch->error_notifies);
  g_clear_handle_id (&watch->tick_source, g_source_remove);
  g_clear_pointer (&watch->changes, g_array_unref);
  g_clear_pointer (&watch->loading, g_array_unref);
}

static void
wait_loaded (YpFolderModel *model)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (yp_folder_model_get_loading (model))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
}

/* The model's entries are NODE items, sorted by name, each name once. */
static void
assert_sorted_nodes (GListModel *model)
{
  g_autoptr(YpNode) previous = NULL;

  g_assert_true (g_list_model_get_item_type (model) == YP_TYPE_NODE);
  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(YpNode) node = g_list_model_get_item (model, i);

      g_assert_true (YP_IS_NODE (node));
      if (previous != NULL)
        g_assert_cmpstr (yp_node_get_name (previous), <, yp_node_get_name (node));
      g_set_object (&previous, node);
    }
  g_assert_null (g_list_model_get_item (model, g_list_model_get_n_items (model)));
}

static void
assert_change (Watch *watch,
               guint  index,
               guint  position,
               guint  removed,
               guint  added)
{
  Change *change;

  g_assert_cmpuint (index, <, watch->changes->len);
  change = &g_array_index (watch->changes, Change, index);
  g_assert_cmpuint (change->position, ==, position);
  g_assert_cmpuint (change->removed, ==, removed);
  g_assert_cmpuint (change->added, ==, added);
}

/*
 * 2,500 entries in pages of 1,000: the model grows page by page in order,
 * knows the total from the first page, never blocks the main loop, and
 * reloading replaces everything with the first new page.
 */
static void
test_folder_paging (Fixture       *f,
                    gconstpointer  data)
{
  YpListOptions options = { .sort = YP_SORT_NAME };
  g_autoptr(YpFolderModel) model = NULL;
  gint64 folder_id = make_folder (f, "/big", 2500);
  Watch watch = { 0 };
  gboolean *loading;

  model = yp_folder_model_new (f->client, YP_TARGET_PATH ("/big"), &options, 1000);
  g_assert_true (yp_folder_model_get_loading (model));
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_null (yp_folder_model_get_folder (model));
  watch_start (&watch, model);
  wait_loaded (model);

  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2500);
  g_assert_cmpuint (yp_folder_model_get_n_loaded (model), ==, 2500);
  g_assert_cmpuint (yp_folder_model_get_total (model), ==, 2500);
  g_assert_cmpuint (watch.changes->len, ==, 3);
  assert_change (&watch, 0, 0, 0, 1000);
  assert_change (&watch, 1, 1000, 0, 1000);
  assert_change (&watch, 2, 2000, 0, 500);
  /* the total is known as soon as the first page is in */
  g_assert_cmpuint (g_array_index (watch.changes, Change, 0).total, ==, 2500);
  assert_sorted_nodes (G_LIST_MODEL (model));
  g_assert_cmpint (yp_node_get_id (yp_folder_model_get_folder (model)), ==, folder_id);
  g_assert_null (yp_folder_model_get_error (model));
  g_assert_cmpuint (watch.loading->len, ==, 1);
  g_assert_false (g_array_index (watch.loading, gboolean, 0));
  g_test_message ("longest main loop gap while loading: %" G_GINT64_FORMAT " ms",
                  watch.longest_gap / 1000);
  g_assert_cmpint (watch.longest_gap, <, 200 * 1000);
  watch_stop (&watch);

  watch_start (&watch, model);
  yp_folder_model_reload (model);
  g_assert_true (yp_folder_model_get_loading (model));
  /* what was loaded stays until the first new page replaces it */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 2500);
  wait_loaded (model);
  g_assert_cmpuint (watch.changes->len, ==, 3);
  assert_change (&watch, 0, 0, 2500, 1000);
  assert_change (&watch, 1, 1000, 0, 1000);
  assert_change (&watch, 2, 2000, 0, 500);
  assert_sorted_nodes (G_LIST_MODEL (model));
  loading = (gboolean *) (gpointer) watch.loading->data;
  g_assert_cmpuint (watch.loading->len, ==, 2);
  g_assert_true (loading[0]);
  g_assert_false (loading[1]);
  g_assert_cmpint (watch.longest_gap, <, 200 * 1000);
  watch_stop (&watch);

  assert_released (G_OBJECT (g_steal_pointer (&model)));
}

/* Made in a context of its own, the model loads there alone: the global
 * default context is never iterated. */
static void
test_folder_own_context (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GMainContext) context = g_main_context_new ();
  g_autoptr(YpFolderModel) model = NULL;
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  make_folder (f, "/here", 50);
  g_main_context_push_thread_default (context);
  model = yp_folder_model_new (f->client, YP_TARGET_PATH ("/here"), NULL, 20);
  while (yp_folder_model_get_loading (model))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (context, TRUE);
    }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 50);
  assert_sorted_nodes (G_LIST_MODEL (model));
  g_clear_object (&model);
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
}

/* An order other than the default reaches the server. */
static void
test_folder_descending (Fixture       *f,
                        gconstpointer  data)
{
  YpListOptions options = { .sort = YP_SORT_NAME, .descending = TRUE };
  g_autoptr(YpFolderModel) model = NULL;
  g_autoptr(YpNode) first = NULL, last = NULL;
  gint64 folder_id = make_folder (f, "/few", 30);

  model = yp_folder_model_new (f->client, YP_TARGET_ID (folder_id), &options, 7);
  wait_loaded (model);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 30);
  first = g_list_model_get_item (G_LIST_MODEL (model), 0);
  last = g_list_model_get_item (G_LIST_MODEL (model), 29);
  g_assert_cmpstr (yp_node_get_name (first), ==, "e0029");
  g_assert_cmpstr (yp_node_get_name (last), ==, "e0000");
}

typedef struct
{
  Fixture  *f;
  YpClient *writer;
  gboolean  added;
} Meddler;

/* After the first page, somebody else adds an entry that sorts into it. */
static void
add_entry_cb (GListModel *model,
              guint       position,
              guint       removed,
              guint       added,
              Meddler    *meddler)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) node = NULL;

  if (meddler->added)
    return;
  meddler->added = TRUE;
  node = yp_client_mkdir_sync (meddler->writer, YP_TARGET_PATH ("/busy/e0000a"), FALSE, NULL,
                               &error);
  g_assert_no_error (error);
}

/*
 * An entry added between two pages shifts the following ones: the model
 * sees the total change and lists the folder once more, so that it ends
 * with every entry exactly once.
 */
static void
test_folder_changed_while_paging (Fixture       *f,
                                  gconstpointer  data)
{
  YpListOptions options = { .sort = YP_SORT_NAME };
  g_autoptr(YpFolderModel) model = NULL;
  g_autofree char *token = yp_client_dup_token (f->client);
  g_autoptr(YpClient) writer = yp_client_new (f->server->url);
  Meddler meddler = { f, writer, FALSE };
  Watch watch = { 0 };
  gboolean found = FALSE;

  yp_client_set_token (writer, token);
  make_folder (f, "/busy", 600);
  model = yp_folder_model_new (f->client, YP_TARGET_PATH ("/busy"), &options, 200);
  watch_start (&watch, model);
  g_signal_connect (model, "items-changed", G_CALLBACK (add_entry_cb), &meddler);
  wait_loaded (model);

  g_assert_true (meddler.added);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 601);
  g_assert_cmpuint (yp_folder_model_get_total (model), ==, 601);
  assert_sorted_nodes (G_LIST_MODEL (model));
  for (guint i = 0; i < 601 && !found; i++)
    {
      g_autoptr(YpNode) node = g_list_model_get_item (G_LIST_MODEL (model), i);

      found = g_str_equal (yp_node_get_name (node), "e0000a");
    }
  g_assert_true (found);
  /* four pages (the shifted entries reach into a fourth), then the new
   * listing's first page replaces them all */
  g_assert_cmpuint (watch.changes->len, ==, 4 + 4);
  assert_change (&watch, 3, 600, 0, 1);
  assert_change (&watch, 4, 0, 601, 200);
  assert_change (&watch, 7, 600, 0, 1);
  g_assert_cmpuint (watch.loading->len, ==, 1);
  g_signal_handlers_disconnect_by_data (model, &meddler);
  watch_stop (&watch);
}

/*
 * A view closed while a page is on its way: the model is finalized at once,
 * and the request's callback, which still comes (cancelled, or with the
 * answer), reaches nothing: a callback into the freed model would be a
 * critical, fatal here. The client is released after the case only once
 * every callback ran.
 */
static void
test_folder_dispose_in_flight (Fixture       *f,
                               gconstpointer  data)
{
  YpListOptions options = { .sort = YP_SORT_NAME };
  YpFolderModel *model;
  guint changes = 0;

  make_folder (f, "/half", 300);

  /* before the first page */
  model = yp_folder_model_new (f->client, YP_TARGET_PATH ("/half"), &options, 100);
  g_signal_connect_swapped (model, "items-changed", G_CALLBACK (count_signal), &changes);
  assert_released (G_OBJECT (model));
  iterate_for (300);
  g_assert_cmpuint (changes, ==, 0);

  /* between pages */
  model = yp_folder_model_new (f->client, YP_TARGET_PATH ("/half"), &options, 100);
  g_signal_connect_swapped (model, "items-changed", G_CALLBACK (count_signal), &changes);
  while (changes == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (yp_folder_model_get_loading (model));
  assert_released (G_OBJECT (model));
  iterate_for (300);
  g_assert_cmpuint (changes, ==, 1);
}

/* A folder that is not there: the error, and nothing else. */
static void
test_folder_not_found (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(YpFolderModel) model = NULL;
  g_autoptr(GError) error = NULL;
  Watch watch = { 0 };

  model = yp_folder_model_new (f->client, YP_TARGET_ID (987654), NULL, 0);
  watch_start (&watch, model);
  wait_loaded (model);
  g_assert_error (yp_folder_model_get_error (model), YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_object_get (model, "error", &error, NULL);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpuint (watch.error_notifies, ==, 1);
  g_assert_cmpuint (watch.changes->len, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, 0);
  g_assert_null (yp_folder_model_get_folder (model));

  /* reloading clears the error until it fails again */
  yp_folder_model_reload (model);
  g_assert_null (yp_folder_model_get_error (model));
  wait_loaded (model);
  g_assert_error (yp_folder_model_get_error (model), YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpuint (watch.error_notifies, ==, 3);
  watch_stop (&watch);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/node/properties", test_node_properties);
  fixture_add ("/yunpan/client/folder-model/paging", test_folder_paging);
  fixture_add ("/yunpan/client/folder-model/descending", test_folder_descending);
  fixture_add ("/yunpan/client/folder-model/own-context", test_folder_own_context);
  fixture_add ("/yunpan/client/folder-model/changed-while-paging",
               test_folder_changed_while_paging);
  fixture_add ("/yunpan/client/folder-model/dispose-in-flight", test_folder_dispose_in_flight);
  fixture_add ("/yunpan/client/folder-model/not-found", test_folder_not_found);

  return g_test_run ();
}
