/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The calls on the tree as an engine and a window make them: by id as well
 * as by path, with one meaning of if_version, asynchronously without a
 * thread per call, and with the session kept in its own thread.
 */
#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-enum-types.h"
#include "yp-test-fixture.h"

static void
test_targets_by_id (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) root = yp_client_stat_sync (f->client, YP_TARGET_PATH ("/"), NULL, &error);
  g_autoptr(YpNode) folder = NULL, child = NULL, by_id = NULL, moved = NULL;
  g_autoptr(YpListing) listing = NULL;
  g_autoptr(YpChanges) changes = NULL;
  gint64 cursor = 0;

  g_assert_no_error (error);
  folder = yp_client_mkdir_sync (f->client, YP_TARGET_CHILD (yp_node_get_id (root), "Photos"),
                                 FALSE, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (folder), ==, "/Photos");
  child = yp_client_mkdir_sync (f->client, YP_TARGET_CHILD (yp_node_get_id (folder), "2024"),
                                FALSE, NULL, &error);
  g_assert_no_error (error);

  by_id = yp_client_stat_sync (f->client, YP_TARGET_ID (yp_node_get_id (child)), NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (by_id), ==, "/Photos/2024");

  listing = yp_client_list_sync (f->client, YP_TARGET_ID (yp_node_get_id (folder)), NULL, NULL,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpint (listing->total, ==, 1);
  g_assert_cmpint (listing->offset, ==, 0);
  g_assert_cmpint (yp_node_get_id (g_ptr_array_index (listing->entries, 0)), ==,
                   yp_node_get_id (child));

  /* a rename in place by id: the parent stays */
  moved = yp_client_move_sync (f->client, YP_TARGET_ID (yp_node_get_id (child)),
                               YP_TARGET_CHILD (0, "2025"), YP_VERSION_ANY, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (moved), ==, "/Photos/2025");
  g_clear_object (&moved);
  /* and a move to another parent by id, keeping the name */
  moved = yp_client_move_sync (f->client, YP_TARGET_ID (yp_node_get_id (child)),
                               YP_TARGET_CHILD (yp_node_get_id (root), NULL), YP_VERSION_ANY,
                               NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (yp_node_get_path (moved), ==, "/2025");

  g_assert_true (yp_client_delete_sync (f->client, YP_TARGET_ID (yp_node_get_id (child)),
                                        yp_node_get_version (moved), &cursor, NULL, &error));
  g_assert_no_error (error);
  /* the cursor a delete returns is the feed's entry for it */
  changes = yp_client_changes_sync (f->client, cursor - 1, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->changes->len, ==, 1);
  g_assert_cmpint (((YpChange *) g_ptr_array_index (changes->changes, 0))->cursor, ==, cursor);
  g_assert_cmpint (((YpChange *) g_ptr_array_index (changes->changes, 0))->op, ==,
                   YP_CHANGE_DELETE);
}

static void
test_targets_invalid (Fixture       *f,
                      gconstpointer  data)
{
  const YpTarget nothing = { 0 };
  const YpTarget two = { .id = 1, .path = "/" };
  g_autoptr(GError) error = NULL;
  g_autoptr(GAsyncResult) result = NULL;

  g_assert_null (yp_client_stat_sync (f->client, &nothing, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (yp_client_stat_sync (f->client, &two, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* a new folder has no id yet */
  g_assert_null (yp_client_mkdir_sync (f->client, YP_TARGET_ID (1), FALSE, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  /* an existing node is not found by a name in a folder */
  g_assert_false (yp_client_delete_sync (f->client, YP_TARGET_CHILD (1, "a"), YP_VERSION_ANY,
                                         NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* the asynchronous calls report it the same way, in the callback */
  yp_client_list_async (f->client, &nothing, NULL, NULL, store_result, &result);
  g_assert_null (yp_client_list_finish (f->client, wait_result (&result), &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

static void
test_if_version (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) folder = yp_client_mkdir_sync (f->client, YP_TARGET_PATH ("/v"), FALSE,
                                                   NULL, &error);
  g_autoptr(YpNode) moved = NULL;
  gint64 version = yp_node_get_version (folder), current = 0;

  g_assert_no_error (error);
  /* create-only means nothing to a call on an existing node */
  g_assert_false (yp_client_delete_sync (f->client, YP_TARGET_PATH ("/v"), YP_VERSION_NONE,
                                         NULL, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_null (yp_client_move_sync (f->client, YP_TARGET_PATH ("/v"), YP_TARGET_PATH ("/w"),
                                      YP_VERSION_NONE, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* exactly version N, else a conflict that tells the current one */
  g_assert_null (yp_client_move_sync (f->client, YP_TARGET_PATH ("/v"), YP_TARGET_PATH ("/w"),
                                      version + 5, NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CONFLICT);
  g_assert_true (yp_client_error_get_version (error, &current));
  g_assert_cmpint (current, ==, version);
  g_clear_error (&error);
  moved = yp_client_move_sync (f->client, YP_TARGET_PATH ("/v"), YP_TARGET_PATH ("/w"), version,
                               NULL, &error);
  g_assert_no_error (error);

  /* unconditional */
  g_assert_true (yp_client_delete_sync (f->client, YP_TARGET_PATH ("/w"), YP_VERSION_ANY, NULL,
                                        NULL, &error));
  g_assert_no_error (error);
}

static guint
thread_count (void)
{
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents ("/proc/self/status", &status, NULL, NULL));
  line = strstr (status, "\nThreads:");
  g_assert_nonnull (line);
  return (guint) g_ascii_strtoull (line + strlen ("\nThreads:"), NULL, 10);
}

/* Many calls waiting between tries hold no thread, and a cancel ends their
 * waits at once. */
static void
test_async_holds_no_thread (void)
{
  enum { CALLS = 8 };
  g_autoptr(YpClient) client = yp_client_new ("http://127.0.0.1:9");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  const YpRetryPolicy slow = { 5, 5000, 5000 };
  GAsyncResult *results[CALLS] = { NULL };
  guint before;
  gint64 cancelled_at;

  yp_client_set_retry_policy (client, &slow);
  /* the pool's threads of earlier work must not count */
  g_usleep (100 * G_TIME_SPAN_MILLISECOND);
  before = thread_count ();
  for (guint i = 0; i < CALLS; i++)
    yp_client_stat_async (client, YP_TARGET_PATH ("/"), cancellable, store_result, &results[i]);
  /* every call fails to connect at once and waits 5 s before its next try */
  iterate_for (300);
  g_assert_cmpuint (thread_count (), <=, before + 2);
  for (guint i = 0; i < CALLS; i++)
    g_assert_null (results[i]);

  cancelled_at = g_get_monotonic_time ();
  g_cancellable_cancel (cancellable);
  for (guint i = 0; i < CALLS; i++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_null (yp_client_stat_finish (client, wait_result (&results[i]), &error));
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
      g_object_unref (results[i]);
    }
  g_assert_cmpint (g_get_monotonic_time () - cancelled_at, <, G_TIME_SPAN_SECOND);
}

typedef struct
{
  GMainContext *context;
  YpClient     *client;
  GThread      *ran_in;
  gboolean      done;
  YpNode       *node;
} ThreadCall;

static void
thread_call_done (GObject      *source,
                  GAsyncResult *result,
                  gpointer      data)
{
  ThreadCall *call = data;
  g_autoptr(GError) error = NULL;

  call->node = yp_client_stat_finish (YP_CLIENT (source), result, &error);
  g_assert_no_error (error);
  call->ran_in = g_thread_self ();
  call->done = TRUE;
}

static gpointer
thread_call_run (gpointer data)
{
  ThreadCall *call = data;

  g_main_context_push_thread_default (call->context);
  yp_client_stat_async (call->client, YP_TARGET_PATH ("/"), NULL, thread_call_done, call);
  while (!call->done)
    g_main_context_iteration (call->context, TRUE);
  g_main_context_pop_thread_default (call->context);
  return g_thread_self ();
}

/* An engine's thread with its own main context gets its answers there. */
static void
test_async_in_thread_context (Fixture       *f,
                              gconstpointer  data)
{
  ThreadCall call = { .context = g_main_context_new (), .client = f->client };
  GThread *thread = g_thread_new ("engine", thread_call_run, &call);
  GThread *ran = g_thread_join (thread);

  g_assert_true (call.ran_in == ran);
  g_assert_nonnull (call.node);
  g_assert_cmpstr (yp_node_get_path (call.node), ==, "/");
  g_object_unref (call.node);
  g_main_context_unref (call.context);
}

static void
session_gone (gpointer  data,
              GObject  *where_the_object_was)
{
  *(GThread **) data = g_thread_self ();
}

static gpointer
drop_client (gpointer data)
{
  g_object_unref (data);
  return NULL;
}

/* libsoup wants its session released in the thread that made it, even when
 * a transfer's thread holds the client last. */
static void
test_session_released_in_owner_thread (Fixture       *f,
                                       gconstpointer  data)
{
  YpClient *client = yp_client_new (f->server->url);
  GThread *released_in = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(YpNode) root = yp_client_stat_sync (client, YP_TARGET_PATH ("/"), NULL, &error);

  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);
  g_object_weak_ref (G_OBJECT (_yp_client_get_session (client)), session_gone, &released_in);
  g_thread_join (g_thread_new ("transfer", drop_client, client));
  for (int i = 0; i < 100 && released_in == NULL; i++)
    iterate_for (10);
  g_assert_true (released_in == g_thread_self ());
}

static void
test_boxed_results (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(YpListing) listing = yp_client_list_sync (f->client, YP_TARGET_PATH ("/"), NULL,
                                                      NULL, &error);
  g_auto(GValue) value = G_VALUE_INIT;
  YpListing *copy;

  g_assert_no_error (error);
  g_assert_true (G_TYPE_IS_BOXED (YP_TYPE_LISTING));
  g_assert_true (G_TYPE_IS_BOXED (YP_TYPE_CHANGES));
  g_assert_true (G_TYPE_IS_BOXED (YP_TYPE_CHANGE));
  g_assert_true (G_TYPE_IS_ENUM (YP_TYPE_CHANGE_OP));
  /* shared, not copied: a reference */
  copy = g_boxed_copy (YP_TYPE_LISTING, listing);
  g_assert_true (copy == listing);
  g_boxed_free (YP_TYPE_LISTING, copy);
  g_value_init (&value, YP_TYPE_LISTING);
  g_value_set_boxed (&value, listing);
  g_assert_true (g_value_get_boxed (&value) == listing);
  g_assert_nonnull (listing->folder);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/calls/targets-by-id", test_targets_by_id);
  fixture_add ("/yunpan/client/calls/targets-invalid", test_targets_invalid);
  fixture_add ("/yunpan/client/calls/if-version", test_if_version);
  g_test_add_func ("/yunpan/client/calls/async-holds-no-thread", test_async_holds_no_thread);
  fixture_add ("/yunpan/client/calls/async-in-thread-context", test_async_in_thread_context);
  fixture_add ("/yunpan/client/calls/session-released-in-owner-thread",
               test_session_released_in_owner_thread);
  fixture_add ("/yunpan/client/calls/boxed-results", test_boxed_results);

  return g_test_run ();
}
