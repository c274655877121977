/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "yp-client-error.h"
#include "yp-client-private.h"

/* The asynchronous calls: each runs its sync call in a worker thread. */

typedef struct _CallArgs CallArgs;

/* Runs one sync call; returns its result, or NULL with ERROR set. */
typedef gpointer (*CallFunc) (YpClient      *self,
                              CallArgs      *args,
                              GCancellable  *cancellable,
                              GError       **error);

struct _CallArgs
{
  CallFunc        func;
  GDestroyNotify  result_free;
  char           *path;
  char           *text;      /* a password, or a second path */
  char           *username;  /* or, for a password change, the old password */
  char           *category;
  gint64          number;
  gint64          limit;
  gboolean        flag;
  YpListOptions   options;
};

static void
call_args_free (CallArgs *args)
{
  g_free (args->path);
  if (args->text)
    memset (args->text, 0, strlen (args->text));
  g_free (args->text);
  if (args->username)
    memset (args->username, 0, strlen (args->username));
  g_free (args->username);
  g_free (args->category);
  g_free (args);
}

static void
call_thread (GTask        *task,
             gpointer      source,
             gpointer      task_data,
             GCancellable *cancellable)
{
  CallArgs *args = task_data;
  GError *error = NULL;
  gpointer result = args->func (source, args, cancellable, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, args->result_free);
}

static CallArgs *
call_args_new (CallFunc       func,
               GDestroyNotify result_free)
{
  CallArgs *args = g_new0 (CallArgs, 1);

  args->func = func;
  args->result_free = result_free;
  return args;
}

static void
call_start (YpClient            *self,
            CallArgs            *args,
            gpointer             source_tag,
            GCancellable        *cancellable,
            GAsyncReadyCallback  callback,
            gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, source_tag);
  /* A call that finished did what it did on the server, cancelled or not:
   * its result is delivered, so that a login's token or a move's new node
   * is never dropped. A call cancelled in time fails with CANCELLED itself. */
  g_task_set_check_cancellable (task, FALSE);
  g_task_set_task_data (task, args, (GDestroyNotify) call_args_free);
  g_task_run_in_thread (task, call_thread);
}

static gpointer
call_finish (YpClient      *self,
             GAsyncResult  *result,
             gpointer       source_tag,
             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == source_tag, NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Calls that answer yes or no return this non-NULL pointer for yes. */
#define CALL_OK(ok) ((ok) ? GINT_TO_POINTER (1) : NULL)

static gpointer
call_register (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_register_sync (self, a->username, a->text, c, error));
}

static gpointer
call_login (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_login_sync (self, a->username, a->text, c, error));
}

static gpointer
call_logout (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_logout_sync (self, c, error));
}

static gpointer
call_logout_all (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_logout_all_sync (self, c, error));
}

static gpointer
call_change_password (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_change_password_sync (self, a->username, a->text, c, error));
}

static gpointer
call_whoami (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  gint64 cursor = 0;

  if (!yp_client_whoami_sync (self, &cursor, c, error))
    return NULL;
  /* a cursor of 0 still means success */
  return g_memdup2 (&cursor, sizeof cursor);
}

static gpointer
call_list (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_list_sync (self, a->path, &a->options, c, error);
}

static gpointer
call_stat (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_stat_sync (self, a->path, c, error);
}

static gpointer
call_mkdir (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_mkdir_sync (self, a->path, a->flag, c, error);
}

static gpointer
call_move (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_move_sync (self, a->path, a->text, a->number, c, error);
}

static gpointer
call_delete (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return CALL_OK (yp_client_delete_sync (self, a->path, a->number, c, error));
}

static gpointer
call_changes (YpClient *self, CallArgs *a, GCancellable *c, GError **error)
{
  return yp_client_changes_sync (self, a->number, a->limit, c, error);
}

void
yp_client_register_async (YpClient            *self,
                          const char          *username,
                          const char          *password,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  CallArgs *args = call_args_new (call_register, NULL);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->username = g_strdup (username);
  args->text = g_strdup (password);
  call_start (self, args, yp_client_register_async, cancellable, callback, user_data);
}

gboolean
yp_client_register_finish (YpClient      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  return call_finish (self, result, yp_client_register_async, error) != NULL;
}

void
yp_client_login_async (YpClient            *self,
                       const char          *username,
                       const char          *password,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  CallArgs *args = call_args_new (call_login, NULL);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->username = g_strdup (username);
  args->text = g_strdup (password);
  call_start (self, args, yp_client_login_async, cancellable, callback, user_data);
}

