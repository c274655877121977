/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gi18n.h>

#include "yp-cli-progress.h"
#include "yp-cli.h"
#include "yp-client-error.h"
#include "yp-transfer-queue.h"

/*
 * put and get. Both go through YpTransferQueue and a GMainLoop, the path the
 * desktop app takes, so the CLI exercises (and its tests cover) the same
 * hashing, instant upload, chunking, resuming and rate limiting.
 */

typedef struct
{
  GMainLoop  *loop;
  YpTransfer *transfer;
  guint       interrupts;
} TransferRun;

static void
transfer_finished_cb (YpTransfer  *transfer,
                      TransferRun *run)
{
  g_main_loop_quit (run->loop);
}

/* Ctrl-C cancels the transfer, which then finishes as cancelled; a second
 * one does not wait for that. */
static gboolean
interrupt_cb (gpointer data)
{
  TransferRun *run = data;

  if (run->interrupts++ > 0)
    _exit (YP_CLI_EXIT_INTERRUPTED);
  yp_transfer_cancel (run->transfer);
  return G_SOURCE_CONTINUE;
}

/*
 * Runs TRANSFER through a queue of CLIENT with LIMIT bytes per second (0: no
 * limit) until it is over, with a progress bar on a terminal.
 */
static gboolean
run_transfer (YpClient    *client,
              YpTransfer  *transfer,
              guint64      limit,
              GError     **error)
{
  g_autoptr(YpTransferQueue) queue = yp_transfer_queue_new (client);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(YpCliProgress) progress = NULL;
  TransferRun run = { loop, transfer, 0 };
  guint sigint_id, sigterm_id;
  gulong finished_id;
  YpTransferState state;

  if (yp_transfer_get_direction (transfer) == YP_TRANSFER_UPLOAD)
    yp_transfer_queue_set_upload_limit (queue, limit);
  else
    yp_transfer_queue_set_download_limit (queue, limit);

  if (isatty (STDERR_FILENO))
    progress = yp_cli_progress_new (transfer, STDERR_FILENO);

  finished_id = g_signal_connect (transfer, "finished", G_CALLBACK (transfer_finished_cb), &run);
  sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, &run);
  sigterm_id = g_unix_signal_add (SIGTERM, interrupt_cb, &run);

  yp_transfer_queue_add (queue, transfer);
  /* "finished" comes from an idle in this context, so it cannot be missed */
  g_main_loop_run (loop);

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handler_disconnect (transfer, finished_id);
  g_clear_pointer (&progress, yp_cli_progress_free);

  state = yp_transfer_get_state (transfer);
  if (state == YP_TRANSFER_DONE)
    return TRUE;
  if (state == YP_TRANSFER_CANCELLED)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Interrupted"));
      return FALSE;
    }
  if (yp_transfer_get_error (transfer) != NULL)
    g_propagate_error (error, g_error_copy (yp_transfer_get_error (transfer)));
  else
    g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_FAILED, _("The transfer failed"));
  return FALSE;
}

static gboolean
parse_limit (const char  *text,
             guint64     *limit,
             GError     **error)
{
  if (text == NULL)
    return TRUE;
  if (!yp_cli_parse_size (text, limit))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--limit-rate needs bytes per second (like 500k or 2M), not “%s”"), text);
      return FALSE;
    }
  return TRUE;
}

/* put --parents: the folder REMOTE goes into, as mkdir -p makes it. */
static gboolean
make_parents (YpCli       *cli,
              YpClient    *client,
              const char  *remote,
              GError     **error)
{
  g_autofree char *parent = yp_cli_remote_parent (remote);
  g_autoptr(YpNode) folder = NULL;

  if (g_str_equal (parent, "/"))
    return TRUE;
  yp_cli_set_subject (cli, parent);
  folder = yp_client_mkdir_sync (client, YP_TARGET_PATH (parent), TRUE, NULL, error);
  return folder != NULL;
}

