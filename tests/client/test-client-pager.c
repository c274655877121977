/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * What a sync engine binds to, against a real server: the change feed
 * read page by page.
 */
#include "yp-change-pager.h"
#include "yp-client-error.h"
#include "yp-client-private.h"
#include "yp-test-fixture.h"

/* ------------------------------------------------------------------------
 * YpChangePager
 * ------------------------------------------------------------------------ */

/* What a sync engine would see of a pager. */
typedef struct
{
  YpChangePager *pager;
  GArray        *page_sizes;
  GPtrArray     *pages;
  guint          caught_up;
  guint          expired;
  guint          pulls_while_reading;
  GError        *error;
} Engine;

static void
changes_cb (YpChangePager *pager,
            YpChanges     *changes,
            Engine        *engine)
{
  guint len = changes->changes->len;

  g_assert_true (yp_change_pager_get_reading (pager));
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, changes->cursor);
  g_array_append_val (engine->page_sizes, len);
  g_ptr_array_add (engine->pages, yp_changes_ref (changes));
  for (guint i = 0; i < engine->pulls_while_reading; i++)
    yp_change_pager_pull (pager);
  engine->pulls_while_reading = 0;
}

static void
failed_cb (YpChangePager *pager,
           const GError  *error,
           Engine        *engine)
{
  g_clear_error (&engine->error);
  engine->error = g_error_copy (error);
}

static void
engine_start (Engine        *engine,
              YpChangePager *pager)
{
  engine->pager = pager;
  engine->page_sizes = g_array_new (FALSE, FALSE, sizeof (guint));
  engine->pages = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_changes_unref);
  g_signal_connect (pager, "changes", G_CALLBACK (changes_cb), engine);
  g_signal_connect (pager, "failed", G_CALLBACK (failed_cb), engine);
  g_signal_connect_swapped (pager, "caught-up", G_CALLBACK (count_signal), &engine->caught_up);
  g_signal_connect_swapped (pager, "cursor-expired", G_CALLBACK (count_signal),
                            &engine->expired);
}

static void
engine_clear (Engine *engine)
{
  g_array_set_size (engine->page_sizes, 0);
  g_ptr_array_set_size (engine->pages, 0);
  engine->caught_up = 0;
  engine->expired = 0;
  g_clear_error (&engine->error);
}

static void
engine_stop (Engine *engine)
{
  g_signal_handlers_disconnect_by_data (engine->pager, engine);
  g_signal_handlers_disconnect_by_data (engine->pager, &engine->caught_up);
  g_signal_handlers_disconnect_by_data (engine->pager, &engine->expired);
  g_clear_pointer (&engine->page_sizes, g_array_unref);
  g_clear_pointer (&engine->pages, g_ptr_array_unref);
  g_clear_error (&engine->error);
}

static void
wait_read (YpChangePager *pager)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (yp_change_pager_get_reading (pager))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_main_context_iteration (NULL, TRUE);
    }
}

static void
assert_pages (Engine      *engine,
              const guint *sizes,
              guint        n)
{
  g_assert_cmpmem (engine->page_sizes->data, engine->page_sizes->len * sizeof (guint),
                   sizes, n * sizeof (guint));
}

static gint64
whoami_cursor (YpClient *client)
{
  g_autoptr(GError) error = NULL;
  gint64 cursor = -1;

  g_assert_true (yp_client_whoami_sync (client, &cursor, NULL, &error));
  g_assert_no_error (error);
  return cursor;
}

static void
make_changes (Fixture    *f,
              const char *prefix,
              guint       n)
{
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *path = g_strdup_printf ("/%s%02u", prefix, i);
      g_autoptr(YpNode) node = yp_client_mkdir_sync (f->client, YP_TARGET_PATH (path), FALSE,
                                                     NULL, &error);

      g_assert_no_error (error);
    }
}

static guint
changes_requests (Fixture *f)
{
  guint count = 0;

  log_barrier (f);
  yp_test_server_request_bytes (f->server, "GET /api/v1/changes", &count);
  return count;
}

/*
 * 25 changes in pages of 10, read from the account's first cursor: 10, 10,
 * 5 in the feed's order, then caught up with the cursor at the newest;
 * nothing is read until pulled.
 */
