/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the protocol library shared by the server and the clients.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "yp-category.h"
#include "yp-hash.h"
#include "yp-name.h"
#include "yp-protocol.h"

static void
test_names_valid(void)
{
    char longest[YP_NAME_MAX + 2];

    g_assert_true(yp_name_is_valid("a", 1));
    g_assert_true(yp_name_is_valid("报告 2024 ü.txt", strlen("报告 2024 ü.txt")));
    g_assert_true(yp_name_is_valid("...", 3));
    g_assert_true(yp_name_is_valid(".bashrc", 7));
    memset(longest, 'x', sizeof(longest));
    g_assert_true(yp_name_is_valid(longest, YP_NAME_MAX));
    g_assert_false(yp_name_is_valid(longest, YP_NAME_MAX + 1));
}

static void
test_names_invalid(void)
{
    const char *bad[] = { "", ".", "..", "a/b", "/", "tab\there", "nl\n", "del\x7f", "\xff\xfe",
                          "\xc3" };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(yp_name_is_valid(bad[i], strlen(bad[i])));
    }
    g_assert_false(yp_name_is_valid("a\0b", 3));
    g_assert_false(yp_name_is_valid(NULL, 0));
}

/* Whether the name "a<C>b" is valid. */
static gboolean
name_with_char_is_valid(gunichar c)
{
    char name[16] = "a";
    int n = 1 + g_unichar_to_utf8(c, name + 1);

    name[n++] = 'b';
    return yp_name_is_valid(name, (size_t) n);
}

/* Names that would show as another name: "invoice<RLO>fdp.exe" displays as
 * "invoiceexe.pdf"; zero-width characters make look-alike twins; C1
 * controls such as U+009B (CSI) reach a terminal that prints the name. */
static void
test_names_deceptive(void)
{
    const char *bad[] = {
        "invoice\u202Efdp.exe", "a\u202Ab", "a\u202Db", "a\u2066b\u2069", "a\u2067b",
        "a\u2068b", "zero\u200Bwidth", "mark\u200E", "\u200Fmark", "join\u2060er",
        "\uFEFFbom", "inv\u2062isible", "soft\u00ADhyphen", "arabic\u061Cmark",
        "line\u2028sep", "para\u2029sep", "mongolian\u180Evs", "cgj\u034F",
        "anno\uFFF9tation\uFFFB", "\u3164", "\u115F\u1160", "half\uFFA0width",
        "flag\U0001F3F4\U000E0067\U000E0062\U000E007F", "\U000E0001tag",
        "\U000E0000",
        /* C1 controls as UTF-8 bytes: C has no escape for them */
        "csi\xC2\x9B" "31m", "nel\xC2\x85", "\xC2\x80",
    };
    const char *good[] = {
        "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645",   /* Persian with ZWNJ */
        "\U0001F469\u200D\U0001F4BB.png",                         /* emoji ZWJ sequence */
        "\u05E9\u05DC\u05D5\u05DD.txt",                          /* Hebrew, right to left */
        "\u0915\u094D\u200D\u0937",                              /* Devanagari with ZWJ */
        "\u2764\uFE0F and \u263A\uFE0E",                          /* variation selectors */
        "cafe\u0301",                                               /* combining accent */
        "\uE000 private use", "\u0378 unassigned", "\U0010FFFD",
        "nbsp\u00A0and\u3000ideographic space",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_false(yp_name_is_valid(bad[i], strlen(bad[i])));
    }
    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        g_assert_true(yp_name_is_valid(good[i], strlen(good[i])));
    }
    /* every C1 control, every tag code point, assigned or not */
    for (gunichar c = 0x80; c <= 0x9F; c++) {
        g_assert_false(name_with_char_is_valid(c));
    }
    for (gunichar c = 0xE0000; c <= 0xE007F; c++) {
        g_assert_false(name_with_char_is_valid(c));
    }
    g_assert_true(name_with_char_is_valid(0xA0));
    g_assert_true(name_with_char_is_valid(0xE0080));
}

