/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "yp-client.h"
#include "yp-listing.h"
#include "yp-target.h"

G_BEGIN_DECLS

/*
 * How a call may be sent again after a failure:
 * @YP_CALL_ONCE: only after an answer that says nothing was done
 * @YP_CALL_IDEMPOTENT: sending it twice does no harm (reads, chunk PUTs)
 * @YP_CALL_KEYED: a change that carries an Idempotency-Key, one per call
 * @YP_CALL_DONE_ON_401: a repeat told that the session is gone means the
 *   first try worked (logging out)
 */
typedef enum
{
  YP_CALL_ONCE        = 0,
  YP_CALL_IDEMPOTENT  = 1 << 0,
  YP_CALL_KEYED       = 1 << 1,
  YP_CALL_DONE_ON_401 = 1 << 2,
} YpCallFlags;

/*
 * One call to the API (see yp-client-call.c): built, then run once, sync or
 * async; running it frees it. The reply function turns the server's JSON
 * answer into the call's result (a pointer that must not be NULL on
 * success), freed with RESULT_FREE when nobody takes it. Without one the
 * result is the JSON object.
 */
typedef struct _YpCall YpCall;
typedef gpointer (*YpCallReplyFunc) (YpClient    *client,
                                     JsonObject  *reply,
                                     gpointer     data,
                                     GError     **error);

YpCall        *_yp_call_new                 (YpClient        *client,
                                             const char      *method,
                                             const char      *api_path);
void           _yp_call_free                (YpCall          *call);
void           _yp_call_set_flags           (YpCall          *call,
                                             YpCallFlags      flags);
void           _yp_call_add_query           (YpCall          *call,
                                             const char      *name,
                                             const char      *value);
void           _yp_call_add_query_int       (YpCall          *call,
                                             const char      *name,
                                             gint64           value);
void           _yp_call_set_body            (YpCall          *call,
                                             JsonObject      *body);
/* A body that is not JSON: BYTES are sent as they are, with every try. */
void           _yp_call_set_request_bytes   (YpCall          *call,
                                             const char      *content_type,
                                             GBytes          *bytes);
/* The request body, created empty on first use. */
JsonObject    *_yp_call_get_body            (YpCall          *call);
void           _yp_call_add_target          (YpCall          *call,
                                             const YpTarget  *target,
                                             const char      *prefix,
                                             gboolean         existing);
void           _yp_call_add_if_version      (YpCall          *call,
                                             gint64           if_version);
void           _yp_call_set_reply           (YpCall          *call,
                                             YpCallReplyFunc  reply_func,
                                             GDestroyNotify   result_free);
/* The answer on success is not JSON but bytes, at most MAX_BYTES of them:
 * the call's result is a GBytes (errors are the protocol's JSON errors, as
 * for every call). Replaces any reply function. */
void           _yp_call_set_reply_bytes     (YpCall          *call,
                                             gsize            max_bytes);
/* DATA is passed to the reply function. */
void           _yp_call_set_data            (YpCall          *call,
                                             gpointer         data,
                                             GDestroyNotify   data_free);
/* Makes the call fail with ERROR without being sent. */
void           _yp_call_take_invalid        (YpCall          *call,
                                             GError          *error);
gpointer       _yp_call_run_sync            (YpCall          *call,
                                             GCancellable    *cancellable,
                                             GError         **error);
/* In the thread-default main context; the task's source object is the
 * client and its source tag SOURCE_TAG. */
void           _yp_call_run_async           (YpCall              *call,
                                             gpointer             source_tag,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
gpointer       _yp_call_finish              (YpClient        *client,
                                             GAsyncResult    *result,
                                             gpointer         source_tag,
                                             GError         **error);

/* Calls that answer yes or no return this non-NULL result for yes. */
#define YP_CALL_OK GINT_TO_POINTER (1)
/* A result that is a number (0 included), and taking it out again: FALSE
 * for no result. */
gpointer       _yp_call_int64_result        (gint64           value);
gboolean       _yp_call_take_int64          (gpointer         result,
                                             gint64          *value);

YpListing     *_yp_listing_new              (YpNode          *folder,
                                             gint64           total,
                                             gint64           offset);
YpChange      *_yp_change_new               (gint64           cursor,
                                             YpChangeOp       op,
                                             YpNode          *node,
                                             const char      *old_path);
YpChanges     *_yp_changes_new              (gint64           cursor,
                                             gint64           latest,
                                             gboolean         has_more);

SoupSession   *_yp_client_get_session       (YpClient      *self);
YpRetryPolicy  _yp_client_get_retry_policy  (YpClient      *self);
void           _yp_client_set_user          (YpClient      *self,
                                             gint64         user_id,
                                             const char    *username);
/* 0 when the application did not choose one */
guint64        _yp_client_get_chunk_size    (YpClient      *self);
SoupMessage   *_yp_client_new_message       (YpClient      *self,
                                             const char    *method,
                                             const char    *api_path,
                                             const char    *query);
JsonObject    *_yp_client_call              (YpClient      *self,
                                             const char    *method,
                                             const char    *api_path,
                                             const char    *query,
                                             JsonObject    *body,
                                             GCancellable  *cancellable,
                                             GError       **error);
/* As _yp_client_call, which chooses FLAGS from METHOD: GET and PUT are
 * idempotent, any other method is keyed. */
JsonObject    *_yp_client_call_full         (YpClient      *self,
                                             const char    *method,
                                             const char    *api_path,
                                             const char    *query,
                                             JsonObject    *body,
                                             YpCallFlags    flags,
                                             GCancellable  *cancellable,
                                             GError       **error);
char          *_yp_idempotency_key_new      (void);
JsonObject    *_yp_client_parse_response    (SoupMessage   *msg,
                                             GBytes        *body,
                                             GError       **error);
void           _yp_client_network_error     (YpClient      *self,
                                             GError       **error);
/* MEMBER of OBJECT if it is an object (array), else NULL; json-glib 1.6
 * warns about a missing member. */
JsonObject    *_yp_json_object              (JsonObject    *object,
                                             const char    *member);
JsonArray     *_yp_json_array               (JsonObject    *object,
                                             const char    *member);
char          *_yp_query_path               (const char    *path);
/* Sets a G_IO_ERROR from errno SAVED: "Cannot WHAT “PATH”: reason";
 * returns FALSE. */
gboolean       _yp_set_io_error             (GError       **error,
                                             int            saved,
                                             const char    *what,
                                             const char    *path);
gboolean       _yp_sleep_cancellable        (guint          ms,
                                             GCancellable  *cancellable,
                                             GError       **error);

G_END_DECLS
