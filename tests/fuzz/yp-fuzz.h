/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yp-fuzz.h: what the libFuzzer targets share: a FastCGI request held in
 * memory (no socket, no nginx) and the checks every reply must pass.
 *
 * A request is built with yp_fuzz_fcgi_init + yp_fuzz_fcgi_param, handed to
 * the server as yp_fuzz_fcgi_start()'s FCGX_Request, and its reply is read
 * back and checked with yp_fuzz_fcgi_finish. A failed check aborts, which
 * libFuzzer records as a crash with the input that caused it.
 */
#ifndef YP_FUZZ_H
#define YP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#include <fcgiapp.h>
#include <json-glib/json-glib.h>

/* libFuzzer's entry points */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct {
    FCGX_Request   request;
    FCGX_Stream    in;
    FCGX_Stream    out;
    FCGX_Stream    err;
    GPtrArray     *env;         /* "NAME=value" strings */
    unsigned char *body;        /* exactly the body's size, so over-reads are caught */
    GString       *reply;       /* everything the server wrote to out */
    unsigned char  out_buf[512];
    unsigned char  err_buf[128];
} yp_fuzz_fcgi_t;

/* Prepares F for a request whose body (stdin) is BODY, LEN bytes. */
void yp_fuzz_fcgi_init(yp_fuzz_fcgi_t *f, const void *body, size_t len);

/* Adds the FastCGI parameter NAME=VALUE (what nginx's fastcgi_param sets). */
void yp_fuzz_fcgi_param(yp_fuzz_fcgi_t *f, const char *name, const char *value);

/* The request to pass to the server; no parameter may be added after. */
FCGX_Request *yp_fuzz_fcgi_start(yp_fuzz_fcgi_t *f);

/*
 * Flushes the reply and checks it (see yp_fuzz_check_reply). Returns the
 * HTTP status; *JSON (if not NULL) gets the parsed JSON body or NULL.
 */
int yp_fuzz_fcgi_finish(yp_fuzz_fcgi_t *f, JsonNode **json);

void yp_fuzz_fcgi_clear(yp_fuzz_fcgi_t *f);

/*
 * Aborts unless REPLY (LEN bytes of FastCGI output) is a well-formed answer:
 * a "Status: NNN" line that is not 500, header lines without stray CR/LF,
 * and for JSON answers a Content-Length that matches and a JSON object body
 * (with error.code and error.message on errors). Returns the status.
 */
int yp_fuzz_check_reply(const char *reply, size_t len, JsonNode **json);

/* Prints what went wrong and aborts, so libFuzzer saves the input. */
void yp_fuzz_fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2) G_GNUC_NORETURN;

/* Makes GLib criticals fatal and keeps informational messages quiet. */
void yp_fuzz_setup_logging(void);

/* Removes PATH and everything under it. */
void yp_fuzz_remove_tree(const char *path);

#endif
