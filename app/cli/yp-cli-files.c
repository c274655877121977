/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>

#include "yp-cli.h"
#include "yp-client-error.h"

/*
 * The file tree: ls, mkdir, rm, mv and changes. Each is one request (or one
 * per page) through YpClient's _sync calls; nothing here needs a main loop.
 */

#define LIST_PAGE 1000   /* the most the server gives per request */

/* The last component of PATH ("/a/b.txt" → "b.txt"). */
static char *
remote_basename (const char *path)
{
  g_autofree char *trimmed = g_strdup (path);
  gsize len = strlen (trimmed);
  const char *slash;

  while (len > 1 && trimmed[len - 1] == '/')
    trimmed[--len] = '\0';
  slash = strrchr (trimmed, '/');
  return g_strdup (slash ? slash + 1 : trimmed);
}

static void
print_node_line (YpNode *node,
                 int     size_width)
{
  g_autofree char *modified = yp_cli_format_time (yp_node_get_modified (node));
  gboolean folder = yp_node_is_folder (node);

  if (folder)
    printf ("%-6s  %*s  %s  %s/\n", "folder", size_width, "-", modified,
            yp_node_get_name (node));
  else
    printf ("%-6s  %*" G_GINT64_FORMAT "  %s  %s\n", "file", size_width,
            yp_node_get_size (node), modified, yp_node_get_name (node));
}

gboolean
yp_cli_ls (YpCli               *cli,
           const YpCliCommand  *command,
           int                  argc,
           char               **argv,
           GError             **error)
{
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpNode) folder = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree char *path = NULL;
  YpListOptions options = { .sort = YP_SORT_NAME, .limit = LIST_PAGE };
  gint64 total = 0;
  int size_width = 1;

  if (!yp_cli_parse_command_line (cli, command, NULL, &argc, &argv, 0, 1, error))
    return FALSE;
  path = yp_cli_remote_path (cli, argc > 1 ? argv[1] : "/", NULL, error);
  if (path == NULL)
    return FALSE;
  yp_cli_set_subject (cli, path);

  client = yp_cli_open_session (cli, error);
  if (client == NULL)
    return FALSE;

  /* page through the whole folder: a listing that silently stops at the
   * server's page size would look complete */
  do
    {
      g_autoptr(GError) local_error = NULL;
      g_autoptr(YpListing) listing = yp_client_list_sync (client, YP_TARGET_PATH (path), &options,
                                                          NULL, &local_error);

      if (listing == NULL)
        {
          g_autoptr(YpNode) node = NULL;

          /* like ls(1), a file lists as itself */
          if (options.offset == 0
              && g_error_matches (local_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_INVALID)
              && (node = yp_client_stat_sync (client, YP_TARGET_PATH (path), NULL, NULL)) != NULL
              && !yp_node_is_folder (node))
            {
              g_ptr_array_add (entries, g_steal_pointer (&node));
              total = 1;
              break;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (folder == NULL)
        folder = g_object_ref (listing->folder);
      total = listing->total;
      for (guint i = 0; i < listing->entries->len; i++)
        g_ptr_array_add (entries, g_object_ref (g_ptr_array_index (listing->entries, i)));
      if (listing->entries->len == 0)
        break;
      options.offset += listing->entries->len;
    }
  while (options.offset < total);

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();
      JsonArray *array = json_array_new ();

      if (folder != NULL)
        json_object_set_object_member (root, "folder", yp_cli_node_to_json (folder));
      for (guint i = 0; i < entries->len; i++)
        json_array_add_object_element (array, yp_cli_node_to_json (entries->pdata[i]));
      json_object_set_array_member (root, "entries", array);
      json_object_set_int_member (root, "total", total);
      yp_cli_print_json (root);
      return TRUE;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      g_autofree char *size = g_strdup_printf ("%" G_GINT64_FORMAT,
                                               yp_node_get_size (entries->pdata[i]));

      size_width = MAX (size_width, (int) strlen (size));
    }
  for (guint i = 0; i < entries->len; i++)
    print_node_line (entries->pdata[i], size_width);
  return TRUE;
}

