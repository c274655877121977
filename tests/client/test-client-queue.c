/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The transfer queue and a transfer's life: concurrency, cancelling,
 * the totals, one "finished" per transfer, and its properties.
 */
#include "yp-client-error.h"
#include "yp-client.h"
#include "yp-enum-types.h"
#include "yp-transfer-private.h"
#include "yp-transfer-queue.h"
#include "yp-test-fixture.h"

static void
on_finished (YpTransfer *transfer,
             guint      *remaining)
{
  (*remaining)--;
}

static void
test_queue (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(YpTransferQueue) queue = yp_transfer_queue_new (f->client);
  guint remaining = 4;

  yp_transfer_queue_set_max_concurrent (queue, 2);
  for (guint i = 0; i < 4; i++)
    {
      g_autofree char *name = g_strdup_printf ("q%u.bin", i);
      g_autofree char *remote = g_strconcat ("/", name, NULL);
      g_autofree char *local = make_file (f->dir, name, 200000 + i, 20 + i, NULL);
      g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, remote, 0);

      g_signal_connect (transfer, "finished", G_CALLBACK (on_finished), &remaining);
      yp_transfer_queue_add (queue, transfer);
    }
  while (remaining > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpuint (g_list_model_get_n_items (yp_transfer_queue_get_transfers (queue)), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      g_autoptr(YpTransfer) transfer =
        g_list_model_get_item (yp_transfer_queue_get_transfers (queue), i);

      g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_DONE);
      g_assert_cmpuint (yp_transfer_get_bytes_done (transfer), ==, 200000 + i);
      g_assert_cmpuint (yp_transfer_get_total_bytes (transfer), ==, 200000 + i);
    }
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *local = make_file (f->dir, "slow.bin", 1024 * 1024, 5, NULL);
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload (local, "/slow.bin", 0);
  g_autoptr(YpRateLimiter) limiter = yp_rate_limiter_new (100 * 1024);

  yp_transfer_set_rate_limiter (transfer, limiter);
  g_cancellable_cancel (yp_transfer_get_cancellable (transfer));
  g_assert_false (yp_client_upload_sync (f->client, transfer, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  flush_main_context ();
  g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_CANCELLED);
  g_clear_error (&error);
  g_assert_null (yp_client_stat_sync (f->client, YP_TARGET_PATH ("/slow.bin"), NULL, &error));
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND);
}

static void
count_finished (YpTransfer *transfer,
                guint      *count)
{
  (*count)++;
}

static void
wait_state (YpTransfer      *transfer,
            YpTransferState  state)
{
  for (int i = 0; i < 10000 && yp_transfer_get_state (transfer) != state; i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  g_assert_cmpint (yp_transfer_get_state (transfer), ==, state);
}

/* Progress that a worker reports after the outcome (a hasher thread that
 * has not noticed the cancellation yet) schedules a timed notification; it
 * must not announce the end a second time. */
static void
test_queue_finished_once (void)
{
  g_autoptr(YpTransfer) transfer = yp_transfer_new_upload ("/nowhere", "/nowhere", 0);
  guint finished = 0;

  g_signal_connect (transfer, "finished", G_CALLBACK (count_finished), &finished);
  _yp_transfer_set_state (transfer, YP_TRANSFER_RUNNING);
  _yp_transfer_set_done (transfer, 10);
  _yp_transfer_finish (transfer, NULL, NULL);
  iterate_for (50);
  g_assert_cmpuint (finished, ==, 1);

  _yp_transfer_set_done (transfer, 20);
  iterate_for (300);
  g_assert_cmpuint (finished, ==, 1);

  /* nor can a late state change undo the outcome */
  _yp_transfer_set_state (transfer, YP_TRANSFER_RUNNING);
  iterate_for (50);
  g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_DONE);
  g_assert_cmpuint (finished, ==, 1);
}

/* An upload of a new file of SIZE bytes, not queued yet. */
static YpTransfer *
new_upload (Fixture    *f,
            const char *name,
            gsize       size)
{
  g_autofree char *local = make_file (f->dir, name, size, g_str_hash (name), NULL);
  g_autofree char *remote = g_strconcat ("/", name, NULL);

  return yp_transfer_new_upload (local, remote, 0);
}

/* Adds an upload of SIZE bytes to QUEUE and returns it. */
static YpTransfer *
queue_upload (Fixture         *f,
              YpTransferQueue *queue,
              const char      *name,
              gsize            size)
{
  YpTransfer *transfer = new_upload (f, name, size);

  yp_transfer_queue_add (queue, transfer);
  return transfer;
}

/* A transfer cancelled while it waits for a worker ends at once, not when
 * the one ahead of it is through. */
