/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "yp-client.h"

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