/* Composed and decomposed spellings share one key; other names do not. */
static void
test_name_keys(void)
{
    g_autofree char *composed = yp_name_key("caf\u00e9.txt");
    g_autofree char *decomposed = yp_name_key("cafe\u0301.txt");
    g_autofree char *other = yp_name_key("cafe.txt");
    g_autofree char *upper = yp_name_key("CAF\u00c9.txt");

    g_assert_cmpstr(composed, ==, decomposed);
    g_assert_cmpstr(composed, ==, "caf\u00e9.txt");
    g_assert_cmpstr(composed, !=, other);
    /* case stays significant */
    g_assert_cmpstr(composed, !=, upper);
}

static void
test_usernames(void)
{
    g_assert_true(yp_username_is_valid("alice"));
    g_assert_true(yp_username_is_valid("a.b-c_9"));
    g_assert_false(yp_username_is_valid("ab"));
    g_assert_false(yp_username_is_valid(".alice"));
    g_assert_false(yp_username_is_valid("alice bob"));
    g_assert_false(yp_username_is_valid("' OR 1=1 --"));
    g_assert_false(yp_username_is_valid("abcdefghijklmnopqrstuvwxyz0123456"));
    g_assert_false(yp_username_is_valid(NULL));
}

static void
test_paths(void)
{
    g_auto(GStrv) parts = NULL;
    GString *deep = g_string_new(NULL);

    g_assert_cmpint(yp_path_split("/", &parts), ==, YP_STATUS_OK);
    g_assert_cmpuint(g_strv_length(parts), ==, 0);
    g_clear_pointer(&parts, g_strfreev);

    g_assert_cmpint(yp_path_split("/a/报告/c.txt/", &parts), ==, YP_STATUS_OK);
    g_assert_cmpuint(g_strv_length(parts), ==, 3);
    g_assert_cmpstr(parts[1], ==, "报告");
    g_clear_pointer(&parts, g_strfreev);

    g_assert_cmpint(yp_path_split("a/b", &parts), ==, YP_STATUS_INVALID_PATH);
    g_assert_null(parts);
    g_assert_cmpint(yp_path_split("//a", &parts), ==, YP_STATUS_INVALID_PATH);
    g_assert_cmpint(yp_path_split("/a/../b", &parts), ==, YP_STATUS_INVALID_NAME);
    g_assert_cmpint(yp_path_split("/a/./b", &parts), ==, YP_STATUS_INVALID_NAME);
    g_assert_cmpint(yp_path_split("/\xff", &parts), ==, YP_STATUS_INVALID_PATH);
    g_assert_cmpint(yp_path_split(NULL, &parts), ==, YP_STATUS_INVALID_PATH);

    for (int i = 0; i < YP_PATH_DEPTH_MAX; i++) {
        g_string_append(deep, "/d");
    }
    g_assert_cmpint(yp_path_split(deep->str, &parts), ==, YP_STATUS_OK);
    g_clear_pointer(&parts, g_strfreev);
    g_string_append(deep, "/d");
    g_assert_cmpint(yp_path_split(deep->str, &parts), ==, YP_STATUS_INVALID_PATH);
    g_string_free(deep, TRUE);
}

static void
test_categories(void)
{
    g_assert_cmpstr(yp_category_for_name("a.JPG"), ==, "image");
    g_assert_cmpstr(yp_category_for_name("report.final.pdf"), ==, "document");
    g_assert_cmpstr(yp_category_for_name("song.flac"), ==, "audio");
    g_assert_cmpstr(yp_category_for_name("movie.mkv"), ==, "video");
    g_assert_cmpstr(yp_category_for_name("backup.tar.gz"), ==, "archive");
    g_assert_cmpstr(yp_category_for_name(".bashrc"), ==, "other");
    g_assert_cmpstr(yp_category_for_name("trailing."), ==, "other");
    g_assert_cmpstr(yp_category_for_name("Makefile"), ==, "other");
    g_assert_true(yp_category_is_valid("folder"));
    g_assert_false(yp_category_is_valid("images"));
}

static void
test_statuses(void)
{
    g_assert_cmpint(yp_status_http(YP_STATUS_CONFLICT), ==, 409);
    g_assert_cmpstr(yp_status_code(YP_STATUS_PROOF_FAILED), ==, "proof_failed");
    g_assert_cmpint(yp_status_from_code("hash_mismatch"), ==, YP_STATUS_HASH_MISMATCH);
    g_assert_cmpint(yp_status_from_code("no_such_code"), ==, YP_STATUS_COUNT);
    for (int i = 0; i < YP_STATUS_COUNT; i++) {
        g_assert_cmpint(yp_status_from_code(yp_status_code(i)), ==, i);
    }
}

