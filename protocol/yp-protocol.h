/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * yp-protocol.h: the constants of the Yunpan protocol, shared by the server
 * and every client so that both sides agree on limits and error codes.
 * docs/protocol.md describes the same table; tests/server check they agree.
 */
#ifndef YP_PROTOCOL_H
#define YP_PROTOCOL_H

#define YP_API_PREFIX           "/api/v1"
#define YP_API_VERSION          1

#define YP_NAME_MAX             255     /* bytes of one file or folder name */
#define YP_PATH_MAX             4096    /* bytes of a whole path */
#define YP_PATH_DEPTH_MAX       64      /* components of a path */
#define YP_USERNAME_MIN         3
#define YP_USERNAME_MAX         32
#define YP_PASSWORD_MIN         8
#define YP_PASSWORD_MAX         1024
#define YP_JSON_BODY_MAX        (64 * 1024)
#define YP_LIST_LIMIT_DEFAULT   200
#define YP_LIST_LIMIT_MAX       1000
#define YP_CHANGES_LIMIT_DEFAULT 500
#define YP_CHANGES_LIMIT_MAX    1000
#define YP_SHA256_HEX_LEN       64
#define YP_PROOF_NONCE_LEN      16      /* raw bytes; sent as 32 hex characters */
#define YP_THUMBNAIL_SMALL      128     /* the bounding boxes thumbnails come in, pixels */
#define YP_THUMBNAIL_LARGE      256

/*
 * The error table: X(ENUM, http status, "code", "default message").
 * It generates the enum, the HTTP status and the JSON code, so that the
 * server and the clients cannot disagree.
 */
#define YP_ERRORS(X)                                                                   \
    X(OK,                  200, "ok",                  "OK")                           \
    X(BAD_REQUEST,         400, "bad_request",         "The request is malformed")     \
    X(INVALID_JSON,        400, "invalid_json",        "The body is not a JSON object") \
    X(INVALID_ARGUMENT,    400, "invalid_argument",    "A field is missing or invalid") \
    X(INVALID_NAME,        400, "invalid_name",        "The name is not allowed")      \
    X(INVALID_PATH,        400, "invalid_path",        "The path is not allowed")      \
    X(INVALID_USERNAME,    400, "invalid_username",    "Usernames are 3 to 32 letters, digits, '_', '.' or '-'") \
    X(WEAK_PASSWORD,       400, "weak_password",       "Passwords are 8 to 1024 bytes") \
    X(INVALID_MOVE,        400, "invalid_move",        "A folder cannot move into itself") \
    X(UNAUTHORIZED,        401, "unauthorized",        "Sign in first")                \
    X(TOKEN_EXPIRED,       401, "token_expired",       "The session has expired; sign in again") \
    X(INVALID_CREDENTIALS, 401, "invalid_credentials", "Wrong username or password")   \
    X(FORBIDDEN,           403, "forbidden",           "Not allowed")                  \
    X(PROOF_FAILED,        403, "proof_failed",        "The proof of possession is wrong") \
    X(NOT_FOUND,           404, "not_found",           "Not found")                    \
    X(METHOD_NOT_ALLOWED,  405, "method_not_allowed",  "Method not allowed")           \
    X(CONFLICT,            409, "conflict",            "It changed since the version given") \
    X(EXISTS,              409, "exists",              "A node with that name exists") \
    X(USERNAME_TAKEN,      409, "username_taken",      "That username is taken")       \
    X(NOT_A_FOLDER,        409, "not_a_folder",        "Not a folder")                 \
    X(IS_A_FOLDER,         409, "is_a_folder",         "That is a folder")             \
    X(OFFSET_MISMATCH,     409, "offset_mismatch",     "The chunk does not start where the upload stands") \
    X(NO_CHALLENGE,        409, "no_challenge",        "No challenge is pending; send the bytes") \
    X(REQUEST_IN_PROGRESS, 409, "request_in_progress", "A request with this Idempotency-Key is still running; retry") \
    X(CURSOR_EXPIRED,      410, "cursor_expired",      "The change feed no longer reaches that cursor") \
    X(LENGTH_REQUIRED,     411, "length_required",     "Send a Content-Length")        \
    X(PRECONDITION_FAILED, 412, "precondition_failed", "The precondition does not hold") \
    X(TOO_LARGE,           413, "too_large",           "The body is too large")        \
    X(URI_TOO_LONG,        414, "uri_too_long",        "The request line is too long") \
    X(NOT_AN_IMAGE,        415, "not_an_image",        "The file is not an image the server can read") \
    X(RANGE_NOT_SATISFIABLE, 416, "range_not_satisfiable", "The range lies outside the file") \
    X(HASH_MISMATCH,       422, "hash_mismatch",       "The content does not match its SHA-256") \
    X(IDEMPOTENCY_KEY_REUSED, 422, "idempotency_key_reused", "This Idempotency-Key was used for another request") \
    X(IMAGE_TOO_LARGE,     422, "image_too_large",     "The image is larger than the server makes thumbnails of") \
    X(RATE_LIMITED,        429, "rate_limited",        "Too many requests")            \
    X(HEADERS_TOO_LARGE,   431, "headers_too_large",   "The request headers are too large") \
    X(INTERNAL,            500, "internal",            "The server failed")            \
    X(UNAVAILABLE,         503, "unavailable",         "The service is unavailable")   \
    X(QUOTA_EXCEEDED,      507, "quota_exceeded",      "No space left in this account")

typedef enum {
#define YP_ERROR_ENUM(e, status, code, msg) YP_STATUS_##e,
    YP_ERRORS(YP_ERROR_ENUM)
#undef YP_ERROR_ENUM
    YP_STATUS_COUNT
} yp_status_t;

int          yp_status_http(yp_status_t status);
const char  *yp_status_code(yp_status_t status);
const char  *yp_status_message(yp_status_t status);
/* The status whose JSON code is CODE, or YP_STATUS_COUNT when none is. */
yp_status_t  yp_status_from_code(const char *code);

#endif /* YP_PROTOCOL_H */
