/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>

#include "yp-name.h"

/*
 * Characters that render as nothing or reorder what follows, so that
 * "invoice\u202Efdp.exe" shows as "invoiceexe.pdf". The zero-width
 * joiners U+200C and U+200D stay allowed: Persian, Indic scripts and emoji
 * sequences need them, and they cannot reorder text.
 */
static bool
yp_char_is_deceptive(gunichar c)
{
    return c == 0x200B                      /* zero-width space */
           || c == 0x200E || c == 0x200F    /* left-to-right / right-to-left marks */
           || (c >= 0x202A && c <= 0x202E)  /* embeddings and overrides */
           || (c >= 0x2060 && c <= 0x2064)  /* word joiner, invisible operators */
           || (c >= 0x2066 && c <= 0x2069)  /* isolates */
           || c == 0xFEFF;                  /* byte order mark, zero-width no-break space */
}

bool
yp_name_is_valid(const char *name, size_t len)
{
    if (name == NULL || len == 0 || len > YP_NAME_MAX) {
        return false;
    }
    if ((len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.')) {
        return false;
    }
    if (!g_utf8_validate(name, (gssize) len, NULL)) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char) name[i];
        if (c < 0x20 || c == 0x7f || c == '/') {
            return false;
        }
    }
    for (const char *p = name; p < name + len; p = g_utf8_next_char(p)) {
        if (yp_char_is_deceptive(g_utf8_get_char(p))) {
            return false;
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
