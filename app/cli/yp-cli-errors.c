/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "yp-cli.h"
#include "yp-client-error.h"

/*
 * What a user reads when a command fails: a line that says what went wrong
 * in their terms, and one that says what to do next, on stderr; with --json
 * the same in {"error": {...}} on stdout:
 *
 *   code         what kind of failure, one per exit status ("not_found")
 *   message      the first line
 *   hint         the second line, when there is one
 *   server_code  the protocol's code, when the server sent the error
 *                ("exists", "quota_exceeded"; docs/protocol.md)
 *   exit_status  the exit status
 *
 * The table below is the one place that words both lines. Commands only
 * say what the failing step was about (yp_cli_set_subject()), and turn a
 * "not found" into the folder that is missing where they can tell
 * (yp_cli_explain_missing_folder()).
 */

G_DEFINE_QUARK (yp-cli-error-quark, yp_cli_error)

/* What "%s" stands for in a text of the table. */
typedef enum
{
  ABOUT_NOTHING,
  ABOUT_PATH,     /* YpCli.subject */
  ABOUT_SERVER,   /* YpCli.address */
} About;

#define ANY_CODE        (-1)
#define ANY_STATUS      YP_STATUS_OK
#define NOT_FROM_SERVER YP_STATUS_COUNT

typedef struct
{
  const char   *command;   /* NULL: every command */
  GQuark      (*domain) (void);
  int           code;      /* ANY_CODE: every code */
  yp_status_t   status;    /* the protocol's code; ANY_STATUS: whatever it is */
  About         about;
  const char   *message;   /* NULL: the error's own */
  const char   *hint;      /* NULL: none */
} ErrorText;

/* The first entry that matches wins; one whose texts need a subject the
 * command did not give is passed over. */
