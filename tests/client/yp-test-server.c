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
  return yp_test_server_start_with_args (NULL);
}

YpTestServer *
yp_test_server_start_with_args (const char *const *server_args)
{
  const char *run = g_getenv ("YP_SERVER_RUN");
  YpTestServer *server = g_new0 (YpTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  const char *start, *end;

  g_assert_nonnull (run);
  server->data_dir = g_dir_make_tmp ("yp-client-test-XXXXXX", &error);
  g_assert_no_error (error);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  g_ptr_array_add (argv, (gpointer) run);
  g_ptr_array_add (argv, (gpointer) "--data");
  g_ptr_array_add (argv, server->data_dir);
  g_ptr_array_add (argv, (gpointer) "--port");
  g_ptr_array_add (argv, (gpointer) "0");
  g_ptr_array_add (argv, (gpointer) "--workers");
  g_ptr_array_add (argv, (gpointer) "2");
  if (server_args != NULL)
    {
      g_ptr_array_add (argv, (gpointer) "--");
      for (const char *const *a = server_args; *a; a++)
        g_ptr_array_add (argv, (gpointer) *a);
    }
  g_ptr_array_add (argv, NULL);
  server->process = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata,
                                                  &error);
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

GPtrArray *
yp_test_server_log_lines (YpTestServer *server,
                          const char   *needle)
{
  g_autofree char *path = g_build_filename (server->data_dir, "log", "access.log", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return found;
  lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      if (strstr (*l, needle) != NULL)
        g_ptr_array_add (found, g_strdup (*l));
    }
  return found;
}

GPtrArray *
yp_test_server_wait_log_lines (YpTestServer *server,
                               const char   *needle,
                               guint         count)
{
  gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  GPtrArray *found = yp_test_server_log_lines (server, needle);

  while (found->len < count && g_get_monotonic_time () < deadline)
    {
      g_ptr_array_unref (found);
      g_usleep (10 * G_TIME_SPAN_MILLISECOND);
      found = yp_test_server_log_lines (server, needle);
    }
  return found;
}

static GArray *
child_pids (GPid parent)
{
  g_autofree char *pattern = g_strdup_printf ("/proc/%d/task", parent);
  g_autoptr(GDir) tasks = g_dir_open (pattern, 0, NULL);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  const char *task;

  while (tasks && (task = g_dir_read_name (tasks)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/children", pattern, task);
      g_autofree char *text = NULL;
      g_auto(GStrv) words = NULL;

      if (!g_file_get_contents (path, &text, NULL, NULL))
        continue;
      words = g_strsplit_set (g_strstrip (text), " ", -1);
      for (char **w = words; *w; w++)
        {
          GPid pid = (GPid) g_ascii_strtoll (*w, NULL, 10);
          g_autofree char *stat_path = g_strdup_printf ("/proc/%d/stat", pid);
          g_autofree char *stat = NULL;
          const char *paren;

          /* a zombie is no worker */
          if (pid <= 0 || !g_file_get_contents (stat_path, &stat, NULL, NULL)
              || (paren = strrchr (stat, ')')) == NULL || paren[2] == 'Z')
            continue;
          g_array_append_val (pids, pid);
        }
    }
  return pids;
}

void
yp_test_server_kill_nginx_workers (YpTestServer *server)
{
  g_autofree char *pid_path = g_build_filename (server->data_dir, "run", "nginx.pid", NULL);
  g_autofree char *text = NULL;
  g_autoptr(GArray) killed = NULL;
  GPid master;

  g_assert_true (g_file_get_contents (pid_path, &text, NULL, NULL));
  master = (GPid) g_ascii_strtoll (text, NULL, 10);
  killed = child_pids (master);
  g_assert_cmpuint (killed->len, >, 0);
  for (guint i = 0; i < killed->len; i++)
    kill (g_array_index (killed, GPid, i), SIGKILL);
  for (int tries = 0; tries < 1000; tries++)
    {
      g_autoptr(GArray) now = child_pids (master);

      for (guint i = 0; i < now->len; i++)
        {
          gboolean old = FALSE;

          for (guint j = 0; j < killed->len; j++)
            old = old || g_array_index (now, GPid, i) == g_array_index (killed, GPid, j);
          if (!old)
            return;
        }
      g_usleep (10000);
    }
  g_assert_not_reached ();
}
