/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-sync-engine-private.h"
#include "yp-sync-heap.h"

/*
 * The engine's public face, in the thread that made it. The worker thread
 * (yp-sync-worker.c) never touches these fields: it posts each change to
 * the owner's main context, where it is stored and notified.
 */

struct _YpSyncEngine
{
  GObject        parent_instance;

  char          *server;
  char          *token;
  char          *local_path;
  char          *remote_path;
  char          *host;
  gboolean       once;
  guint          full_pass_interval_s;

  GMainContext  *context;
  GThread       *thread;
  YpSyncWorker  *worker;

  YpSyncStatus   status;
  char          *status_detail;
  gboolean       paused;
  guint          items_left;
  guint64        bytes_left;
  gint64         last_sync;
  GPtrArray     *conflicts;
  GPtrArray     *activity;
};

G_DEFINE_FINAL_TYPE (YpSyncEngine, yp_sync_engine, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_STATUS,
  PROP_STATUS_DETAIL,
  PROP_PAUSED,
  PROP_ITEMS_LEFT,
  PROP_BYTES_LEFT,
  PROP_LAST_SYNC,
  PROP_LOCAL_PATH,
  PROP_REMOTE_PATH,
  N_PROPS
};

enum {
  ACTION_FINISHED,
  PASS_FINISHED,
  FINISHED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

GType
yp_sync_status_get_type (void)
{
  static gsize type_id;
  static const GEnumValue values[] = {
    { YP_SYNC_STATUS_STOPPED, "YP_SYNC_STATUS_STOPPED", "stopped" },
    { YP_SYNC_STATUS_STARTING, "YP_SYNC_STATUS_STARTING", "starting" },
    { YP_SYNC_STATUS_IDLE, "YP_SYNC_STATUS_IDLE", "idle" },
    { YP_SYNC_STATUS_SCANNING, "YP_SYNC_STATUS_SCANNING", "scanning" },
    { YP_SYNC_STATUS_SYNCING, "YP_SYNC_STATUS_SYNCING", "syncing" },
    { YP_SYNC_STATUS_PAUSED, "YP_SYNC_STATUS_PAUSED", "paused" },
    { YP_SYNC_STATUS_OFFLINE, "YP_SYNC_STATUS_OFFLINE", "offline" },
    { YP_SYNC_STATUS_ERROR, "YP_SYNC_STATUS_ERROR", "error" },
    { YP_SYNC_STATUS_SIGNED_OUT, "YP_SYNC_STATUS_SIGNED_OUT", "signed-out" },
    { 0, NULL, NULL },
  };

  if (g_once_init_enter (&type_id))
    g_once_init_leave (&type_id, g_enum_register_static ("YpSyncStatus", values));
  return type_id;
}

const char *
yp_sync_status_to_string (YpSyncStatus status)
{
  GEnumClass *klass = g_type_class_ref (YP_TYPE_SYNC_STATUS);
  GEnumValue *value = g_enum_get_value (klass, status);

  g_type_class_unref (klass);
  return value != NULL ? value->value_nick : "unknown";
}

/* ------------------------------------------------------------------------
 * What the worker posts
 * ------------------------------------------------------------------------ */

typedef enum
{
  POST_STATUS,
  POST_PROGRESS,
  POST_ACTION,
  POST_PASS,
  POST_FINISHED,
} PostKind;

typedef struct
{
  YpSyncEngine  *engine;
  PostKind       kind;
  YpSyncStatus   status;
  char          *detail;
  guint          items_left;
  guint64        bytes_left;
  YpSyncAction  *action;
  YpSyncOutcome  outcome;
  GError        *error;
  gboolean       in_sync;
  GPtrArray     *conflicts;
  GPtrArray     *activity;
} Post;

static void
post_free (Post *post)
{
  g_object_unref (post->engine);
  g_free (post->detail);
  g_clear_pointer (&post->action, yp_sync_action_unref);
  g_clear_error (&post->error);
  g_clear_pointer (&post->conflicts, g_ptr_array_unref);
  g_clear_pointer (&post->activity, g_ptr_array_unref);
  g_free (post);
}

static void
set_status (YpSyncEngine *self,
            YpSyncStatus  status,
            const char   *detail)
{
  g_object_freeze_notify (G_OBJECT (self));
  if (self->status != status)
    {
      self->status = status;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
    }
  if (g_strcmp0 (self->status_detail, detail) != 0)
    {
      g_free (self->status_detail);
      self->status_detail = g_strdup (detail);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS_DETAIL]);
    }
  if (status == YP_SYNC_STATUS_IDLE)
    {
      self->last_sync = g_get_real_time ();
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_SYNC]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_progress (YpSyncEngine *self,
              guint         items_left,
              guint64       bytes_left)
{
  if (self->items_left != items_left)
    {
      self->items_left = items_left;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ITEMS_LEFT]);
    }
  if (self->bytes_left != bytes_left)
    {
      self->bytes_left = bytes_left;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_BYTES_LEFT]);
    }
}

