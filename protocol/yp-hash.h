/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yp-hash.h: SHA-256 of buffers and files (OpenSSL, which uses the CPU's
 * SHA extensions where present), a hash in progress saved and resumed, and
 * the proof of possession that instant upload asks for.
 */
#ifndef YP_HASH_H
#define YP_HASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define YP_SHA256_LEN 32

typedef struct yp_sha256_s yp_sha256_t;

yp_sha256_t *yp_sha256_new(void);
void         yp_sha256_update(yp_sha256_t *ctx, const void *data, size_t len);
/* Writes 64 hex characters and a NUL to HEX; the context is spent. */
void         yp_sha256_finish_hex(yp_sha256_t *ctx, char hex[65]);
void         yp_sha256_free(yp_sha256_t *ctx);
/* Bytes hashed so far. */
uint64_t     yp_sha256_length(const yp_sha256_t *ctx);

/*
 * A hash in progress as YP_SHA256_STATE_LEN bytes, so that another process
 * can go on with it: the server keeps an upload's running hash with the
 * upload between chunks. yp_sha256_restore returns NULL for anything that
 * is not such a state.
 */
#define YP_SHA256_STATE_LEN 106

void         yp_sha256_save(const yp_sha256_t *ctx, uint8_t state[YP_SHA256_STATE_LEN]);
yp_sha256_t *yp_sha256_restore(const uint8_t *state, size_t len);

void         yp_sha256_hex(const void *data, size_t len, char hex[65]);

/* Hashes FD from its current offset to EOF. Returns 0, or -errno on a read
 * error. *SIZE gets the number of bytes hashed (may be NULL). */
int          yp_sha256_fd(int fd, char hex[65], uint64_t *size);

bool         yp_sha256_hex_is_valid(const char *hex);

/* Decodes exactly LEN bytes from 2*LEN hex characters; false on bad input. */
bool         yp_hex_decode(const char *hex, uint8_t *out, size_t len);
void         yp_hex_encode(const uint8_t *in, size_t len, char *out);

/*
 * The proof of possession: lower-case hex SHA-256 of NONCE followed by the
 * whole content of FD (read with pread from offset 0, the fd's offset is
 * untouched). It depends on every byte, so knowing all of a file but a small
 * secret part of it is worth nothing. Returns 0 or -errno on a read error.
 * *SIZE (may be NULL) gets the number of bytes read. The server computes it
 * from the blob it holds; the client from its local file.
 */
int          yp_proof_compute_fd(int fd, const uint8_t *nonce, size_t nonce_len, char hex[65],
                                 uint64_t *size);

#endif
