/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <stdlib.h>
#include <string.h>

#include "yp-server-url.h"
#include "yp-sync-pair.h"

G_DEFINE_BOXED_TYPE (YpSyncPair, yp_sync_pair, yp_sync_pair_ref, yp_sync_pair_unref)

/* Symbolic links are resolved so that "~/Yunpan" and the place a link
 * "~/Yunpan" points to are one pair, with one lock; a folder that does not
 * exist yet has nothing to resolve. */
static char *
absolute_path (const char *path)
{
  g_autofree char *canonical = g_canonicalize_filename (path, NULL);
  g_autofree char *real = realpath (canonical, NULL);

  return real != NULL ? g_strdup (real) : g_steal_pointer (&canonical);
}

YpSyncPair *
yp_sync_pair_new (const char *server,
                  const char *username,
                  const char *local_path,
                  gint64      remote_root_id,
                  const char *remote_path)
{
  YpSyncPair *pair;

  g_return_val_if_fail (server != NULL && username != NULL, NULL);
  g_return_val_if_fail (local_path != NULL && remote_path != NULL, NULL);

  pair = g_atomic_rc_box_new0 (YpSyncPair);
  pair->server = yp_server_url_normalize (server);
  pair->username = g_strdup (username);
  pair->local_path = absolute_path (local_path);
  pair->remote_root_id = remote_root_id;
  pair->remote_path = g_strdup (remote_path);
  return pair;
}

YpSyncPair *
yp_sync_pair_ref (YpSyncPair *pair)
{
  return g_atomic_rc_box_acquire (pair);
}

static void
pair_clear (YpSyncPair *pair)
{
  g_free (pair->server);
  g_free (pair->username);
  g_free (pair->local_path);
  g_free (pair->remote_path);
}

void
yp_sync_pair_unref (YpSyncPair *pair)
{
  g_atomic_rc_box_release_full (pair, (GDestroyNotify) pair_clear);
}

/* Each field with its terminating NUL, which none of them can hold, so
 * that no two different pairs hash the same bytes. */
static void
checksum_add (GChecksum  *checksum,
              const char *field)
{
  g_checksum_update (checksum, (const guchar *) field, strlen (field) + 1);
}

char *
yp_sync_pair_dup_id (const YpSyncPair *pair)
{
  g_autoptr(GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *root_id = g_strdup_printf ("%" G_GINT64_FORMAT, pair->remote_root_id);

  checksum_add (checksum, pair->server);
  checksum_add (checksum, pair->username);
  checksum_add (checksum, pair->local_path);
  checksum_add (checksum, root_id);
  return g_strndup (g_checksum_get_string (checksum), YP_SYNC_PAIR_ID_LENGTH);
}

char *
yp_sync_pair_dup_display_name (const YpSyncPair *pair)
{
  const char *home = g_get_home_dir ();
  gsize len = strlen (home);
  g_autofree char *rest = NULL;

  if (len > 1 && strncmp (pair->local_path, home, len) == 0)
    {
      if (pair->local_path[len] == '\0')
        return g_strdup ("~");
      if (pair->local_path[len] == '/')
        {
          rest = g_filename_display_name (pair->local_path + len);
          return g_strconcat ("~", rest, NULL);
        }
    }
  return g_filename_display_name (pair->local_path);
}

gboolean
yp_sync_pair_equal (const YpSyncPair *a,
                    const YpSyncPair *b)
{
  return strcmp (a->server, b->server) == 0
         && strcmp (a->username, b->username) == 0
         && strcmp (a->local_path, b->local_path) == 0
         && a->remote_root_id == b->remote_root_id;
}
