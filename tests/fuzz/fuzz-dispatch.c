/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-dispatch: whole requests through yps_dispatch(), the function a
 * worker calls for every FastCGI request, against a real server (SQLite
 * metadata and the fs blob store) on a temporary data folder.
 *
 * An input is six fields separated by NUL bytes; the last one, the body,
 * runs to the end of the input and may hold NULs itself:
 *
 *     METHOD \0 URI \0 QUERY \0 AUTHORIZATION \0 PARAMS \0 BODY
 *
 * PARAMS are extra FastCGI parameters, one NAME=value per line (HTTP_RANGE,
 * HTTP_IDEMPOTENCY_KEY, YP_INTERNAL, YP_ORIGINAL_URI, ...); they come first, so they can also
 * override what the harness sets (CONTENT_LENGTH, REMOTE_ADDR). Inputs cannot know a session token or
 * an upload id, so markers stand for them: @TOKEN@ (in AUTHORIZATION and
 * PARAMS) is the harness user's token, @UID@ (in PARAMS) that user's id and
 * @UPLOAD@ (in URI) the id of the most recent upload any reply named. The
 * harness registers and signs in that user at start and again whenever an
 * input ends its session. A PUT's body is handed over as nginx does, in a
 * file named by YP_BODY_FILE.
 *
 * Every reply must pass yp_fuzz_check_reply: a 500, a malformed header or a
 * non-JSON error aborts like a sanitizer finding does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <sodium.h>

#include "yp-fuzz.h"
#include "yps-auth.h"
#include "yps-router.h"
#include "yps-server.h"

#define FUZZ_FIELDS      6
#define FUZZ_USERNAME    "fuzzer"
#define FUZZ_PASSWORD    "Quartz-Meridian-7-Lantern"
/* the SHA-256 of "hello\n", stored at start so instant upload finds it */
#define FUZZ_SEED_SHA256 "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"

typedef struct {
    const char *method;
    const char *uri;
    const char *query;
    const char *auth;
    const char *params;
    const char *body;
    size_t      body_len;
} fuzz_request_t;

static struct {
    yps_server_t srv;
    char        *dir;
    char        *body_file;
    char        *token;
    char        *upload_id;
    int64_t      user_id;
} fz;

/* ------------------------------------------------------------------------
 * Password hashing stand-in
 *
 * Argon2id takes ~145 ms and 64 MiB per call by design, which would hold
 * the fuzzer to a few inputs a second once it finds the login route. These
 * definitions take the place of libsodium's for this executable only: same
 * interface and the same accept/reject behaviour, a fast keyed hash inside.
 * ------------------------------------------------------------------------ */

static void
fuzz_fake_hash(char out[crypto_pwhash_STRBYTES], const char *passwd,
               unsigned long long passwdlen)
{
    unsigned char digest[32];

    crypto_generichash(digest, sizeof(digest), (const unsigned char *) passwd, passwdlen,
                       NULL, 0);
    memcpy(out, "$fuzz$", 6);
    sodium_bin2hex(out + 6, crypto_pwhash_STRBYTES - 6, digest, sizeof(digest));
}

int
crypto_pwhash_str(char out[crypto_pwhash_STRBYTES], const char *const passwd,
                  unsigned long long passwdlen, unsigned long long opslimit, size_t memlimit)
{
    memset(out, 0, crypto_pwhash_STRBYTES);
    fuzz_fake_hash(out, passwd, passwdlen);
    return 0;
}

int
crypto_pwhash_str_verify(const char *str, const char *const passwd,
                         unsigned long long passwdlen)
{
    char expected[crypto_pwhash_STRBYTES] = "";

    fuzz_fake_hash(expected, passwd, passwdlen);
    return strcmp(str, expected) == 0 ? 0 : -1;
}

/* ------------------------------------------------------------------------
 * One request
 * ------------------------------------------------------------------------ */

/*
 * Adds each NAME=value line of PARAMS; lines without a name are skipped, and
 * so is YP_BODY_FILE: nginx alone sets it, to a file it wrote itself.
 */
static void
fuzz_add_params(yp_fuzz_fcgi_t *f, const char *params)
{
    g_auto(GStrv) lines = g_strsplit(params, "\n", 32);

    for (char **l = lines; *l != NULL; l++) {
        char *eq = strchr(*l, '=');

        if (eq != NULL && eq != *l && strncmp(*l, "YP_BODY_FILE=", 13) != 0) {
            *eq = '\0';
            yp_fuzz_fcgi_param(f, *l, eq + 1);
        }
    }
}

/*
 * Sends REQ through yps_dispatch and checks the reply. Returns the HTTP
 * status; *JSON gets the reply's JSON body (or NULL).
 */
