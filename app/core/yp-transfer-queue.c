/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "yp-transfer-private.h"
#include "yp-transfer-queue.h"

#define DEFAULT_MAX_CONCURRENT 3

/**
 * YpTransferQueue:
 *
 * Runs uploads and downloads for one client, #YpTransferQueue:max-concurrent
 * at a time, each in a worker thread. All uploads share one rate limit and
 * all downloads another. The transfers stay in the list (the window's
 * transfer list shows them) until yp_transfer_queue_remove_finished()
 * drops the finished ones. #YpTransferQueue:items-left,
 * #YpTransferQueue:bytes-left and #YpTransferQueue:rate sum up the
 * unfinished transfers, for a tray icon or a status line to bind to; they
 * change in the main context of the transfers.
 */
struct _YpTransferQueue
{
  GObject        parent_instance;

  YpClient      *client;
  GListStore    *transfers;
  GThreadPool   *pool;
  YpRateLimiter *upload_limiter;
  YpRateLimiter *download_limiter;
  guint          max_concurrent;

  guint          items_left;
  guint64        bytes_left;
  guint64        rate;
};

G_DEFINE_FINAL_TYPE (YpTransferQueue, yp_transfer_queue, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_CONCURRENT,
  PROP_UPLOAD_LIMIT,
  PROP_DOWNLOAD_LIMIT,
  PROP_ITEMS_LEFT,
  PROP_BYTES_LEFT,
  PROP_RATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  YpClient   *client;
  YpTransfer *transfer;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  g_object_unref (job->client);
  g_object_unref (job->transfer);
  g_free (job);
}

static void
run_job (gpointer data,
         gpointer user_data)
{
  Job *job = data;

  /* the transfer records its own outcome, error included; one cancelled
   * while it waited has its outcome already */
  if (yp_transfer_get_state (job->transfer) >= YP_TRANSFER_DONE)
    ;
  else if (yp_transfer_get_direction (job->transfer) == YP_TRANSFER_UPLOAD)
    yp_client_upload_sync (job->client, job->transfer, NULL);
  else
    yp_client_download_sync (job->client, job->transfer, NULL);

  job_free (job);
}

static void
update_totals (YpTransferQueue *self)
{
  GListModel *model = G_LIST_MODEL (self->transfers);
  guint items = 0;
  guint64 bytes = 0, rate = 0;

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    {
      g_autoptr(YpTransfer) transfer = g_list_model_get_item (model, i);
      guint64 total = yp_transfer_get_total_bytes (transfer);

      if (yp_transfer_get_state (transfer) >= YP_TRANSFER_DONE)
        continue;
      items++;
      /* what a hashing upload has done is hashed, not yet sent */
      if (yp_transfer_get_state (transfer) == YP_TRANSFER_HASHING)
        bytes += total;
      else
        bytes += total - MIN (total, yp_transfer_get_bytes_done (transfer));
      rate += yp_transfer_get_rate (transfer);
    }

  g_object_freeze_notify (G_OBJECT (self));
  if (self->items_left != items)
    {
      self->items_left = items;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEMS_LEFT]);
    }
  if (self->bytes_left != bytes)
    {
      self->bytes_left = bytes;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_LEFT]);
    }
  if (self->rate != rate)
    {
      self->rate = rate;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
on_transfer_notify (YpTransfer      *transfer,
                    GParamSpec      *pspec,
                    YpTransferQueue *self)
{
  update_totals (self);
}

static void
forget_transfer (YpTransferQueue *self,
                 YpTransfer      *transfer)
{
  g_signal_handlers_disconnect_by_func (transfer, on_transfer_notify, self);
}

static void
yp_transfer_queue_dispose (GObject *object)
{
  YpTransferQueue *self = YP_TRANSFER_QUEUE (object);

  if (self->pool != NULL)
    {
      /* cancel everything: what waits ends at once and is dropped, and
       * only the workers that run a transfer are waited for, since they
       * hold the client, which must be released in this thread */
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->transfers)); i++)
        {
          g_autoptr(YpTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

          forget_transfer (self, transfer);
          yp_transfer_cancel (transfer);
        }
      g_thread_pool_free (self->pool, TRUE, TRUE);
      self->pool = NULL;
    }
  g_clear_object (&self->client);
  g_clear_object (&self->transfers);
  g_clear_object (&self->upload_limiter);
  g_clear_object (&self->download_limiter);

  G_OBJECT_CLASS (yp_transfer_queue_parent_class)->dispose (object);
}

