/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>
#include <sys/stat.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-enum-types.h"
#include "yp-transfer-private.h"

#define NOTIFY_INTERVAL_MS 100

/**
 * YpTransfer:
 *
 * One upload or download and its progress. A worker thread runs it; the
 * properties change, and #YpTransfer::finished is emitted, in the main
 * context that was the thread default when the transfer was created, so a
 * user interface can bind to them directly.
 */
struct _YpTransfer
{
  GObject              parent_instance;

  YpTransferDirection  direction;
  char                *local_path;
  char                *remote_path;
  gint64               if_version;
  YpUploadOptions      upload_options;  /* its strings owned */
  GCancellable        *cancellable;
  GMainContext        *context;
  YpRateLimiter       *limiter;

  GMutex               mutex;       /* guards what the worker writes */
  YpTransferState      state;
  guint64              done;
  guint64              total;
  guint64              sent;
  gboolean             instant;
  GError              *error;
  YpNode              *node;
  char                *upload_id;
  guint64              offset;
  YpFileIdentity       uploaded_identity;
  gboolean             has_uploaded_identity;
  GSource             *notify_source;

  /* main context only */
  gboolean             finished_emitted;
  YpTransferState      rate_state;  /* at the last notification */
  char                *notified_upload_id;
  guint64              notified_offset;
  guint64              rate;
  guint64              rate_done;
  gint64               rate_time;
};

G_DEFINE_FINAL_TYPE (YpTransfer, yp_transfer, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_DIRECTION,
  PROP_LOCAL_PATH,
  PROP_REMOTE_PATH,
  PROP_ERROR,
  PROP_STATE,
  PROP_BYTES_DONE,
  PROP_TOTAL_BYTES,
  PROP_RATE,
  PROP_INSTANT,
  PROP_UPLOAD_ID,
  PROP_OFFSET,
  N_PROPS
};

enum {
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static void
yp_transfer_finalize (GObject *object)
{
  YpTransfer *self = YP_TRANSFER (object);

  if (self->notify_source)
    {
      g_source_destroy (self->notify_source);
      g_source_unref (self->notify_source);
    }
  g_clear_pointer (&self->local_path, g_free);
  g_clear_pointer (&self->remote_path, g_free);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->context, g_main_context_unref);
  g_clear_object (&self->limiter);
  g_clear_error (&self->error);
  g_clear_object (&self->node);
  g_clear_pointer (&self->upload_id, g_free);
  g_clear_pointer (&self->notified_upload_id, g_free);
  g_clear_pointer ((char **) &self->upload_options.name, g_free);
  g_clear_pointer ((char **) &self->upload_options.sha256, g_free);
  g_clear_pointer ((char **) &self->upload_options.resume_upload_id, g_free);
  g_mutex_clear (&self->mutex);

  G_OBJECT_CLASS (yp_transfer_parent_class)->finalize (object);
}

