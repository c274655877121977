/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include "yp-change-pager.h"
#include "yp-client-error.h"

/**
 * YpChangePager:
 *
 * Reads the account's change feed from a cursor, page by page with
 * yp_client_changes_async() in the thread-default main context of its
 * creator, for a sync engine: #YpChangePager::changes for each page that
 * has changes, then #YpChangePager::caught-up once the server has no more.
 * #YpChangePager:cursor is where the next read starts.
 *
 * yp_change_pager_pull() starts reading, typically on a push event
 * (#YpEventStream::changed). A pull while a read is under way is not lost:
 * however many arrive, they make exactly one more read after the current
 * one caught up, since the change that woke them may have been committed
 * after the server answered the page being read.
 *
 * When the feed no longer reaches back to the cursor, reading stops with
 * #YpChangePager::cursor-expired: the engine lists its whole tree, then
 * calls yp_change_pager_set_cursor() with the cursor whoami gave before that
 * listing, and pulls again. Any other failure stops reading with
 * #YpChangePager::failed; the next pull tries again.
 *
 * Disposing the pager cancels the read in flight: no signal after it is gone.
 * Call it only from the thread-default main context it was made in.
 */
struct _YpChangePager
{
  GObject       parent_instance;

  /* owned references */
  YpClient     *client;
  /* of the read under way; NULL when none */
  GCancellable *cancellable;

  /* state */
  guint         page_size;
  gint64        cursor;
  gint64        latest;
  gboolean      pull_pending;
};

G_DEFINE_FINAL_TYPE (YpChangePager, yp_change_pager, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_CURSOR,
  PROP_LATEST,
  PROP_READING,
  N_PROPS
};

enum {
  CHANGES,
  CAUGHT_UP,
  CURSOR_EXPIRED,
  FAILED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* The pager is borrowed: a callback touches it only while the read's
 * cancellable is not cancelled (disposing or resetting the cursor cancels it). */
typedef struct
{
  YpChangePager *self;
  GCancellable  *cancellable;
} PageRequest;

static void
page_request_free (PageRequest *request)
{
  g_clear_object (&request->cancellable);
  g_free (request);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PageRequest, page_request_free)

static void
stop_reading (YpChangePager *self)
{
  self->pull_pending = FALSE;
  if (self->cancellable == NULL)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READING]);
}

