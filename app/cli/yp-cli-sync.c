/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <glib-unix.h>
#include <glib/gi18n.h>
#include <signal.h>
#include <stdio.h>

#include "yp-cli.h"
#include "yp-client-error.h"
#include "yp-sync-engine.h"

/*
 * yunpan-cli sync: the sync engine in the foreground. It prints one line
 * per change it makes, and with --once a summary when both sides are
 * identical (or nothing more can be done).
 */

typedef struct
{
  GMainLoop *loop;
  gboolean   once;
  gboolean   json;
  gboolean   finished;
  gboolean   in_sync;
  gboolean   interrupted;
  GError    *error;
  guint      uploaded;
  guint      downloaded;
  guint      deleted;
  guint      moved;
  guint      folders;
  guint      conflicts;
  guint      skipped;
  guint      failed;
} SyncRun;

static void
count_and_print (SyncRun      *run,
                 YpSyncAction *action)
{
  const char *path = action->path;

  switch (action->kind)
    {
    case YP_SYNC_ACTION_UPLOAD:
      run->uploaded++;
      g_print (_("uploaded %s\n"), path);
      break;
    case YP_SYNC_ACTION_DOWNLOAD:
      run->downloaded++;
      g_print (_("downloaded %s\n"), path);
      break;
    case YP_SYNC_ACTION_MKDIR_LOCAL:
      run->folders++;
      g_print (_("created folder %s (here)\n"), path);
      break;
    case YP_SYNC_ACTION_MKDIR_REMOTE:
      run->folders++;
      g_print (_("created folder %s (on the server)\n"), path);
      break;
    case YP_SYNC_ACTION_DELETE_LOCAL:
      run->deleted++;
      g_print (_("deleted %s (here)\n"), path);
      break;
    case YP_SYNC_ACTION_DELETE_REMOTE:
      run->deleted++;
      g_print (_("deleted %s (on the server)\n"), path);
      break;
    case YP_SYNC_ACTION_MOVE_LOCAL:
      run->moved++;
      g_print (_("moved %s to %s (here)\n"), action->from_path, path);
      break;
    case YP_SYNC_ACTION_MOVE_REMOTE:
      run->moved++;
      g_print (_("moved %s to %s (on the server)\n"), action->from_path, path);
      break;
    case YP_SYNC_ACTION_CONFLICT:
      run->conflicts++;
      g_print (_("conflict %s: both sides changed it; your version is kept as %s\n"), path,
               action->conflict_path);
      break;
    case YP_SYNC_ACTION_RECORD:
    case YP_SYNC_ACTION_FORGET:
    case YP_SYNC_ACTION_SKIP:
    default:
      break;
    }
}

static void
action_finished_cb (YpSyncEngine *engine,
                    YpSyncAction *action,
                    int           outcome,
                    const GError *error,
                    SyncRun      *run)
{
  switch ((YpSyncOutcome) outcome)
    {
    case YP_SYNC_OUTCOME_DONE:
      count_and_print (run, action);
      break;
    case YP_SYNC_OUTCOME_SKIPPED:
      run->skipped++;
      g_printerr (_("skipped %s: %s\n"), action->path,
                  action->reason != NULL ? action->reason
                                         : error != NULL ? error->message : "");
      break;
    case YP_SYNC_OUTCOME_FAILED:
      run->failed++;
      g_printerr (_("failed %s: %s\n"), action->path, error != NULL ? error->message : "");
      break;
    case YP_SYNC_OUTCOME_DEFERRED:
    default:
      /* tried again by the next pass: not worth a line */
      break;
    }
}

static void
finished_cb (YpSyncEngine *engine,
             gboolean      in_sync,
             const GError *error,
             SyncRun      *run)
{
  run->finished = TRUE;
  run->in_sync = in_sync;
  if (error != NULL && run->error == NULL)
    run->error = g_error_copy (error);
  g_main_loop_quit (run->loop);
}

static void
status_cb (YpSyncEngine *engine,
           GParamSpec   *pspec,
           SyncRun      *run)
{
  const char *detail = yp_sync_engine_get_status_detail (engine);

  switch (yp_sync_engine_get_status (engine))
    {
    case YP_SYNC_STATUS_OFFLINE:
      g_printerr (_("offline: %s; trying again\n"), detail != NULL ? detail : "");
      break;
    case YP_SYNC_STATUS_ERROR:
      g_printerr (_("cannot sync now: %s\n"), detail != NULL ? detail : "");
      break;
    case YP_SYNC_STATUS_SIGNED_OUT:
      /* the engine waits to be signed in again; a command cannot */
      if (run->error == NULL)
        run->error = g_error_new_literal (YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED,
                                          detail != NULL ? detail : _("Signed out"));
      g_main_loop_quit (run->loop);
      break;
    case YP_SYNC_STATUS_STOPPED:
    case YP_SYNC_STATUS_STARTING:
    case YP_SYNC_STATUS_IDLE:
    case YP_SYNC_STATUS_SCANNING:
    case YP_SYNC_STATUS_SYNCING:
    case YP_SYNC_STATUS_PAUSED:
    default:
      break;
    }
}

