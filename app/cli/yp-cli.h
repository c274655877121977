/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "yp-client.h"

G_BEGIN_DECLS

#define YP_CLI_DEFAULT_SERVER "http://127.0.0.1:8765"

/*
 * Exit statuses of yunpan-cli. Scripts branch on them, so they never change
 * meaning; the text of --help (YP_CLI_EXIT_HELP in yunpan-cli.c) lists them
 * and must be kept in step.
 *
 *   0  success
 *   1  any other failure
 *   2  usage error (bad option or argument, no terminal for the password)
 *   3  not signed in, or the session expired
 *   4  not found (remote path or local file)
 *   5  conflict: the name exists, or the node changed meanwhile
 *   6  the server cannot be reached or is unavailable
 *   7  no keyring (Secret Service) to keep the session in
 * 130  interrupted (Ctrl-C)
 */
typedef enum
{
  YP_CLI_EXIT_OK          = 0,
  YP_CLI_EXIT_FAILED      = 1,
  YP_CLI_EXIT_USAGE       = 2,
  YP_CLI_EXIT_AUTH        = 3,
  YP_CLI_EXIT_NOT_FOUND   = 4,
  YP_CLI_EXIT_CONFLICT    = 5,
  YP_CLI_EXIT_NETWORK     = 6,
  YP_CLI_EXIT_NO_KEYRING  = 7,
  YP_CLI_EXIT_INTERRUPTED = 130,
} YpCliExit;

/**
 * YpCli:
 * @server: (nullable): --server, normalised (yp_server_url_normalize())
 * @json: --json: one JSON document on stdout instead of text
 * @command: (nullable): the name of the command that runs
 * @address: (nullable): the server the command talks to
 * @subject: (nullable): the remote path the failing step is about
 *
 * What every command shares: the global options, and what an error message
 * needs to say where things went wrong (yp-cli-errors.c).
 */
typedef struct
{
  char       *server;
  gboolean    json;
  const char *command;
  char       *address;
  char       *subject;
} YpCli;

#define YP_CLI_ERROR (yp_cli_error_quark ())

/**
 * YpCliError:
 * @YP_CLI_ERROR_NO_FOLDER: the folder a new node goes into does not exist
 *   (the subject); exit status 4
 * @YP_CLI_ERROR_IS_FOLDER: a file cannot replace the folder of that name;
 *   exit status 5
 * @YP_CLI_ERROR_BAD_PATH: the remote path given is not one; exit status 2
 * @YP_CLI_ERROR_NOT_IN_SYNC: `sync --once` ended with paths that could not
 *   be synced; exit status 1
 *
 * What the CLI finds out beyond the library's errors.
 */
typedef enum
{
  YP_CLI_ERROR_NO_FOLDER,
  YP_CLI_ERROR_IS_FOLDER,
  YP_CLI_ERROR_BAD_PATH,
  YP_CLI_ERROR_NOT_IN_SYNC,
} YpCliError;

/**
 * YpCliCommand:
 * @name: what the user types
 * @parameters: the arguments, for the usage line ("LOCAL REMOTE")
 * @summary: one line for the command list and its --help
 * @run: parses ARGV (ARGV[0] is @name) and does the work
 * @details: (nullable): more for its --help: what it does, step by step
 */
typedef struct _YpCliCommand YpCliCommand;
struct _YpCliCommand
{
  const char *name;
  const char *parameters;
  const char *summary;
  gboolean  (*run) (YpCli               *cli,
                    const YpCliCommand  *command,
                    int                  argc,
                    char               **argv,
                    GError             **error);
  const char *details;
};

/* yunpan-cli.c: options and sessions */
gboolean        yp_cli_parse_command_line   (YpCli               *cli,
                                              const YpCliCommand  *command,
                                              const GOptionEntry  *entries,
                                              int                 *argc,
                                              char              ***argv,
                                              int                  min_args,
                                              int                  max_args,
                                              GError             **error);
gboolean        yp_cli_load_account         (char               **server,
                                              char               **username,
                                              GError             **error);
char           *yp_cli_dup_server           (YpCli               *cli);
YpClient       *yp_cli_new_client           (YpCli               *cli,
                                              const char          *server,
                                              GError             **error);
YpClient       *yp_cli_open_session         (YpCli               *cli,
                                              GError             **error);
gboolean        yp_cli_parse_size           (const char          *text,
                                              guint64             *size);
char           *yp_cli_remote_path          (YpCli               *cli,
                                              const char          *path,
                                              gboolean            *into,
                                              GError             **error);
char           *yp_cli_remote_parent        (const char          *path);

/* yp-cli-errors.c */
GQuark          yp_cli_error_quark          (void);
void            yp_cli_set_subject          (YpCli               *cli,
                                              const char          *path);
void            yp_cli_explain_missing_folder (YpCli             *cli,
                                              YpClient            *client,
                                              const char          *path,
                                              GError             **error);
int             yp_cli_report_error         (YpCli               *cli,
                                              const GError        *error);

/* yp-cli-output.c */
JsonObject     *yp_cli_node_to_json         (YpNode              *node);
void            yp_cli_print_json           (JsonObject          *object);
/* With --json, prints {"node": NODE}; otherwise nothing. */
void            yp_cli_print_node_json      (YpCli               *cli,
                                             YpNode              *node);
char           *yp_cli_format_time          (gint64               unix_time);

/* yp-cli-password.c */
typedef char YpCliSecret;
void            yp_cli_secret_free          (YpCliSecret         *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpCliSecret, yp_cli_secret_free)
YpCliSecret    *yp_cli_read_password        (const char          *prompt,
                                              gboolean             from_stdin,
                                              gboolean             confirm,
                                              GError             **error);

/* the commands, one file per concern */
gboolean        yp_cli_register             (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_login                (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_logout               (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_whoami               (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_ls                   (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_mkdir                (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_rm                   (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_mv                   (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_changes              (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_put                  (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_get                  (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);
gboolean        yp_cli_sync                 (YpCli *cli, const YpCliCommand *command,
                                              int argc, char **argv, GError **error);

G_END_DECLS