static const ErrorText error_texts[] = {
  /* reaching the server */
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_NETWORK, ANY_STATUS, ABOUT_SERVER, NULL,
    N_("Check that the Yunpan server at %s is running, or give its address with --server URL") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_RESOLVE, ANY_STATUS, ABOUT_SERVER, NULL,
    N_("Check the spelling of %s, or give the server’s address with --server URL") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_TLS, ANY_STATUS, ABOUT_SERVER, NULL,
    N_("Check whether %s needs http:// rather than https://, and that its certificate is "
       "valid; give the address with --server URL") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_SERVER, ANY_STATUS, ABOUT_SERVER,
    N_("The server at %s failed"),
    N_("Try again later; if it keeps failing, tell the server’s administrator") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_RATE_LIMITED, ANY_STATUS, ABOUT_NOTHING,
    N_("The server is busy with too many requests"),
    N_("Wait a minute, then try again") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_IN_PROGRESS, ANY_STATUS, ABOUT_NOTHING,
    N_("The server is still busy with the same change"),
    N_("Wait a moment, then try again") },
  { NULL, yp_client_error_quark, ANY_CODE, YP_STATUS_IDEMPOTENCY_KEY_REUSED, ABOUT_NOTHING,
    N_("The server took this request for another one"),
    N_("Run the command again") },
  { "register", yp_client_error_quark, YP_CLIENT_ERROR_NOT_FOUND, ANY_STATUS, ABOUT_SERVER,
    N_("There is no Yunpan server at %s"),
    N_("Check the address, and give the right one with --server URL") },
  { "login", yp_client_error_quark, YP_CLIENT_ERROR_NOT_FOUND, ANY_STATUS, ABOUT_SERVER,
    N_("There is no Yunpan server at %s"),
    N_("Check the address, and give the right one with --server URL") },

  /* accounts and sessions */
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_AUTH_EXPIRED, YP_STATUS_TOKEN_EXPIRED,
    ABOUT_SERVER, N_("Your session on %s has expired"),
    N_("Sign in again with “yunpan-cli login USERNAME”") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_AUTH_EXPIRED, YP_STATUS_UNAUTHORIZED,
    ABOUT_SERVER, N_("Your session on %s has ended"),
    N_("Sign in again with “yunpan-cli login USERNAME”") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_AUTH_EXPIRED, ANY_STATUS, ABOUT_NOTHING, NULL,
    N_("Sign in with “yunpan-cli login USERNAME”") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_INVALID_CREDENTIALS, ANY_STATUS,
    ABOUT_NOTHING, NULL,
    N_("Check the username and the password, then try again; “yunpan-cli register USERNAME” "
       "creates an account") },
  { NULL, yp_client_error_quark, ANY_CODE, YP_STATUS_USERNAME_TAKEN, ABOUT_NOTHING, NULL,
    N_("Choose another username; if the account is yours, sign in with "
       "“yunpan-cli login USERNAME”") },
  { NULL, yp_client_error_quark, ANY_CODE, YP_STATUS_INVALID_USERNAME, ABOUT_NOTHING, NULL,
    N_("Choose a username that follows that rule") },
  { NULL, yp_client_error_quark, ANY_CODE, YP_STATUS_WEAK_PASSWORD, ABOUT_NOTHING, NULL,
    N_("Choose another password") },

  /* paths */
  { NULL, yp_cli_error_quark, YP_CLI_ERROR_BAD_PATH, ANY_STATUS, ABOUT_PATH,
    N_("“%s” is not a valid remote path"),
    N_("Remote paths look like /Photos/cat.jpg: names between single slashes, none of them "
       "“.” or “..”, without control characters") },
  { "put", yp_cli_error_quark, YP_CLI_ERROR_NO_FOLDER, ANY_STATUS, ABOUT_PATH,
    N_("“%s” does not exist"),
    N_("Create it with “yunpan-cli mkdir -p %s”, or add --parents (-p) to put") },
  { "mkdir", yp_cli_error_quark, YP_CLI_ERROR_NO_FOLDER, ANY_STATUS, ABOUT_PATH,
    N_("“%s” does not exist"),
    N_("Add -p (--parents) to create the missing folders too") },
  { NULL, yp_cli_error_quark, YP_CLI_ERROR_NO_FOLDER, ANY_STATUS, ABOUT_PATH,
    N_("“%s” does not exist"),
    N_("Create it first with “yunpan-cli mkdir -p %s”") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_NOT_FOUND, ANY_STATUS, ABOUT_PATH,
    N_("“%s” does not exist"),
    N_("Check the path; “yunpan-cli ls FOLDER” shows what a folder holds") },
  { NULL, yp_client_error_quark, ANY_CODE, YP_STATUS_NOT_A_FOLDER, ABOUT_NOTHING, NULL,
    N_("A file cannot hold files or folders: check the path") },
  { "put", yp_cli_error_quark, YP_CLI_ERROR_IS_FOLDER, ANY_STATUS, ABOUT_PATH,
    N_("“%s” is a folder"),
    N_("To upload into it, end the path with a slash: “yunpan-cli put FILE %s/”") },
  { "put", yp_client_error_quark, ANY_CODE, YP_STATUS_IS_A_FOLDER, ABOUT_PATH,
    N_("“%s” is a folder"),
    N_("To upload into it, end the path with a slash: “yunpan-cli put FILE %s/”") },
  { "get", yp_client_error_quark, YP_CLIENT_ERROR_INVALID, NOT_FROM_SERVER, ABOUT_PATH,
    N_("“%s” is a folder"),
    N_("get downloads one file; “yunpan-cli ls %s” shows what the folder holds") },
  { "put", yp_client_error_quark, YP_CLIENT_ERROR_EXISTS, ANY_STATUS, ABOUT_PATH,
    N_("“%s” already exists"),
    N_("Add --replace to replace it, or choose another name") },
  { "mv", yp_client_error_quark, YP_CLIENT_ERROR_EXISTS, ANY_STATUS, ABOUT_PATH,
    N_("“%s” already exists"),
    N_("Choose another name, or end the destination with a slash to move into that folder") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_EXISTS, ANY_STATUS, ABOUT_PATH,
    N_("“%s” already exists"),
    N_("Choose another name") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_CONFLICT, ANY_STATUS, ABOUT_PATH,
    N_("“%s” changed on the server meanwhile"),
    N_("Run the command again") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_CONFLICT, ANY_STATUS, ABOUT_NOTHING,
    N_("It changed on the server meanwhile"),
    N_("Run the command again") },
  { "rm", yp_client_error_quark, ANY_CODE, YP_STATUS_INVALID_MOVE, ABOUT_NOTHING, NULL,
    N_("Delete what it holds one by one instead") },
  { NULL, yp_client_error_quark, ANY_CODE, YP_STATUS_INVALID_MOVE, ABOUT_NOTHING, NULL,
    N_("Choose a destination outside the folder") },

  /* space, contents and the change feed */
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_QUOTA, ANY_STATUS, ABOUT_NOTHING,
    N_("There is not enough space left in your account"),
    N_("Delete what you no longer need with “yunpan-cli rm PATH”, or ask the server’s "
       "administrator for more space") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_HASH_MISMATCH, ANY_STATUS, ABOUT_NOTHING,
    N_("The file arrived damaged"),
    N_("Run the command again") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_CHANGED, ANY_STATUS, ABOUT_NOTHING, NULL,
    N_("Run the command again once the file no longer changes") },
  { NULL, yp_client_error_quark, YP_CLIENT_ERROR_CURSOR_EXPIRED, ANY_STATUS, ABOUT_NOTHING,
    N_("The change feed no longer reaches back that far"),
    N_("List the folders again with “yunpan-cli ls”, then follow the changes from the cursor "
       "that “yunpan-cli whoami” shows") },

  /* files on this computer */
  { "put", g_io_error_quark, G_IO_ERROR_NOT_FOUND, ANY_STATUS, ABOUT_NOTHING, NULL,
    N_("Check the name of the file on this computer") },
  { "put", g_io_error_quark, G_IO_ERROR_NOT_REGULAR_FILE, ANY_STATUS, ABOUT_NOTHING, NULL,
    N_("Upload the files in it one by one") },
  { "get", g_io_error_quark, G_IO_ERROR_NOT_FOUND, ANY_STATUS, ABOUT_NOTHING, NULL,
    N_("Create that folder first, or download into one that exists") },
};