static int
fuzz_send(const fuzz_request_t *req, JsonNode **json)
{
    g_autofree char *length = g_strdup_printf("%zu", req->body_len);
    g_autofree char *request_uri = g_strconcat(req->uri, req->query[0] ? "?" : "", req->query,
                                               NULL);
    yp_fuzz_fcgi_t f;
    int status;

    yp_fuzz_fcgi_init(&f, req->body, req->body_len);
    if (strcmp(req->method, "PUT") == 0) {
        /* nginx stores a chunk's body in a file the server moves into place */
        if (!g_file_set_contents(fz.body_file, req->body, (gssize) req->body_len, NULL)) {
            yp_fuzz_fail("cannot write %s", fz.body_file);
        }
        yp_fuzz_fcgi_param(&f, "YP_BODY_FILE", fz.body_file);
    }
    /* the first of two equal names wins: an input may override what follows */
    fuzz_add_params(&f, req->params);
    yp_fuzz_fcgi_param(&f, "REQUEST_METHOD", req->method);
    yp_fuzz_fcgi_param(&f, "DOCUMENT_URI", req->uri);
    yp_fuzz_fcgi_param(&f, "REQUEST_URI", request_uri);
    yp_fuzz_fcgi_param(&f, "QUERY_STRING", req->query);
    yp_fuzz_fcgi_param(&f, "CONTENT_LENGTH", length);
    yp_fuzz_fcgi_param(&f, "CONTENT_TYPE", "application/json");
    yp_fuzz_fcgi_param(&f, "REMOTE_ADDR", "127.0.0.1");
    yp_fuzz_fcgi_param(&f, "SERVER_PROTOCOL", "HTTP/1.1");
    if (req->auth[0] != '\0') {
        yp_fuzz_fcgi_param(&f, "HTTP_AUTHORIZATION", req->auth);
    }

    yps_dispatch(&fz.srv, yp_fuzz_fcgi_start(&f));
    status = yp_fuzz_fcgi_finish(&f, json);
    /* what a worker does once the reply is out (yps-main.c) */
    yps_run_deferred(&fz.srv);
    yp_fuzz_fcgi_clear(&f);
    g_unlink(fz.body_file);
    return status;
}

/* Remembers the id of an upload REPLY names, for the @UPLOAD@ marker. */
static void
fuzz_note_upload(JsonNode *reply)
{
    JsonObject *root = reply ? json_node_get_object(reply) : NULL;
    JsonNode *upload = root ? json_object_get_member(root, "upload") : NULL;
    const char *id;

    if (upload == NULL || !JSON_NODE_HOLDS_OBJECT(upload)) {
        return;
    }
    id = json_object_get_string_member_with_default(json_node_get_object(upload), "id", NULL);
    if (id != NULL && strlen(id) == 32) {
        g_free(fz.upload_id);
        fz.upload_id = g_strdup(id);
    }
}

/* Sends a request of the harness's own; aborts unless it gets EXPECT. */
static JsonNode *
fuzz_expect(int expect, const char *method, const char *uri, const char *query,
            const char *body, size_t len)
{
    g_autofree char *auth = fz.token ? g_strconcat("Bearer ", fz.token, NULL) : g_strdup("");
    fuzz_request_t req = { method, uri, query, auth, "", body, len };
    JsonNode *reply = NULL;
    int status = fuzz_send(&req, &reply);

    if (status != expect) {
        yp_fuzz_fail("set-up request %s %s got %d, expected %d", method, uri, status, expect);
    }
    fuzz_note_upload(reply);
    return reply;
}

#define FUZZ_JSON(s) (s), strlen(s)

/* Signs the harness user in and keeps the token; false when refused. */
static bool
fuzz_login(void)
{
    static const char body[] =
        "{\"username\":\"" FUZZ_USERNAME "\",\"password\":\"" FUZZ_PASSWORD "\"}";
    fuzz_request_t req = { "POST", YP_API_PREFIX "/account/login", "", "", "REMOTE_ADDR=127.0.0.2",
                           body, sizeof(body) - 1 };
    g_autoptr(JsonNode) reply = NULL;
    JsonObject *root;

    if (fuzz_send(&req, &reply) != 200 || reply == NULL) {
        return false;
    }
    root = json_node_get_object(reply);
    g_free(fz.token);
    fz.token = g_strdup(json_object_get_string_member(root, "token"));
    fz.user_id = json_object_get_int_member(json_object_get_object_member(root, "user"), "id");
    return true;
}

/*
 * The state every run starts from: the user, a stored file (so instant
 * upload has content to offer a challenge for) and an open upload.
 */
static void
fuzz_populate(void)
{
    static const char reg[] =
        "{\"username\":\"" FUZZ_USERNAME "\",\"password\":\"" FUZZ_PASSWORD "\"}";
    static const char seed[] =
        "{\"path\":\"/seed.txt\",\"size\":6,\"sha256\":\"" FUZZ_SEED_SHA256 "\"}";
    static const char pending[] =
        "{\"path\":\"/pending.bin\",\"size\":4096,\"sha256\":\"" FUZZ_SEED_SHA256 "\"}";
    g_autofree char *put_uri = NULL;

    json_node_unref(fuzz_expect(201, "POST", YP_API_PREFIX "/account/register", "",
                                FUZZ_JSON(reg)));
    if (!fuzz_login()) {
        yp_fuzz_fail("the harness user cannot sign in");
    }
    json_node_unref(fuzz_expect(201, "POST", YP_API_PREFIX "/uploads", "", FUZZ_JSON(seed)));
    put_uri = g_strdup_printf("%s/uploads/%s", YP_API_PREFIX, fz.upload_id);
    json_node_unref(fuzz_expect(201, "PUT", put_uri, "offset=0", FUZZ_JSON("hello\n")));
    json_node_unref(fuzz_expect(201, "POST", YP_API_PREFIX "/uploads", "", FUZZ_JSON(pending)));
}