static void
test_pager_pages (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(YpChangePager) pager = NULL;
  const guint sizes[] = { 10, 10, 5 };
  Engine engine = { 0 };
  gint64 start = whoami_cursor (f->client);
  gint64 previous = start;
  guint n = 0;

  make_changes (f, "c", 25);
  pager = yp_change_pager_new (f->client, start, 10);
  engine_start (&engine, pager);
  iterate_for (100);
  g_assert_false (yp_change_pager_get_reading (pager));
  g_assert_cmpuint (changes_requests (f), ==, 0);

  yp_change_pager_pull (pager);
  g_assert_true (yp_change_pager_get_reading (pager));
  wait_read (pager);
  assert_pages (&engine, sizes, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (engine.caught_up, ==, 1);
  g_assert_no_error (engine.error);
  for (guint p = 0; p < engine.pages->len; p++)
    {
      YpChanges *changes = g_ptr_array_index (engine.pages, p);

      for (guint i = 0; i < changes->changes->len; i++)
        {
          YpChange *change = g_ptr_array_index (changes->changes, i);
          g_autofree char *path = g_strdup_printf ("/c%02u", n++);

          g_assert_cmpint (change->cursor, >, previous);
          previous = change->cursor;
          g_assert_cmpint (change->op, ==, YP_CHANGE_CREATE);
          g_assert_cmpstr (yp_node_get_path (change->node), ==, path);
        }
      g_assert_cmpint (changes->cursor, ==, previous);
    }
  g_assert_cmpuint (n, ==, 25);
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, yp_change_pager_get_latest (pager));
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, whoami_cursor (f->client));
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, previous);
  g_assert_cmpuint (changes_requests (f), ==, 3);
  engine_stop (&engine);
}

/*
 * Pulls while a read is under way make exactly one more read after it, and
 * a change made after catching up is read by the next pull.
 */
static void
test_pager_pull_while_reading (Fixture       *f,
                               gconstpointer  data)
{
  g_autoptr(YpChangePager) pager = NULL;
  const guint sizes[] = { 10, 10, 5 };
  const guint one[] = { 1 };
  Engine engine = { 0 };
  YpChanges *changes;
  YpChange *change;
  gint64 start = whoami_cursor (f->client);

  make_changes (f, "c", 25);
  pager = yp_change_pager_new (f->client, start, 10);
  engine_start (&engine, pager);

  /* three push events arrive while the first page is being handled */
  engine.pulls_while_reading = 3;
  yp_change_pager_pull (pager);
  yp_change_pager_pull (pager);
  wait_read (pager);
  assert_pages (&engine, sizes, G_N_ELEMENTS (sizes));
  g_assert_cmpuint (engine.caught_up, ==, 2);
  g_assert_cmpuint (changes_requests (f), ==, 4);
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, whoami_cursor (f->client));

  engine_clear (&engine);
  make_changes (f, "late", 1);
  iterate_for (50);
  g_assert_cmpuint (engine.caught_up, ==, 0);
  yp_change_pager_pull (pager);
  wait_read (pager);
  assert_pages (&engine, one, G_N_ELEMENTS (one));
  g_assert_cmpuint (engine.caught_up, ==, 1);
  changes = g_ptr_array_index (engine.pages, 0);
  change = g_ptr_array_index (changes->changes, 0);
  g_assert_cmpstr (yp_node_get_path (change->node), ==, "/late00");
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, change->cursor);
  g_assert_cmpint (yp_change_pager_get_latest (pager), ==, change->cursor);
  engine_stop (&engine);
}

/* Disposed while a page is on its way: nothing is emitted afterwards. */
static void
test_pager_dispose_in_flight (Fixture       *f,
                              gconstpointer  data)
{
  YpChangePager *pager;
  guint pages = 0;

  make_changes (f, "c", 5);
  pager = yp_change_pager_new (f->client, whoami_cursor (f->client) - 5, 2);
  g_signal_connect_swapped (pager, "changes", G_CALLBACK (count_signal), &pages);
  yp_change_pager_pull (pager);
  assert_released (G_OBJECT (pager));
  iterate_for (300);

  pager = yp_change_pager_new (f->client, whoami_cursor (f->client) - 5, 2);
  g_signal_connect_swapped (pager, "changes", G_CALLBACK (count_signal), &pages);
  yp_change_pager_pull (pager);
  while (pages == 0)
    g_main_context_iteration (NULL, TRUE);
  g_assert_true (yp_change_pager_get_reading (pager));
  assert_released (G_OBJECT (pager));
  iterate_for (300);
  g_assert_cmpuint (pages, ==, 1);
}

