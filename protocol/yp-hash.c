/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "yp-hash.h"

#define YP_HASH_BUFFER (1024 * 1024)

struct yp_sha256_s {
    EVP_MD_CTX *md;
};

yp_sha256_t *
yp_sha256_new(void)
{
    yp_sha256_t *ctx = calloc(1, sizeof(*ctx));

    if (ctx == NULL) {
        abort();
    }
    ctx->md = EVP_MD_CTX_new();
    if (ctx->md == NULL || EVP_DigestInit_ex(ctx->md, EVP_sha256(), NULL) != 1) {
        abort();
    }
    return ctx;
}

void
yp_sha256_update(yp_sha256_t *ctx, const void *data, size_t len)
{
    if (len > 0 && EVP_DigestUpdate(ctx->md, data, len) != 1) {
        abort();
    }
}

void
yp_sha256_finish_hex(yp_sha256_t *ctx, char hex[65])
{
    uint8_t digest[YP_SHA256_LEN];
    unsigned int n = 0;

    if (EVP_DigestFinal_ex(ctx->md, digest, &n) != 1 || n != YP_SHA256_LEN) {
        abort();
    }
    yp_hex_encode(digest, sizeof(digest), hex);
}

void
yp_sha256_free(yp_sha256_t *ctx)
{
    if (ctx != NULL) {
        EVP_MD_CTX_free(ctx->md);
        free(ctx);
    }
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
