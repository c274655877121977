/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-handlers.h: the route handlers and the helpers they share.
 *
 * Every handler has the same shape: it takes the request, validates what it
 * was given, returns an error status early, and on success fills the reply.
 * The router (yps-router.c) has already authenticated the caller for every
 * route that needs it.
 */
#ifndef YPS_HANDLERS_H
#define YPS_HANDLERS_H

#include "yps-request.h"

typedef yp_status_t (*yps_handler_t)(yps_req_t *r);

/* yps-account.c */
yp_status_t yps_handle_health(yps_req_t *r);
yp_status_t yps_handle_register(yps_req_t *r);
yp_status_t yps_handle_login(yps_req_t *r);
yp_status_t yps_handle_logout(yps_req_t *r);
yp_status_t yps_handle_logout_all(yps_req_t *r);
yp_status_t yps_handle_password(yps_req_t *r);
yp_status_t yps_handle_whoami(yps_req_t *r);
yp_status_t yps_handle_events_auth(yps_req_t *r);
/* Authenticates the bearer token of R, filling r->user_id and friends. */
yp_status_t yps_authenticate(yps_req_t *r);

/* yps-files.c */
yp_status_t yps_handle_list(yps_req_t *r);
yp_status_t yps_handle_stat(yps_req_t *r);
yp_status_t yps_handle_mkdir(yps_req_t *r);
yp_status_t yps_handle_move(yps_req_t *r);
yp_status_t yps_handle_delete(yps_req_t *r);
yp_status_t yps_handle_download(yps_req_t *r);

/* yps-thumbnail.c */
yp_status_t yps_handle_thumbnail(yps_req_t *r);

/* yps-uploads.c */
yp_status_t yps_handle_upload_start(yps_req_t *r);
yp_status_t yps_handle_upload_get(yps_req_t *r);
yp_status_t yps_handle_upload_put(yps_req_t *r);
yp_status_t yps_handle_upload_delete(yps_req_t *r);
yp_status_t yps_handle_upload_proof(yps_req_t *r);
/* nginx's auth_request for a chunk, and the real answer when it refused */
yp_status_t yps_handle_upload_auth(yps_req_t *r);
yp_status_t yps_handle_upload_refused(yps_req_t *r);
/* Removes uploads that expired before NOW (housekeeping, and each start);
 * returns how many. */
int64_t     yps_uploads_sweep(yps_server_t *srv, int64_t now);

/* yps-changes.c */
yp_status_t yps_handle_changes(yps_req_t *r);

/* yps-tree.c: addressing nodes */
JsonObject *yps_node_json(const yps_node_t *node);
/* The node named by "id" or "path", from the query (GET) or the body. */
yp_status_t yps_resolve_target(yps_req_t *r, yps_node_t *node);
/* Resolves PATH in the caller's tree; NODE gets its path. */
yp_status_t yps_resolve_path(yps_req_t *r, const char *path, yps_node_t *node);
/* A destination given as PATH_KEY, or PARENT_KEY + NAME_KEY: the parent
 * folder's id and the new name (validated). */
yp_status_t yps_resolve_destination(yps_req_t *r, const char *path_key, const char *parent_key,
                                    const char *name_key, int64_t *parent_id,
                                    const char **name);
/* Records that a mutation committed: publishes CURSOR to the user's channel. */
void        yps_committed(yps_req_t *r, int64_t cursor);
/* Removes blobs that no node refers to any more; call under the blob lock. */
void        yps_remove_orphans(yps_req_t *r, GPtrArray *orphans);

#endif
