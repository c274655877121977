/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-pwquality.h: refusing passwords that are easy to guess.
 *
 * zxcvbn (Debian's libzxcvbn, the C port of Dropbox's estimator) estimates
 * how many guesses a password takes against common passwords, words, names,
 * keyboard patterns, sequences, repeats and dates, with the username as an
 * extra word to avoid. A password below the configured number of bits
 * (log2 of the guesses) is refused with the reason.
 */
#ifndef YPS_PWQUALITY_H
#define YPS_PWQUALITY_H

#include <stdbool.h>
#include <stddef.h>

/* The default minimum: 2^20 guesses, zxcvbn's "score 2" (10^6 guesses),
 * enough against online guessing once sign-ins are throttled. */
#define YPS_PASSWORD_MIN_BITS_DEFAULT 20.0

/* True when PASSWORD is strong enough for USERNAME; else WHY (a sentence for
 * the client) says what makes it guessable. */
bool yps_password_strong(const char *password, const char *username, double min_bits,
                         char *why, size_t why_len);

#endif