gboolean
yp_cli_mkdir (YpCli               *cli,
              const YpCliCommand  *command,
              int                  argc,
              char               **argv,
              GError             **error)
{
  gboolean parents = FALSE;
  const GOptionEntry entries[] = {
    { "parents", 'p', 0, G_OPTION_ARG_NONE, &parents,
      N_("Create missing parent folders; no error if the folder exists"), NULL },
    { NULL }
  };
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpNode) node = NULL;
  g_autofree char *path = NULL;

  if (!yp_cli_parse_command_line (cli, command, entries, &argc, &argv, 1, 1, error))
    return FALSE;
  path = yp_cli_remote_path (cli, argv[1], NULL, error);
  if (path == NULL)
    return FALSE;

  client = yp_cli_open_session (cli, error);
  if (client == NULL)
    return FALSE;
  yp_cli_set_subject (cli, path);
  node = yp_client_mkdir_sync (client, YP_TARGET_PATH (path), parents, NULL, error);
  if (node == NULL)
    {
      yp_cli_explain_missing_folder (cli, client, path, error);
      return FALSE;
    }

  if (!cli->json)
    printf (_("Created %s\n"), yp_node_get_path (node));
  yp_cli_print_node_json (cli, node);
  return TRUE;
}

gboolean
yp_cli_rm (YpCli               *cli,
           const YpCliCommand  *command,
           int                  argc,
           char               **argv,
           GError             **error)
{
  g_autoptr(YpClient) client = NULL;
  g_autofree char *path = NULL;

  if (!yp_cli_parse_command_line (cli, command, NULL, &argc, &argv, 1, 1, error))
    return FALSE;
  path = yp_cli_remote_path (cli, argv[1], NULL, error);
  if (path == NULL)
    return FALSE;
  yp_cli_set_subject (cli, path);

  client = yp_cli_open_session (cli, error);
  if (client == NULL || !yp_client_delete_sync (client, YP_TARGET_PATH (path), YP_VERSION_ANY, NULL,
                                                  NULL, error))
    return FALSE;

  if (cli->json)
    {
      g_autoptr(JsonObject) root = json_object_new ();

      json_object_set_string_member (root, "deleted", path);
      yp_cli_print_json (root);
    }
  else
    {
      printf (_("Deleted %s\n"), path);
    }
  return TRUE;
}

/* A move that finds nothing lacks either what it moves or the folder it
 * moves into: say which. */
