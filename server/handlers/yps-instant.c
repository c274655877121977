/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yps-instant.c: instant upload (秒传) without an existence oracle.
 *
 * A client that declares content the server already holds may prove that it
 * has the bytes instead of sending them. Three rules keep that from telling
 * anyone what other users store:
 *
 *  - The proof is SHA-256(nonce ‖ whole content) for a fresh random nonce,
 *    so it depends on every byte: knowing a document except for the PIN in
 *    it is worth nothing, and a hash alone is worth nothing.
 *  - Whether a challenge is offered, and how long a wrong proof takes, do
 *    not depend on whether anyone else holds the content. Files of at least
 *    srv->instant_min_size bytes get a challenge whether or not the content
 *    exists (while the account's budget of challenges lasts); smaller ones,
 *    where guessing a secret inside a known document is practical, are only
 *    deduplicated against the caller's own files, which tells them nothing.
 *  - Each account, and each client address, gets a limited number of
 *    cross-user challenges per window, and each challenge is spent by exactly
 *    one proof.
 *
 * A wrong proof is answered no sooner than its declared size read at
 * srv->proof_rate bytes a second would take, so that a blob read cold from
 * disk answers as late as content that does not exist; and at most
 * srv->proof_slots proofs are checked at once across the workers, since each
 * reads up to a whole file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "yp-hash.h"
#include "yps-guard.h"
#include "yps-uploads-private.h"

#define YPS_INSTANT_WINDOW 3600  /* seconds over which an account's challenges are counted */

static JsonObject *
yps_challenge_new(void)
{
    uint8_t nonce[YP_PROOF_NONCE_LEN];
    char hex[2 * YP_PROOF_NONCE_LEN + 1];
    JsonObject *challenge = json_object_new();

    randombytes_buf(nonce, sizeof(nonce));
    yp_hex_encode(nonce, sizeof(nonce), hex);
    json_object_set_string_member(challenge, "nonce", hex);
    return challenge;
}

/* True while the caller, and the address it calls from, may still get a
 * challenge that could match another user's content in this window. */
static bool
yps_instant_budget(yps_req_t *r)
{
    yps_limits_t *limits = r->srv->limits;
    g_autofree char *account = g_strdup_printf("instant:%" G_GINT64_FORMAT, r->user_id);
    g_autofree char *address = NULL;
    char address_key[80];
    int64_t retry_after = 0, now = _yps_now();

    if (r->srv->instant_budget <= 0 || limits == NULL) {
        return false;
    }
    yps_guard_address_key(yps_param(r, "REMOTE_ADDR"), address_key, sizeof(address_key));
    address = g_strconcat("instant-", address_key, NULL);
    /* an address may hold several accounts, but not unlimited fresh ones */
    return limits->ops->hit(limits, address, now, YPS_INSTANT_WINDOW,
                            2 * r->srv->instant_budget, &retry_after) == YP_STATUS_OK
           && limits->ops->hit(limits, account, now, YPS_INSTANT_WINDOW,
                               r->srv->instant_budget, &retry_after) == YP_STATUS_OK;
}

/*
 * Called by the start of a non-empty upload. Nothing here looks at whether
 * another user holds the content, so neither the answer nor its timing can
 * tell.
 */
JsonObject *
_yps_instant_offer(yps_req_t *r, const yps_upload_t *u)
{
    yps_meta_t *meta = r->srv->meta;
    bool own = meta->ops->blob_owned(meta, r->user_id, u->sha256) == YP_STATUS_OK;

    if (u->size < r->srv->instant_min_size) {
        return own ? yps_challenge_new() : NULL;
    }
    return own || yps_instant_budget(r) ? yps_challenge_new() : NULL;
}

/* ------------------------------------------------------------------------
 * Proof of possession
 * ------------------------------------------------------------------------ */

/* The same work as proving SIZE bytes, for content nobody may match: read
 * as many bytes the way a blob is read (from /dev/zero, through the same
 * buffer size) and hash them. */
static void
yps_proof_decoy(const uint8_t *nonce, int64_t size, char hex[65])
{
    const size_t chunk = 1024 * 1024;
    g_autofree uint8_t *buf = g_malloc(chunk);
    yp_sha256_t *ctx = yp_sha256_new();
    int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

    yp_sha256_update(ctx, nonce, YP_PROOF_NONCE_LEN);
    for (int64_t left = size; left > 0;) {
        size_t want = (size_t) MIN(left, (int64_t) chunk);
        ssize_t n = fd >= 0 ? read(fd, buf, want) : (ssize_t) want;

        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            memset(buf, 0, want);
            n = (ssize_t) want;
        }
        yp_sha256_update(ctx, buf, (size_t) n);
        left -= n;
    }
    if (fd >= 0) {
        close(fd);
    }
    yp_sha256_finish_hex(ctx, hex);
    yp_sha256_free(ctx);
}

/* May U's proof match stored content? Another user's only for large files. */
static bool
yps_proof_eligible(yps_req_t *r, const yps_upload_t *u)
{
    yps_meta_t *meta = r->srv->meta;
    int64_t blob_size = 0;

    if (meta->ops->blob_find(meta, u->sha256, &blob_size) != YP_STATUS_OK
        || blob_size != u->size) {
        return false;
    }
    return u->size >= r->srv->instant_min_size
           || meta->ops->blob_owned(meta, r->user_id, u->sha256) == YP_STATUS_OK;
}