static void
test_queue_cancel_queued (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(YpTransferQueue) queue = yp_transfer_queue_new (f->client);
  g_autoptr(YpTransfer) slow = NULL, waiting = NULL;
  guint finished = 0;

  yp_transfer_queue_set_max_concurrent (queue, 1);
  yp_transfer_queue_set_upload_limit (queue, 64 * 1024);
  slow = queue_upload (f, queue, "slow.bin", 2 * MIB);
  waiting = queue_upload (f, queue, "waiting.bin", 1000);
  g_signal_connect (waiting, "finished", G_CALLBACK (count_finished), &finished);
  wait_state (slow, YP_TRANSFER_RUNNING);

  yp_transfer_cancel (waiting);
  g_assert_cmpint (yp_transfer_get_state (waiting), ==, YP_TRANSFER_CANCELLED);
  g_assert_error ((GError *) yp_transfer_get_error (waiting), G_IO_ERROR, G_IO_ERROR_CANCELLED);
  iterate_for (100);
  g_assert_cmpuint (finished, ==, 1);
  g_assert_cmpint (yp_transfer_get_state (slow), ==, YP_TRANSFER_RUNNING);

  yp_transfer_cancel (slow);
  wait_state (slow, YP_TRANSFER_CANCELLED);
  iterate_for (100);
  g_assert_cmpuint (finished, ==, 1);
}

/* Dropping the queue cancels the backlog: the waiting transfers never
 * start (they do not even open their file) and the main thread waits only
 * for the one that runs. */
static void
test_queue_dispose_drops_backlog (Fixture       *f,
                                  gconstpointer  data)
{
  YpTransferQueue *queue = yp_transfer_queue_new (f->client);
  g_autoptr(YpTransfer) slow = NULL;
  g_autoptr(GPtrArray) backlog = g_ptr_array_new_with_free_func (g_object_unref);
  gint64 start;

  yp_transfer_queue_set_max_concurrent (queue, 1);
  yp_transfer_queue_set_upload_limit (queue, 64 * 1024);
  slow = queue_upload (f, queue, "slow.bin", 2 * MIB);
  for (guint i = 0; i < 8; i++)
    {
      g_autofree char *name = g_strdup_printf ("backlog%u.bin", i);

      g_ptr_array_add (backlog, queue_upload (f, queue, name, 100000));
    }
  wait_state (slow, YP_TRANSFER_RUNNING);

  start = g_get_monotonic_time ();
  assert_released (G_OBJECT (queue));
  g_assert_cmpint (g_get_monotonic_time () - start, <, 2 * G_USEC_PER_SEC);
  g_assert_cmpint (yp_transfer_get_state (slow), ==, YP_TRANSFER_CANCELLED);
  for (guint i = 0; i < backlog->len; i++)
    {
      YpTransfer *transfer = backlog->pdata[i];

      g_assert_cmpint (yp_transfer_get_state (transfer), ==, YP_TRANSFER_CANCELLED);
      g_assert_cmpuint (yp_transfer_get_total_bytes (transfer), ==, 0);
    }
  flush_main_context ();
}

static void
count_notify (GObject    *object,
              GParamSpec *pspec,
              guint      *count)
{
  (*count)++;
}

/* The totals follow the transfers, and finished transfers can be dropped
 * from the list (and from memory). */
