/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-json: JSON request bodies through the server's body helpers
 * (yps_read_json_body, yps_body_string/int/bool) and the reply writer,
 * without the router or any store, so it runs many times faster than
 * fuzz-dispatch and goes deeper into parsing.
 *
 * The input is the body. Every member of a parsed object is read with each
 * typed helper; a value a helper hands out must be of the type and in the
 * bounds asked for. Strings go back into the reply, as handlers do with
 * names and paths, and the reply (or the error) must pass
 * yp_fuzz_check_reply.
 */
#include <string.h>

#include "yp-fuzz.h"
#include "yps-request.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    yp_fuzz_setup_logging();
    return 0;
}

/* Reads member NAME with every helper and checks what comes back. */
static void
fuzz_read_member(yps_req_t *r, const char *name)
{
    const char *text = NULL;
    int64_t v = 0;
    bool present = false, b = false;

    if (yps_body_string(r, name, true, &text) == YP_STATUS_OK) {
        if (text == NULL || !g_utf8_validate(text, -1, NULL)) {
            yp_fuzz_fail("yps_body_string(%s) gave no string or not UTF-8", name);
        }
        /* under a fixed key: handlers never echo member names */
        json_object_set_string_member(yps_reply(r, 200), "value", text);
    }
    if (yps_body_int(r, name, false, -1000, 1000, &v, &present) == YP_STATUS_OK && present
        && (v < -1000 || v > 1000)) {
        yp_fuzz_fail("yps_body_int(%s) gave %" G_GINT64_FORMAT " outside -1000..1000", name, v);
    }
    if (present != yps_body_has(r, name)) {
        yp_fuzz_fail("yps_body_int and yps_body_has disagree on %s", name);
    }
    (void) yps_body_bool(r, name, &b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *length = g_strdup_printf("%zu", size);
    yps_req_t r = { 0 };
    yp_fuzz_fcgi_t f;
    yp_status_t st;

    yp_fuzz_fcgi_init(&f, data, size);
    yp_fuzz_fcgi_param(&f, "CONTENT_LENGTH", length);
    r.fcgi = yp_fuzz_fcgi_start(&f);

    st = yps_read_json_body(&r);
    if (st == YP_STATUS_OK) {
        g_autoptr(GList) names = NULL;

        if (r.body == NULL) {
            yp_fuzz_fail("a body was accepted but no object is there");
        }
        names = json_object_get_members(r.body);
        for (GList *l = names; l != NULL; l = l->next) {
            fuzz_read_member(&r, l->data);
        }
        fuzz_read_member(&r, "absent");
    }
    yps_respond(&r, st);
    yp_fuzz_fcgi_finish(&f, NULL);
    yps_req_clear(&r);
    yp_fuzz_fcgi_clear(&f);
    return 0;
}
