/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yps-batch-private.h"
#include "yps-handlers.h"
#include "yps-idempotency.h"
#include "yps-router.h"

enum {
    YPS_ROUTE_PUBLIC   = 1 << 0,    /* no session needed */
    YPS_ROUTE_JSON     = 1 << 1,    /* the body is a JSON object */
    YPS_ROUTE_INTERNAL = 1 << 2,    /* reachable only through nginx's internal location */
    YPS_ROUTE_READ     = 1 << 3,    /* reads only: runs in one metadata snapshot */
    YPS_ROUTE_KEYED    = 1 << 4,    /* a change that takes an Idempotency-Key */
    YPS_ROUTE_SECRET   = 1 << 5,    /* the body holds passwords (yps-idempotency.h) */
};

typedef struct {
    const char    *method;
    const char    *pattern;     /* '*' matches one upload id */
    yps_handler_t  handler;
    unsigned       flags;
} yps_route_t;

#define API YP_API_PREFIX

static const yps_route_t yps_routes[] = {
    { "GET",    API "/health",             yps_handle_health,        YPS_ROUTE_PUBLIC },
    { "POST",   API "/account/register",   yps_handle_register,      YPS_ROUTE_PUBLIC | YPS_ROUTE_JSON },
    { "POST",   API "/account/login",      yps_handle_login,         YPS_ROUTE_PUBLIC | YPS_ROUTE_JSON },
    /* no key: a repeat's token is revoked, and its 401 says the sign-out held */
    { "POST",   API "/account/logout",     yps_handle_logout,        0 },
    { "POST",   API "/account/logout-all", yps_handle_logout_all,    0 },
    { "POST",   API "/account/password",   yps_handle_password,
      YPS_ROUTE_JSON | YPS_ROUTE_KEYED | YPS_ROUTE_SECRET },
    { "GET",    API "/account/whoami",     yps_handle_whoami,        YPS_ROUTE_READ },
    { "GET",    API "/files/list",         yps_handle_list,          YPS_ROUTE_READ },
    { "GET",    API "/files/stat",         yps_handle_stat,          YPS_ROUTE_READ },
    { "POST",   API "/files/mkdir",        yps_handle_mkdir,         YPS_ROUTE_JSON | YPS_ROUTE_KEYED },
    { "POST",   API "/files/move",         yps_handle_move,          YPS_ROUTE_JSON | YPS_ROUTE_KEYED },
    { "POST",   API "/files/delete",       yps_handle_delete,        YPS_ROUTE_JSON | YPS_ROUTE_KEYED },
    { "GET",    API "/files/download",     yps_handle_download,      0 },
    /* no snapshot: making a thumbnail may take a second, and writes */
    { "GET",    API "/files/thumbnail",    yps_handle_thumbnail,     0 },
    { "POST",   API "/uploads",            yps_handle_upload_start,  YPS_ROUTE_JSON | YPS_ROUTE_KEYED },
    /* bodies beyond 64 KiB: they read them and take their keys themselves */
    { "POST",   API "/uploads/batch",      yps_handle_uploads_batch, 0 },
    { "POST",   API "/files/batch",        yps_handle_files_batch,   0 },
    { "GET",    API "/uploads/*",          yps_handle_upload_get,    YPS_ROUTE_READ },
    /* a chunk is applied once by its offset's compare-and-set: no key */
    { "PUT",    API "/uploads/*",          yps_handle_upload_put,    0 },
    { "DELETE", API "/uploads/*",          yps_handle_upload_delete, YPS_ROUTE_KEYED },
    { "POST",   API "/uploads/*/proof",    yps_handle_upload_proof,  YPS_ROUTE_JSON | YPS_ROUTE_KEYED },
    { "GET",    API "/changes",            yps_handle_changes,       YPS_ROUTE_READ },
    /* authenticates by itself: it answers nchan, not a client */
    { "GET",    "/_auth/events",           yps_handle_events_auth,   YPS_ROUTE_PUBLIC | YPS_ROUTE_INTERNAL },
    /* nginx asks before it reads a chunk's body, and for the reason it refused */
    { "GET",    "/_auth/upload",           yps_handle_upload_auth,   YPS_ROUTE_PUBLIC | YPS_ROUTE_INTERNAL },
    { "GET",    "/_auth/upload-refused",   yps_handle_upload_refused, YPS_ROUTE_PUBLIC | YPS_ROUTE_INTERNAL },
    /* nginx asks before it reads a batch's body, and for the reason it refused */
    { "GET",    "/_auth/batch",            yps_handle_batch_auth,    YPS_ROUTE_PUBLIC | YPS_ROUTE_INTERNAL },
    { "GET",    "/_auth/batch-refused",    yps_handle_batch_refused, YPS_ROUTE_PUBLIC | YPS_ROUTE_INTERNAL },
};