static void
yp_transfer_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  YpTransfer *self = YP_TRANSFER (object);

  switch (prop_id)
    {
    case PROP_DIRECTION:
      g_value_set_enum (value, self->direction);
      break;
    case PROP_LOCAL_PATH:
      g_value_set_string (value, self->local_path);
      break;
    case PROP_REMOTE_PATH:
      g_value_set_string (value, self->remote_path);
      break;
    case PROP_ERROR:
      g_mutex_lock (&self->mutex);
      g_value_set_boxed (value, self->error);
      g_mutex_unlock (&self->mutex);
      break;
    case PROP_STATE:
      g_value_set_enum (value, yp_transfer_get_state (self));
      break;
    case PROP_BYTES_DONE:
      g_value_set_uint64 (value, yp_transfer_get_bytes_done (self));
      break;
    case PROP_TOTAL_BYTES:
      g_value_set_uint64 (value, yp_transfer_get_total_bytes (self));
      break;
    case PROP_RATE:
      g_value_set_uint64 (value, self->rate);
      break;
    case PROP_INSTANT:
      g_value_set_boolean (value, yp_transfer_get_instant (self));
      break;
    case PROP_UPLOAD_ID:
      g_value_take_string (value, yp_transfer_dup_upload_id (self));
      break;
    case PROP_OFFSET:
      g_value_set_uint64 (value, yp_transfer_get_offset (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_transfer_class_init (YpTransferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = yp_transfer_finalize;
  object_class->get_property = yp_transfer_get_property;

  properties[PROP_DIRECTION] =
    g_param_spec_enum ("direction", NULL, NULL, YP_TYPE_TRANSFER_DIRECTION, YP_TRANSFER_UPLOAD,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCAL_PATH] =
    g_param_spec_string ("local-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_REMOTE_PATH] =
    g_param_spec_string ("remote-path", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* why it failed or was cancelled; set once it is over */
  properties[PROP_ERROR] =
    g_param_spec_boxed ("error", NULL, NULL, G_TYPE_ERROR,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, YP_TYPE_TRANSFER_STATE, YP_TRANSFER_QUEUED,
                       G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_BYTES_DONE] =
    g_param_spec_uint64 ("bytes-done", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TOTAL_BYTES] =
    g_param_spec_uint64 ("total-bytes", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_RATE] =
    g_param_spec_uint64 ("rate", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_INSTANT] =
    g_param_spec_boolean ("instant", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* what a later process needs to resume the upload: notified when they
   * change, not with every progress update */
  properties[PROP_UPLOAD_ID] =
    g_param_spec_string ("upload-id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_OFFSET] =
    g_param_spec_uint64 ("offset", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * YpTransfer::finished:
   *
   * The transfer is over: done, failed or cancelled (see #YpTransfer:state).
   */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
yp_transfer_init (YpTransfer *self)
{
  g_mutex_init (&self->mutex);
  self->cancellable = g_cancellable_new ();
  self->context = g_main_context_ref_thread_default ();
  self->state = YP_TRANSFER_QUEUED;
}

YpTransfer *
yp_transfer_new_upload (const char *local_path,
                        const char *remote_path,
                        gint64      if_version)
{
  YpUploadOptions options = { .if_version = if_version };

  g_return_val_if_fail (local_path != NULL && remote_path != NULL, NULL);

  return yp_transfer_new_upload_full (local_path, remote_path, &options);
}

YpTransfer *
yp_transfer_new_upload_full (const char            *local_path,
                             const char            *remote_path,
                             const YpUploadOptions *options)
{
  YpTransfer *self;

  g_return_val_if_fail (local_path != NULL && options != NULL, NULL);
  g_return_val_if_fail ((remote_path != NULL) != (options->parent_id > 0), NULL);
  g_return_val_if_fail (options->parent_id <= 0 || options->name != NULL, NULL);
  g_return_val_if_fail (options->if_version >= YP_VERSION_ANY, NULL);

  self = g_object_new (YP_TYPE_TRANSFER, NULL);
  self->direction = YP_TRANSFER_UPLOAD;
  self->local_path = g_strdup (local_path);
  self->remote_path = g_strdup (remote_path);
  self->if_version = options->if_version;
  self->upload_options = *options;
  self->upload_options.name = g_strdup (options->name);
  self->upload_options.sha256 = g_strdup (options->sha256);
  self->upload_options.resume_upload_id = g_strdup (options->resume_upload_id);
  return self;
}

YpTransfer *
yp_transfer_new_download (const char *remote_path,
                          const char *local_path)
{
  YpTransfer *self;

  g_return_val_if_fail (local_path != NULL && remote_path != NULL, NULL);

  self = g_object_new (YP_TYPE_TRANSFER, NULL);
  self->direction = YP_TRANSFER_DOWNLOAD;
  self->local_path = g_strdup (local_path);
  self->remote_path = g_strdup (remote_path);
  return self;
}

YpTransferDirection
yp_transfer_get_direction (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), YP_TRANSFER_UPLOAD);

  return self->direction;
}

const char *
yp_transfer_get_local_path (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), NULL);

  return self->local_path;
}

const char *
yp_transfer_get_remote_path (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), NULL);

  return self->remote_path;
}

gint64
yp_transfer_get_if_version (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), 0);

  return self->if_version;
}

#define LOCKED_GETTER(type, name, field)                \
  type                                                  \
  yp_transfer_get_##name (YpTransfer *self)             \
  {                                                     \
    type value;                                         \
                                                        \
    g_return_val_if_fail (YP_IS_TRANSFER (self), 0);    \
                                                        \
    g_mutex_lock (&self->mutex);                        \
    value = self->field;                                \
    g_mutex_unlock (&self->mutex);                      \
    return value;                                       \
  }

LOCKED_GETTER (YpTransferState, state, state)
LOCKED_GETTER (guint64, bytes_done, done)
LOCKED_GETTER (guint64, total_bytes, total)
LOCKED_GETTER (guint64, bytes_sent, sent)
LOCKED_GETTER (gboolean, instant, instant)
LOCKED_GETTER (guint64, offset, offset)

#undef LOCKED_GETTER

guint64
yp_transfer_get_rate (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), 0);

  return self->rate;
}