/*
 * A cursor the feed no longer reaches back to: cursor-expired and reading
 * stops; set to the cursor of a fresh listing, the pager reads on from there.
 */
static void
test_pager_cursor_expired (void)
{
  const char *const args[] = { "--change-retention", "1", "--housekeeping-interval", "1", NULL };
  YpTestServer *server = yp_test_server_start_with_args (args);
  g_autoptr(YpClient) client = new_user (server, "bob");
  g_autoptr(YpChangePager) pager = NULL;
  g_autoptr(YpNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const guint one[] = { 1 };
  Engine engine = { 0 };
  gint64 seen, end;

  node = yp_client_mkdir_sync (client, YP_TARGET_PATH ("/old"), FALSE, NULL, &error);
  g_assert_no_error (error);
  seen = whoami_cursor (client);
  /* wait for the housekeeping to forget it */
  end = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autoptr(YpChanges) changes = yp_client_changes_sync (client, 0, 0, NULL, &error);

      if (changes == NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, end);
      g_usleep (G_USEC_PER_SEC / 2);
    }
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CURSOR_EXPIRED);
  g_clear_error (&error);

  pager = yp_change_pager_new (client, 0, 10);
  engine_start (&engine, pager);
  yp_change_pager_pull (pager);
  wait_read (pager);
  g_assert_cmpuint (engine.expired, ==, 1);
  g_assert_cmpuint (engine.caught_up, ==, 0);
  g_assert_cmpuint (engine.page_sizes->len, ==, 0);
  g_assert_no_error (engine.error);
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, 0);

  yp_change_pager_set_cursor (pager, seen);
  g_assert_cmpint (yp_change_pager_get_cursor (pager), ==, seen);
  g_clear_object (&node);
  node = yp_client_mkdir_sync (client, YP_TARGET_PATH ("/new"), FALSE, NULL, &error);
  g_assert_no_error (error);
  engine_clear (&engine);
  yp_change_pager_pull (pager);
  wait_read (pager);
  assert_pages (&engine, one, G_N_ELEMENTS (one));
  g_assert_cmpuint (engine.caught_up, ==, 1);
  g_assert_cmpuint (engine.expired, ==, 0);
  engine_stop (&engine);

  g_clear_object (&pager);
  assert_released (G_OBJECT (g_steal_pointer (&client)));
  yp_test_server_stop (server);
}

/* Any other failure is reported, and the next pull tries again. */
static void
test_pager_failed (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(YpChangePager) pager = NULL;
  g_autofree char *token = yp_client_dup_token (f->client);
  Engine engine = { 0 };

  make_changes (f, "c", 3);
  yp_client_set_token (f->client, "not-a-token");
  pager = yp_change_pager_new (f->client, 0, 10);
  engine_start (&engine, pager);
  yp_change_pager_pull (pager);
  wait_read (pager);
  g_assert_error (engine.error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED);
  g_assert_cmpuint (engine.caught_up, ==, 0);
  g_assert_cmpuint (engine.expired, ==, 0);

  yp_client_set_token (f->client, token);
  engine_clear (&engine);
  yp_change_pager_pull (pager);
  wait_read (pager);
  g_assert_no_error (engine.error);
  g_assert_cmpuint (engine.caught_up, ==, 1);
  g_assert_cmpuint (engine.page_sizes->len, ==, 1);
  engine_stop (&engine);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/change-pager/pages", test_pager_pages);
  fixture_add ("/yunpan/client/change-pager/pull-while-reading", test_pager_pull_while_reading);
  fixture_add ("/yunpan/client/change-pager/dispose-in-flight", test_pager_dispose_in_flight);
  g_test_add_func ("/yunpan/client/change-pager/cursor-expired", test_pager_cursor_expired);
  fixture_add ("/yunpan/client/change-pager/failed", test_pager_failed);

  return g_test_run ();
}