#undef API

/* Upload ids are 32 lower-case hex digits. */
static size_t
yps_match_id(const char *p)
{
    size_t n = 0;

    while (g_ascii_isxdigit(p[n]) && !g_ascii_isupper(p[n])) {
        n++;
    }
    return n == 32 ? n : 0;
}

/* True when URI matches PATTERN; *ARG points at the '*' segment. */
static bool
yps_route_matches(const char *pattern, const char *uri, const char **arg)
{
    while (*pattern && *uri) {
        if (*pattern == '*') {
            size_t n = yps_match_id(uri);

            if (n == 0) {
                return false;
            }
            *arg = uri;
            uri += n;
            pattern++;
        } else if (*pattern++ != *uri++) {
            return false;
        }
    }
    return *pattern == '\0' && (*uri == '\0' || (*uri == '/' && uri[1] == '\0'));
}

static yp_status_t
yps_route(yps_req_t *r, const yps_route_t **found, char arg[33])
{
    bool path_known = false;

    for (size_t i = 0; i < G_N_ELEMENTS(yps_routes); i++) {
        const char *a = NULL;

        if (!yps_route_matches(yps_routes[i].pattern, r->uri, &a)) {
            continue;
        }
        path_known = true;
        if (strcmp(yps_routes[i].method, r->method) == 0) {
            if (a) {
                g_strlcpy(arg, a, 33);
            }
            *found = &yps_routes[i];
            return YP_STATUS_OK;
        }
    }
    return path_known ? YP_STATUS_METHOD_NOT_ALLOWED
                      : yps_fail(r, YP_STATUS_NOT_FOUND, "No such endpoint");
}

static yp_status_t
yps_prepare(yps_req_t *r, const yps_route_t *route)
{
    const char *query = yps_param(r, "QUERY_STRING");
    const char *internal = yps_param(r, "YP_INTERNAL");
    g_autoptr(GError) error = NULL;
    yp_status_t st;

    if ((route->flags & YPS_ROUTE_INTERNAL) && internal == NULL) {
        return YP_STATUS_NOT_FOUND;
    }
    if (query != NULL && *query != '\0') {
        r->query = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_WWW_FORM, &error);
        if (r->query == NULL) {
            return yps_fail(r, YP_STATUS_BAD_REQUEST, "Bad query string: %s", error->message);
        }
    }
    if (!(route->flags & YPS_ROUTE_PUBLIC) && (st = yps_authenticate(r)) != YP_STATUS_OK) {
        return st;
    }
    if ((route->flags & YPS_ROUTE_JSON) && (st = yps_read_json_body(r)) != YP_STATUS_OK) {
        return st;
    }
    if (route->flags & YPS_ROUTE_KEYED) {
        return yps_idempotency_begin(r, route->flags & YPS_ROUTE_SECRET);
    }
    return YP_STATUS_OK;
}

/* Replies with STATUS, keeping the answer for the request's Idempotency-Key
 * (if it holds one) first: a repeat sent the moment this answer arrives
 * finds it. */
static void
yps_answer(yps_req_t *r, yp_status_t st)
{
    int http = 0;
    g_autofree char *body = yps_reply_text(r, st, &http);

    yps_idempotency_end(r, http, body);
    yps_respond_text(r, st, http, body);
}

void
yps_dispatch(yps_server_t *srv, FCGX_Request *fcgi)
{
    yps_req_t r = { .srv = srv, .fcgi = fcgi };
    const yps_route_t *route = NULL;
    char arg[33] = "";
    yp_status_t st;

    r.method = yps_param(&r, "REQUEST_METHOD");
    r.uri = yps_param(&r, "DOCUMENT_URI");
    if (r.method == NULL || r.uri == NULL) {
        st = yps_fail(&r, YP_STATUS_BAD_REQUEST, "Not a request from nginx");
    } else if ((st = yps_route(&r, &route, arg)) == YP_STATUS_OK) {
        bool snapshot = (route->flags & YPS_ROUTE_READ)
                        && srv->meta->ops->snapshot_begin(srv->meta) == YP_STATUS_OK;

        if ((st = yps_prepare(&r, route)) == YP_STATUS_OK && r.replay.http == 0) {
            r.arg = arg;
            st = route->handler(&r);
        }
        if (snapshot) {
            srv->meta->ops->snapshot_end(srv->meta);
        }
    }
    if (st == YP_STATUS_INTERNAL) {
        g_warning("%s %s: %s", r.method, r.uri, r.message[0] ? r.message : "internal error");
        /* the details stay in the log */
        r.message[0] = '\0';
    }
    if (r.replay.http != 0) {
        yps_idempotency_replay(&r);
    } else {
        yps_answer(&r, st);
    }
    yps_req_clear(&r);
}
