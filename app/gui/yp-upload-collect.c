/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include "yp-upload-collect.h"

typedef struct
{
  char      *server;
  char      *token;
  GSList    *files;
  char      *remote_folder;
  GPtrArray *transfers;
} Collect;

static void
collect_free (Collect *collect)
{
  g_free (collect->server);
  g_free (collect->token);
  g_slist_free_full (collect->files, g_object_unref);
  g_free (collect->remote_folder);
  g_ptr_array_unref (collect->transfers);
  g_free (collect);
}

static gboolean collect_file (Collect      *collect,
                              YpClient     *client,
                              GFile        *file,
                              GFileType     type,
                              const char   *remote_path,
                              GCancellable *cancellable,
                              GError      **error);

static gboolean
collect_folder (Collect      *collect,
                YpClient     *client,
                GFile        *folder,
                const char   *remote_path,
                GCancellable *cancellable,
                GError      **error)
{
  g_autoptr(YpNode) made = NULL;
  g_autoptr(GFileEnumerator) children = NULL;
  GFileInfo *info;
  GFile *child;

  made = yp_client_mkdir_sync (client, YP_TARGET_PATH (remote_path), TRUE, cancellable, error);
  if (made == NULL)
    return FALSE;
  children = g_file_enumerate_children (folder,
                                        G_FILE_ATTRIBUTE_STANDARD_NAME ","
                                        G_FILE_ATTRIBUTE_STANDARD_TYPE,
                                        G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (children == NULL)
    return FALSE;
  while (g_file_enumerator_iterate (children, &info, &child, cancellable, error))
    {
      g_autofree char *child_remote = NULL;

      if (info == NULL)
        return TRUE;
      child_remote = g_build_path ("/", remote_path, g_file_info_get_name (info), NULL);
      if (!collect_file (collect, client, child, g_file_info_get_file_type (info), child_remote,
                         cancellable, error))
        return FALSE;
    }
  return FALSE;
}

static gboolean
collect_file (Collect      *collect,
              YpClient     *client,
              GFile        *file,
              GFileType     type,
              const char   *remote_path,
              GCancellable *cancellable,
              GError      **error)
{
  g_autofree char *local = g_file_get_path (file);

  if (type == G_FILE_TYPE_DIRECTORY)
    return collect_folder (collect, client, file, remote_path, cancellable, error);
  if (type == G_FILE_TYPE_REGULAR && local != NULL)
    g_ptr_array_add (collect->transfers,
                     yp_transfer_new_upload (local, remote_path, YP_VERSION_NONE));
  return TRUE;
}

static void
collect_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Collect *collect = task_data;
  /* a client of its own: the caller's lives in the caller's context */
  g_autoptr(YpClient) client = yp_client_new (collect->server);
  g_autoptr(GError) error = NULL;

  yp_client_set_token (client, collect->token);
  for (GSList *l = collect->files; l != NULL; l = l->next)
    {
      g_autofree char *name = g_file_get_basename (l->data);
      g_autofree char *remote = g_build_path ("/", collect->remote_folder, name, NULL);
      GFileType type = g_file_query_file_type (l->data, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                               cancellable);

      if (!collect_file (collect, client, l->data, type, remote, cancellable, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  g_task_return_pointer (task, g_ptr_array_ref (collect->transfers),
                         (GDestroyNotify) g_ptr_array_unref);
}

void
yp_upload_collect_async (YpClient            *client,
                         GSList              *files,
                         const char          *remote_folder,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Collect *collect;

  g_return_if_fail (YP_IS_CLIENT (client));
  g_return_if_fail (remote_folder != NULL && remote_folder[0] == '/');

  collect = g_new0 (Collect, 1);
  collect->server = g_strdup (yp_client_get_base_url (client));
  collect->token = yp_client_dup_token (client);
  collect->files = g_slist_copy_deep (files, (GCopyFunc) (void (*) (void)) g_object_ref, NULL);
  collect->remote_folder = g_strdup (remote_folder);
  collect->transfers = g_ptr_array_new_with_free_func (g_object_unref);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, yp_upload_collect_async);
  g_task_set_task_data (task, collect, (GDestroyNotify) collect_free);
  g_task_run_in_thread (task, collect_thread);
}

GPtrArray *
yp_upload_collect_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
