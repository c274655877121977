/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gi18n.h>

#include "yp-account.h"
#include "yp-cli.h"
#include "yp-client-error.h"
#include "yp-keyring.h"
#include "yp-name.h"
#include "yp-server-url.h"

/*
 * yunpan-cli: the command-line client. This file holds what every command
 * shares: the global options, the command table and opening the signed-in
 * session. The commands live in yp-cli-account.c, yp-cli-files.c and
 * yp-cli-transfer.c; what their errors say, in yp-cli-errors.c.
 */

#define YP_CLI_SYNC_HELP \
  N_("Runs the sync engine in the foreground, printing what it does, until\n" \
     "interrupted (Ctrl-C ends the current step safely). REMOTE is created when\n" \
     "missing, and so is LOCAL. Changes on either side are copied to the other:\n" \
     "new files and folders, edits, renames and moves, deletes. When both sides\n" \
     "changed a file, the server's version keeps the name and yours is kept\n" \
     "beside it as \"NAME (conflict DATE TIME from HOST).EXT\", on both sides.\n" \
     "Nothing that was not synced is ever deleted or overwritten.\n" \
     "\n" \
     "The pair's state is kept in $XDG_DATA_HOME/yunpan/sync/, never in LOCAL.\n" \
     "Patterns in LOCAL/.yunpan-ignore (as in .gitignore) are not synced, nor are\n" \
     "common temporary files; symbolic links are skipped on both sides. One\n" \
     "program at a time may sync a pair: a second one is refused.")

static const YpCliCommand commands[] = {
  { "register", N_("USERNAME"), N_("Create an account (this does not sign in)"), yp_cli_register },
  { "login", N_("USERNAME"), N_("Sign in; the session is kept in the keyring"), yp_cli_login },
  { "logout", "", N_("Sign out and forget the session"), yp_cli_logout },
  { "whoami", "", N_("Show who is signed in, and where"), yp_cli_whoami },
  { "ls", N_("[PATH]"), N_("List a folder: type, size, modified time and name"), yp_cli_ls },
  { "mkdir", N_("[-p] PATH"), N_("Create a folder"), yp_cli_mkdir },
  { "put", N_("[-p] LOCAL REMOTE"),
    N_("Upload a file (instantly when the server has its content)"), yp_cli_put },
  { "get", N_("REMOTE LOCAL"), N_("Download a file"), yp_cli_get },
  { "rm", N_("PATH"), N_("Delete a file, or a folder with everything in it"), yp_cli_rm },
  { "mv", N_("FROM TO"), N_("Move or rename; a TO ending in / is the folder to move into"),
    yp_cli_mv },
  { "changes", N_("[--since CURSOR]"), N_("Show the change feed"), yp_cli_changes },
  { "sync", N_("[--once] LOCAL REMOTE"),
    N_("Keep a local folder and a folder on the server identical, both ways"), yp_cli_sync,
    YP_CLI_SYNC_HELP },
};

/* Keep in step with YpCliExit in yp-cli.h. */
#define YP_CLI_EXIT_HELP \
  N_("Exit status:\n" \
     "  0    success\n" \
     "  1    failure\n" \
     "  2    usage error\n" \
     "  3    not signed in, or the session expired\n" \
     "  4    not found\n" \
     "  5    conflict: the name exists, or it changed meanwhile\n" \
     "  6    the server cannot be reached or is unavailable\n" \
     "  7    no keyring (Secret Service) to keep the session in\n" \
     "  130  interrupted\n" \
     "With --json, a failure prints {\"error\": {\"code\", \"message\", \"hint\",\n" \
     "\"server_code\", \"exit_status\"}}: \"hint\" says what to do next, and\n" \
     "\"server_code\" is the server's own code when the server refused.")

#define YP_CLI_NOTES_HELP \
  N_("Remote paths are absolute (/Photos/cat.jpg); the leading / may be left out.\n" \
     "Passwords are read from the terminal without echo, or with --password-stdin\n" \
     "from the first line of standard input; never from the command line.\n" \
     "The server is --server, else the one last signed in to, else " \
     YP_CLI_DEFAULT_SERVER ".")

/* ------------------------------------------------------------------------
 * Options
 * ------------------------------------------------------------------------ */

