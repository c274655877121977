/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include <errno.h>

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "yp-account.h"

#define GROUP "Account"

char *
yp_account_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "yunpan", "account.ini", NULL);
}

/**
 * yp_account_load:
 *
 * Returns: %FALSE with a G_IO_ERROR_NOT_FOUND error when no account is saved
 */
gboolean
yp_account_load (char   **server,
                 char   **username,
                 GError **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *path = yp_account_path ();
  g_autoptr(GError) local_error = NULL;

  if (!g_key_file_load_from_file (file, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No account is set up"));
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  *server = g_key_file_get_string (file, GROUP, "server", error);
  if (*server == NULL)
    return FALSE;
  *username = g_key_file_get_string (file, GROUP, "username", error);
  if (*username == NULL)
    {
      g_clear_pointer (server, g_free);
      return FALSE;
    }
  return TRUE;
}

/* Written whole to a temporary file and renamed over the old one
 * (g_file_set_contents), so a crash leaves the old account or the new. */
gboolean
yp_account_save (const char  *server,
                 const char  *username,
                 GError     **error)
{
  g_autoptr(GKeyFile) file = g_key_file_new ();
  g_autofree char *path = yp_account_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  g_return_val_if_fail (server != NULL && username != NULL, FALSE);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot create “%s”: %s"),
                   dir, g_strerror (saved));
      return FALSE;
    }
  g_key_file_set_string (file, GROUP, "server", server);
  g_key_file_set_string (file, GROUP, "username", username);
  return g_key_file_save_to_file (file, path, error);
}

gboolean
yp_account_forget (GError **error)
{
  g_autofree char *path = yp_account_path ();

  if (g_unlink (path) != 0 && errno != ENOENT)
    {
      int saved = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot remove “%s”: %s"),
                   path, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}