static gboolean
error_text_matches (const ErrorText *text,
                    YpCli           *cli,
                    const GError    *error)
{
  yp_status_t status = yp_client_error_get_status (error);

  if (text->command != NULL && g_strcmp0 (text->command, cli->command) != 0)
    return FALSE;
  if (error->domain != text->domain ()
      || (text->code != ANY_CODE && error->code != text->code)
      || (text->status != ANY_STATUS && status != text->status))
    return FALSE;
  if (text->about == ABOUT_PATH && cli->subject == NULL)
    return FALSE;
  if (text->about == ABOUT_SERVER && cli->address == NULL)
    return FALSE;
  return TRUE;
}

/* TEXT (translated) with every %s replaced by VALUE. Done by hand, not by
 * printf, so that a translation with a stray % cannot crash the program. */
static char *
fill (const char *text,
      const char *value)
{
  g_auto(GStrv) parts = g_strsplit (_(text), "%s", -1);

  return g_strjoinv (value ? value : "", parts);
}

static const ErrorText *
find_error_text (YpCli        *cli,
                 const GError *error)
{
  for (guint i = 0; i < G_N_ELEMENTS (error_texts); i++)
    if (error_text_matches (&error_texts[i], cli, error))
      return &error_texts[i];
  return NULL;
}

static YpCliExit
exit_status_for_error (const GError *error)
{
  if (error->domain == G_OPTION_ERROR)
    return YP_CLI_EXIT_USAGE;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return YP_CLI_EXIT_INTERRUPTED;

  if (error->domain == YP_CLI_ERROR)
    {
      switch ((YpCliError) error->code)
        {
        case YP_CLI_ERROR_NO_FOLDER:
          return YP_CLI_EXIT_NOT_FOUND;
        case YP_CLI_ERROR_IS_FOLDER:
          return YP_CLI_EXIT_CONFLICT;
        case YP_CLI_ERROR_NOT_IN_SYNC:
          return YP_CLI_EXIT_FAILED;
        case YP_CLI_ERROR_BAD_PATH:
        default:
          return YP_CLI_EXIT_USAGE;
        }
    }

  if (error->domain == YP_CLIENT_ERROR)
    {
      switch ((YpClientError) error->code)
        {
        case YP_CLIENT_ERROR_AUTH_EXPIRED:
          return YP_CLI_EXIT_AUTH;
        case YP_CLIENT_ERROR_NOT_FOUND:
          return YP_CLI_EXIT_NOT_FOUND;
        case YP_CLIENT_ERROR_CONFLICT:
        case YP_CLIENT_ERROR_EXISTS:
          return YP_CLI_EXIT_CONFLICT;
        case YP_CLIENT_ERROR_NETWORK:
        case YP_CLIENT_ERROR_RESOLVE:
        case YP_CLIENT_ERROR_TLS:
        case YP_CLIENT_ERROR_SERVER:
        case YP_CLIENT_ERROR_RATE_LIMITED:
        case YP_CLIENT_ERROR_IN_PROGRESS:
          return YP_CLI_EXIT_NETWORK;
        case YP_CLIENT_ERROR_NO_KEYRING:
          return YP_CLI_EXIT_NO_KEYRING;
        case YP_CLIENT_ERROR_FAILED:
        case YP_CLIENT_ERROR_INVALID_CREDENTIALS:
        case YP_CLIENT_ERROR_INVALID:
        case YP_CLIENT_ERROR_QUOTA:
        case YP_CLIENT_ERROR_HASH_MISMATCH:
        case YP_CLIENT_ERROR_CHANGED:
        case YP_CLIENT_ERROR_CURSOR_EXPIRED:
        default:
          return YP_CLI_EXIT_FAILED;
        }
    }

  /* local files, and transport errors the library did not wrap */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    return YP_CLI_EXIT_NOT_FOUND;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS)
      || g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_EXIST))
    return YP_CLI_EXIT_CONFLICT;
  if (error->domain == G_RESOLVER_ERROR
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_HOST_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NETWORK_UNREACHABLE)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT)
      || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
    return YP_CLI_EXIT_NETWORK;
  return YP_CLI_EXIT_FAILED;
}

