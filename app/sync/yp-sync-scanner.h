/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "yp-sync-ignore.h"
#include "yp-sync-tree.h"

G_BEGIN_DECLS

/*
 * The local scanner: one walk of a pair's local folder into a YpSyncTree,
 * for the full scan at start and at intervals.
 *
 * Symbolic links are never followed and not synced, on either side (the
 * server has none): each is reported as a problem and skipped. So are
 * other special files (FIFOs, sockets, devices). A file whose kind, size,
 * modification time and inode equal those of its base item keeps the
 * base's SHA-256 without being read; any other file is hashed, several at
 * once.
 */

/**
 * YpSyncProblem:
 * @path: the pair path concerned
 * @error: what is wrong, in YP_SYNC_ERROR (UNREADABLE, SYMLINK, ...)
 *
 * One path a pass skipped. A path reported here is absent from the tree
 * the pass made, and so is everything under it when it is a folder: the
 * caller leaves such paths alone for this pass instead of reading their
 * absence as a deletion.
 */
typedef struct
{
  char   *path;
  GError *error;
} YpSyncProblem;

YpSyncProblem *yp_sync_problem_new  (const char    *path,
                                     const GError  *error);
void           yp_sync_problem_free (YpSyncProblem *problem);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (YpSyncProblem, yp_sync_problem_free)

/* Called in a hashing thread with the file open, before its bytes are
 * read; ATTEMPT is 1, or 2 when the file changed during the first read.
 * For tests: what happens to a file that changes or vanishes meanwhile. */
typedef void (*YpSyncScanHook) (const char *path,
                                guint       attempt,
                                gpointer    user_data);

/**
 * YpSyncScanOptions:
 * @n_threads: how many files are hashed at once; 0 for one a core
 * @before_hash: (nullable): see YpSyncScanHook
 * @hook_data: for @before_hash
 *
 * Zero-initialised, the defaults; a NULL options pointer is the same.
 */
typedef struct
{
  guint          n_threads;
  YpSyncScanHook before_hash;
  gpointer       hook_data;
} YpSyncScanOptions;

/* Walks the folder ROOT into a new tree of every file and folder under it
 * (the root itself is not an item), skipping what IGNORE matches (NULL:
 * the built-in rules) without entering ignored folders. BASE (nullable)
 * is the last synced state, whose hashes are reused for unchanged files.
 *
 * Paths that cannot be synced (symlinks, files that cannot be read or that
 * vanish or keep changing while they are read, folders that cannot be
 * opened) are skipped and, when PROBLEMS is not NULL, returned there
 * (element-type YpSyncProblem, sorted by path); they do not fail the pass.
 * The pass fails only when ROOT cannot be opened or listed to the end
 * (a tree that looks emptied), or when CANCELLABLE is cancelled.
 *
 * Blocks: call it in a worker thread. */
YpSyncTree *yp_sync_scan_sync (const char         *root,
                               YpSyncTree         *base,
                               YpSyncIgnore       *ignore,
                               YpSyncScanOptions  *options,
                               GCancellable       *cancellable,
                               GPtrArray         **problems,
                               GError            **error);

/* The same walk, of PATHS (pair paths, NULL-terminated) only: each one
 * that exists, with everything under it when it is a folder, and nothing
 * else. For a pass woken by the folder's monitor, whose other paths are as
 * the base has them. A path inside a folder that is gone, is a link or is
 * ignored is absent, as the full walk would leave it. */
YpSyncTree *yp_sync_scan_paths_sync (const char         *root,
                                     const char *const  *paths,
                                     YpSyncTree         *base,
                                     YpSyncIgnore       *ignore,
                                     YpSyncScanOptions  *options,
                                     GCancellable       *cancellable,
                                     GPtrArray         **problems,
                                     GError            **error);

G_END_DECLS
