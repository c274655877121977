/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdio.h>

#include <glib.h>
#include <zxcvbn.h>

#include "yps-pwquality.h"

/* What each kind of match zxcvbn finds tells the user, most telling first. */
static const struct {
    ZxcTypeMatch_t type;
    const char    *reason;
} yps_reasons[] = {
    { USER_MATCH,       "it contains the username" },
    { USER_LEET_MATCH,  "it contains the username" },
    { DICTIONARY_MATCH, "it is one of the most common passwords, or built from them" },
    { DICT_LEET_MATCH,  "it is a common password or word with letters swapped for digits" },
    { SPATIAL_MATCH,    "it follows a keyboard pattern such as qwerty" },
    { SEQUENCE_MATCH,   "it is a sequence such as abcd or 1234" },
    { REPEATS_MATCH,    "it repeats characters or groups of characters" },
    { DATE_MATCH,       "it is built around a date" },
    { YEAR_MATCH,       "it is built around a year" },
};

/* The most telling reason among the parts zxcvbn matched. */
static const char *
yps_password_reason(const ZxcMatch_t *info)
{
    for (size_t i = 0; i < G_N_ELEMENTS(yps_reasons); i++) {
        for (const ZxcMatch_t *m = info; m != NULL; m = m->Next) {
            if ((m->Type & ~MULTIPLE_MATCH) == yps_reasons[i].type) {
                return yps_reasons[i].reason;
            }
        }
    }
    return "it is too short for the kinds of characters it uses";
}

bool
yps_password_strong(const char *password, const char *username, double min_bits,
                    char *why, size_t why_len)
{
    const char *user_words[] = { username, NULL };
    ZxcMatch_t *info = NULL;
    double bits = ZxcvbnMatch(password, username ? user_words : NULL, &info);

    if (bits >= min_bits) {
        ZxcvbnFreeInfo(info);
        return true;
    }
    snprintf(why, why_len, "This password is too easy to guess: %s (about 2^%.0f guesses, "
             "at least 2^%.0f are needed). A few unrelated words make a good one.",
             yps_password_reason(info), bits, min_bits);
    ZxcvbnFreeInfo(info);
    return false;
}