static void
test_queue_totals_and_remove (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(YpTransferQueue) queue = yp_transfer_queue_new (f->client);
  g_autoptr(YpTransfer) slow = NULL;
  YpTransfer *quick[3];
  gpointer weak[3];
  guint items_notified = 0, bytes_notified = 0, rate_notified = 0;
  guint64 max_rate = 0;

  g_signal_connect (queue, "notify::items-left", G_CALLBACK (count_notify), &items_notified);
  g_signal_connect (queue, "notify::bytes-left", G_CALLBACK (count_notify), &bytes_notified);
  g_signal_connect (queue, "notify::rate", G_CALLBACK (count_notify), &rate_notified);
  yp_transfer_queue_set_upload_limit (queue, 256 * 1024);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *name = g_strdup_printf ("quick%u.bin", i);

      quick[i] = new_upload (f, name, 1000 + i);
      weak[i] = quick[i];
      g_object_add_weak_pointer (G_OBJECT (quick[i]), &weak[i]);
    }
  slow = new_upload (f, "slow.bin", MIB);
  /* queued back to back: writing the files in between gave a quick upload
   * the time to finish before the last one was queued */
  for (guint i = 0; i < 3; i++)
    yp_transfer_queue_add (queue, quick[i]);
  yp_transfer_queue_add (queue, slow);
  g_assert_cmpuint (yp_transfer_queue_get_items_left (queue), ==, 4);

  while (yp_transfer_get_state (slow) < YP_TRANSFER_DONE)
    {
      g_main_context_iteration (NULL, TRUE);
      if (yp_transfer_get_state (slow) == YP_TRANSFER_RUNNING)
        {
          guint64 total = yp_transfer_get_total_bytes (slow);

          g_assert_cmpuint (yp_transfer_queue_get_bytes_left (queue), >=,
                            total - yp_transfer_get_bytes_done (slow));
        }
      max_rate = MAX (max_rate, yp_transfer_queue_get_rate (queue));
    }
  flush_main_context ();
  g_assert_cmpint (yp_transfer_get_state (slow), ==, YP_TRANSFER_DONE);
  g_assert_cmpuint (yp_transfer_queue_get_items_left (queue), ==, 0);
  g_assert_cmpuint (yp_transfer_queue_get_bytes_left (queue), ==, 0);
  g_assert_cmpuint (yp_transfer_queue_get_rate (queue), ==, 0);
  g_assert_cmpuint (items_notified, >=, 4);
  g_assert_cmpuint (bytes_notified, >, 0);
  g_assert_cmpuint (rate_notified, >, 0);
  g_assert_cmpuint (max_rate, >, 0);

  for (guint i = 0; i < 3; i++)
    g_object_unref (quick[i]);
  g_assert_cmpuint (g_list_model_get_n_items (yp_transfer_queue_get_transfers (queue)), ==, 4);
  yp_transfer_queue_remove_finished (queue);
  g_assert_cmpuint (g_list_model_get_n_items (yp_transfer_queue_get_transfers (queue)), ==, 0);
  for (int i = 0; i < 5000 && (weak[0] || weak[1] || weak[2]); i++)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (1000);
    }
  for (guint i = 0; i < 3; i++)
    g_assert_null (weak[i]);
}

/* A user interface binds to a transfer's properties and shows the enums
 * by name, without a getter per field. */
static void
test_transfer_properties (void)
{
  g_autoptr(YpTransfer) transfer = yp_transfer_new_download ("/remote.bin", "/tmp/local.bin");
  g_autoptr(GError) cause = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED, "boom");
  g_autoptr(GError) error = NULL;
  g_autofree char *local = NULL, *remote = NULL;
  g_autoptr(GEnumClass) states = g_type_class_ref (YP_TYPE_TRANSFER_STATE);
  YpTransferDirection direction = YP_TRANSFER_UPLOAD;
  YpTransferState state = YP_TRANSFER_DONE;
  GParamSpec *pspec;
  guint error_notified = 0;

  g_object_get (transfer, "direction", &direction, "local-path", &local,
                "remote-path", &remote, "state", &state, "error", &error, NULL);
  g_assert_cmpint (direction, ==, YP_TRANSFER_DOWNLOAD);
  g_assert_cmpstr (local, ==, "/tmp/local.bin");
  g_assert_cmpstr (remote, ==, "/remote.bin");
  g_assert_cmpint (state, ==, YP_TRANSFER_QUEUED);
  g_assert_null (error);

  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (transfer), "state");
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == YP_TYPE_TRANSFER_STATE);
  pspec = g_object_class_find_property (G_OBJECT_GET_CLASS (transfer), "direction");
  g_assert_true (G_PARAM_SPEC_VALUE_TYPE (pspec) == YP_TYPE_TRANSFER_DIRECTION);
  g_assert_cmpstr (g_enum_get_value (states, YP_TRANSFER_CANCELLED)->value_nick, ==,
                   "cancelled");
  g_assert_true (G_TYPE_IS_ENUM (YP_TYPE_DOWNLOAD_TARGET));

  g_signal_connect_swapped (transfer, "notify::error", G_CALLBACK (count_signal),
                            &error_notified);
  _yp_transfer_finish (transfer, NULL, cause);
  iterate_for (50);
  g_assert_cmpuint (error_notified, ==, 1);
  g_object_get (transfer, "state", &state, "error", &error, NULL);
  g_assert_cmpint (state, ==, YP_TRANSFER_FAILED);
  g_assert_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  fixture_add ("/yunpan/client/transfer/queue", test_queue);
  fixture_add ("/yunpan/client/transfer/cancel", test_cancel);
  g_test_add_func ("/yunpan/client/queue/finished-once", test_queue_finished_once);
  fixture_add ("/yunpan/client/queue/cancel-queued", test_queue_cancel_queued);
  fixture_add ("/yunpan/client/queue/dispose-drops-backlog", test_queue_dispose_drops_backlog);
  fixture_add ("/yunpan/client/queue/totals-and-remove", test_queue_totals_and_remove);
  g_test_add_func ("/yunpan/client/transfer/properties", test_transfer_properties);

  return g_test_run ();
}