gboolean
yp_cli_put (YpCli               *cli,
            const YpCliCommand  *command,
            int                  argc,
            char               **argv,
            GError             **error)
{
  g_autofree char *limit_text = NULL;
  gboolean replace = FALSE;
  gboolean parents = FALSE;
  const GOptionEntry entries[] = {
    { "limit-rate", 0, 0, G_OPTION_ARG_STRING, &limit_text,
      N_("Send at most this many bytes per second (like 500k or 2M)"), N_("RATE") },
    { "replace", 0, 0, G_OPTION_ARG_NONE, &replace,
      N_("Replace the remote file if there is one"), NULL },
    { "parents", 'p', 0, G_OPTION_ARG_NONE, &parents,
      N_("Create the remote folder first, with any missing above it"), NULL },
    { NULL }
  };
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *name = NULL;
  const char *local;
  gint64 if_version = 0;
  guint64 limit = 0;
  gboolean into = FALSE;
  YpNode *node;

  if (!yp_cli_parse_command_line (cli, command, entries, &argc, &argv, 2, 2, error)
      || !parse_limit (limit_text, &limit, error))
    return FALSE;
  local = argv[1];
  remote = yp_cli_remote_path (cli, argv[2], &into, error);
  if (remote == NULL)
    return FALSE;

  if (!g_file_test (local, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No such local file: %s"), local);
      return FALSE;
    }
  if (!g_file_test (local, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_REGULAR_FILE,
                   _("%s is not a regular file; put uploads one file"), local);
      return FALSE;
    }
  /* "put cat.jpg /Photos/" keeps the name */
  name = g_path_get_basename (local);
  if (into)
    {
      char *full = g_build_path ("/", remote, name, NULL);

      g_free (remote);
      remote = full;
    }

  client = yp_cli_open_session (cli, error);
  if (client == NULL || (parents && !make_parents (cli, client, remote, error)))
    return FALSE;
  yp_cli_set_subject (cli, remote);

  if (replace)
    {
      g_autoptr(GError) stat_error = NULL;
      g_autoptr(YpNode) existing = yp_client_stat_sync (client, YP_TARGET_PATH (remote),
                                                                NULL, &stat_error);

      if (existing == NULL
          && !g_error_matches (stat_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&stat_error));
          return FALSE;
        }
      if (existing != NULL && yp_node_is_folder (existing))
        {
          g_set_error (error, YP_CLI_ERROR, YP_CLI_ERROR_IS_FOLDER,
                       _("“%s” is a folder"), remote);
          return FALSE;
        }
      if (existing != NULL)
        if_version = yp_node_get_version (existing);
    }

  transfer = yp_transfer_new_upload (local, remote, if_version);
  if (!run_transfer (client, transfer, limit, error))
    {
      yp_cli_explain_missing_folder (cli, client, remote, error);
      return FALSE;
    }

  node = yp_transfer_get_node (transfer);
  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      if (node != NULL)
        json_object_set_object_member (root, "node", yp_cli_node_to_json (node));
      json_object_set_string_member (root, "path", remote);
      json_object_set_boolean_member (root, "instant", yp_transfer_get_instant (transfer));
      json_object_set_int_member (root, "size", (gint64) yp_transfer_get_total_bytes (transfer));
      json_object_set_int_member (root, "bytes_sent",
                                  (gint64) yp_transfer_get_bytes_sent (transfer));
      yp_cli_print_json (root);
    }
  else if (yp_transfer_get_instant (transfer))
    {
      printf (_("%s: instant upload (秒传), the server already had these %" G_GUINT64_FORMAT
                " bytes\n"),
              remote, yp_transfer_get_total_bytes (transfer));
    }
  else
    {
      printf (_("%s: uploaded %" G_GUINT64_FORMAT " bytes\n"),
              remote, yp_transfer_get_total_bytes (transfer));
    }
  return TRUE;
}

/* The folder LOCAL goes into must exist; the download's own error would
 * name the temporary file it writes first. */
static gboolean
check_local_folder (const char  *local,
                    GError     **error)
{
  g_autofree char *folder = g_path_get_dirname (local);

  if (g_file_test (folder, G_FILE_TEST_IS_DIR))
    return TRUE;
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
               _("The folder “%s” does not exist on this computer"), folder);
  return FALSE;
}

gboolean
yp_cli_get (YpCli               *cli,
            const YpCliCommand  *command,
            int                  argc,
            char               **argv,
            GError             **error)
{
  g_autofree char *limit_text = NULL;
  const GOptionEntry entries[] = {
    { "limit-rate", 0, 0, G_OPTION_ARG_STRING, &limit_text,
      N_("Receive at most this many bytes per second (like 500k or 2M)"), N_("RATE") },
    { NULL }
  };
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpTransfer) transfer = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *local = NULL;
  guint64 limit = 0;
  YpNode *node;

  if (!yp_cli_parse_command_line (cli, command, entries, &argc, &argv, 2, 2, error)
      || !parse_limit (limit_text, &limit, error))
    return FALSE;
  remote = yp_cli_remote_path (cli, argv[1], NULL, error);
  if (remote == NULL)
    return FALSE;
  local = g_strdup (argv[2]);

  /* "get /Photos/cat.jpg ." keeps the name */
  if (g_file_test (local, G_FILE_TEST_IS_DIR))
    {
      g_autofree char *name = g_path_get_basename (remote);
      char *full = g_build_filename (local, name, NULL);

      g_free (local);
      local = full;
    }

  if (!check_local_folder (local, error))
    return FALSE;

  client = yp_cli_open_session (cli, error);
  if (client == NULL)
    return FALSE;
  yp_cli_set_subject (cli, remote);

  transfer = yp_transfer_new_download (remote, local);
  if (!run_transfer (client, transfer, limit, error))
    return FALSE;

  node = yp_transfer_get_node (transfer);
  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      if (node != NULL)
        json_object_set_object_member (root, "node", yp_cli_node_to_json (node));
      json_object_set_string_member (root, "local", local);
      json_object_set_int_member (root, "size", (gint64) yp_transfer_get_total_bytes (transfer));
      yp_cli_print_json (root);
    }
  else
    {
      printf (_("%s: downloaded %" G_GUINT64_FORMAT " bytes to %s\n"),
              remote, yp_transfer_get_total_bytes (transfer), local);
    }
  return TRUE;
}
