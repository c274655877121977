/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yps-request.h"

yp_status_t
yps_fail(yps_req_t *r, yp_status_t status, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    g_vsnprintf(r->message, sizeof(r->message), fmt, ap);
    va_end(ap);
    return status;
}

const char *
yps_param(yps_req_t *r, const char *name)
{
    return FCGX_GetParam(name, r->fcgi->envp);
}

JsonObject *
yps_reply(yps_req_t *r, int http)
{
    if (r->reply == NULL) {
        r->reply = json_object_new();
    }
    r->http_status = http;
    return r->reply;
}

yp_status_t
yps_auth_request_answer(yps_req_t *r, yp_status_t admitted)
{
    if (admitted != YP_STATUS_OK) {
        /* auth_request knows only 2xx, 401 and 403; the refusal's real
         * answer comes from the refused location, asked next */
        return YP_STATUS_FORBIDDEN;
    }
    r->no_body = true;
    yps_reply(r, 204);
    return YP_STATUS_OK;
}

yp_status_t
yps_auth_request_refused(yps_req_t *r, yp_status_t admitted, const char *retry)
{
    if (admitted == YP_STATUS_OK) {
        /* it changed between the two looks: let the client ask again */
        return yps_fail(r, YP_STATUS_UNAVAILABLE, "%s", retry);
    }
    return admitted;
}

/* ------------------------------------------------------------------------
 * Query string
 * ------------------------------------------------------------------------ */

yp_status_t
yps_query_string(yps_req_t *r, const char *name, const char **out)
{
    const char *value = r->query ? g_hash_table_lookup(r->query, name) : NULL;

    if (value == NULL) {
        return YP_STATUS_OK;
    }
    if (!g_utf8_validate(value, -1, NULL)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s: not valid UTF-8", name);
    }
    *out = value;
    return YP_STATUS_OK;
}

static bool
yps_parse_int64(const char *text, int64_t *out)
{
    char *end = NULL;
    long long v;

    if (text == NULL || *text == '\0' || g_ascii_isspace(*text)) {
        return false;
    }
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

yp_status_t
yps_query_int(yps_req_t *r, const char *name, int64_t min, int64_t max, int64_t *out,
              bool *present)
{
    const char *value = r->query ? g_hash_table_lookup(r->query, name) : NULL;
    int64_t v;

    if (present) {
        *present = value != NULL;
    }
    if (value == NULL) {
        return YP_STATUS_OK;
    }
    if (!yps_parse_int64(value, &v) || v < min || v > max) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT,
                        "%s: expected an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                        name, min, max);
    }
    *out = v;
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * JSON body
 * ------------------------------------------------------------------------ */

/* True when the JSON text escapes a NUL ("\u0000"): json-glib hands strings
 * out NUL-terminated, so "a\u0000b" would silently become "a". */
bool
yps_json_has_nul_escape(const char *text)
{
    for (const char *p = text; (p = strstr(p, "u0000")) != NULL; p++) {
        size_t backslashes = 0;

        while (p - backslashes > text && p[-(ptrdiff_t) backslashes - 1] == '\\') {
            backslashes++;
        }
        if (backslashes % 2 == 1) {
            return true;
        }
    }
    return false;
}

yp_status_t
yps_read_json_body(yps_req_t *r)
{
    const char *length = yps_param(r, "CONTENT_LENGTH");
    g_autofree char *buf = NULL;
    g_autoptr(GError) error = NULL;
    JsonNode *root;
    int64_t len = 0;
    int got;

    if (length != NULL && *length != '\0' && !yps_parse_int64(length, &len)) {
        return yps_fail(r, YP_STATUS_BAD_REQUEST, "Bad Content-Length");
    }
    if (len > YP_JSON_BODY_MAX) {
        return yps_fail(r, YP_STATUS_TOO_LARGE, "JSON bodies are limited to %d bytes",
                        YP_JSON_BODY_MAX);
    }
    if (len <= 0) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "A JSON object body is required");
    }
    buf = g_malloc((size_t) len + 1);
    got = FCGX_GetStr(buf, (int) len, r->fcgi->in);
    if (got != len) {
        return yps_fail(r, YP_STATUS_BAD_REQUEST, "The body ended early");
    }
    buf[len] = '\0';
    if (!g_utf8_validate(buf, len, NULL)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "The body is not valid UTF-8");
    }
    if (yps_json_has_nul_escape(buf)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "Strings must not contain NUL characters");
    }
    r->parser = json_parser_new_immutable();
    if (!json_parser_load_from_data(r->parser, buf, len, &error)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "Invalid JSON: %s", error->message);
    }
    root = json_parser_get_root(r->parser);
    if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
        return yps_fail(r, YP_STATUS_INVALID_JSON, "The body must be a JSON object");
    }
    r->body = json_node_get_object(root);
    r->body_text = g_steal_pointer(&buf);
    r->body_len = (size_t) len;
    return YP_STATUS_OK;
}

static JsonNode *
yps_body_member(yps_req_t *r, const char *name)
{
    JsonNode *node = r->body ? json_object_get_member(r->body, name) : NULL;

    return node && !JSON_NODE_HOLDS_NULL(node) ? node : NULL;
}

bool
yps_body_has(yps_req_t *r, const char *name)
{
    return yps_body_member(r, name) != NULL;
}

yp_status_t
yps_body_string(yps_req_t *r, const char *name, bool required, const char **out)
{
    JsonNode *node = yps_body_member(r, name);

    if (node == NULL) {
        return required ? yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s: required", name)
                        : YP_STATUS_OK;
    }
    if (json_node_get_value_type(node) != G_TYPE_STRING) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s: expected a string", name);
    }
    /* json-glib decodes a lone surrogate escape ("\ud800") into bytes that
     * are not UTF-8; nothing past this point has to cope with them */
    if (!g_utf8_validate(json_node_get_string(node), -1, NULL)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s: not valid UTF-8", name);
    }
    *out = json_node_get_string(node);
    return YP_STATUS_OK;
}