char *
yp_transfer_dup_upload_id (YpTransfer *self)
{
  char *upload_id;

  g_return_val_if_fail (YP_IS_TRANSFER (self), NULL);

  g_mutex_lock (&self->mutex);
  upload_id = g_strdup (self->upload_id);
  g_mutex_unlock (&self->mutex);
  return upload_id;
}

gboolean
yp_transfer_get_uploaded_identity (YpTransfer     *self,
                                   YpFileIdentity *identity)
{
  gboolean known;

  g_return_val_if_fail (YP_IS_TRANSFER (self), FALSE);
  g_return_val_if_fail (identity != NULL, FALSE);

  g_mutex_lock (&self->mutex);
  known = self->has_uploaded_identity && self->state == YP_TRANSFER_DONE;
  if (known)
    *identity = self->uploaded_identity;
  g_mutex_unlock (&self->mutex);
  return known;
}

/**
 * yp_transfer_get_error:
 *
 * Returns: (nullable): why a failed transfer failed; valid once finished
 */
const GError *
yp_transfer_get_error (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), NULL);

  return self->error;
}

/**
 * yp_transfer_get_node:
 *
 * Returns: (transfer none) (nullable): the file on the server, once done
 */
YpNode *
yp_transfer_get_node (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), NULL);

  return self->node;
}

/**
 * yp_transfer_get_cancellable:
 *
 * Returns: (transfer none): cancels this transfer when cancelled
 */
GCancellable *
yp_transfer_get_cancellable (YpTransfer *self)
{
  g_return_val_if_fail (YP_IS_TRANSFER (self), NULL);

  return self->cancellable;
}

/**
 * yp_transfer_cancel:
 *
 * Stops the transfer. One that has not started yet ends at once, as
 * cancelled, instead of when a worker comes to it.
 */
void
yp_transfer_cancel (YpTransfer *self)
{
  gboolean queued;

  g_return_if_fail (YP_IS_TRANSFER (self));

  g_mutex_lock (&self->mutex);
  queued = self->state == YP_TRANSFER_QUEUED;
  g_mutex_unlock (&self->mutex);
  g_cancellable_cancel (self->cancellable);
  if (queued)
    {
      g_autoptr(GError) error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED,
                                                     _("Operation was cancelled"));

      _yp_transfer_finish (self, NULL, error);
    }
}


/* ------------------------------------------------------------------------
 * Progress from the worker, delivered in the transfer's main context
 * ------------------------------------------------------------------------ */

static void
update_rate (YpTransfer *self,
             guint64     done)
{
  gint64 now = g_get_monotonic_time ();

  if (self->rate_time != 0 && now - self->rate_time >= G_USEC_PER_SEC / 4)
    {
      double current = (double) (done - MIN (done, self->rate_done)) * G_USEC_PER_SEC
                       / (double) (now - self->rate_time);

      /* smooth, so that the figure a person reads does not jitter */
      self->rate = self->rate == 0 ? (guint64) current
                                   : (guint64) (0.7 * (double) self->rate + 0.3 * current);
    }
  if (self->rate_time == 0 || now - self->rate_time >= G_USEC_PER_SEC / 4)
    {
      self->rate_time = now;
      self->rate_done = done;
    }
}

