/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "yp-sync-executor.h"
#include "yp-sync-reconcile.h"
#include "yp-sync-state.h"
/* tests/client's fixture: a real server and a signed-in client per case */
#include "yp-test-fixture.h"

G_BEGIN_DECLS

typedef struct
{
  char          *path;
  YpSyncOutcome  outcome;
} Outcome;

typedef struct
{
  Fixture        *f;
  char           *local;
  char           *staging;
  gint64          root_id;
  YpSyncState    *state;
  YpSyncExecutor *executor;
  GArray         *outcomes;
  /* the last progress reported */
  guint           items_done;
  guint           items_total;
  guint64         bytes_done;
  guint64         bytes_total;
  /* cancels once a run's bytes pass it; 0: never */
  guint64         cancel_at;
  GCancellable   *cancellable;
} Pair;

YpSyncExecutor *new_executor        (Pair              *p);
void            pair_init           (Pair              *p,
                                     Fixture           *f);
void            pair_clear          (Pair              *p);
char           *local_path          (Pair              *p,
                                     const char        *path);
void            write_local         (Pair              *p,
                                     const char        *path,
                                     const char        *contents);
void            assert_local        (Pair              *p,
                                     const char        *path,
                                     const char        *expected);
guint64         local_inode         (Pair              *p,
                                     const char        *path);
char           *remote_path         (const char        *path);
YpNode         *write_remote        (Pair              *p,
                                     const char        *path,
                                     const char        *contents);
YpNode         *stat_remote         (Pair              *p,
                                     const char        *path);
void            assert_remote       (Pair              *p,
                                     const char        *path,
                                     const char        *expected);
void            list_into           (Pair              *p,
                                     YpSyncTree        *tree,
                                     gint64             folder_id,
                                     const char        *prefix);
YpSyncTree     *remote_tree         (Pair              *p);
YpSyncTree     *base_tree           (Pair              *p);
YpSyncPlan     *make_plan           (Pair              *p,
                                     YpSyncTree       **remote_out);
YpSyncAction   *find_action         (YpSyncPlan        *plan,
                                     YpSyncActionKind   kind,
                                     const char        *path);
void            execute             (Pair              *p,
                                     YpSyncPlan        *plan,
                                     YpSyncTree        *remote);
void            sync_pass           (Pair              *p);
void            assert_in_sync      (Pair              *p);
YpSyncOutcome   outcome_of          (Pair              *p,
                                     const char        *path);
YpSyncItem     *base_item           (Pair              *p,
                                     const char        *path);
void            assert_base_matches (Pair              *p,
                                     const char        *path);
void            edit_local          (Pair              *p,
                                     const char        *path,
                                     const char        *contents);
void            remove_tree         (const char        *path);

G_END_DECLS
