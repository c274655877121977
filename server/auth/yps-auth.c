/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include <glib.h>

#include "yps-auth.h"

bool
yps_auth_init(void)
{
    return sodium_init() >= 0;
}

bool
yps_password_hash(const char *password, char out[crypto_pwhash_STRBYTES])
{
    return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                             crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
}

bool
yps_password_verify(const char *hash, const char *password)
{
    static char dummy[crypto_pwhash_STRBYTES];

    if (hash == NULL) {
        if (dummy[0] == '\0' && !yps_password_hash("yunpan-dummy-password", dummy)) {
            return false;
        }
        /* the result does not matter, only the time it takes */
        if (crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0) {
            return false;
        }
        return false;
    }
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void
yps_token_new(char text[YPS_TOKEN_TEXT], uint8_t hash[32])
{
    uint8_t raw[YPS_TOKEN_BYTES];

    randombytes_buf(raw, sizeof(raw));
    sodium_bin2base64(text, YPS_TOKEN_TEXT, raw, sizeof(raw),
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof(raw));
    crypto_hash_sha256(hash, (const unsigned char *) text, strlen(text));
}

bool
yps_token_hash(const char *text, uint8_t hash[32])
{
    size_t len = text ? strlen(text) : 0;

    if (len != YPS_TOKEN_TEXT - 1) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        if (!g_ascii_isalnum(text[i]) && text[i] != '-' && text[i] != '_') {
            return false;
        }
    }
    crypto_hash_sha256(hash, (const unsigned char *) text, len);
    return true;
}
