/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-sync"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "yp-sync-error.h"
#include "yp-sync-lock.h"

struct _YpSyncLock
{
  int fd;
};

/* The pid the holder wrote into the lock file; 0 when there is none yet
 * (it took the lock a moment ago). */
static int
read_holder_pid (int fd)
{
  char buf[32];
  ssize_t len = pread (fd, buf, sizeof buf - 1, 0);

  if (len <= 0)
    return 0;
  buf[len] = '\0';
  return (int) g_ascii_strtoll (buf, NULL, 10);
}

static void
set_locked_error (const YpSyncPair  *pair,
                  int                fd,
                  GError           **error)
{
  g_autofree char *display = yp_sync_pair_dup_display_name (pair);
  int pid = read_holder_pid (fd);

  if (pid > 0)
    g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_LOCKED,
                 _("“%s” is already being synced by another Yunpan program (process %d)"),
                 display, pid);
  else
    g_set_error (error, YP_SYNC_ERROR, YP_SYNC_ERROR_LOCKED,
                 _("“%s” is already being synced by another Yunpan program"), display);
}

/* flock() belongs to the open file, so a second open in this process is
 * refused like one in another process, and the kernel drops it when its
 * holder dies however it dies: a stale lock is taken over. O_CLOEXEC keeps
 * it out of programs the engine runs. The file is never removed, as
 * another opener may be about to lock it. */
YpSyncLock *
yp_sync_lock_take (const char        *db_path,
                   const YpSyncPair  *pair,
                   GError           **error)
{
  g_autofree char *lock_path = NULL;
  YpSyncLock *lock;
  char pid[32];
  int fd, saved;

  lock_path = g_strconcat (db_path, ".lock", NULL);
  fd = g_open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot open “%s”: %s"),
                   lock_path, g_strerror (saved));
      return NULL;
    }
  if (flock (fd, LOCK_EX | LOCK_NB) != 0)
    {
      saved = errno;
      if (saved == EWOULDBLOCK)
        set_locked_error (pair, fd, error);
      else
        g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), _("Cannot lock “%s”: %s"),
                     lock_path, g_strerror (saved));
      close (fd);
      return NULL;
    }
  /* Only for the message of whoever is refused: failing to write it does
   * not make the lock less held. */
  g_snprintf (pid, sizeof pid, "%d\n", (int) getpid ());
  if (ftruncate (fd, 0) != 0 || pwrite (fd, pid, strlen (pid), 0) < 0)
    g_debug ("Cannot write the pid into %s: %s", lock_path, g_strerror (errno));
  lock = g_new0 (YpSyncLock, 1);
  lock->fd = fd;
  return lock;
}

/* Closing the file lets the lock go. */
void
yp_sync_lock_release (YpSyncLock *lock)
{
  close (lock->fd);
  g_free (lock);
}