static gboolean
server_option_cb (const char  *option_name,
                  const char  *value,
                  gpointer     data,
                  GError     **error)
{
  YpCli *cli = data;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;

  uri = g_uri_parse (value, G_URI_FLAGS_NONE, NULL);
  scheme = uri ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL
      || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--server needs an http:// or https:// URL, not “%s”"), value);
      return FALSE;
    }
  g_free (cli->server);
  /* one spelling, so that "HTTP://host/" finds the session of "http://host" */
  cli->server = yp_server_url_normalize (value);
  return TRUE;
}

static gboolean
version_option_cb (const char  *option_name,
                   const char  *value,
                   gpointer     data,
                   GError     **error)
{
  printf ("yunpan-cli %s\n", PACKAGE_VERSION);
  exit (YP_CLI_EXIT_OK);
}

/* The options every command accepts, before or after its name. */
static GOptionGroup *
global_group_new (YpCli    *cli,
                  gboolean  with_version)
{
  GOptionGroup *group = g_option_group_new ("yunpan-cli", NULL, NULL, cli, NULL);
  const GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_CALLBACK, server_option_cb,
      N_("The server (default: the one signed in to)"), N_("URL") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &cli->json,
      N_("Print one JSON document on standard output"), NULL },
    { NULL }
  };
  /* --version is the program's, so commands leave it out */
  const GOptionEntry version_entries[] = {
    { "version", 0, G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK, version_option_cb,
      N_("Print the version and exit"), NULL },
    { NULL }
  };

  g_option_group_set_translation_domain (group, GETTEXT_PACKAGE);
  g_option_group_add_entries (group, entries);
  if (with_version)
    g_option_group_add_entries (group, version_entries);
  return group;
}

/*
 * Parses a command's ARGV (ARGV[0] is the command's name) with its ENTRIES and
 * the global options, and checks that MIN_ARGS to MAX_ARGS (-1: any number)
 * arguments are left. Called by every command first; --help exits here.
 */
gboolean
yp_cli_parse_command_line (YpCli               *cli,
                           const YpCliCommand  *command,
                           const GOptionEntry  *entries,
                           int                 *argc,
                           char              ***argv,
                           int                  min_args,
                           int                  max_args,
                           GError             **error)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autofree char *parameters = NULL;
  g_autofree char *description = NULL;
  GOptionGroup *group;
  int left;

  parameters = g_strconcat (command->name, *command->parameters ? " " : "",
                            _(command->parameters), NULL);
  context = g_option_context_new (parameters);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _(command->summary));
  description = g_strconcat (command->details != NULL ? _(command->details) : "",
                             command->details != NULL ? "\n\n" : "",
                             _(YP_CLI_NOTES_HELP), "\n\n", _(YP_CLI_EXIT_HELP), NULL);
  g_option_context_set_description (context, description);

  group = global_group_new (cli, FALSE);
  if (entries != NULL)
    g_option_group_add_entries (group, entries);
  g_option_context_set_main_group (context, group);

  if (!g_option_context_parse (context, argc, argv, error))
    return FALSE;

  left = *argc - 1;
  if (left < min_args || (max_args >= 0 && left > max_args))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("Usage: yunpan-cli %s (see “yunpan-cli %s --help”)"),
                   parameters, command->name);
      return FALSE;
    }
  return TRUE;
}

/*
 * Reads a byte count such as "1048576", "64k", "8M" or "1GiB" (powers of
 * 1024). Used for --limit-rate and YUNPAN_CHUNK_SIZE.
 */
gboolean
yp_cli_parse_size (const char *text,
                   guint64    *size)
{
  guint64 number, unit = 1;
  char *end = NULL;

  if (text == NULL || !g_ascii_isdigit (*text))
    return FALSE;
  errno = 0;
  number = g_ascii_strtoull (text, &end, 10);
  if (errno != 0)
    return FALSE;
  switch (g_ascii_tolower (*end))
    {
    case 'k': unit = 1024; end++; break;
    case 'm': unit = 1024 * 1024; end++; break;
    case 'g': unit = 1024 * 1024 * 1024; end++; break;
    default: break;
    }
  if (unit > 1 && *end == 'i')
    end++;
  if (*end == 'B' || *end == 'b')
    end++;
  if (*end != '\0' || number > G_MAXUINT64 / unit)
    return FALSE;
  *size = number * unit;
  return TRUE;
}

