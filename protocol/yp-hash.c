/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The digest functions that expose their state (SHA256_CTX) are deprecated
 * in OpenSSL 3 in favour of EVP, whose context cannot be saved; an upload's
 * hash must move between worker processes, so this file uses them. They run
 * the same code as EVP's SHA-256 (SHA extensions included). */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "yp-hash.h"

#define YP_HASH_BUFFER (1024 * 1024)
#define YP_SHA256_STATE_VERSION 1

struct yp_sha256_s {
    SHA256_CTX sha;
};

static yp_sha256_t *
yp_sha256_alloc(void)
{
    yp_sha256_t *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL) {
        abort();
    }
    return ctx;
}

yp_sha256_t *
yp_sha256_new(void)
{
    yp_sha256_t *ctx = yp_sha256_alloc();

    if (SHA256_Init(&ctx->sha) != 1) {
        abort();
    }
    return ctx;
}

void
yp_sha256_update(yp_sha256_t *ctx, const void *data, size_t len)
{
    if (len > 0 && SHA256_Update(&ctx->sha, data, len) != 1) {
        abort();
    }
}

void
yp_sha256_finish_hex(yp_sha256_t *ctx, char hex[65])
{
    uint8_t digest[YP_SHA256_LEN];

    if (SHA256_Final(digest, &ctx->sha) != 1) {
        abort();
    }
    yp_hex_encode(digest, sizeof(digest), hex);
}

void
yp_sha256_free(yp_sha256_t *ctx)
{
    if (ctx != NULL) {
        OPENSSL_cleanse(ctx, sizeof(*ctx));
        free(ctx);
    }
}

uint64_t
yp_sha256_length(const yp_sha256_t *ctx)
{
    return ((((uint64_t) ctx->sha.Nh << 32) | ctx->sha.Nl) >> 3);
}

static void
yp_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24);
    p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8);
    p[3] = (uint8_t) v;
}

static uint32_t
yp_get_be32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16) | ((uint32_t) p[2] << 8) | p[3];
}

/*
 * The saved state is our own layout, not OpenSSL's struct: a version byte,
 * the eight chaining words, the length in bits (two words) and the partial
 * block with its length, all big-endian, so that it means the same to every
 * build that reads it back.
 */
void
yp_sha256_save(const yp_sha256_t *ctx, uint8_t state[YP_SHA256_STATE_LEN])
{
    uint8_t *p = state;

    *p++ = YP_SHA256_STATE_VERSION;
    for (int i = 0; i < 8; i++, p += 4) {
        yp_put_be32(p, ctx->sha.h[i]);
    }
    yp_put_be32(p, ctx->sha.Nh);
    yp_put_be32(p + 4, ctx->sha.Nl);
    p += 8;
    *p++ = (uint8_t) ctx->sha.num;
    memcpy(p, ctx->sha.data, SHA256_CBLOCK);
}

yp_sha256_t *
yp_sha256_restore(const uint8_t *state, size_t len)
{
    const uint8_t *p = state;
    yp_sha256_t *ctx;

    /* the partial block holds what the bit count says is left over */
    if (len != YP_SHA256_STATE_LEN || state[0] != YP_SHA256_STATE_VERSION
        || state[41] >= SHA256_CBLOCK || state[41] != ((yp_get_be32(state + 37) >> 3) & 63)
        || (yp_get_be32(state + 37) & 7) != 0) {
        return NULL;
    }
    ctx = yp_sha256_new();
    p++;
    for (int i = 0; i < 8; i++, p += 4) {
        ctx->sha.h[i] = yp_get_be32(p);
    }
    ctx->sha.Nh = yp_get_be32(p);
    ctx->sha.Nl = yp_get_be32(p + 4);
    p += 8;
    ctx->sha.num = *p++;
    memcpy(ctx->sha.data, p, SHA256_CBLOCK);
    return ctx;
}

void
yp_sha256_hex(const void *data, size_t len, char hex[65])
{
    yp_sha256_t *ctx = yp_sha256_new();

    yp_sha256_update(ctx, data, len);
    yp_sha256_finish_hex(ctx, hex);
    yp_sha256_free(ctx);
}

int
yp_sha256_fd(int fd, char hex[65], uint64_t *size)
{
    yp_sha256_t *ctx;
    uint8_t *buf;
    uint64_t total = 0;
    int rc = 0;

    buf = malloc(YP_HASH_BUFFER);
    if (buf == NULL) {
        return -ENOMEM;
    }
    (void) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    ctx = yp_sha256_new();
    for (;;) {
        ssize_t n = read(fd, buf, YP_HASH_BUFFER);

        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            rc = -errno;
            break;
        }
        if (n == 0) {
            break;
        }
        yp_sha256_update(ctx, buf, (size_t) n);
        total += (uint64_t) n;
    }
    if (rc == 0) {
        yp_sha256_finish_hex(ctx, hex);
        if (size != NULL) {
            *size = total;
        }
    }
    yp_sha256_free(ctx);
    free(buf);
    return rc;
}

static int
yp_hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

bool
yp_sha256_hex_is_valid(const char *hex)
{
    if (hex == NULL || strlen(hex) != 2 * YP_SHA256_LEN) {
        return false;
    }
    for (const char *p = hex; *p; p++) {
        if (yp_hex_value(*p) < 0) {
            return false;
        }
    }
    return true;
}

bool
yp_hex_decode(const char *hex, uint8_t *out, size_t len)
{
    if (hex == NULL || strlen(hex) != 2 * len) {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        int hi = yp_hex_value(hex[2 * i]);
        int lo = yp_hex_value(hex[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return false;
        }
        out[i] = (uint8_t) (hi << 4 | lo);
    }
    return true;
}

void
yp_hex_encode(const uint8_t *in, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 0xf];
    }
    out[2 * len] = '\0';
}

int
yp_proof_compute_fd(int fd, const uint8_t *nonce, size_t nonce_len, char hex[65],
                    uint64_t *size)
{
    uint8_t *buf = malloc(YP_HASH_BUFFER);
    yp_sha256_t *ctx;
    uint64_t off = 0;
    int rc = 0;

    if (buf == NULL) {
        return -ENOMEM;
    }
    ctx = yp_sha256_new();
    yp_sha256_update(ctx, nonce, nonce_len);
    for (;;) {
        ssize_t n = pread(fd, buf, YP_HASH_BUFFER, (off_t) off);

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            rc = n < 0 ? -errno : 0;
            break;
        }
        yp_sha256_update(ctx, buf, (size_t) n);
        off += (uint64_t) n;
    }
    if (rc == 0) {
        yp_sha256_finish_hex(ctx, hex);
        if (size != NULL) {
            *size = off;
        }
    }
    yp_sha256_free(ctx);
    free(buf);
    return rc;
}
