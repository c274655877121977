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
 * transfer list shows them) until the queue goes away.
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
};

G_DEFINE_FINAL_TYPE (YpTransferQueue, yp_transfer_queue, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_MAX_CONCURRENT,
  PROP_UPLOAD_LIMIT,
  PROP_DOWNLOAD_LIMIT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  YpClient   *client;
  YpTransfer *transfer;
} Job;

static void
run_job (gpointer data,
         gpointer user_data)
{
  Job *job = data;

  /* the transfer records its own outcome, error included */
  if (yp_transfer_get_direction (job->transfer) == YP_TRANSFER_UPLOAD)
    yp_client_upload_sync (job->client, job->transfer, NULL);
  else
    yp_client_download_sync (job->client, job->transfer, NULL);

  g_object_unref (job->client);
  g_object_unref (job->transfer);
  g_free (job);
}

static void
yp_transfer_queue_dispose (GObject *object)
{
  YpTransferQueue *self = YP_TRANSFER_QUEUE (object);

  if (self->pool != NULL)
    {
      /* cancel what runs and wait for the workers to notice */
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->transfers)); i++)
        {
          g_autoptr(YpTransfer) transfer = g_list_model_get_item (G_LIST_MODEL (self->transfers), i);

          yp_transfer_cancel (transfer);
        }
      g_thread_pool_free (self->pool, FALSE, TRUE);
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

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_transfer_queue_init (YpTransferQueue *self)
{
  self->transfers = g_list_store_new (YP_TYPE_TRANSFER);
  self->upload_limiter = yp_rate_limiter_new (0);
  self->download_limiter = yp_rate_limiter_new (0);
  self->max_concurrent = DEFAULT_MAX_CONCURRENT;
  self->pool = g_thread_pool_new (run_job, NULL, (gint) self->max_concurrent, FALSE, NULL);
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

  _yp_transfer_set_limiter (transfer,
                            yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD
                              ? self->upload_limiter : self->download_limiter);
  g_list_store_append (self->transfers, transfer);

  job = g_new0 (Job, 1);
  job->client = g_object_ref (self->client);
  job->transfer = g_object_ref (transfer);
  g_thread_pool_push (self->pool, job, NULL);
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
