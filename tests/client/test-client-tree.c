/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The file tree against a real server: folders, moves, listings, the
 * asynchronous calls, and the protocol's error codes as the caller sees them.
 */
#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-client.h"
#include "yp-test-fixture.h"

static void
test_tree (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(YpNode) moved = NULL;
  g_autoptr(YpListing) listing = NULL;
  YpListOptions options = { .sort = YP_SORT_NAME, .descending = TRUE };

  folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/a/b/c"), TRUE, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (yp_node_is_folder (folder));
  g_assert_cmpstr (yp_node_get_path (folder), ==, "/a/b/c");
  g_clear_object (&folder);
  folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/a/z"), FALSE, NULL, &error);
  g_assert_no_error (error);

  listing = yp_client_list_sync (f->client, YP_TARGET_PATH ("/a"), &options, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (listing->total, ==, 2);
  g_assert_cmpstr (yp_node_get_name (g_ptr_array_index (listing->entries, 0)), ==, "z");

  /* a stale version is refused and changes nothing */
  g_assert_null (yp_client_move_sync (f->client, YP_TARGET_PATH ("/a/z"), YP_TARGET_PATH ("/a/y"),
                                      yp_node_get_version (folder) + 100, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT);
  g_clear_error (&error);
  moved = yp_client_move_sync (f->client, YP_TARGET_PATH ("/a/z"), YP_TARGET_PATH ("/a/b/y"),
                               yp_node_get_version (folder), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (moved), ==, "/a/b/y");
  g_assert_cmpint (yp_node_get_version (moved), >, yp_node_get_version (folder));

  g_assert_true (yp_client_delete_sync (f->client, YP_TARGET_PATH ("/a"), YP_VERSION_ANY, NULL,
                                        NULL, &error));
  g_assert_no_error (error);
  g_assert_null (yp_client_stat_sync (f->client, YP_TARGET_PATH ("/a/b/y"), NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
}

/* The asynchronous calls never block the main context and report errors. */
static void
test_async (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GAsyncResult) made = NULL, moved = NULL, listed = NULL, missing = NULL, me = NULL;
  g_autoptr(YpNode) folder = NULL, renamed = NULL, none = NULL;
  g_autoptr(YpListing) listing = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cursor = 0;

  yp_client_mkdir_async (f->client, YP_TARGET_PATH ("/async"), FALSE, NULL, store_result, &made);
  folder = yp_client_mkdir_finish (f->client, wait_result (&made), &error);
  g_assert_no_error (error);

  yp_client_move_async (f->client, YP_TARGET_PATH ("/async"), YP_TARGET_PATH ("/renamed"),
                        yp_node_get_version (folder), NULL, store_result, &moved);
  renamed = yp_client_move_finish (f->client, wait_result (&moved), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (renamed), ==, "/renamed");

  yp_client_list_async (f->client, YP_TARGET_PATH ("/"), NULL, NULL, store_result, &listed);
  listing = yp_client_list_finish (f->client, wait_result (&listed), &error);
  g_assert_no_error (error);
  g_assert_cmpint (listing->total, ==, 1);

  yp_client_stat_async (f->client, YP_TARGET_PATH ("/async"), NULL, store_result, &missing);
  none = yp_client_stat_finish (f->client, wait_result (&missing), &error);
  g_assert_null (none);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  yp_client_whoami_async (f->client, NULL, store_result, &me);
  g_assert_true (yp_client_whoami_finish (f->client, wait_result (&me), &cursor, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cursor, ==, yp_node_get_version (renamed));
}

/* The server's code and members reach the caller, not just a category. */
static void
test_request_error_codes (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autofree char *local = make_file (f->dir, "f", 100, 1, NULL);
  gint64 version = 0;

  folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/a"), FALSE, NULL, &error);
  g_assert_no_error (error);

  g_assert_null (yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/a"), FALSE, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_EXISTS);
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_EXISTS);
  g_assert_cmpuint (yp_client_error_get_http_status (error), ==, 409);
  g_clear_error (&error);

  g_assert_null (yp_client_move_sync (f->client, YP_TARGET_PATH ("/a"), YP_TARGET_PATH ("/b"),
                                      yp_node_get_version (folder) + 7, NULL, &error));
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_CONFLICT);
  g_assert_true (yp_client_error_get_version (error, &version));
  g_assert_cmpint (version, ==, yp_node_get_version (folder));
  g_clear_error (&error);

  transfer = upload (f->client, local, "/f", &error);
  g_assert_no_error (error);
  g_assert_null (yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/f/x"), FALSE, NULL, &error));
  g_assert_cmpint (yp_client_error_get_status (error), ==, YP_STATUS_NOT_A_FOLDER);
  g_clear_error (&error);

  /* an answer that is no protocol error keeps its HTTP status alone */
  g_assert_null (_yp_client_call (f->client, "GET", "/no/such/endpoint", NULL, NULL, NULL,
                                  &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
  g_assert_cmpuint (yp_client_error_get_http_status (error), ==, 404);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/tree", test_tree);
  fixture_add ("/yunpan/client/async", test_async);
  fixture_add ("/yunpan/client/request/error-codes", test_request_error_codes);

  return g_test_run ();
}