/*
 * yunpan-server's defaults (yps-main.c), except that instant upload may
 * match the smallest files, so the seed file's content can be offered.
 */
static void
fuzz_options(yps_options_t *opt)
{
    g_autoptr(GError) error = NULL;

    *opt = (yps_options_t) {
        .workers = 0,
        .upload_ttl = 24 * 3600,
        .max_chunk = (int64_t) 256 << 20,
        .token_ttl = 30 * 24 * 3600,
        .quota = (int64_t) 10 << 30,
        .instant_min_size = 0,
        .instant_budget = 60,
        .housekeeping_interval = 60,
        .idempotency_ttl = 24 * 3600,
        .idempotency_takeover = 900,
        .change_retention = 90 * 24 * 3600,
        /* wrong proofs answered at once: the fuzzer is not timing them */
        .proof_rate = G_MAXINT64 / 2,
        .proof_slots = 1,
        .thumb_slots = 1,
    };
    yps_guard_config_init(&opt->guard);
    if (!yps_guard_config_finish(&opt->guard, opt->workers, &error)) {
        yp_fuzz_fail("%s", error->message);
    }
    opt->guard.trust_ttl = opt->token_ttl;
}

/*
 * Removes the data folder at exit. The server is left open: libcrypto's own
 * exit handler may already have run, and closing runs deferred work that
 * hashes with it.
 */
static void
fuzz_cleanup(void)
{
    if (fz.dir != NULL && g_getenv("YP_FUZZ_KEEP") == NULL) {
        yp_fuzz_remove_tree(fz.dir);
    }
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    g_autoptr(GError) error = NULL;
    yps_options_t opt;

    yp_fuzz_setup_logging();
    fuzz_options(&opt);
    if (!yps_auth_init()) {
        yp_fuzz_fail("cannot initialize libsodium");
    }
    fz.dir = g_dir_make_tmp("yunpan-fuzz-XXXXXX", &error);
    if (fz.dir == NULL) {
        yp_fuzz_fail("%s", error->message);
    }
    opt.data_dir = fz.dir;
    atexit(fuzz_cleanup);
    if (!yps_server_open(&fz.srv, &opt, &error)) {
        yp_fuzz_fail("cannot open a server on %s: %s", fz.dir, error->message);
    }
    fz.body_file = g_build_filename(fz.dir, "client_body.tmp", NULL);
    fuzz_populate();
    return 0;
}

/* ------------------------------------------------------------------------
 * One input
 * ------------------------------------------------------------------------ */

static char *
fuzz_substitute(const char *field, const char *marker, const char *value)
{
    GString *s = g_string_new(field);

    g_string_replace(s, marker, value ? value : "", 0);
    return g_string_free(s, FALSE);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *fields[FUZZ_FIELDS - 1] = { NULL };
    g_autofree char *uri = NULL, *auth = NULL, *params = NULL, *with_uid = NULL;
    g_autofree char *uid = g_strdup_printf("%" G_GINT64_FORMAT, fz.user_id);
    const char *p = (const char *) data, *end = p + size;
    g_autoptr(JsonNode) reply = NULL;
    fuzz_request_t req;
    int status;

    for (int i = 0; i < FUZZ_FIELDS - 1; i++) {
        const char *nul = memchr(p, '\0', (size_t) (end - p));
        size_t n = nul ? (size_t) (nul - p) : (size_t) (end - p);

        fields[i] = g_strndup(p, n);
        p += nul ? n + 1 : n;
    }
    uri = fuzz_substitute(fields[1], "@UPLOAD@", fz.upload_id);
    auth = fuzz_substitute(fields[3], "@TOKEN@", fz.token);
    with_uid = fuzz_substitute(fields[4], "@UID@", uid);
    params = fuzz_substitute(with_uid, "@TOKEN@", fz.token);
    req = (fuzz_request_t) { fields[0], uri, fields[2], auth, params, p, (size_t) (end - p) };

    status = fuzz_send(&req, &reply);
    fuzz_note_upload(reply);
    /* an input that signed the harness user out must not end the coverage
     * of authenticated routes for every input after it */
    if ((status == 401 && strstr(fields[3], "@TOKEN@") != NULL)
        || strstr(req.uri, "/logout") != NULL) {
        fuzz_login();
    }
    for (int i = 0; i < FUZZ_FIELDS - 1; i++) {
        g_free(fields[i]);
    }
    return 0;
}
