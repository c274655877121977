/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <signal.h>
#include <sys/prctl.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "yp-test-server.h"

/* If the test dies, its server goes with it. */
static void
die_with_parent (gpointer data)
{
  prctl (PR_SET_PDEATHSIG, SIGTERM);
}

YpTestServer *
yp_test_server_start (void)
{
  const char *run = g_getenv ("YP_SERVER_RUN");
  YpTestServer *server = g_new0 (YpTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  const char *start, *end;

  g_assert_nonnull (run);
  server->data_dir = g_dir_make_tmp ("yp-client-test-XXXXXX", &error);
  g_assert_no_error (error);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  server->process = g_subprocess_launcher_spawn (launcher, &error, run,
                                                 "--data", server->data_dir, "--port", "0",
                                                 "--workers", "2", NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server->process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  start = strstr (line, "http://");
  g_assert_nonnull (start);
  end = strchr (start, ' ');
  server->url = end ? g_strndup (start, (gsize) (end - start)) : g_strdup (start);
  return server;
}

static void
remove_tree (const char *path)
{
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileEnumerator) children = NULL;

  children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  if (children != NULL)
    {
      GFileInfo *info;

      while ((info = g_file_enumerator_next_file (children, NULL, NULL)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, g_file_info_get_name (info), NULL);

          if (g_file_info_get_file_type (info) == G_FILE_TYPE_DIRECTORY)
            remove_tree (child);
          else
            g_unlink (child);
          g_object_unref (info);
        }
    }
  g_rmdir (path);
}

void
yp_test_server_stop (YpTestServer *server)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_send_signal (server->process, SIGTERM);
  g_subprocess_wait (server->process, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (server->process));
  g_assert_cmpint (g_subprocess_get_exit_status (server->process), ==, 0);
  if (g_getenv ("YP_KEEP") == NULL)
    remove_tree (server->data_dir);
  g_clear_object (&server->process);
  g_free (server->data_dir);
  g_free (server->url);
  g_free (server);
}

/* The access log's lines end in: "$request" $status $request_length ... */
guint64
yp_test_server_request_bytes (YpTestServer *server,
                              const char   *needle,
                              guint        *count)
{
  g_autofree char *path = g_build_filename (server->data_dir, "log", "access.log", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  guint64 total = 0;

  *count = 0;
  if (!g_file_get_contents (path, &text, NULL, NULL))
    return 0;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      const char *quote = strrchr (*l, '"');

      if (quote == NULL || strstr (*l, needle) == NULL)
        continue;
      (*count)++;
      /* after the closing quote: status, request length */
      total += g_ascii_strtoull (strchr (quote + 2, ' ') + 1, NULL, 10);
    }
  return total;
}
