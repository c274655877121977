/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-auth.h: passwords (Argon2id through libsodium) and session tokens
 * (256 random bits from the OS, stored only as their SHA-256).
 */
#ifndef YPS_AUTH_H
#define YPS_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#define YPS_TOKEN_BYTES 32
/* base64url without padding of 32 bytes, plus NUL */
#define YPS_TOKEN_TEXT  (sodium_base64_ENCODED_LEN(YPS_TOKEN_BYTES, sodium_base64_VARIANT_URLSAFE_NO_PADDING))

bool yps_auth_init(void);

/* Argon2id with libsodium's interactive limits; false when out of memory. */
bool yps_password_hash(const char *password, char out[crypto_pwhash_STRBYTES]);

/* Compares in constant time. HASH NULL (unknown user) still costs one
 * verification, so response times do not reveal which usernames exist. */
bool yps_password_verify(const char *hash, const char *password);

/* A new random token as text, and the hash that the store keeps. */
void yps_token_new(char text[YPS_TOKEN_TEXT], uint8_t hash[32]);

/* Hashes a token given by a client; false when it cannot be one. */
bool yps_token_hash(const char *text, uint8_t hash[32]);

#endif
