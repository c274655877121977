/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fuzz-names: the name, path and username rules of protocol/yp-name.h.
 *
 * The input is taken as a name (all of it, NULs included), as a path and as
 * a username (up to the first NUL). Besides the sanitizers, it checks what
 * the rest of the server relies on: a valid name never holds '/', a
 * control character (C0, DEL, C1), a line or paragraph separator, or an
 * invisible character (a format character but the joiners U+200C and
 * U+200D, a tag, the combining grapheme joiner, a Hangul filler), and is
 * never "." or ".."; a split path's components are
 * each valid names and joined again give the input (less a trailing '/');
 * a name's comparison key is stable; a valid username has only the
 * characters the protocol allows.
 */
#include <string.h>

#include <glib.h>

#include "yp-fuzz.h"
#include "yp-name.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    yp_fuzz_setup_logging();
    return 0;
}

/* Why the character C may not be in a name, or NULL when it may. Written
 * apart from the rule in yp-name.c, from the categories the protocol
 * names, so that a shortcut there (an ASCII fast path, a range) that lets
 * one through is a finding. */
static const char *
fuzz_refused_char(gunichar c)
{
    switch (g_unichar_type(c)) {
    case G_UNICODE_CONTROL:
        return "a control character";
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
        return "a line or paragraph separator";
    case G_UNICODE_FORMAT:
        return c == 0x200C || c == 0x200D ? NULL : "a format character";
    default:
        break;
    }
    if (c >= 0xE0000 && c <= 0xE007F) {
        return "a tag";
    }
    if (c == 0x034F || c == 0x115F || c == 0x1160 || c == 0x3164 || c == 0xFFA0) {
        return "an invisible letter or mark";
    }
    return c == '/' ? "'/'" : NULL;
}

/* What every valid name must be, whatever else the rules refuse. */
static void
fuzz_check_valid_name(const char *name, size_t len)
{
    if (len == 0 || len > YP_NAME_MAX || !g_utf8_validate(name, (gssize) len, NULL)) {
        yp_fuzz_fail("accepted a name of %zu bytes or not UTF-8", len);
    }
    if ((len == 1 && name[0] == '.') || (len == 2 && memcmp(name, "..", 2) == 0)) {
        yp_fuzz_fail("accepted \"%.*s\" as a name", (int) len, name);
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name[i];

        if (c < 0x20 || c == 0x7f || c == '/') {
            yp_fuzz_fail("accepted a name with byte 0x%02x at %zu", c, i);
        }
    }
    for (const char *p = name; p < name + len; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        const char *why = fuzz_refused_char(c);

        if (why != NULL) {
            yp_fuzz_fail("accepted a name with U+%04X (%s) at %zu", (unsigned) c, why,
                         (size_t) (p - name));
        }
    }
}

/* Two spellings that compare equal must compare equal to their key too. */
static void
fuzz_check_name_key(const char *name)
{
    g_autofree char *key = yp_name_key(name);
    g_autofree char *again = NULL;

    if (key == NULL || !g_utf8_validate(key, -1, NULL) || strchr(key, '/') != NULL) {
        yp_fuzz_fail("bad comparison key for a valid name");
    }
    again = yp_name_key(key);
    if (again == NULL || strcmp(again, key) != 0) {
        yp_fuzz_fail("the comparison key of a key differs from it");
    }
}

static void
fuzz_check_name(const uint8_t *data, size_t size)
{
    g_autofree char *name = NULL;

    if (!yp_name_is_valid((const char *) data, size)) {
        return;
    }
    fuzz_check_valid_name((const char *) data, size);
    name = g_strndup((const char *) data, size);
    fuzz_check_name_key(name);
}

/* PATH split into COMPONENTS: each a valid name, and together the path. */
static void
fuzz_check_split(const char *path, char **components)
{
    g_autofree char *joined = NULL;
    size_t len = strlen(path), n = g_strv_length(components);

    if (n > YP_PATH_DEPTH_MAX || len > YP_PATH_MAX) {
        yp_fuzz_fail("accepted a path of %zu components and %zu bytes", n, len);
    }
    for (size_t i = 0; i < n; i++) {
        if (!yp_name_is_valid(components[i], strlen(components[i]))) {
            yp_fuzz_fail("component %zu \"%s\" of \"%s\" is not a valid name", i,
                         components[i], path);
        }
    }
    joined = n > 0 ? g_strjoinv("/", components) : g_strdup("");
    if (len > 1 && path[len - 1] == '/') {
        len--;
    }
    if (path[0] != '/' || strlen(joined) != len - 1 || memcmp(joined, path + 1, len - 1) != 0) {
        yp_fuzz_fail("\"%s\" split and joined gives \"/%s\"", path, joined);
    }
}

static void
fuzz_check_path(const char *path)
{
    char **components = (char **) 0x1;
    yp_status_t st = yp_path_split(path, &components);

    if (st == YP_STATUS_OK) {
        if (components == NULL) {
            yp_fuzz_fail("split succeeded without components");
        }
        fuzz_check_split(path, components);
        g_strfreev(components);
        return;
    }
    if (components != NULL || (st != YP_STATUS_INVALID_PATH && st != YP_STATUS_INVALID_NAME)) {
        yp_fuzz_fail("a refused path gave status %d and components %p", (int) st,
                     (void *) components);
    }
}

static void
fuzz_check_username(const char *username)
{
    size_t len = strlen(username);

    if (!yp_username_is_valid(username)) {
        return;
    }
    if (len < YP_USERNAME_MIN || len > YP_USERNAME_MAX || !g_ascii_isalnum(username[0])) {
        yp_fuzz_fail("accepted the username \"%s\"", username);
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(username[i]) && strchr("_.-", username[i]) == NULL) {
            yp_fuzz_fail("accepted the username \"%s\"", username);
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *text = g_strndup((const char *) data, size);

    fuzz_check_name(data, size);
    fuzz_check_path(text);
    fuzz_check_username(text);
    return 0;
}
