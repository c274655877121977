/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "yp-sync-plan.h"

struct _YpSyncPlan
{
  GPtrArray *actions;   /* YpSyncAction, owned, in execution order */
};

G_DEFINE_BOXED_TYPE (YpSyncAction, yp_sync_action, yp_sync_action_ref, yp_sync_action_unref)
G_DEFINE_BOXED_TYPE (YpSyncPlan, yp_sync_plan, yp_sync_plan_ref, yp_sync_plan_unref)

YpSyncAction *
yp_sync_action_new (YpSyncActionKind  kind,
                    const char       *path)
{
  YpSyncAction *action = g_atomic_rc_box_new0 (YpSyncAction);

  action->kind = kind;
  action->path = g_strdup (path);
  return action;
}

YpSyncAction *
yp_sync_action_ref (YpSyncAction *action)
{
  return g_atomic_rc_box_acquire (action);
}

static void
action_clear (YpSyncAction *action)
{
  g_free (action->path);
  g_free (action->from_path);
  g_free (action->conflict_path);
  g_clear_pointer (&action->local, yp_sync_item_unref);
  g_clear_pointer (&action->remote, yp_sync_item_unref);
  g_clear_pointer (&action->base, yp_sync_item_unref);
  g_free (action->reason);
}

void
yp_sync_action_unref (YpSyncAction *action)
{
  g_atomic_rc_box_release_full (action, (GDestroyNotify) action_clear);
}

const char *
yp_sync_action_kind_to_string (YpSyncActionKind kind)
{
  static const char * const names[] = {
    [YP_SYNC_ACTION_UPLOAD] = "upload",
    [YP_SYNC_ACTION_DOWNLOAD] = "download",
    [YP_SYNC_ACTION_MKDIR_LOCAL] = "mkdir-local",
    [YP_SYNC_ACTION_MKDIR_REMOTE] = "mkdir-remote",
    [YP_SYNC_ACTION_DELETE_LOCAL] = "delete-local",
    [YP_SYNC_ACTION_DELETE_REMOTE] = "delete-remote",
    [YP_SYNC_ACTION_MOVE_LOCAL] = "move-local",
    [YP_SYNC_ACTION_MOVE_REMOTE] = "move-remote",
    [YP_SYNC_ACTION_CONFLICT] = "conflict",
    [YP_SYNC_ACTION_RECORD] = "record",
    [YP_SYNC_ACTION_FORGET] = "forget",
    [YP_SYNC_ACTION_SKIP] = "skip",
  };

  g_return_val_if_fail ((guint) kind < G_N_ELEMENTS (names), NULL);
  return names[kind];
}

static void
plan_clear (YpSyncPlan *plan)
{
  g_ptr_array_unref (plan->actions);
}

YpSyncPlan *
yp_sync_plan_new (void)
{
  YpSyncPlan *plan = g_atomic_rc_box_new0 (YpSyncPlan);

  plan->actions = g_ptr_array_new_with_free_func ((GDestroyNotify) yp_sync_action_unref);
  return plan;
}

YpSyncPlan *
yp_sync_plan_ref (YpSyncPlan *plan)
{
  return g_atomic_rc_box_acquire (plan);
}

void
yp_sync_plan_unref (YpSyncPlan *plan)
{
  g_atomic_rc_box_release_full (plan, (GDestroyNotify) plan_clear);
}

void
yp_sync_plan_add (YpSyncPlan   *plan,
                  YpSyncAction *action)
{
  g_ptr_array_add (plan->actions, yp_sync_action_ref (action));
}

guint
yp_sync_plan_get_n_actions (YpSyncPlan *plan)
{
  return plan->actions->len;
}

YpSyncAction *
yp_sync_plan_get_action (YpSyncPlan *plan,
                         guint       index)
{
  g_return_val_if_fail (index < plan->actions->len, NULL);
  return g_ptr_array_index (plan->actions, index);
}

gboolean
yp_sync_plan_is_idle (YpSyncPlan *plan)
{
  for (guint i = 0; i < plan->actions->len; i++)
    {
      YpSyncAction *action = g_ptr_array_index (plan->actions, i);

      if (action->kind != YP_SYNC_ACTION_RECORD && action->kind != YP_SYNC_ACTION_FORGET)
        return FALSE;
    }
  return TRUE;
}
