/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <libsoup/soup.h>

#include "yp-client.h"

G_BEGIN_DECLS

SoupSession   *_yp_client_get_session       (YpClient      *self);
YpRetryPolicy  _yp_client_get_retry_policy  (YpClient      *self);
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