static gboolean
deliver_post (gpointer data)
{
  Post *post = data;
  YpSyncEngine *self = post->engine;

  switch (post->kind)
    {
    case POST_STATUS:
      /* a pause wins over whatever the worker was doing when it arrived */
      if (!self->paused || post->status == YP_SYNC_STATUS_PAUSED
          || post->status == YP_SYNC_STATUS_SIGNED_OUT || post->status == YP_SYNC_STATUS_ERROR)
        set_status (self, post->status, post->detail);
      break;
    case POST_PROGRESS:
      set_progress (self, post->items_left, post->bytes_left);
      break;
    case POST_ACTION:
      g_signal_emit (self, signals[ACTION_FINISHED], 0, post->action, (int) post->outcome,
                     post->error);
      break;
    case POST_PASS:
      g_clear_pointer (&self->conflicts, g_ptr_array_unref);
      g_clear_pointer (&self->activity, g_ptr_array_unref);
      self->conflicts = g_steal_pointer (&post->conflicts);
      self->activity = g_steal_pointer (&post->activity);
      g_signal_emit (self, signals[PASS_FINISHED], 0, post->in_sync);
      /* the pass's actions, and the items of its trees they held, were
       * freed here as their posts were delivered, after the worker gave
       * its pages back */
      yp_sync_heap_trim ();
      break;
    case POST_FINISHED:
      g_signal_emit (self, signals[FINISHED], 0, post->in_sync, post->error);
      break;
    }
  return G_SOURCE_REMOVE;
}

static void
post (YpSyncEngine *self,
      Post         *post)
{
  post->engine = g_object_ref (self);
  g_main_context_invoke_full (self->context, G_PRIORITY_DEFAULT, deliver_post, post,
                              (GDestroyNotify) post_free);
}

void
_yp_sync_engine_post_status (YpSyncEngine *self,
                             YpSyncStatus  status,
                             const char   *detail)
{
  Post *p = g_new0 (Post, 1);

  p->kind = POST_STATUS;
  p->status = status;
  p->detail = g_strdup (detail);
  post (self, p);
}

void
_yp_sync_engine_post_progress (YpSyncEngine *self,
                               guint         items_left,
                               guint64       bytes_left)
{
  Post *p = g_new0 (Post, 1);

  p->kind = POST_PROGRESS;
  p->items_left = items_left;
  p->bytes_left = bytes_left;
  post (self, p);
}

void
_yp_sync_engine_post_action (YpSyncEngine  *self,
                             YpSyncAction  *action,
                             YpSyncOutcome  outcome,
                             const GError  *error)
{
  Post *p = g_new0 (Post, 1);

  p->kind = POST_ACTION;
  p->action = yp_sync_action_ref (action);
  p->outcome = outcome;
  p->error = error != NULL ? g_error_copy (error) : NULL;
  post (self, p);
}