gboolean
yp_client_login_finish (YpClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return call_finish (self, result, yp_client_login_async, error) != NULL;
}

void
yp_client_logout_async (YpClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  call_start (self, call_args_new (call_logout, NULL), yp_client_logout_async, cancellable,
              callback, user_data);
}

gboolean
yp_client_logout_finish (YpClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return call_finish (self, result, yp_client_logout_async, error) != NULL;
}

void
yp_client_logout_all_async (YpClient            *self,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  call_start (self, call_args_new (call_logout_all, NULL), yp_client_logout_all_async,
              cancellable, callback, user_data);
}

gboolean
yp_client_logout_all_finish (YpClient      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return call_finish (self, result, yp_client_logout_all_async, error) != NULL;
}

void
yp_client_change_password_async (YpClient            *self,
                                 const char          *old_password,
                                 const char          *new_password,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  CallArgs *args = call_args_new (call_change_password, NULL);

  g_return_if_fail (YP_IS_CLIENT (self));

  /* both are wiped when the call is done */
  args->username = g_strdup (old_password);
  args->text = g_strdup (new_password);
  call_start (self, args, yp_client_change_password_async, cancellable, callback, user_data);
}

gboolean
yp_client_change_password_finish (YpClient      *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return call_finish (self, result, yp_client_change_password_async, error) != NULL;
}

void
yp_client_whoami_async (YpClient            *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_return_if_fail (YP_IS_CLIENT (self));

  call_start (self, call_args_new (call_whoami, g_free), yp_client_whoami_async, cancellable,
              callback, user_data);
}

gboolean
yp_client_whoami_finish (YpClient      *self,
                         GAsyncResult  *result,
                         gint64        *cursor,
                         GError       **error)
{
  g_autofree gint64 *value = call_finish (self, result, yp_client_whoami_async, error);

  if (value != NULL && cursor != NULL)
    *cursor = *value;
  return value != NULL;
}

void
yp_client_list_async (YpClient            *self,
                      const char          *path,
                      const YpListOptions *options,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  CallArgs *args = call_args_new (call_list, (GDestroyNotify) yp_listing_free);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  if (options != NULL)
    {
      args->options = *options;
      args->category = g_strdup (options->category);
      args->options.category = args->category;
    }
  call_start (self, args, yp_client_list_async, cancellable, callback, user_data);
}

YpListing *
yp_client_list_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return call_finish (self, result, yp_client_list_async, error);
}

void
yp_client_stat_async (YpClient            *self,
                      const char          *path,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  CallArgs *args = call_args_new (call_stat, g_object_unref);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  call_start (self, args, yp_client_stat_async, cancellable, callback, user_data);
}

YpNode *
yp_client_stat_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return call_finish (self, result, yp_client_stat_async, error);
}

void
yp_client_mkdir_async (YpClient            *self,
                       const char          *path,
                       gboolean             parents,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  CallArgs *args = call_args_new (call_mkdir, g_object_unref);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  args->flag = parents;
  call_start (self, args, yp_client_mkdir_async, cancellable, callback, user_data);
}

YpNode *
yp_client_mkdir_finish (YpClient      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return call_finish (self, result, yp_client_mkdir_async, error);
}

void
yp_client_move_async (YpClient            *self,
                      const char          *path,
                      const char          *to_path,
                      gint64               if_version,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  CallArgs *args = call_args_new (call_move, g_object_unref);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  args->text = g_strdup (to_path);
  args->number = if_version;
  call_start (self, args, yp_client_move_async, cancellable, callback, user_data);
}

YpNode *
yp_client_move_finish (YpClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return call_finish (self, result, yp_client_move_async, error);
}

void
yp_client_delete_async (YpClient            *self,
                        const char          *path,
                        gint64               if_version,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  CallArgs *args = call_args_new (call_delete, NULL);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->path = g_strdup (path);
  args->number = if_version;
  call_start (self, args, yp_client_delete_async, cancellable, callback, user_data);
}

gboolean
yp_client_delete_finish (YpClient      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  return call_finish (self, result, yp_client_delete_async, error) != NULL;
}

void
yp_client_changes_async (YpClient            *self,
                         gint64               since,
                         gint64               limit,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  CallArgs *args = call_args_new (call_changes, (GDestroyNotify) yp_changes_free);

  g_return_if_fail (YP_IS_CLIENT (self));

  args->number = since;
  args->limit = limit;
  call_start (self, args, yp_client_changes_async, cancellable, callback, user_data);
}

YpChanges *
yp_client_changes_finish (YpClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return call_finish (self, result, yp_client_changes_async, error);
}