/**
 * yp_cli_remote_path:
 * @path: a remote path as the user typed it
 * @into: (out) (optional): set to whether @path ends in a slash: the folder
 *   to put something into
 *
 * Remote paths are absolute; "Photos/cat.jpg" is taken to mean
 * "/Photos/cat.jpg". Checked here with the protocol's rules, so that a
 * typing mistake is a usage error that names the path.
 *
 * Returns: (transfer full) (nullable): the path without trailing slashes,
 *   or %NULL with YP_CLI_ERROR_BAD_PATH
 */
char *
yp_cli_remote_path (YpCli       *cli,
                    const char  *path,
                    gboolean    *into,
                    GError     **error)
{
  g_autofree char *absolute = g_strconcat (path[0] == '/' ? "" : "/", path, NULL);
  g_auto(GStrv) components = NULL;
  gsize len = strlen (absolute);

  if (into != NULL)
    *into = absolute[len - 1] == '/';
  if (len > 1 && absolute[len - 1] == '/')
    absolute[--len] = '\0';
  if (yp_path_split (absolute, &components) != YP_STATUS_OK)
    {
      yp_cli_set_subject (cli, path);
      g_set_error (error, YP_CLI_ERROR, YP_CLI_ERROR_BAD_PATH,
                   _("“%s” is not a valid remote path"), path);
      return NULL;
    }
  return g_steal_pointer (&absolute);
}

/* The folder PATH is in ("/a/b.txt" → "/a", "/a" → "/"). */
char *
yp_cli_remote_parent (const char *path)
{
  const char *slash = strrchr (path, '/');

  if (slash == NULL || slash == path)
    return g_strdup ("/");
  return g_strndup (path, slash - path);
}

/* ------------------------------------------------------------------------
 * Sessions
 * ------------------------------------------------------------------------ */

/* The saved account, or NULLs when there is none (a first run). */
gboolean
yp_cli_load_account (char   **server,
                     char   **username,
                     GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *saved = NULL;

  *server = *username = NULL;
  if (yp_account_load (&saved, username, &local_error))
    {
      /* earlier versions saved the server as it was typed */
      *server = saved ? yp_server_url_normalize (saved) : NULL;
      return TRUE;
    }
  /* yp_account_load() says G_IO_ERROR_NOT_FOUND; a half-written file is none too */
  if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND)
      || g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
      || g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_NOT_FOUND)
      || g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_GROUP_NOT_FOUND)
      || g_error_matches (local_error, G_KEY_FILE_ERROR, G_KEY_FILE_ERROR_KEY_NOT_FOUND))
    {
      g_clear_pointer (username, g_free);
      return TRUE;
    }
  g_propagate_error (error, g_steal_pointer (&local_error));
  return FALSE;
}

/**
 * yp_cli_dup_server:
 *
 * Returns: (transfer full): the server to talk to: --server, else the saved
 *   account's, else the default
 */
char *
yp_cli_dup_server (YpCli *cli)
{
  g_autofree char *server = NULL;
  g_autofree char *username = NULL;

  if (cli->server != NULL)
    return g_strdup (cli->server);
  if (yp_cli_load_account (&server, &username, NULL) && server != NULL)
    return g_steal_pointer (&server);
  return g_strdup (YP_CLI_DEFAULT_SERVER);
}

/*
 * A client for SERVER without a session. YUNPAN_CHUNK_SIZE, when set, is the
 * upload chunk size (small chunks make an interrupted upload lose less).
 */
YpClient *
yp_cli_new_client (YpCli       *cli,
                   const char  *server,
                   GError     **error)
{
  g_autoptr(YpClient) client = yp_client_new (server);
  const char *chunk = g_getenv ("YUNPAN_CHUNK_SIZE");

  /* what an error about reaching the server names */
  g_free (cli->address);
  cli->address = g_strdup (server);

  if (chunk != NULL && *chunk != '\0')
    {
      guint64 size = 0;

      if (!yp_cli_parse_size (chunk, &size) || size == 0)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                       _("YUNPAN_CHUNK_SIZE is “%s”, not a size in bytes (like 8M)"), chunk);
          return NULL;
        }
      yp_client_set_chunk_size (client, size);
    }
  return g_steal_pointer (&client);
}

/*
 * A client signed in as the saved account: its token comes from the keyring.
 * Fails with YP_CLIENT_ERROR_AUTH_EXPIRED when nobody is signed in to the
 * server, and with YP_CLIENT_ERROR_NO_KEYRING without a Secret Service.
 */