void
_yp_sync_engine_post_pass (YpSyncEngine *self,
                           gboolean      in_sync,
                           GPtrArray    *conflicts,
                           GPtrArray    *activity)
{
  Post *p = g_new0 (Post, 1);

  p->kind = POST_PASS;
  p->in_sync = in_sync;
  p->conflicts = conflicts != NULL ? g_ptr_array_ref (conflicts) : NULL;
  p->activity = activity != NULL ? g_ptr_array_ref (activity) : NULL;
  post (self, p);
}

void
_yp_sync_engine_post_finished (YpSyncEngine *self,
                               gboolean      in_sync,
                               const GError *error)
{
  Post *p = g_new0 (Post, 1);

  p->kind = POST_FINISHED;
  p->in_sync = in_sync;
  p->error = error != NULL ? g_error_copy (error) : NULL;
  post (self, p);
}

/* ------------------------------------------------------------------------
 * Control: each request runs in the worker's context
 * ------------------------------------------------------------------------ */

static void
cancel_pass (YpSyncWorker *worker)
{
  g_mutex_lock (&worker->lock);
  if (worker->cancellable != NULL)
    g_cancellable_cancel (worker->cancellable);
  g_mutex_unlock (&worker->lock);
}

static gboolean
worker_quit_cb (gpointer data)
{
  YpSyncWorker *worker = data;

  worker->stopping = TRUE;
  if (worker->loop != NULL)
    g_main_loop_quit (worker->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
worker_pause_cb (gpointer data)
{
  YpSyncWorker *worker = data;

  worker->paused = TRUE;
  _yp_sync_engine_post_status (worker->engine, YP_SYNC_STATUS_PAUSED, NULL);
  return G_SOURCE_REMOVE;
}

static gboolean
worker_resume_cb (gpointer data)
{
  YpSyncWorker *worker = data;

  worker->paused = FALSE;
  worker->backoff_s = 0;
  _yp_sync_worker_schedule (worker, 0);
  return G_SOURCE_REMOVE;
}

static gboolean
worker_sync_now_cb (gpointer data)
{
  YpSyncWorker *worker = data;

  worker->backoff_s = 0;
  worker->full_scan = TRUE;
  _yp_sync_worker_schedule (worker, 0);
  return G_SOURCE_REMOVE;
}

static void
invoke_worker (YpSyncEngine *self,
               GSourceFunc   func)
{
  if (self->worker != NULL)
    g_main_context_invoke (self->worker->context, func, self->worker);
}

void
yp_sync_engine_start (YpSyncEngine *self)
{
  YpSyncWorker *worker;

  g_return_if_fail (YP_IS_SYNC_ENGINE (self));
  g_return_if_fail (self->thread == NULL);

  worker = g_new0 (YpSyncWorker, 1);
  worker->engine = self;
  worker->server = g_strdup (self->server);
  worker->token = g_strdup (self->token);
  worker->local_path = g_strdup (self->local_path);
  worker->remote_path = g_strdup (self->remote_path);
  worker->host = g_strdup (self->host);
  worker->once = self->once;
  worker->full_pass_interval_s = self->full_pass_interval_s;
  worker->paused = self->paused;
  worker->owner_context = g_main_context_ref (self->context);
  /* made here so that control requests can be queued before it runs */
  worker->context = g_main_context_new ();
  g_mutex_init (&worker->lock);
  self->worker = worker;
  set_status (self, YP_SYNC_STATUS_STARTING, NULL);
  self->thread = g_thread_new ("yp-sync-engine", _yp_sync_worker_main, worker);
}

void
yp_sync_engine_stop (YpSyncEngine *self)
{
  g_return_if_fail (YP_IS_SYNC_ENGINE (self));

  if (self->thread == NULL)
    return;
  cancel_pass (self->worker);
  invoke_worker (self, worker_quit_cb);
  g_thread_join (g_steal_pointer (&self->thread));
  g_clear_pointer (&self->worker, _yp_sync_worker_free);
  set_progress (self, 0, 0);
  set_status (self, YP_SYNC_STATUS_STOPPED, NULL);
}

void
yp_sync_engine_pause (YpSyncEngine *self)
{
  g_return_if_fail (YP_IS_SYNC_ENGINE (self));

  if (self->paused)
    return;
  self->paused = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
  if (self->worker != NULL)
    {
      cancel_pass (self->worker);
      invoke_worker (self, worker_pause_cb);
    }
}

void
yp_sync_engine_resume (YpSyncEngine *self)
{
  g_return_if_fail (YP_IS_SYNC_ENGINE (self));

  if (!self->paused)
    return;
  self->paused = FALSE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PAUSED]);
  invoke_worker (self, worker_resume_cb);
}