/* The "code" of the JSON error document, one per exit status. */
static const char *
exit_status_code (YpCliExit status)
{
  switch (status)
    {
    case YP_CLI_EXIT_USAGE: return "usage";
    case YP_CLI_EXIT_AUTH: return "not_signed_in";
    case YP_CLI_EXIT_NOT_FOUND: return "not_found";
    case YP_CLI_EXIT_CONFLICT: return "conflict";
    case YP_CLI_EXIT_NETWORK: return "unreachable";
    case YP_CLI_EXIT_NO_KEYRING: return "no_keyring";
    case YP_CLI_EXIT_INTERRUPTED: return "interrupted";
    case YP_CLI_EXIT_OK:
    case YP_CLI_EXIT_FAILED:
    default:
      return "failed";
    }
}

/**
 * yp_cli_set_subject:
 * @path: (nullable): a remote path
 *
 * Says that what may fail next is about @path, so that its error can name
 * it. Commands call it before each request.
 */
void
yp_cli_set_subject (YpCli      *cli,
                    const char *path)
{
  char *copy = g_strdup (path);

  g_free (cli->subject);
  cli->subject = copy;
}

/*
 * After a "not found" from creating PATH (an upload, a folder, a move's
 * destination): when PATH's folder is what is missing, *ERROR becomes
 * YP_CLI_ERROR_NO_FOLDER about that folder. One more request, made only
 * when a command has failed already.
 */
void
yp_cli_explain_missing_folder (YpCli       *cli,
                               YpClient    *client,
                               const char  *path,
                               GError     **error)
{
  g_autofree char *parent = yp_cli_remote_parent (path);
  g_autoptr(GError) stat_error = NULL;
  g_autoptr(YpNode) node = NULL;

  if (!g_error_matches (*error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND)
      || g_str_equal (parent, "/"))
    return;
  node = yp_client_stat_sync (client, YP_TARGET_PATH (parent), NULL, &stat_error);
  if (!g_error_matches (stat_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
    return;
  g_clear_error (error);
  g_set_error (error, YP_CLI_ERROR, YP_CLI_ERROR_NO_FOLDER, _("“%s” does not exist"), parent);
  yp_cli_set_subject (cli, parent);
}

/*
 * Says what went wrong on stderr ("yunpan-cli: <message>", then what to do
 * next), and with --json also as {"error": {...}} on stdout so that a script
 * always gets one document. Returns the exit status.
 */
int
yp_cli_report_error (YpCli        *cli,
                     const GError *error)
{
  YpCliExit status = exit_status_for_error (error);
  const ErrorText *text = find_error_text (cli, error);
  const char *value = NULL;
  g_autofree char *message = NULL;
  g_autofree char *hint = NULL;
  yp_status_t server_status = yp_client_error_get_status (error);

  if (text != NULL)
    {
      value = text->about == ABOUT_PATH ? cli->subject
            : text->about == ABOUT_SERVER ? cli->address : NULL;
      if (text->message != NULL)
        message = fill (text->message, value);
      if (text->hint != NULL)
        hint = fill (text->hint, value);
    }
  if (message == NULL)
    message = g_strdup (error->message);

  fprintf (stderr, "yunpan-cli: %s\n", message);
  if (hint != NULL)
    fprintf (stderr, "yunpan-cli: %s\n", hint);

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();
      JsonObject *object = json_object_new ();

      json_object_set_string_member (object, "code", exit_status_code (status));
      json_object_set_string_member (object, "message", message);
      if (hint != NULL)
        json_object_set_string_member (object, "hint", hint);
      if (server_status != YP_STATUS_COUNT)
        json_object_set_string_member (object, "server_code", yp_status_code (server_status));
      json_object_set_int_member (object, "exit_status", status);
      json_object_set_object_member (root, "error", object);
      yp_cli_print_json (root);
    }
  return status;
}
