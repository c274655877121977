/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <string.h>

#include "yp-sync-reconcile-private.h"

/*
 * The names the local versions of conflicting files take.
 */

/* The conflict name of PATH; the Nth of them from N = 2 on. */
static char *
conflict_name (const char *path,
               const char *host,
               GDateTime  *time,
               guint       n)
{
  const char *name = basename_of (path);
  const char *dot = strrchr (name, '.');
  g_autoptr(GDateTime) now = time ? g_date_time_ref (time) : g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H%M%S");
  g_autofree char *count = n > 1 ? g_strdup_printf (" %u", n) : g_strdup ("");

  /* a dotfile's only dot starts its name, it is no extension */
  if (dot == NULL || dot == name)
    dot = name + strlen (name);
  return g_strdup_printf ("%.*s (conflict %s from %s%s)%s",
                          (int) (dot - path), path, stamp, host ? host : "unknown", count, dot);
}

/* A conflict name for TARGET that nothing on either side, nor in the plan,
 * holds. */
char *
_yp_reconcile_unique_conflict_name (Reconcile  *rc,
                                    const char *target)
{
  const YpSyncReconcileOptions *options = rc->options;

  for (guint n = 1;; n++)
    {
      char *name = conflict_name (target, options->host, options->time, n);

      if (!g_hash_table_contains (rc->by_target, name)
          && !g_hash_table_contains (rc->conflict_names, name)
          && yp_sync_tree_lookup (rc->local_tree, name) == NULL
          && yp_sync_tree_lookup (rc->remote_tree, name) == NULL)
        {
          g_hash_table_add (rc->conflict_names, name);
          return g_strdup (name);
        }
      g_free (name);
    }
}

char *
yp_sync_conflict_name (const char *path,
                       const char *host,
                       GDateTime  *time)
{
  g_return_val_if_fail (path != NULL, NULL);

  return conflict_name (path, host, time, 1);
}