void
yp_sync_engine_sync_now (YpSyncEngine *self)
{
  g_return_if_fail (YP_IS_SYNC_ENGINE (self));

  invoke_worker (self, worker_sync_now_cb);
}

/* ------------------------------------------------------------------------
 * Object
 * ------------------------------------------------------------------------ */

YpSyncEngine *
yp_sync_engine_new (const char *server,
                    const char *token,
                    const char *local_path,
                    const char *remote_path)
{
  YpSyncEngine *self;

  g_return_val_if_fail (server != NULL && token != NULL, NULL);
  g_return_val_if_fail (local_path != NULL && remote_path != NULL, NULL);

  self = g_object_new (YP_TYPE_SYNC_ENGINE, NULL);
  self->server = g_strdup (server);
  self->token = g_strdup (token);
  self->local_path = g_canonicalize_filename (local_path, NULL);
  self->remote_path = g_strdup (remote_path);
  return self;
}

void
yp_sync_engine_set_host (YpSyncEngine *self,
                         const char   *host)
{
  g_return_if_fail (YP_IS_SYNC_ENGINE (self));
  g_return_if_fail (self->thread == NULL);

  g_free (self->host);
  self->host = g_strdup (host);
}

void
yp_sync_engine_set_once (YpSyncEngine *self,
                         gboolean      once)
{
  g_return_if_fail (YP_IS_SYNC_ENGINE (self));
  g_return_if_fail (self->thread == NULL);

  self->once = once;
}

void
yp_sync_engine_set_full_pass_interval (YpSyncEngine *self,
                                       guint         seconds)
{
  g_return_if_fail (YP_IS_SYNC_ENGINE (self));
  g_return_if_fail (self->thread == NULL);
  g_return_if_fail (seconds > 0);

  self->full_pass_interval_s = seconds;
}

YpSyncStatus
yp_sync_engine_get_status (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), YP_SYNC_STATUS_STOPPED);
  return self->status;
}

const char *
yp_sync_engine_get_status_detail (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), NULL);
  return self->status_detail;
}

gboolean
yp_sync_engine_get_paused (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), FALSE);
  return self->paused;
}

guint
yp_sync_engine_get_items_left (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), 0);
  return self->items_left;
}

guint64
yp_sync_engine_get_bytes_left (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), 0);
  return self->bytes_left;
}

gint64
yp_sync_engine_get_last_sync (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), 0);
  return self->last_sync;
}

const char *
yp_sync_engine_get_local_path (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), NULL);
  return self->local_path;
}

const char *
yp_sync_engine_get_remote_path (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), NULL);
  return self->remote_path;
}

static GPtrArray *
dup_or_empty (GPtrArray *array)
{
  GPtrArray *copy = g_ptr_array_new ();

  for (guint i = 0; array != NULL && i < array->len; i++)
    g_ptr_array_add (copy, array->pdata[i]);
  return copy;
}

GPtrArray *
yp_sync_engine_dup_conflicts (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), NULL);
  return dup_or_empty (self->conflicts);
}

GPtrArray *
yp_sync_engine_dup_activity (YpSyncEngine *self)
{
  g_return_val_if_fail (YP_IS_SYNC_ENGINE (self), NULL);
  return dup_or_empty (self->activity);
}

static void
yp_sync_engine_dispose (GObject *object)
{
  yp_sync_engine_stop (YP_SYNC_ENGINE (object));

  G_OBJECT_CLASS (yp_sync_engine_parent_class)->dispose (object);
}

