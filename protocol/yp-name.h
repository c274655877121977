/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yp-name.h: the rules for names, paths and usernames. Both sides check them;
 * the server's check is the one that counts.
 */
#ifndef YP_NAME_H
#define YP_NAME_H

#include <stdbool.h>
#include <stddef.h>

#include "yp-protocol.h"

/* True when NAME (LEN bytes, not necessarily NUL-terminated) is a valid
 * file or folder name: UTF-8, 1..255 bytes, not "." or "..", no '/' and
 * no control character (C0, DEL and C1, NUL included), no line or
 * paragraph separator, and no invisible character that makes a name look
 * like another: no format character (bidirectional marks, overrides and
 * isolates, zero-width space, word joiner, soft hyphen, byte order mark,
 * tags...) but the joiners U+200C and U+200D, no combining grapheme joiner
 * and no Hangul filler. Unassigned and private-use code points are
 * allowed. */
bool yp_name_is_valid(const char *name, size_t len);

/* The form two names are compared in: NFC. Names whose keys are equal
 * cannot coexist in one folder; the spelling given is what is shown.
 * NAME must be valid (yp_name_is_valid); free the result with g_free. */
char *yp_name_key(const char *name);

bool yp_username_is_valid(const char *username);

/* Splits an absolute PATH into its components. On success returns
 * YP_STATUS_OK and a NULL-terminated array in *COMPONENTS (free with
 * g_strfreev); "/" gives an empty array. Otherwise INVALID_PATH or
 * INVALID_NAME and *COMPONENTS is NULL. */
yp_status_t yp_path_split(const char *path, char ***components);

#endif
