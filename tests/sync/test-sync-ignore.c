/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib/gstdio.h>

#include "yp-sync-ignore.h"

typedef struct
{
  const char *path;
  gboolean    is_folder;
  gboolean    ignored;
} Case;

#define FILE_ 0
#define FOLDER 1

static void
check_cases (YpSyncIgnore *ignore,
             const Case   *cases,
             gsize         n_cases)
{
  for (gsize i = 0; i < n_cases; i++)
    {
      gboolean got = yp_sync_ignore_matches (ignore, cases[i].path, cases[i].is_folder);

      if (got != cases[i].ignored)
        g_error ("“%s” (%s): expected %s", cases[i].path,
                 cases[i].is_folder ? "folder" : "file",
                 cases[i].ignored ? "ignored" : "synced");
    }
}

static YpSyncIgnore *
ignore_with (const char *patterns)
{
  YpSyncIgnore *ignore = yp_sync_ignore_new ();

  yp_sync_ignore_add_patterns (ignore, patterns);
  return ignore;
}

static void
test_builtin (void)
{
  g_autoptr(YpSyncIgnore) ignore = yp_sync_ignore_new ();
  const Case cases[] = {
    /* the engine's own files, at any depth */
    { ".yunpan-state", FILE_, TRUE },
    { "a/.yunpan-staging", FOLDER, TRUE },
    { "report.pdf.yunpan-part", FILE_, TRUE },
    { "a/b/x.yunpan-part", FILE_, TRUE },
    { "yunpan-notes.txt", FILE_, FALSE },
    { "x.yunpan-partial", FILE_, FALSE },
    /* temporaries */
    { ".notes.txt.swp", FILE_, TRUE },
    { "a/.notes.txt.swx", FILE_, TRUE },
    { "notes.txt~", FILE_, TRUE },
    { "~$report.docx", FILE_, TRUE },
    { "docs/.~lock.report.odt#", FILE_, TRUE },
    { ".~lock.report.odt", FILE_, FALSE },
    { ".#notes.org", FILE_, TRUE },
    { "src/4913", FILE_, TRUE },
    { "49130", FILE_, FALSE },
    { ".DS_Store", FILE_, TRUE },
    { "Photos/Thumbs.db", FILE_, TRUE },
    { "Music/desktop.ini", FILE_, TRUE },
    { "video.mp4.part", FILE_, TRUE },
    { "video.mp4.crdownload", FILE_, TRUE },
    { "a/b/c.tmp", FILE_, TRUE },
    /* what looks close but is a user's file */
    { "swp", FILE_, FALSE },
    { "notes.swp.txt", FILE_, FALSE },
    { "re~port.txt", FILE_, FALSE },
    { "a$b", FILE_, FALSE },
    { "part", FILE_, FALSE },
    { "tmp", FOLDER, FALSE },
    { "DS_Store", FILE_, FALSE },
    { "thumbs.db.txt", FILE_, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_comments_and_blanks (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("# a comment\n"
                                                "\n"
                                                "   \n"
                                                "\\#hash\n"
                                                "trailing   \n"
                                                "kept\\ \n"
                                                "crlf\r\n");
  const Case cases[] = {
    { "# a comment", FILE_, FALSE },
    { "#hash", FILE_, TRUE },
    { "trailing", FILE_, TRUE },
    { "trailing   ", FILE_, FALSE },
    { "kept ", FILE_, TRUE },
    { "kept", FILE_, FALSE },
    { "crlf", FILE_, TRUE },
    { "a", FILE_, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_name_anywhere (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("build\n*.o\n");
  const Case cases[] = {
    { "build", FOLDER, TRUE },
    { "build", FILE_, TRUE },
    { "src/build", FOLDER, TRUE },
    { "src/build/x.c", FILE_, TRUE },  /* inside an ignored folder */
    { "builds", FOLDER, FALSE },
    { "a.o", FILE_, TRUE },
    { "src/deep/a.o", FILE_, TRUE },
    { "a.oo", FILE_, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_negation (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("*.log\n"
                                                "!important.log\n"
                                                "cache/\n"
                                                "!cache/keep.txt\n"
                                                "!*.tmp\n"
                                                "!.yunpan-state\n"
                                                "\\!bang\n");
  const Case cases[] = {
    { "debug.log", FILE_, TRUE },
    { "important.log", FILE_, FALSE },
    { "a/important.log", FILE_, FALSE },
    /* nothing inside an ignored folder comes back */
    { "cache/keep.txt", FILE_, TRUE },
    /* a temporary the user wants synced */
    { "draft.tmp", FILE_, FALSE },
    /* but never the engine's own files */
    { ".yunpan-state", FILE_, TRUE },
    { "!bang", FILE_, TRUE },
    { "bang", FILE_, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_last_rule_wins (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("!a.txt\n*.txt\n");
  const Case cases[] = {
    { "a.txt", FILE_, TRUE },
    { "b.txt", FILE_, TRUE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_folder_only (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("logs/\ndocs/old/\n");
  const Case cases[] = {
    { "logs", FOLDER, TRUE },
    { "logs", FILE_, FALSE },
    { "a/logs", FOLDER, TRUE },
    { "a/logs/x", FILE_, TRUE },
    { "docs/old", FOLDER, TRUE },
    { "docs/old", FILE_, FALSE },
    { "docs/old/x", FILE_, TRUE },
    { "a/docs/old", FOLDER, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_anchored (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("/top.txt\nsrc/gen\n/out/\n");
  const Case cases[] = {
    { "top.txt", FILE_, TRUE },
    { "a/top.txt", FILE_, FALSE },
    /* a slash in the middle anchors too */
    { "src/gen", FOLDER, TRUE },
    { "src/gen/a.c", FILE_, TRUE },
    { "lib/src/gen", FOLDER, FALSE },
    { "out", FOLDER, TRUE },
    { "out", FILE_, FALSE },
    { "a/out", FOLDER, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_star_and_question (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("a*c\nx?z\ndocs/*.bak\n*\\*\nm*d*e\nsrc/*/t*\n");
  const Case cases[] = {
    { "ac", FILE_, TRUE },
    { "abbbc", FILE_, TRUE },
    { "abd", FILE_, FALSE },
    { "xyz", FILE_, TRUE },
    { "xz", FILE_, FALSE },
    { "xyyz", FILE_, FALSE },
    { "docs/a.bak", FILE_, TRUE },
    /* "*" does not cross a folder */
    { "docs/sub/a.bak", FILE_, FALSE },
    { "star*", FILE_, TRUE },
    { "star", FILE_, FALSE },
    /* more than one "*" */
    { "mxdye", FILE_, TRUE },
    { "mde", FILE_, TRUE },
    { "mdde", FILE_, TRUE },
    { "mxe", FILE_, FALSE },
    { "md/e", FILE_, FALSE },
    { "src/a/test", FILE_, TRUE },
    { "src/a/b/test", FILE_, FALSE },
    { "src/test", FILE_, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_brackets (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("file[abc].txt\n"
                                                "v[0-9]\n"
                                                "n[!0-9]\n"
                                                "m[^x]\n"
                                                "[]]q\n"
                                                "open[x\n");
  const Case cases[] = {
    { "filea.txt", FILE_, TRUE },
    { "filec.txt", FILE_, TRUE },
    { "filed.txt", FILE_, FALSE },
    { "file.txt", FILE_, FALSE },
    { "v5", FILE_, TRUE },
    { "va", FILE_, FALSE },
    { "na", FILE_, TRUE },
    { "n5", FILE_, FALSE },
    { "my", FILE_, TRUE },
    { "mx", FILE_, FALSE },
    { "]q", FILE_, TRUE },
    /* an unclosed "[" is an ordinary character */
    { "open[x", FILE_, TRUE },
    { "openx", FILE_, FALSE },
  };

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
}

static void
test_double_star (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("**/cache\n"
                                                "out/**\n"
                                                "a/**/z\n"
                                                "b**c\n");
  const Case cases[] = {
    { "cache", FOLDER, TRUE },
    { "x/y/cache", FOLDER, TRUE },
    /* everything inside out, not out itself */
    { "out", FOLDER, FALSE },
    { "out/x", FILE_, TRUE },
    { "out/x/y", FILE_, TRUE },
    /* zero or more folders in the middle */
    { "a/z", FILE_, TRUE },
    { "a/b/z", FILE_, TRUE },
    { "a/b/c/z", FILE_, TRUE },
    { "a/b/c/zz", FILE_, FALSE },
    { "x/a/z", FILE_, FALSE },
    /* not a whole component: an ordinary "*" */
    { "bxc", FILE_, TRUE },
    { "bc", FILE_, TRUE },
  };
  g_autoptr(YpSyncIgnore) other = ignore_with ("/b**c\n");

  check_cases (ignore, cases, G_N_ELEMENTS (cases));
  g_assert_true (yp_sync_ignore_matches (other, "bxc", FALSE));
  g_assert_false (yp_sync_ignore_matches (other, "b/c", FALSE));
}

static void
test_entry_skips_parents (void)
{
  g_autoptr(YpSyncIgnore) ignore = ignore_with ("skip/\n");

  g_assert_true (yp_sync_ignore_matches (ignore, "skip/a", FALSE));
  /* a walk never gets there: the parent is not matched again */
  g_assert_false (yp_sync_ignore_matches_entry (ignore, "skip/a", FALSE));
  g_assert_true (yp_sync_ignore_matches_entry (ignore, "x/skip", TRUE));
}

static void
test_file (void)
{
  g_autofree char *dir = g_dir_make_tmp ("yp-ignore-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "ignore", NULL);
  g_autofree char *missing = g_build_filename (dir, "missing", NULL);
  g_autoptr(YpSyncIgnore) ignore = NULL;
  g_autoptr(YpSyncIgnore) none = NULL;
  g_autoptr(YpSyncIgnore) bad = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (path, "*.iso\n!keep.iso\n", -1, NULL));
  ignore = yp_sync_ignore_new_from_file (path, &error);
  g_assert_no_error (error);
  g_assert_true (yp_sync_ignore_matches (ignore, "a/b.iso", FALSE));
  g_assert_false (yp_sync_ignore_matches (ignore, "keep.iso", FALSE));
  g_assert_true (yp_sync_ignore_matches (ignore, "x.swp", FALSE));

  /* no file: the built-in rules only */
  none = yp_sync_ignore_new_from_file (missing, &error);
  g_assert_no_error (error);
  g_assert_false (yp_sync_ignore_matches (none, "b.iso", FALSE));
  g_assert_true (yp_sync_ignore_matches (none, ".yunpan-x", FALSE));

  /* a folder where the file should be is an error */
  bad = yp_sync_ignore_new_from_file (dir, &error);
  g_assert_null (bad);
  g_assert_nonnull (error);

  g_assert_no_errno (g_unlink (path));
  g_assert_no_errno (g_rmdir (dir));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/yunpan/sync/ignore/builtin", test_builtin);
  g_test_add_func ("/yunpan/sync/ignore/comments-and-blanks", test_comments_and_blanks);
  g_test_add_func ("/yunpan/sync/ignore/name-anywhere", test_name_anywhere);
  g_test_add_func ("/yunpan/sync/ignore/negation", test_negation);
  g_test_add_func ("/yunpan/sync/ignore/last-rule-wins", test_last_rule_wins);
  g_test_add_func ("/yunpan/sync/ignore/folder-only", test_folder_only);
  g_test_add_func ("/yunpan/sync/ignore/anchored", test_anchored);
  g_test_add_func ("/yunpan/sync/ignore/star-and-question", test_star_and_question);
  g_test_add_func ("/yunpan/sync/ignore/brackets", test_brackets);
  g_test_add_func ("/yunpan/sync/ignore/double-star", test_double_star);
  g_test_add_func ("/yunpan/sync/ignore/entry-skips-parents", test_entry_skips_parents);
  g_test_add_func ("/yunpan/sync/ignore/file", test_file);

  return g_test_run ();
}