static gboolean
interrupt_cb (gpointer data)
{
  SyncRun *run = data;

  run->interrupted = TRUE;
  g_main_loop_quit (run->loop);
  return G_SOURCE_CONTINUE;
}

static void
print_summary (SyncRun *run)
{
  if (run->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      json_object_set_boolean_member (root, "in_sync", run->in_sync);
      json_object_set_int_member (root, "uploaded", run->uploaded);
      json_object_set_int_member (root, "downloaded", run->downloaded);
      json_object_set_int_member (root, "deleted", run->deleted);
      json_object_set_int_member (root, "moved", run->moved);
      json_object_set_int_member (root, "folders", run->folders);
      json_object_set_int_member (root, "conflicts", run->conflicts);
      json_object_set_int_member (root, "skipped", run->skipped);
      json_object_set_int_member (root, "failed", run->failed);
      yp_cli_print_json (root);
      return;
    }
  g_print (_("%u uploaded, %u downloaded, %u deleted, %u moved, %u folders created, "
             "%u conflicts, %u skipped\n"),
           run->uploaded, run->downloaded, run->deleted, run->moved, run->folders,
           run->conflicts, run->skipped);
  g_print ("%s\n", run->in_sync ? _("In sync.") : _("Not in sync: some paths were left out (see above)."));
}

static char *
session_token (YpCli       *cli,
               char       **server,
               GError     **error)
{
  g_autoptr(YpClient) client = yp_cli_open_session (cli, error);

  if (client == NULL)
    return NULL;
  *server = g_strdup (yp_client_get_base_url (client));
  return yp_client_dup_token (client);
}

static gboolean
run_engine (YpSyncEngine  *engine,
            SyncRun       *run)
{
  guint sigint_id, sigterm_id;

  g_signal_connect (engine, "action-finished", G_CALLBACK (action_finished_cb), run);
  g_signal_connect (engine, "finished", G_CALLBACK (finished_cb), run);
  g_signal_connect (engine, "notify::status", G_CALLBACK (status_cb), run);
  sigint_id = g_unix_signal_add (SIGINT, interrupt_cb, run);
  sigterm_id = g_unix_signal_add (SIGTERM, interrupt_cb, run);

  yp_sync_engine_start (engine);
  g_main_loop_run (run->loop);
  yp_sync_engine_stop (engine);
  /* what the worker posted before it stopped */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);
  g_signal_handlers_disconnect_by_data (engine, run);
  return run->error == NULL;
}

gboolean
yp_cli_sync (YpCli               *cli,
             const YpCliCommand  *command,
             int                  argc,
             char               **argv,
             GError             **error)
{
  gboolean once = FALSE;
  g_autofree char *host = NULL;
  const GOptionEntry entries[] = {
    { "once", 0, 0, G_OPTION_ARG_NONE, &once,
      N_("One full sync, then a summary; exit status 0 only when both sides are identical"),
      NULL },
    { "host", 0, 0, G_OPTION_ARG_STRING, &host,
      N_("The host name conflict copies carry (default: this machine's)"), N_("NAME") },
    { NULL }
  };
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(YpSyncEngine) engine = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *local = NULL;
  g_autofree char *server = NULL;
  g_autofree char *token = NULL;
  SyncRun run = { 0 };

  if (!yp_cli_parse_command_line (cli, command, entries, &argc, &argv, 2, 2, error))
    return FALSE;
  remote = yp_cli_remote_path (cli, argv[2], NULL, error);
  if (remote == NULL)
    return FALSE;
  yp_cli_set_subject (cli, remote);
  local = g_canonicalize_filename (argv[1], NULL);
  token = session_token (cli, &server, error);
  if (token == NULL)
    return FALSE;

  engine = yp_sync_engine_new (server, token, local, remote);
  if (host != NULL)
    yp_sync_engine_set_host (engine, host);
  yp_sync_engine_set_once (engine, once);
  run.loop = loop;
  run.once = once;
  run.json = cli->json;

  if (!run_engine (engine, &run))
    {
      g_propagate_error (error, g_steal_pointer (&run.error));
      return FALSE;
    }
  if (run.interrupted)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Interrupted"));
      return FALSE;
    }
  if (once)
    print_summary (&run);
  if (once && !run.in_sync)
    {
      g_set_error (error, YP_CLI_ERROR, YP_CLI_ERROR_NOT_IN_SYNC,
                   _("Both sides are not identical: some paths could not be synced"));
      return FALSE;
    }
  return TRUE;
}