/* The proof the server expects for U and NONCE. */
static yp_status_t
yps_expected_proof(yps_req_t *r, const yps_upload_t *u, const uint8_t *nonce, char hex[65])
{
    uint64_t size = 0;
    int fd = -1, rc;

    if (yps_proof_eligible(r, u)) {
        fd = r->srv->blob->ops->open(r->srv->blob, u->sha256, NULL);
    }
    if (fd < 0) {
        yps_proof_decoy(nonce, u->size, hex);
        return YP_STATUS_OK;
    }
    rc = yp_proof_compute_fd(fd, nonce, YP_PROOF_NONCE_LEN, hex, &size);
    close(fd);
    if (rc != 0) {
        return yps_fail(r, YP_STATUS_INTERNAL, "cannot read blob %s", u->sha256);
    }
    if ((int64_t) size != u->size) {
        g_warning("blob %s has %" G_GUINT64_FORMAT " bytes, not %" G_GINT64_FORMAT, u->sha256,
                  size, u->size);
        yps_proof_decoy(nonce, u->size, hex);
    }
    return YP_STATUS_OK;
}

/* U's pending challenge, decoded; INTERNAL when the stored text is bad. */
static yp_status_t
yps_challenge_nonce(yps_req_t *r, const yps_upload_t *u, uint8_t nonce[YP_PROOF_NONCE_LEN])
{
    g_autoptr(JsonParser) parser = json_parser_new_immutable();
    const char *nonce_hex = NULL;
    JsonNode *root;

    if (json_parser_load_from_data(parser, u->challenge, -1, NULL)
        && (root = json_parser_get_root(parser)) != NULL && JSON_NODE_HOLDS_OBJECT(root)) {
        nonce_hex = json_object_get_string_member_with_default(json_node_get_object(root),
                                                               "nonce", NULL);
    }
    if (!yp_hex_decode(nonce_hex, nonce, YP_PROOF_NONCE_LEN)) {
        return yps_fail(r, YP_STATUS_INTERNAL, "stored challenge is corrupt");
    }
    return YP_STATUS_OK;
}

/* Judges PROOF for U, holding a proof slot; a wrong one leaves *DUE set
 * to when its answer may go out (monotonic microseconds). */
static yp_status_t
yps_proof_judge(yps_req_t *r, yps_upload_t *u, const char *proof, int64_t *due)
{
    uint8_t nonce[YP_PROOF_NONCE_LEN];
    int64_t started = g_get_monotonic_time();
    char expected[65];
    yp_status_t st;

    if ((st = yps_challenge_nonce(r, u, nonce)) != YP_STATUS_OK
        || (st = yps_expected_proof(r, u, nonce, expected)) != YP_STATUS_OK) {
        return st;
    }
    if (sodium_memcmp(expected, proof, 64) == 0) {
        return YP_STATUS_OK;
    }
    *due = started + (int64_t) ((double) u->size / (double) r->srv->proof_rate * 1e6);
    return YP_STATUS_PROOF_FAILED;
}

/*
 * Under the upload's lock: spends the challenge and takes a proof slot (the
 * caller releases it once the answer may go out). *SLOT tells whether a
 * slot is held.
 */
static yp_status_t
yps_proof_spend(yps_req_t *r, const yps_upload_t *u, bool *slot)
{
    yp_status_t st;

    if (u->challenge == NULL) {
        return YP_STATUS_NO_CHALLENGE;
    }
    /* one try per challenge: spend it before looking at the answer */
    if ((st = r->srv->meta->ops->upload_spend_challenge(r->srv->meta, u->id, u->challenge))
        != YP_STATUS_OK) {
        return st;
    }
    *slot = yps_hash_slot_acquire(&r->srv->proof_slots);
    if (!*slot) {
        /* decided before anything looks at the content: it tells nothing */
        return yps_fail(r, YP_STATUS_NO_CHALLENGE,
                        "The server is busy checking other proofs; send the bytes");
    }
    return YP_STATUS_OK;
}

/* A right proof makes the file, unless the upload ended meanwhile (its
 * bytes arrived, or it was abandoned); the bytes sent so far, if any, go
 * with the session. */
static yp_status_t
yps_proof_commit(yps_req_t *r)
{
    g_auto(yps_upload_t) u = { 0 };
    yp_status_t st;
    int lock = -1;

    if ((st = _yps_upload_lock(r, r->arg, &u, &lock)) != YP_STATUS_OK) {
        return st;
    }
    st = _yps_upload_commit(r, &u, -1, true);
    _yps_upload_unlock(lock);
    return st;
}

/*
 * The challenge is spent under the upload's lock; the proof is judged (the
 * stored content hashed, or as many bytes of nothing) and a wrong answer
 * waits for its time outside it, so chunks of the same upload are applied
 * meanwhile: a client may send the bytes while its proof is judged. Both
 * happen inside a proof slot, so proofs never hold more workers than the
 * slots allow.
 */
yp_status_t
yps_handle_upload_proof(yps_req_t *r)
{
    g_auto(yps_upload_t) u = { 0 };
    const char *proof = NULL;
    int64_t due = 0, left;
    bool slot = false;
    yp_status_t st;
    int lock = -1;

    if ((st = yps_body_string(r, "proof", true, &proof)) != YP_STATUS_OK) {
        return st;
    }
    if (!yp_sha256_hex_is_valid(proof)) {
        return yps_fail(r, YP_STATUS_INVALID_ARGUMENT, "proof: 64 lower-case hex digits");
    }
    if ((st = _yps_upload_lock(r, r->arg, &u, &lock)) != YP_STATUS_OK) {
        return st;
    }
    st = yps_proof_spend(r, &u, &slot);
    _yps_upload_unlock(lock);
    if (st == YP_STATUS_OK) {
        st = yps_proof_judge(r, &u, proof, &due);
    }
    if (st == YP_STATUS_OK) {
        st = yps_proof_commit(r);
    }
    if ((left = due - g_get_monotonic_time()) > 0) {
        g_usleep((gulong) left);
    }
    if (slot) {
        yps_hash_slot_release(&r->srv->proof_slots);
    }
    return st;
}