YpClient *
yp_cli_open_session (YpCli   *cli,
                     GError **error)
{
  g_autofree char *saved_server = NULL;
  g_autofree char *username = NULL;
  g_autofree char *server = NULL;
  g_autoptr(YpCliSecret) token = NULL;
  g_autoptr(YpClient) client = NULL;
  g_autoptr(GError) local_error = NULL;

  if (!yp_cli_load_account (&saved_server, &username, error))
    return NULL;
  server = cli->server ? g_strdup (cli->server)
                       : g_strdup (saved_server ? saved_server : YP_CLI_DEFAULT_SERVER);
  /* a bad YUNPAN_CHUNK_SIZE is a usage error whether signed in or not */
  client = yp_cli_new_client (cli, server, error);
  if (client == NULL)
    return NULL;
  if (username == NULL || g_strcmp0 (server, saved_server) != 0)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED,
                   _("Not signed in to %s"), server);
      return NULL;
    }

  token = yp_keyring_lookup_token_sync (server, username, NULL, &local_error);
  if (local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (token == NULL)
    {
      g_set_error (error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_AUTH_EXPIRED,
                   _("Not signed in to %s"), server);
      return NULL;
    }

  yp_client_set_token (client, token);
  return g_steal_pointer (&client);
}

/* ------------------------------------------------------------------------
 * main
 * ------------------------------------------------------------------------ */

static char *
program_description (void)
{
  g_autoptr(GString) text = g_string_new (_("Commands:\n"));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_autofree char *usage = g_strconcat (commands[i].name, " ", _(commands[i].parameters),
                                            NULL);

      g_string_append_printf (text, "  %-22s %s\n", usage, _(commands[i].summary));
    }
  g_string_append (text, _("\n“yunpan-cli COMMAND --help” describes each command.\n\n"));
  g_string_append_printf (text, "%s\n\n%s", _(YP_CLI_NOTES_HELP), _(YP_CLI_EXIT_HELP));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static const YpCliCommand *
find_command (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

/* "yunpan-cli help [COMMAND]": the same as --help. */
static int
run_help (YpCli           *cli,
          GOptionContext  *program,
          int              argc,
          char           **argv)
{
  const YpCliCommand *command = argc > 2 ? find_command (argv[2]) : NULL;

  if (argc > 2 && command != NULL)
    {
      char *help_argv[] = { argv[2], (char *) "--help", NULL };
      char **help_args = help_argv;
      int help_argc = 2;

      /* every command parses its options first, and parsing --help
       * prints the command's help, its own options included, and exits */
      command->run (cli, command, help_argc, help_args, NULL);
    }
  if (argc > 2)
    {
      fprintf (stderr, "yunpan-cli: %s\n", _("no such command; see “yunpan-cli --help”"));
      return YP_CLI_EXIT_USAGE;
    }

  {
    g_autofree char *help = g_option_context_get_help (program, TRUE, NULL);

    fputs (help, stdout);
  }
  return YP_CLI_EXIT_OK;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *description = NULL;
  const YpCliCommand *command;
  YpCli cli = { 0 };
  int status;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("yunpan-cli");

  context = g_option_context_new (_("COMMAND [ARGUMENT…]"));
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("Use a Yunpan cloud disk from the command line."));
  description = program_description ();
  g_option_context_set_description (context, description);
  g_option_context_set_main_group (context, global_group_new (&cli, TRUE));
  /* stop at the command: what follows is the command's to parse */
  g_option_context_set_strict_posix (context, TRUE);

  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      status = yp_cli_report_error (&cli, error);
      goto out;
    }

  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      fputs (help, stderr);
      status = YP_CLI_EXIT_USAGE;
      goto out;
    }

  if (g_str_equal (argv[1], "help"))
    {
      status = run_help (&cli, context, argc, argv);
      goto out;
    }

  command = find_command (argv[1]);
  if (command == NULL)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                   _("“%s” is not a command; see “yunpan-cli --help”"), argv[1]);
      status = yp_cli_report_error (&cli, error);
      goto out;
    }

  cli.command = command->name;
  if (command->run (&cli, command, argc - 1, argv + 1, &error))
    status = YP_CLI_EXIT_OK;
  else
    status = yp_cli_report_error (&cli, error);

out:
  g_free (cli.server);
  g_free (cli.address);
  g_free (cli.subject);
  return status;
}
