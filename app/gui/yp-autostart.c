/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-gui"

#include "config.h"

#include <errno.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "yp-autostart.h"

char *
yp_autostart_get_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "autostart", APPLICATION_ID ".desktop",
                           NULL);
}

/* The login session runs the entry without a terminal and without our
 * window: --background keeps the sync going until the user opens one. */
static char *
entry_contents (gsize *length)
{
  g_autoptr(GKeyFile) entry = g_key_file_new ();

  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_TYPE,
                         G_KEY_FILE_DESKTOP_TYPE_APPLICATION);
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_NAME, "Yunpan");
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_ICON,
                         APPLICATION_ID);
  g_key_file_set_string (entry, G_KEY_FILE_DESKTOP_GROUP, G_KEY_FILE_DESKTOP_KEY_EXEC,
                         "yunpan --background");
  g_key_file_set_boolean (entry, G_KEY_FILE_DESKTOP_GROUP, "X-GNOME-Autostart-enabled", TRUE);
  return g_key_file_to_data (entry, length, NULL);
}

/* In a worker thread: GIO has no asynchronous make-directory-with-parents
 * (a fresh home may not have ~/.config yet), and its replace writes a new
 * file in place, so a crash could leave half an entry that the session
 * would still run. g_file_set_contents_full() always writes a temporary
 * file, syncs it and renames it over: the old entry or the new one. */
static void
write_entry_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  const char *path = task_data;
  g_autofree char *folder = g_path_get_dirname (path);
  g_autofree char *contents = NULL;
  GError *error = NULL;
  gsize length = 0;
  int saved_errno;

  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      saved_errno = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                               _("Cannot create “%s”: %s"), folder, g_strerror (saved_errno));
      return;
    }

  contents = entry_contents (&length);
  if (!g_file_set_contents_full (path, contents, length, G_FILE_SET_CONTENTS_CONSISTENT, 0644,
                                 &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static void
entry_deleted_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  /* already gone is what we wanted */
  if (!g_file_delete_finish (G_FILE (source), result, &error)
      && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
    {
      g_task_return_error (task, error);
      return;
    }
  g_clear_error (&error);
  g_task_return_boolean (task, TRUE);
}

void
yp_autostart_sync_async (gboolean             enabled,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, yp_autostart_sync_async);

  /* the seam for the Background portal: a host entry cannot start an app
   * inside the sandbox */
  if (g_file_test ("/.flatpak-info", G_FILE_TEST_EXISTS))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               _("Starting at login from a sandbox needs the Background portal"));
      return;
    }

  path = yp_autostart_get_path ();
  if (enabled)
    {
      g_task_set_task_data (task, g_steal_pointer (&path), g_free);
      g_task_run_in_thread (task, write_entry_thread);
    }
  else
    {
      g_autoptr(GFile) file = g_file_new_for_path (path);

      g_file_delete_async (file, G_PRIORITY_DEFAULT, cancellable, entry_deleted_cb,
                           g_object_ref (task));
    }
}

gboolean
yp_autostart_sync_finish (GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == yp_autostart_sync_async,
                        FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