static gboolean
dispatch_notify (gpointer data)
{
  YpTransfer *self = data;
  YpTransferState state;
  gboolean finished, upload_id_changed;
  guint64 done, offset;

  g_mutex_lock (&self->mutex);
  /* a worker may have replaced this source while it was being dispatched:
   * forget only this one, or the replacement runs unaccounted for */
  if (self->notify_source == g_main_current_source ())
    g_clear_pointer (&self->notify_source, g_source_unref);
  state = self->state;
  done = self->done;
  offset = self->offset;
  upload_id_changed = g_strcmp0 (self->upload_id, self->notified_upload_id) != 0;
  if (upload_id_changed)
    {
      g_free (self->notified_upload_id);
      self->notified_upload_id = g_strdup (self->upload_id);
    }
  g_mutex_unlock (&self->mutex);

  finished = state >= YP_TRANSFER_DONE;
  /* the rate is the transfer's: hashing goes at another pace, and the bytes
   * done count from the offset again once it is over */
  if (state == YP_TRANSFER_RUNNING && self->rate_state != YP_TRANSFER_RUNNING)
    {
      self->rate = 0;
      self->rate_time = 0;
    }
  self->rate_state = state;
  if (state == YP_TRANSFER_RUNNING)
    update_rate (self, done);

  g_object_freeze_notify (G_OBJECT (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_DONE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TOTAL_BYTES]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INSTANT]);
  if (upload_id_changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_UPLOAD_ID]);
  if (offset != self->notified_offset)
    {
      self->notified_offset = offset;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFSET]);
    }
  if (finished && !self->finished_emitted)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ERROR]);
  g_object_thaw_notify (G_OBJECT (self));

  /* progress that trails the outcome must not announce it again */
  if (finished && !self->finished_emitted)
    {
      self->finished_emitted = TRUE;
      g_signal_emit (self, signals[FINISHED], 0);
    }
  return G_SOURCE_REMOVE;
}

/* Schedules a notification unless one is pending; IMMEDIATE for state changes. */
static void
schedule_notify (YpTransfer *self,
                 gboolean    immediate)
{
  GSource *source;

  g_mutex_lock (&self->mutex);
  if (self->notify_source != NULL && !immediate)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  if (self->notify_source != NULL)
    {
      g_source_destroy (self->notify_source);
      g_source_unref (self->notify_source);
    }
  source = immediate ? g_idle_source_new () : g_timeout_source_new (NOTIFY_INTERVAL_MS);
  g_source_set_callback (source, dispatch_notify, g_object_ref (self), g_object_unref);
  g_source_set_static_name (source, "[yunpan] transfer progress");
  self->notify_source = source;
  g_mutex_unlock (&self->mutex);
  g_source_attach (source, self->context);
}

void
_yp_transfer_set_state (YpTransfer      *self,
                        YpTransferState  state)
{
  g_mutex_lock (&self->mutex);
  /* the outcome, once known, stays */
  if (self->state >= YP_TRANSFER_DONE)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  self->state = state;
  g_mutex_unlock (&self->mutex);
  schedule_notify (self, TRUE);
}

void
_yp_transfer_set_state_and_done (YpTransfer      *self,
                                 YpTransferState  state,
                                 guint64          done)
{
  g_mutex_lock (&self->mutex);
  if (self->state >= YP_TRANSFER_DONE)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  self->state = state;
  self->done = done;
  g_mutex_unlock (&self->mutex);
  schedule_notify (self, TRUE);
}

void
_yp_transfer_set_total (YpTransfer *self,
                        guint64     total)
{
  g_mutex_lock (&self->mutex);
  self->total = total;
  g_mutex_unlock (&self->mutex);
  schedule_notify (self, FALSE);
}

void
_yp_transfer_set_done (YpTransfer *self,
                       guint64     done)
{
  g_mutex_lock (&self->mutex);
  self->done = done;
  g_mutex_unlock (&self->mutex);
  schedule_notify (self, FALSE);
}