static void
yp_change_pager_dispose (GObject *object)
{
  YpChangePager *self = YP_CHANGE_PAGER (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (yp_change_pager_parent_class)->dispose (object);
}

static void
yp_change_pager_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  YpChangePager *self = YP_CHANGE_PAGER (object);

  switch (prop_id)
    {
    case PROP_CURSOR:
      g_value_set_int64 (value, self->cursor);
      break;
    case PROP_LATEST:
      g_value_set_int64 (value, self->latest);
      break;
    case PROP_READING:
      g_value_set_boolean (value, self->cancellable != NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_change_pager_class_init (YpChangePagerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = yp_change_pager_dispose;
  object_class->get_property = yp_change_pager_get_property;

  /**
   * YpChangePager:cursor:
   *
   * The cursor the next read asks from: every change up to it was emitted.
   */
  properties[PROP_CURSOR] =
    g_param_spec_int64 ("cursor", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * YpChangePager:latest:
   *
   * The newest cursor on the server when it last answered.
   */
  properties[PROP_LATEST] =
    g_param_spec_int64 ("latest", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /**
   * YpChangePager:reading:
   *
   * Whether a read is under way.
   */
  properties[PROP_READING] =
    g_param_spec_boolean ("reading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * YpChangePager::changes:
   * @changes: a page of the feed, with at least one change
   *
   * Emitted for each page, oldest first; #YpChangePager:cursor is already
   * past it.
   */
  signals[CHANGES] =
    g_signal_new ("changes", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, YP_TYPE_CHANGES);

  /**
   * YpChangePager::caught-up:
   *
   * The server had nothing after #YpChangePager:cursor when it answered.
   */
  signals[CAUGHT_UP] =
    g_signal_new ("caught-up", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * YpChangePager::cursor-expired:
   *
   * The feed no longer reaches back to #YpChangePager:cursor; reading has
   * stopped. List the tree again and yp_change_pager_set_cursor().
   */
  signals[CURSOR_EXPIRED] =
    g_signal_new ("cursor-expired", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * YpChangePager::failed:
   * @error: why (a #YpClientError)
   *
   * Reading stopped on a failure other than an expired cursor.
   */
  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
yp_change_pager_init (YpChangePager *self)
{
}

static void changes_page_cb (GObject      *source,
                             GAsyncResult *result,
                             gpointer      user_data);

static void
request_page (YpChangePager *self)
{
  PageRequest *request = g_new0 (PageRequest, 1);

  request->self = self;
  request->cancellable = g_object_ref (self->cancellable);
  yp_client_changes_async (self->client, self->cursor, self->page_size, self->cancellable,
                           changes_page_cb, request);
}

static void
start_reading (YpChangePager *self)
{
  g_assert (self->cancellable == NULL);

  self->cancellable = g_cancellable_new ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_READING]);
  request_page (self);
}

static void
handle_page (YpChangePager *self,
             YpChanges     *changes,
             GCancellable  *cancellable)
{
  if (self->cursor != changes->cursor)
    {
      self->cursor = changes->cursor;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURSOR]);
    }
  if (self->latest != changes->latest)
    {
      self->latest = changes->latest;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LATEST]);
    }
  if (changes->changes->len > 0)
    g_signal_emit (self, signals[CHANGES], 0, changes);
  /* a handler may have reset the cursor */
  if (g_cancellable_is_cancelled (cancellable))
    return;
  if (changes->has_more)
    {
      request_page (self);
      return;
    }

  g_signal_emit (self, signals[CAUGHT_UP], 0);
  if (g_cancellable_is_cancelled (cancellable))
    return;
  if (self->pull_pending)
    {
      self->pull_pending = FALSE;
      request_page (self);
      return;
    }
  stop_reading (self);
}

static void
changes_page_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr(PageRequest) request = user_data;
  g_autoptr(YpChanges) changes = NULL;
  g_autoptr(GError) error = NULL;
  YpChangePager *self = request->self;

  changes = yp_client_changes_finish (YP_CLIENT (source), result, &error);
  /* disposed or reset meanwhile: the pager may be gone, and this page
   * follows a cursor nobody reads from any more */
  if (g_cancellable_is_cancelled (request->cancellable))
    return;

  /* a handler may drop the last reference to the pager */
  g_object_ref (self);
  if (changes != NULL)
    handle_page (self, changes, request->cancellable);
  else
    {
      stop_reading (self);
      if (g_error_matches (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_CURSOR_EXPIRED))
        g_signal_emit (self, signals[CURSOR_EXPIRED], 0);
      else
        g_signal_emit (self, signals[FAILED], 0, error);
    }
  g_object_unref (self);
}

/**
 * yp_change_pager_new:
 * @client: a signed-in client
 * @cursor: the cursor to read after (0: from the start of the feed)
 * @page_size: changes per request, 0 for %YP_CHANGE_PAGER_PAGE_SIZE; at
 *   most %YP_CHANGE_PAGER_PAGE_SIZE_MAX
 *
 * Returns: (transfer full): the pager, not reading until pulled
 */
YpChangePager *
yp_change_pager_new (YpClient *client,
                     gint64    cursor,
                     guint     page_size)
{
  YpChangePager *self;

  g_return_val_if_fail (YP_IS_CLIENT (client), NULL);
  g_return_val_if_fail (cursor >= 0, NULL);
  g_return_val_if_fail (page_size <= YP_CHANGE_PAGER_PAGE_SIZE_MAX, NULL);

  self = g_object_new (YP_TYPE_CHANGE_PAGER, NULL);
  self->client = g_object_ref (client);
  self->cursor = cursor;
  self->page_size = page_size > 0 ? page_size : YP_CHANGE_PAGER_PAGE_SIZE;
  return self;
}

/**
 * yp_change_pager_pull:
 *
 * Reads the feed until caught up; while a read is under way, asks for one
 * more read after it instead.
 */
void
yp_change_pager_pull (YpChangePager *self)
{
  g_return_if_fail (YP_IS_CHANGE_PAGER (self));

  if (self->cancellable != NULL)
    self->pull_pending = TRUE;
  else
    start_reading (self);
}

/**
 * yp_change_pager_set_cursor:
 * @cursor: the cursor to read after from now on
 *
 * Stops a read under way (its pages would follow the old cursor) and forgets
 * pulls waiting for it; pull again to read from @cursor.
 */
void
yp_change_pager_set_cursor (YpChangePager *self,
                            gint64         cursor)
{
  g_return_if_fail (YP_IS_CHANGE_PAGER (self));
  g_return_if_fail (cursor >= 0);

  stop_reading (self);
  if (self->cursor == cursor)
    return;
  self->cursor = cursor;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CURSOR]);
}

gint64
yp_change_pager_get_cursor (YpChangePager *self)
{
  g_return_val_if_fail (YP_IS_CHANGE_PAGER (self), 0);

  return self->cursor;
}

gint64
yp_change_pager_get_latest (YpChangePager *self)
{
  g_return_val_if_fail (YP_IS_CHANGE_PAGER (self), 0);

  return self->latest;
}

gboolean
yp_change_pager_get_reading (YpChangePager *self)
{
  g_return_val_if_fail (YP_IS_CHANGE_PAGER (self), FALSE);

  return self->cancellable != NULL;
}
