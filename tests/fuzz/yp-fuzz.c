/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "yp-fuzz.h"

void
yp_fuzz_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("yp-fuzz: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

/* ------------------------------------------------------------------------
 * FastCGI streams over memory
 * ------------------------------------------------------------------------ */

/* The body is all in the buffer from the start: asking for more is EOF. */
static void
yp_fuzz_fill(FCGX_Stream *stream)
{
    stream->isClosed = 1;
}

/* Moves what the server wrote into the reply string and frees the buffer. */
static void
yp_fuzz_empty(FCGX_Stream *stream, int do_close)
{
    GString *sink = stream->data;
    unsigned char *start = stream->stopUnget;

    if (sink != NULL) {
        g_string_append_len(sink, (const char *) start, stream->wrNext - start);
    }
    stream->wrNext = start;
}

static void
yp_fuzz_writer(FCGX_Stream *s, unsigned char *buf, size_t size, GString *sink)
{
    memset(s, 0, sizeof(*s));
    /* libfcgi leaves stopUnget undefined for writers: it keeps the start */
    s->stopUnget = s->wrNext = buf;
    s->rdNext = s->stop = buf + size;
    s->emptyBuffProc = yp_fuzz_empty;
    s->data = sink;
}

void
yp_fuzz_fcgi_init(yp_fuzz_fcgi_t *f, const void *body, size_t len)
{
    memset(f, 0, sizeof(*f));
    f->env = g_ptr_array_new_with_free_func(g_free);
    f->reply = g_string_new(NULL);
    f->body = g_malloc(len > 0 ? len : 1);
    if (len > 0) {
        memcpy(f->body, body, len);
    }

    f->in.rdNext = f->in.stopUnget = f->body;
    f->in.wrNext = f->in.stop = f->body + len;
    f->in.isReader = 1;
    f->in.fillBuffProc = yp_fuzz_fill;
    yp_fuzz_writer(&f->out, f->out_buf, sizeof(f->out_buf), f->reply);
    yp_fuzz_writer(&f->err, f->err_buf, sizeof(f->err_buf), NULL);

    f->request.in = &f->in;
    f->request.out = &f->out;
    f->request.err = &f->err;
    f->request.ipcFd = -1;
    f->request.role = 1;    /* FCGI_RESPONDER */
}

void
yp_fuzz_fcgi_param(yp_fuzz_fcgi_t *f, const char *name, const char *value)
{
    g_ptr_array_add(f->env, g_strconcat(name, "=", value, NULL));
}

FCGX_Request *
yp_fuzz_fcgi_start(yp_fuzz_fcgi_t *f)
{
    g_ptr_array_add(f->env, NULL);
    f->request.envp = (char **) f->env->pdata;
    return &f->request;
}

int
yp_fuzz_fcgi_finish(yp_fuzz_fcgi_t *f, JsonNode **json)
{
    yp_fuzz_empty(&f->out, TRUE);
    return yp_fuzz_check_reply(f->reply->str, f->reply->len, json);
}

void
yp_fuzz_fcgi_clear(yp_fuzz_fcgi_t *f)
{
    g_ptr_array_unref(f->env);
    g_string_free(f->reply, TRUE);
    g_free(f->body);
    memset(f, 0, sizeof(*f));
}

/* ------------------------------------------------------------------------
 * Reply checks
 * ------------------------------------------------------------------------ */

/*
 * Checks one header line (without its CRLF): "Name: value" with a token
 * name and no CR, LF or NUL in the value. Anything else means a value from
 * the request leaked into the headers unescaped (header injection).
 */
static void
yp_fuzz_check_header(const char *line, size_t len, const char *reply)
{
    const char *colon = memchr(line, ':', len);

    if (colon == NULL || colon == line || colon + 1 >= line + len || colon[1] != ' ') {
        yp_fuzz_fail("malformed header line %.*s in reply:\n%s", (int) len, line, reply);
    }
    for (const char *p = line; p < colon; p++) {
        if (!g_ascii_isalnum(*p) && *p != '-') {
            yp_fuzz_fail("bad header name %.*s in reply:\n%s", (int) len, line, reply);
        }
    }
    for (const char *p = colon; p < line + len; p++) {
        if (*p == '\r' || *p == '\n' || *p == '\0') {
            yp_fuzz_fail("CR/LF/NUL inside header %.*s in reply:\n%s", (int) len, line, reply);
        }
    }
}

/* Checks a JSON body against its Content-Length and the error shape. */
static JsonNode *
yp_fuzz_check_json(int status, const char *body, size_t len, long length, const char *reply)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GError) error = NULL;
    JsonObject *root, *err;

    if (length != (long) len) {
        yp_fuzz_fail("Content-Length %ld but %zu body bytes in reply:\n%s", length, len, reply);
    }
    if (!json_parser_load_from_data(parser, body, (gssize) len, &error)) {
        yp_fuzz_fail("reply body is not JSON (%s):\n%s", error->message, reply);
    }
    if (!JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
        yp_fuzz_fail("reply body is not a JSON object:\n%s", reply);
    }
    root = json_node_get_object(json_parser_get_root(parser));
    if (status >= 400) {
        err = json_object_get_member(root, "error")
              && JSON_NODE_HOLDS_OBJECT(json_object_get_member(root, "error"))
              ? json_object_get_object_member(root, "error") : NULL;
        if (err == NULL || json_object_get_string_member_with_default(err, "code", NULL) == NULL
            || json_object_get_string_member_with_default(err, "message", NULL) == NULL) {
            yp_fuzz_fail("error reply without error.code and error.message:\n%s", reply);
        }
    }
    return json_node_copy(json_parser_get_root(parser));
}

