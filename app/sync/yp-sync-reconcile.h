/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-sync-plan.h"
#include "yp-sync-tree.h"

G_BEGIN_DECLS

typedef enum
{
  YP_SYNC_SIDE_LOCAL,
  YP_SYNC_SIDE_REMOTE,
} YpSyncSide;

/* Whether SIDE can hold a file or folder called NAME (one component). */
typedef gboolean (*YpSyncNameValidFunc) (const char *name,
                                         YpSyncSide  side,
                                         gpointer    user_data);

/**
 * YpSyncReconcileOptions:
 * @host: the name conflict copies carry ("from laptop")
 * @time: (nullable): the time conflict copies carry; %NULL: now
 * @case_insensitive_local: the local file system folds case, so it cannot
 *   hold two names that differ only in case
 * @name_valid: (nullable): tells names a side cannot hold; %NULL: all are
 * @user_data: for @name_valid
 */
typedef struct
{
  const char          *host;
  GDateTime           *time;
  gboolean             case_insensitive_local;
  YpSyncNameValidFunc  name_valid;
  gpointer             user_data;
} YpSyncReconcileOptions;

/*
 * yp_sync_reconcile:
 * Compares the local tree, the remote tree and the base (both sides as
 * they were at the last sync) and returns the plan that makes the two
 * sides identical again without losing anything. A pure function: it reads
 * the three trees and nothing else, so it is tested on its own.
 *
 * Identity. A base entry is found again
 * - locally at its own path when an item of the same kind is there, or at
 *   another path when the item with its device and inode is there, of the
 *   same kind, a file with the same size and modification time, and that
 *   path is not in the base (a local rename or move);
 * - remotely by node id wherever that node is now (a remote rename or
 *   move), else at its own path when an item of the same kind whose id the
 *   base does not know is there.
 * Whatever a side holds that no base entry found is new on that side.
 *
 * Changes. A local file changed when its stat (size, mtime, inode) differs
 * from the base, unless its known SHA-256 equals the base's; a local file
 * whose SHA-256 is "" (not hashed: the scanner trusts an unchanged stat) is
 * thus changed only when its stat differs. A remote file changed when its
 * SHA-256 differs from the base's. Folders never change themselves.
 *
 * Rules, for each base entry:
 * - unchanged on both sides: nothing;
 * - changed on one side only: upload (conditional on the version the
 *   remote tree shows, which is the base's unless the node changed without
 *   a change of content) or download (replacing only the local file the
 *   plan saw);
 * - changed on both to the same content: record; to different content:
 *   conflict (the remote version keeps the name, the local one becomes
 *   "NAME (conflict YYYY-MM-DD HHMMSS from HOST).EXT" and is uploaded too);
 * - deleted on both: forget;
 * - deleted on one side, unchanged on the other: deleted there too (a
 *   local delete only of the item with the base's stat identity, a remote
 *   delete only of the base's version; a remote file at another version,
 *   even with the base's content, is restored instead);
 * - deleted on one side, edited on the other: the edit wins and is restored
 *   (a remote delete + local edit uploads as new; a local delete + remote
 *   edit downloads);
 * - a folder deleted on one side survives when anything will live inside
 *   it (files added, edited, moved in or renamed on the other side): it is
 *   made again on the deleting side, holding only those; its unchanged
 *   files follow the delete;
 * - renamed or moved on one side: the other side follows with one move (a
 *   folder's content moves with it, no action per file); renamed on one
 *   side and edited on the other: the move, then the upload or download at
 *   the new path; renamed on both sides to different places: the server's
 *   place wins (move local, with a note); renamed on one side and deleted
 *   on the other: the rename wins and the item is restored at its new path.
 * For new items: new on one side only: upload (as new) or download, mkdir
 * for folders; new on both with the same name: same content or both
 * folders, record; different content, conflict as above. Two files of
 * different origin that end up wanting one name (a local rename onto a
 * name new on the server): the one the server holds there keeps it, the
 * other moves to a conflict name on both sides. A file and a folder
 * wanting one name: the folder keeps it (what it holds is placed in it
 * already), the file moves to a conflict name. Two folders of different
 * origin wanting one name (a new folder and one renamed onto its name)
 * become one: the server's folder there keeps its id, the local folder
 * there stays, what each held goes into it, and what is left of the other
 * on a side, emptied, is deleted after the moves (not while it holds
 * something skipped). Conflict names are never ones either side or the
 * plan already uses ("... from laptop 2)").
 * Moves on the two sides that would put a folder inside itself: the local
 * move gives way, so the server's layout wins.
 *
 * Skips, reported per path and left alone with what is under it: three
 * or more items wanting the same name; two names differing only in case when the local side folds case (the one
 * there locally stays); a name that @options->name_valid refuses on the
 * side it must be created on; moves in a cycle nothing else undoes.
 *
 * Order: deletes of files first (at the paths the sides have now), then
 * skips, then, sorted by destination path so that a folder comes before
 * what goes inside it, moves, mkdirs, transfers, conflicts and records
 * (for one item its moves before its content), then deletes of folders,
 * innermost first, at the paths they have after the moves. A name that an
 * item leaves in the same plan is freed before another takes it ("log" ->
 * "log.1", "new" -> "log"); names swapped on one side are untangled by
 * moving one item aside first, to its name + ".~yp-moving".
 */
YpSyncPlan *yp_sync_reconcile     (YpSyncTree                   *local,
                                   YpSyncTree                   *remote,
                                   YpSyncTree                   *base,
                                   const YpSyncReconcileOptions *options);

/* The name the local version of PATH takes in a conflict: "a/report.txt"
 * becomes "a/report (conflict 2026-12-02 061500 from laptop).txt"; the
 * extension stays last, a name without one (or a dotfile such as
 * ".bashrc") gets the suffix at its end. */
char       *yp_sync_conflict_name (const char                   *path,
                                   const char                   *host,
                                   GDateTime                    *time);

G_END_DECLS