static void
yp_transfer_queue_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  YpTransferQueue *self = YP_TRANSFER_QUEUE (object);

  switch (prop_id)
    {
    case PROP_MAX_CONCURRENT:
      g_value_set_uint (value, self->max_concurrent);
      break;
    case PROP_UPLOAD_LIMIT:
      g_value_set_uint64 (value, yp_transfer_queue_get_upload_limit (self));
      break;
    case PROP_DOWNLOAD_LIMIT:
      g_value_set_uint64 (value, yp_transfer_queue_get_download_limit (self));
      break;
    case PROP_ITEMS_LEFT:
      g_value_set_uint (value, self->items_left);
      break;
    case PROP_BYTES_LEFT:
      g_value_set_uint64 (value, self->bytes_left);
      break;
    case PROP_RATE:
      g_value_set_uint64 (value, self->rate);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_transfer_queue_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  YpTransferQueue *self = YP_TRANSFER_QUEUE (object);

  switch (prop_id)
    {
    case PROP_MAX_CONCURRENT:
      yp_transfer_queue_set_max_concurrent (self, g_value_get_uint (value));
      break;
    case PROP_UPLOAD_LIMIT:
      yp_transfer_queue_set_upload_limit (self, g_value_get_uint64 (value));
      break;
    case PROP_DOWNLOAD_LIMIT:
      yp_transfer_queue_set_download_limit (self, g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_transfer_queue_class_init (YpTransferQueueClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = yp_transfer_queue_dispose;
  object_class->get_property = yp_transfer_queue_get_property;
  object_class->set_property = yp_transfer_queue_set_property;

  properties[PROP_MAX_CONCURRENT] =
    g_param_spec_uint ("max-concurrent", NULL, NULL, 1, 64, DEFAULT_MAX_CONCURRENT,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_UPLOAD_LIMIT] =
    g_param_spec_uint64 ("upload-limit", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_DOWNLOAD_LIMIT] =
    g_param_spec_uint64 ("download-limit", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* transfers not finished yet */
  properties[PROP_ITEMS_LEFT] =
    g_param_spec_uint ("items-left", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* bytes still to move in the transfers that know their size */
  properties[PROP_BYTES_LEFT] =
    g_param_spec_uint64 ("bytes-left", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* bytes per second, all transfers together */
  properties[PROP_RATE] =
    g_param_spec_uint64 ("rate", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_transfer_queue_init (YpTransferQueue *self)
{
  self->transfers = g_list_store_new (YP_TYPE_TRANSFER);
  self->upload_limiter = yp_rate_limiter_new (0);
  self->download_limiter = yp_rate_limiter_new (0);
  self->max_concurrent = DEFAULT_MAX_CONCURRENT;
  self->pool = g_thread_pool_new_full (run_job, NULL, job_free,
                                       (gint) self->max_concurrent, FALSE, NULL);
}

YpTransferQueue *
yp_transfer_queue_new (YpClient *client)
{
  YpTransferQueue *self;

  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);

  self = g_object_new (YP_TYPE_TRANSFER_QUEUE, NULL);
  self->client = g_object_ref (client);
  return self;
}

/**
 * yp_transfer_queue_get_transfers:
 *
 * Returns: (transfer none): a #GListModel of #YpTransfer
 */
GListModel *
yp_transfer_queue_get_transfers (YpTransferQueue *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (self), NULL);

  return G_LIST_MODEL (self->transfers);
}

void
yp_transfer_queue_add (YpTransferQueue *self,
                       YpTransfer      *transfer)
{
  Job *job;

  g_return_if_fail (YP_IS_TRANSFER_QUEUE (self));
  g_return_if_fail (YP_IS_TRANSFER (transfer));

  yp_transfer_set_rate_limiter (transfer,
                                yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD
                                  ? self->upload_limiter : self->download_limiter);
  g_list_store_append (self->transfers, transfer);
  g_signal_connect_object (transfer, "notify", G_CALLBACK (on_transfer_notify), self, 0);
  update_totals (self);

  job = g_new0 (Job, 1);
  job->client = g_object_ref (self->client);
  job->transfer = g_object_ref (transfer);
  g_thread_pool_push (self->pool, job, NULL);
}

/**
 * yp_transfer_queue_remove_finished:
 *
 * Drops the transfers that are done, failed or cancelled from
 * yp_transfer_queue_get_transfers(), so that a queue that lives as long as
 * the sync does not grow with every file.
 */
void
yp_transfer_queue_remove_finished (YpTransferQueue *self)
{
  g_return_if_fail (YP_IS_TRANSFER_QUEUE (self));

  for (guint i = g_list_model_get_n_items (G_LIST_MODEL (self->transfers)); i > 0; i--)
    {
      g_autoptr(YpTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i - 1);

      if (yp_transfer_get_state (transfer) < YP_TRANSFER_DONE)
        continue;
      forget_transfer (self, transfer);
      g_list_store_remove (self->transfers, i - 1);
    }
  update_totals (self);
}

guint
yp_transfer_queue_get_items_left (YpTransferQueue *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (self), 0);

  return self->items_left;
}

guint64
yp_transfer_queue_get_bytes_left (YpTransferQueue *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (self), 0);

  return self->bytes_left;
}

guint64
yp_transfer_queue_get_rate (YpTransferQueue *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (self), 0);

  return self->rate;
}

guint
yp_transfer_queue_get_max_concurrent (YpTransferQueue *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (self), 0);

  return self->max_concurrent;
}

void
yp_transfer_queue_set_max_concurrent (YpTransferQueue *self,
                                      guint            max_concurrent)
{
  g_return_if_fail (YP_IS_TRANSFER_QUEUE (self));
  g_return_if_fail (max_concurrent > 0);

  if (self->max_concurrent == max_concurrent)
    return;
  self->max_concurrent = max_concurrent;
  g_thread_pool_set_max_threads (self->pool, (gint) max_concurrent, NULL);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MAX_CONCURRENT]);
}

guint64
yp_transfer_queue_get_upload_limit (YpTransferQueue *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (self), 0);

  return yp_rate_limiter_get_rate (self->upload_limiter);
}

void
yp_transfer_queue_set_upload_limit (YpTransferQueue *self,
                                    guint64          bytes_per_second)
{
  g_return_if_fail (YP_IS_TRANSFER_QUEUE (self));

  if (yp_rate_limiter_get_rate (self->upload_limiter) == bytes_per_second)
    return;
  yp_rate_limiter_set_rate (self->upload_limiter, bytes_per_second);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPLOAD_LIMIT]);
}

guint64
yp_transfer_queue_get_download_limit (YpTransferQueue *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER_QUEUE (self), 0);

  return yp_rate_limiter_get_rate (self->download_limiter);
}

void
yp_transfer_queue_set_download_limit (YpTransferQueue *self,
                                      guint64          bytes_per_second)
{
  g_return_if_fail (YP_IS_TRANSFER_QUEUE (self));

  if (yp_rate_limiter_get_rate (self->download_limiter) == bytes_per_second)
    return;
  yp_rate_limiter_set_rate (self->download_limiter, bytes_per_second);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOWNLOAD_LIMIT]);
}