int
yp_fuzz_check_reply(const char *reply, size_t len, JsonNode **json)
{
    const char *end = g_strstr_len(reply, (gssize) len, "\r\n\r\n");
    const char *p = reply;
    bool is_json = false;
    long length = -1;
    int status = 0;

    if (json) {
        *json = NULL;
    }
    if (strlen(reply) != len || sscanf(reply, "Status: %3d\r\n", &status) != 1
        || end == NULL) {
        yp_fuzz_fail("no status line or no end of headers in reply:\n%s", reply);
    }
    if (status < 200 || status > 599 || status == 500) {
        yp_fuzz_fail("status %d: bad input must get a 4xx JSON error; reply:\n%s", status,
                     reply);
    }
    while (p < end + 2) {
        const char *eol = strstr(p, "\r\n");

        yp_fuzz_check_header(p, (size_t) (eol - p), reply);
        if (g_ascii_strncasecmp(p, "Content-Type: application/json", 30) == 0) {
            is_json = true;
        } else if (g_ascii_strncasecmp(p, "Content-Length: ", 16) == 0) {
            length = strtol(p + 16, NULL, 10);
        }
        p = eol + 2;
    }
    if (status >= 400 && !is_json) {
        yp_fuzz_fail("error status %d without a JSON body:\n%s", status, reply);
    }
    if (is_json) {
        JsonNode *node = yp_fuzz_check_json(status, end + 4, len - (size_t) (end + 4 - reply),
                                            length, reply);

        if (json) {
            *json = node;
        } else {
            json_node_unref(node);
        }
    }
    return status;
}

/* ------------------------------------------------------------------------
 * Process set-up
 * ------------------------------------------------------------------------ */

static void
yp_fuzz_log(const char *domain, GLogLevelFlags level, const char *message, gpointer data)
{
    if (level & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG)) {
        return;
    }
    fprintf(stderr, "%s: %s\n", domain ? domain : "yp-fuzz", message);
}

void
yp_fuzz_setup_logging(void)
{
    /* a critical is a broken precondition (a bug) even when nothing crashes */
    g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
    g_log_set_default_handler(yp_fuzz_log, NULL);
}

void
yp_fuzz_remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir)) != NULL) {
        g_autofree char *child = g_build_filename(path, name, NULL);

        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK)) {
            yp_fuzz_remove_tree(child);
        } else {
            g_unlink(child);
        }
    }
    g_rmdir(path);
}