void
_yp_transfer_add_done (YpTransfer *self,
                       guint64     bytes)
{
  g_mutex_lock (&self->mutex);
  self->done += bytes;
  g_mutex_unlock (&self->mutex);
  schedule_notify (self, FALSE);
}

void
_yp_transfer_add_sent (YpTransfer *self,
                       guint64     bytes)
{
  g_mutex_lock (&self->mutex);
  self->sent += bytes;
  g_mutex_unlock (&self->mutex);
}

void
_yp_transfer_set_instant (YpTransfer *self,
                          gboolean    instant)
{
  g_mutex_lock (&self->mutex);
  self->instant = instant;
  g_mutex_unlock (&self->mutex);
}

void
_yp_transfer_finish (YpTransfer   *self,
                     YpNode       *node,
                     const GError *error)
{
  g_mutex_lock (&self->mutex);
  if (self->state >= YP_TRANSFER_DONE)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  g_set_object (&self->node, node);
  g_clear_error (&self->error);
  if (error != NULL)
    self->error = g_error_copy (error);
  if (error == NULL)
    self->state = YP_TRANSFER_DONE;
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    self->state = YP_TRANSFER_CANCELLED;
  else
    self->state = YP_TRANSFER_FAILED;
  g_mutex_unlock (&self->mutex);
  schedule_notify (self, TRUE);
}

void
yp_transfer_set_rate_limiter (YpTransfer    *self,
                              YpRateLimiter *limiter)
{
  g_return_if_fail (YP_IS_TRANSFER (self));

  g_set_object (&self->limiter, limiter);
}

YpRateLimiter *
_yp_transfer_get_limiter (YpTransfer *self)
{
  return self->limiter;
}

const YpUploadOptions *
_yp_transfer_get_upload_options (YpTransfer *self)
{
  return &self->upload_options;
}

void
_yp_transfer_set_upload_id (YpTransfer *self,
                            const char *upload_id)
{
  g_mutex_lock (&self->mutex);
  if (g_strcmp0 (self->upload_id, upload_id) == 0)
    {
      g_mutex_unlock (&self->mutex);
      return;
    }
  g_free (self->upload_id);
  self->upload_id = g_strdup (upload_id);
  g_mutex_unlock (&self->mutex);
  /* a caller saves it at once, to resume after a crash */
  schedule_notify (self, TRUE);
}

void
_yp_transfer_set_offset (YpTransfer *self,
                         guint64     offset)
{
  g_mutex_lock (&self->mutex);
  self->offset = offset;
  g_mutex_unlock (&self->mutex);
  schedule_notify (self, FALSE);
}

void
_yp_transfer_set_uploaded_identity (YpTransfer           *self,
                                    const YpFileIdentity *identity)
{
  g_mutex_lock (&self->mutex);
  self->uploaded_identity = *identity;
  self->has_uploaded_identity = TRUE;
  g_mutex_unlock (&self->mutex);
}

/* ------------------------------------------------------------------------
 * File identity
 * ------------------------------------------------------------------------ */

gboolean
yp_file_identity_from_path (const char      *path,
                            YpFileIdentity  *identity,
                            GError         **error)
{
  GStatBuf st;

  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (identity != NULL, FALSE);

  if (g_stat (path, &st) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved),
                   _("Cannot stat “%s”: %s"), path, g_strerror (saved));
      return FALSE;
    }
  identity->device = (guint64) st.st_dev;
  identity->inode = (guint64) st.st_ino;
  identity->size = (guint64) st.st_size;
  identity->mtime_ns = (gint64) st.st_mtim.tv_sec * G_GINT64_CONSTANT (1000000000)
                       + st.st_mtim.tv_nsec;
  return TRUE;
}

gboolean
yp_file_identity_equal (const YpFileIdentity *a,
                        const YpFileIdentity *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  return a->device == b->device && a->inode == b->inode && a->size == b->size
         && a->mtime_ns == b->mtime_ns;
}
