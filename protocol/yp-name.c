/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>

#include "yp-name.h"

/*
 * Whether the non-ASCII character C may not be part of a name. Refused by
 * category: controls (Cc: the C1 range U+0080-U+009F too, whose U+009B is
 * an 8-bit CSI a terminal may act on when a name is printed), line and
 * paragraph separators (Zl, Zp), and format characters (Cf), which render
 * as nothing or reorder what follows, so that "invoice\u202Efdp.exe" shows
 * as "invoiceexe.pdf" (bidirectional marks, embeddings and isolates,
 * zero-width space, word joiner, soft hyphen, byte order mark, interlinear
 * annotations, tags...). The zero-width joiners U+200C and U+200D stay
 * allowed: Persian, Indic scripts and emoji sequences need them, and they
 * cannot reorder text. Then, by code point, the invisible letters and marks
 * that other categories hold: the combining grapheme joiner, the Hangul
 * fillers, and the whole tag block (its unassigned code points as well).
 *
 * Unassigned code points (Cn) and private use (Co) stay allowed: a newer
 * client may know characters these tables do not, and private use is what
 * some scripts and icon fonts are written in. Variation selectors
 * (U+FE00-U+FE0F, Mn) stay allowed too: emoji need U+FE0E and U+FE0F.
 */
static bool
yp_char_is_refused(gunichar c)
{
    switch (g_unichar_type(c)) {
    case G_UNICODE_CONTROL:
    case G_UNICODE_LINE_SEPARATOR:
    case G_UNICODE_PARAGRAPH_SEPARATOR:
        return true;
    case G_UNICODE_FORMAT:
        return c != 0x200C && c != 0x200D;
    default:
        break;
    }
    return c == 0x034F                      /* combining grapheme joiner */
           || c == 0x115F || c == 0x1160    /* Hangul choseong and jungseong fillers */
           || c == 0x3164 || c == 0xFFA0    /* Hangul filler, halfwidth filler */
           || (c >= 0xE0000 && c <= 0xE007F);  /* tags */
}

/*
 * Called for every name of every request, so one pass after the UTF-8
 * check: ASCII bytes are judged as they are, and only the rest is decoded
 * and looked up.
 */
bool
yp_name_is_valid(const char *name, size_t len)
{
    const char *p, *end;

    if (name == NULL || len == 0 || len > YP_NAME_MAX) {
        return false;
    }
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
        return false;
    }
    if (!g_utf8_validate(name, (gssize) len, NULL)) {
        return false;
    }
    for (p = name, end = name + len; p < end;) {
        unsigned char c = (unsigned char) *p;

        if (c >= 0x80) {
            if (yp_char_is_refused(g_utf8_get_char(p))) {
                return false;
            }
            p = g_utf8_next_char(p);
        } else if (c < 0x20 || c == 0x7f || c == '/') {
            return false;
        } else {
            p++;
        }
    }
    return true;
}

char *
yp_name_key(const char *name)
{
    return g_utf8_normalize(name, -1, G_NORMALIZE_NFC);
}

bool
yp_username_is_valid(const char *username)
{
    size_t len = username ? strlen(username) : 0;

    if (len < YP_USERNAME_MIN || len > YP_USERNAME_MAX || !g_ascii_isalnum(username[0])) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = username[i];
        if (!g_ascii_isalnum(c) && c != '_' && c != '.' && c != '-') {
            return false;
        }
    }
    return true;
}

yp_status_t
yp_path_split(const char *path, char ***components)
{
    size_t len;
    GPtrArray *parts;
    const char *p;

    *components = NULL;
    if (path == NULL || path[0] != '/') {
        return YP_STATUS_INVALID_PATH;
    }
    len = strlen(path);
    if (len > YP_PATH_MAX || !g_utf8_validate(path, (gssize) len, NULL)) {
        return YP_STATUS_INVALID_PATH;
    }

    parts = g_ptr_array_new_with_free_func(g_free);
    p = path + 1;
    while (*p != '\0') {
        const char *slash = strchr(p, '/');
        size_t n = slash ? (size_t) (slash - p) : strlen(p);

        if (n == 0 || parts->len >= YP_PATH_DEPTH_MAX) {
            /* "//" or too deep */
            g_ptr_array_free(parts, TRUE);
            return YP_STATUS_INVALID_PATH;
        }
        if (!yp_name_is_valid(p, n)) {
            g_ptr_array_free(parts, TRUE);
            return YP_STATUS_INVALID_NAME;
        }
        g_ptr_array_add(parts, g_strndup(p, n));
        p += n;
        if (*p == '/') {
            p++;
        }
    }
    g_ptr_array_add(parts, NULL);
    *components = (char **) g_ptr_array_free(parts, FALSE);
    return YP_STATUS_OK;
}