yp_status_t
yps_body_int(yps_req_t *r, const char *name, bool required, int64_t min, int64_t max,
             int64_t *out, bool *present)
{
    JsonNode *node = yps_body_member(r, name);
    int64_t v;

    if (present) {
        *present = node != NULL;
    }
    if (node == NULL) {
        return required ? yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s: required", name)
                        : YP_STATUS_OK;
    }
    if (json_node_get_value_type(node) != G_TYPE_INT64) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s: expected an integer", name);
    }
    v = json_node_get_int(node);
    if (v < min || v > max) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT,
                        "%s: must be from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                        name, min, max);
    }
    *out = v;
    return YP_STATUS_OK;
}

yp_status_t
yps_body_bool(yps_req_t *r, const char *name, bool *out)
{
    JsonNode *node = yps_body_member(r, name);

    if (node == NULL) {
        return YP_STATUS_OK;
    }
    if (json_node_get_value_type(node) != G_TYPE_BOOLEAN) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "%s: expected true or false", name);
    }
    *out = json_node_get_boolean(node);
    return YP_STATUS_OK;
}

/* ------------------------------------------------------------------------
 * Replies
 * ------------------------------------------------------------------------ */

static void
yps_put(yps_req_t *r, const char *data, size_t len)
{
    FCGX_PutStr(data, (int) len, r->fcgi->out);
}

static JsonObject *
yps_error_object(yps_req_t *r, yp_status_t status)
{
    /* a message may quote what the client sent, or be cut mid-character */
    g_autofree char *message = g_utf8_make_valid(r->message[0] ? r->message
                                                                 : yp_status_message(status),
                                                  -1);
    JsonObject *outer = json_object_new();
    JsonObject *error = r->error_extra ? json_object_ref(r->error_extra) : json_object_new();

    json_object_set_string_member(error, "code", yp_status_code(status));
    json_object_set_string_member(error, "message", message);
    json_object_set_object_member(outer, "error", error);
    return outer;
}

char *
yps_reply_text(yps_req_t *r, yp_status_t status, int *http)
{
    g_autoptr(JsonNode) root = NULL;

    *http = status == YP_STATUS_OK ? (r->http_status ? r->http_status : 200)
                                   : yp_status_http(status);
    if (status == YP_STATUS_OK && r->no_body) {
        return NULL;
    }
    root = json_node_new(JSON_NODE_OBJECT);
    if (status != YP_STATUS_OK) {
        json_node_take_object(root, yps_error_object(r, status));
    } else {
        json_node_set_object(root, r->reply ? r->reply : yps_reply(r, *http));
    }
    return json_to_string(root, FALSE);
}

void
yps_respond_text(yps_req_t *r, yp_status_t status, int http, const char *body)
{
    size_t body_len = body ? strlen(body) : 0;
    char head[256];
    int n;

    /* JSON answers are per-user and never cached; downloads set their own */
    n = snprintf(head, sizeof(head), "Status: %d\r\n%s", http,
                 body ? "Content-Type: application/json\r\nCache-Control: no-store\r\n" : "");
    yps_put(r, head, (size_t) n);
    if (r->headers && status == YP_STATUS_OK) {
        yps_put(r, r->headers->str, r->headers->len);
    }
    /* an error that says when to come back says it to HTTP clients too */
    if (status != YP_STATUS_OK && r->error_extra
        && json_object_has_member(r->error_extra, "retry_after")) {
        n = snprintf(head, sizeof(head), "Retry-After: %" G_GINT64_FORMAT "\r\n",
                     json_object_get_int_member(r->error_extra, "retry_after"));
        yps_put(r, head, (size_t) n);
    }
    if (body) {
        n = snprintf(head, sizeof(head), "Content-Length: %zu\r\n", body_len + 1);
        yps_put(r, head, (size_t) n);
    }
    yps_put(r, "\r\n", 2);
    if (body) {
        yps_put(r, body, body_len);
        yps_put(r, "\n", 1);
    }
}

void
yps_respond(yps_req_t *r, yp_status_t status)
{
    int http = 0;
    g_autofree char *body = yps_reply_text(r, status, &http);

    yps_respond_text(r, status, http, body);
}

typedef struct {
    yps_deferred_fn_t fn;
    void             *data;
} yps_deferred_t;

void
yps_defer(yps_req_t *r, yps_deferred_fn_t fn, void *data)
{
    yps_deferred_t d = { fn, data };

    if (r->srv->deferred == NULL) {
        r->srv->deferred = g_array_new(FALSE, FALSE, sizeof(yps_deferred_t));
    }
    g_array_append_val(r->srv->deferred, d);
}

void
yps_run_deferred(yps_server_t *srv)
{
    while (srv->deferred != NULL && srv->deferred->len > 0) {
        yps_deferred_t d = g_array_index(srv->deferred, yps_deferred_t, 0);

        g_array_remove_index(srv->deferred, 0);
        d.fn(d.data);
    }
}

void
yps_req_clear(yps_req_t *r)
{
    g_clear_pointer(&r->query, g_hash_table_unref);
    g_clear_object(&r->parser);
    g_free(r->body_text);
    yps_idem_answer_clear(&r->replay);
    g_clear_pointer(&r->reply, json_object_unref);
    g_clear_pointer(&r->error_extra, json_object_unref);
    if (r->headers) {
        g_string_free(r->headers, TRUE);
    }
    g_free(r->username);
    g_free(r->owned_name);

    memset(r, 0, sizeof(*r));
}