static void
explain_move_not_found (YpCli       *cli,
                        YpClient    *client,
                        const char  *from,
                        const char  *to,
                        GError     **error)
{
  g_autoptr(GError) stat_error = NULL;
  g_autoptr(YpNode) node = NULL;

  if (!g_error_matches (*error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
    return;
  node = yp_client_stat_sync (client, YP_TARGET_PATH (from), NULL, &stat_error);
  if (g_error_matches (stat_error, YP_CLIENT_ERROR, YP_CLIENT_ERROR_NOT_FOUND))
    yp_cli_set_subject (cli, from);
  else
    yp_cli_explain_missing_folder (cli, client, to, error);
}

gboolean
yp_cli_mv (YpCli               *cli,
           const YpCliCommand  *command,
           int                  argc,
           char               **argv,
           GError             **error)
{
  g_autoptr(YpClient) client = NULL;
  g_autoptr(YpNode) node = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  gboolean into = FALSE;

  if (!yp_cli_parse_command_line (cli, command, NULL, &argc, &argv, 2, 2, error))
    return FALSE;
  from = yp_cli_remote_path (cli, argv[1], NULL, error);
  if (from == NULL)
    return FALSE;
  to = yp_cli_remote_path (cli, argv[2], &into, error);
  if (to == NULL)
    return FALSE;

  /* "mv /a.txt /Archive/" moves into the folder, keeping the name */
  if (into)
    {
      g_autofree char *name = remote_basename (from);
      char *full = g_build_path ("/", to, name, NULL);

      g_free (to);
      to = full;
    }

  client = yp_cli_open_session (cli, error);
  if (client == NULL)
    return FALSE;
  yp_cli_set_subject (cli, to);
  node = yp_client_move_sync (client, YP_TARGET_PATH (from), YP_TARGET_PATH (to),
                              YP_VERSION_ANY, NULL, error);
  if (node == NULL)
    {
      explain_move_not_found (cli, client, from, to, error);
      return FALSE;
    }

  if (!cli->json)
    printf (_("Moved %s to %s\n"), from, yp_node_get_path (node));
  yp_cli_print_node_json (cli, node);
  return TRUE;
}

static const char *
change_op_name (YpChangeOp op)
{
  switch (op)
    {
    case YP_CHANGE_CREATE: return "create";
    case YP_CHANGE_MODIFY: return "modify";
    case YP_CHANGE_MOVE: return "move";
    case YP_CHANGE_DELETE: return "delete";
    default: return "unknown";
    }
}

gboolean
yp_cli_changes (YpCli               *cli,
                const YpCliCommand  *command,
                int                  argc,
                char               **argv,
                GError             **error)
{
  gint64 since = 0;
  const GOptionEntry entries[] = {
    { "since", 0, 0, G_OPTION_ARG_INT64, &since,
      N_("Only changes after this cursor (default: all)"), N_("CURSOR") },
    { NULL }
  };
  g_autoptr(YpClient) client = NULL;
  g_autoptr(JsonObject) root = json_object_new ();
  JsonArray *array = json_array_new ();
  gint64 cursor, latest = 0;

  json_object_set_array_member (root, "changes", array);

  if (!yp_cli_parse_command_line (cli, command, entries, &argc, &argv, 0, 0, error))
    return FALSE;
  if (since < 0)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--since needs a cursor of 0 or more"));
      return FALSE;
    }

  client = yp_cli_open_session (cli, error);
  if (client == NULL)
    return FALSE;

  cursor = since;
  for (;;)
    {
      g_autoptr(YpChanges) changes = yp_client_changes_sync (client, cursor, 0, NULL, error);

      if (changes == NULL)
        return FALSE;
      for (guint i = 0; i < changes->changes->len; i++)
        {
          YpChange *change = g_ptr_array_index (changes->changes, i);
          const char *path = change->node ? yp_node_get_path (change->node) : NULL;

          if (cli->json)
            {
              JsonObject *object = json_object_new ();

              json_object_set_int_member (object, "cursor", change->cursor);
              json_object_set_string_member (object, "op", change_op_name (change->op));
              if (change->node != NULL)
                json_object_set_object_member (object, "node",
                                               yp_cli_node_to_json (change->node));
              if (change->old_path != NULL)
                json_object_set_string_member (object, "old_path", change->old_path);
              json_array_add_object_element (array, object);
            }
          else if (change->old_path != NULL)
            printf ("%" G_GINT64_FORMAT "\t%s\t%s -> %s\n", change->cursor,
                    change_op_name (change->op), change->old_path, path ? path : "?");
          else
            printf ("%" G_GINT64_FORMAT "\t%s\t%s\n", change->cursor,
                    change_op_name (change->op), path ? path : "?");
        }
      latest = changes->latest;
      /* a cursor that does not move would loop for ever */
      if (!changes->has_more || changes->cursor <= cursor)
        {
          cursor = MAX (cursor, changes->cursor);
          break;
        }
      cursor = changes->cursor;
    }

  if (cli->json)
    {
      json_object_set_int_member (root, "cursor", cursor);
      json_object_set_int_member (root, "latest", latest);
      yp_cli_print_json (root);
    }
  else
    {
      printf (_("cursor %" G_GINT64_FORMAT "\n"), cursor);
    }
  return TRUE;
}