static void
test_sha256_vectors(void)
{
    char hex[65];
    g_autofree char *million = g_malloc(1000000);

    yp_sha256_hex("", 0, hex);
    g_assert_cmpstr(hex, ==, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    yp_sha256_hex("abc", 3, hex);
    g_assert_cmpstr(hex, ==, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    memset(million, 'a', 1000000);
    yp_sha256_hex(million, 1000000, hex);
    g_assert_cmpstr(hex, ==, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    g_assert_true(yp_sha256_hex_is_valid(hex));
    g_assert_false(yp_sha256_hex_is_valid("CDC76E5C9914FB9281A1C7E284D73E67F1809A48A497200E046D39CCC7112CD0"));
    g_assert_false(yp_sha256_hex_is_valid("abc"));
}

/* A hash saved after every piece and resumed from the saved bytes alone
 * ends where one pass over the same bytes ends, whatever the pieces. */
static void
test_sha256_resume(void)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed(7);
    const size_t len = 1000003;
    g_autofree guint8 *bytes = g_malloc(len);
    char expected[65], actual[65];
    size_t done = 0;
    yp_sha256_t *ctx = yp_sha256_new();

    for (size_t i = 0; i < len; i++) {
        bytes[i] = (guint8) g_rand_int(rand);
    }
    yp_sha256_hex(bytes, len, expected);
    while (done < len) {
        uint8_t state[YP_SHA256_STATE_LEN];
        size_t piece = MIN(len - done, (size_t) g_rand_int_range(rand, 1, 200000));

        yp_sha256_update(ctx, bytes + done, piece);
        done += piece;
        yp_sha256_save(ctx, state);
        yp_sha256_free(ctx);
        ctx = yp_sha256_restore(state, sizeof(state));
        g_assert_nonnull(ctx);
        g_assert_cmpuint(yp_sha256_length(ctx), ==, done);
    }
    yp_sha256_finish_hex(ctx, actual);
    yp_sha256_free(ctx);
    g_assert_cmpstr(actual, ==, expected);
}

/* Bytes that are not a saved state are refused, not resumed from. */
static void
test_sha256_resume_refuses(void)
{
    uint8_t state[YP_SHA256_STATE_LEN], bad[YP_SHA256_STATE_LEN];
    yp_sha256_t *ctx = yp_sha256_new();

    yp_sha256_update(ctx, "abcde", 5);
    yp_sha256_save(ctx, state);
    yp_sha256_free(ctx);
    g_assert_null(yp_sha256_restore(state, sizeof(state) - 1));
    memcpy(bad, state, sizeof(bad));
    bad[0] = 2;     /* another version */
    g_assert_null(yp_sha256_restore(bad, sizeof(bad)));
    memcpy(bad, state, sizeof(bad));
    bad[41] = 6;    /* a partial block that disagrees with the length */
    g_assert_null(yp_sha256_restore(bad, sizeof(bad)));
    memcpy(bad, state, sizeof(bad));
    bad[41] = 64;
    g_assert_null(yp_sha256_restore(bad, sizeof(bad)));
    ctx = yp_sha256_restore(state, sizeof(state));
    g_assert_nonnull(ctx);
    g_assert_cmpuint(yp_sha256_length(ctx), ==, 5);
    yp_sha256_free(ctx);
}

/* A temporary file of LEN pseudo-random bytes; BYTES gets them too. */
static char *
make_file(size_t len, guint8 **bytes)
{
    g_autoptr(GError) error = NULL;
    char *path = NULL;
    int fd = g_file_open_tmp("yp-test-XXXXXX", &path, &error);
    g_autoptr(GRand) rand = g_rand_new_with_seed(42);

    g_assert_no_error(error);
    *bytes = g_malloc(len + 1);
    for (size_t i = 0; i < len; i++) {
        (*bytes)[i] = (guint8) g_rand_int(rand);
    }
    g_assert_cmpint(write(fd, *bytes, len), ==, (gssize) len);
    close(fd);
    return path;
}

static void
test_sha256_fd(void)
{
    g_autofree guint8 *bytes = NULL;
    g_autofree char *path = make_file(3 * 1024 * 1024 + 17, &bytes);
    char expected[65], actual[65];
    uint64_t size = 0;
    int fd = open(path, O_RDONLY);

    yp_sha256_hex(bytes, 3 * 1024 * 1024 + 17, expected);
    g_assert_cmpint(yp_sha256_fd(fd, actual, &size), ==, 0);
    g_assert_cmpstr(actual, ==, expected);
    g_assert_cmpuint(size, ==, 3 * 1024 * 1024 + 17);
    close(fd);
    g_unlink(path);
}

static void
test_proof(void)
{
    g_autofree guint8 *bytes = NULL;
    g_autofree char *path = make_file(3 * 1024 * 1024 + 5, &bytes);
    const uint8_t nonce[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    char expected[65], actual[65];
    yp_sha256_t *ctx = yp_sha256_new();
    uint64_t size = 0;
    uint8_t flipped;
    int fd = open(path, O_RDONLY);

    yp_sha256_update(ctx, nonce, sizeof(nonce));
    yp_sha256_update(ctx, bytes, 3 * 1024 * 1024 + 5);
    yp_sha256_finish_hex(ctx, expected);
    yp_sha256_free(ctx);

    /* the fd's own offset does not matter: the proof reads from byte 0 */
    g_assert_cmpint(lseek(fd, 1000, SEEK_SET), ==, 1000);
    g_assert_cmpint(yp_proof_compute_fd(fd, nonce, sizeof(nonce), actual, &size), ==, 0);
    g_assert_cmpstr(actual, ==, expected);
    g_assert_cmpuint(size, ==, 3 * 1024 * 1024 + 5);
    /* another nonce, another proof */
    g_assert_cmpint(yp_proof_compute_fd(fd, bytes, sizeof(nonce), actual, NULL), ==, 0);
    g_assert_cmpstr(actual, !=, expected);
    close(fd);

    /* one changed byte anywhere, the last one here, changes the proof */
    fd = open(path, O_RDWR);
    flipped = bytes[3 * 1024 * 1024 + 4] ^ 0xff;
    g_assert_cmpint(pwrite(fd, &flipped, 1, 3 * 1024 * 1024 + 4), ==, 1);
    g_assert_cmpint(yp_proof_compute_fd(fd, nonce, sizeof(nonce), actual, NULL), ==, 0);
    g_assert_cmpstr(actual, !=, expected);
    close(fd);
    g_unlink(path);
}

static void
test_hex(void)
{
    uint8_t out[4];
    char text[9];

    g_assert_true(yp_hex_decode("00ff10ab", out, 4));
    g_assert_cmpint(out[1], ==, 0xff);
    yp_hex_encode(out, 4, text);
    g_assert_cmpstr(text, ==, "00ff10ab");
    g_assert_false(yp_hex_decode("00ff10a", out, 4));
    g_assert_false(yp_hex_decode("00ff10ag", out, 4));
}

int
main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/yunpan/protocol/names/valid", test_names_valid);
    g_test_add_func("/yunpan/protocol/names/invalid", test_names_invalid);
    g_test_add_func("/yunpan/protocol/names/deceptive", test_names_deceptive);
    g_test_add_func("/yunpan/protocol/names/keys", test_name_keys);
    g_test_add_func("/yunpan/protocol/names/usernames", test_usernames);
    g_test_add_func("/yunpan/protocol/names/paths", test_paths);
    g_test_add_func("/yunpan/protocol/categories", test_categories);
    g_test_add_func("/yunpan/protocol/statuses", test_statuses);
    g_test_add_func("/yunpan/protocol/sha256/vectors", test_sha256_vectors);
    g_test_add_func("/yunpan/protocol/sha256/fd", test_sha256_fd);
    g_test_add_func("/yunpan/protocol/sha256/resume", test_sha256_resume);
    g_test_add_func("/yunpan/protocol/sha256/resume-refuses", test_sha256_resume_refuses);
    g_test_add_func("/yunpan/protocol/proof", test_proof);
    g_test_add_func("/yunpan/protocol/hex", test_hex);
    return g_test_run();
}