static void
yp_sync_engine_finalize (GObject *object)
{
  YpSyncEngine *self = YP_SYNC_ENGINE (object);

  g_free (self->server);
  g_free (self->token);
  g_free (self->local_path);
  g_free (self->remote_path);
  g_free (self->host);
  g_free (self->status_detail);
  g_clear_pointer (&self->conflicts, g_ptr_array_unref);
  g_clear_pointer (&self->activity, g_ptr_array_unref);
  g_main_context_unref (self->context);

  G_OBJECT_CLASS (yp_sync_engine_parent_class)->finalize (object);
}

static void
yp_sync_engine_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  YpSyncEngine *self = YP_SYNC_ENGINE (object);

  switch (prop_id)
    {
    case PROP_STATUS:
      g_value_set_enum (value, self->status);
      break;
    case PROP_STATUS_DETAIL:
      g_value_set_string (value, self->status_detail);
      break;
    case PROP_PAUSED:
      g_value_set_boolean (value, self->paused);
      break;
    case PROP_ITEMS_LEFT:
      g_value_set_uint (value, self->items_left);
      break;
    case PROP_BYTES_LEFT:
      g_value_set_uint64 (value, self->bytes_left);
      break;
    case PROP_LAST_SYNC:
      g_value_set_int64 (value, self->last_sync);
      break;
    case PROP_LOCAL_PATH:
      g_value_set_string (value, self->local_path);
      break;
    case PROP_REMOTE_PATH:
      g_value_set_string (value, self->remote_path);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_engine_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  YpSyncEngine *self = YP_SYNC_ENGINE (object);

  switch (prop_id)
    {
    case PROP_PAUSED:
      if (g_value_get_boolean (value))
        yp_sync_engine_pause (self);
      else
        yp_sync_engine_resume (self);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_sync_engine_class_init (YpSyncEngineClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = yp_sync_engine_dispose;
  object_class->finalize = yp_sync_engine_finalize;

  /* an idle engine should not keep the footprint of its biggest pass */
  yp_sync_heap_tune ();
  object_class->get_property = yp_sync_engine_get_property;
  object_class->set_property = yp_sync_engine_set_property;

  properties[PROP_STATUS] =
    g_param_spec_enum ("status", NULL, NULL, YP_TYPE_SYNC_STATUS, YP_SYNC_STATUS_STOPPED, ro);
  properties[PROP_STATUS_DETAIL] = g_param_spec_string ("status-detail", NULL, NULL, NULL, ro);
  properties[PROP_PAUSED] =
    g_param_spec_boolean ("paused", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ITEMS_LEFT] = g_param_spec_uint ("items-left", NULL, NULL, 0, G_MAXUINT, 0, ro);
  properties[PROP_BYTES_LEFT] =
    g_param_spec_uint64 ("bytes-left", NULL, NULL, 0, G_MAXUINT64, 0, ro);
  properties[PROP_LAST_SYNC] =
    g_param_spec_int64 ("last-sync", NULL, NULL, 0, G_MAXINT64, 0, ro);
  properties[PROP_LOCAL_PATH] = g_param_spec_string ("local-path", NULL, NULL, NULL, ro);
  properties[PROP_REMOTE_PATH] = g_param_spec_string ("remote-path", NULL, NULL, NULL, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* YpSyncEngine::action-finished: (action, YpSyncOutcome, GError or NULL) */
  signals[ACTION_FINISHED] =
    g_signal_new ("action-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, YP_TYPE_SYNC_ACTION, G_TYPE_INT,
                  G_TYPE_ERROR);
  /* YpSyncEngine::pass-finished: (in_sync) after every pass */
  signals[PASS_FINISHED] =
    g_signal_new ("pass-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_BOOLEAN);
  /* YpSyncEngine::finished: (in_sync, GError or NULL) when the worker ends
   * by itself: a once run is over, or the pair cannot go on */
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_ERROR);
}

static void
yp_sync_engine_init (YpSyncEngine *self)
{
  self->context = g_main_context_ref_thread_default ();
  self->host = g_strdup (g_get_host_name ());
  self->full_pass_interval_s = YP_SYNC_ENGINE_FULL_PASS_INTERVAL_S;
}
