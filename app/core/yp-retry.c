/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "yp-client-error.h"
#include "yp-retry.h"

/*
 * The wait before try ATTEMPT + 1 (ATTEMPT counts from 1): uniformly random up
 * to base × 2^(attempt-1), capped. Full jitter keeps many clients that failed
 * together from retrying together.
 */
guint
yp_retry_policy_delay_ms (const YpRetryPolicy *policy,
                          guint                attempt,
                          GRand               *rand)
{
  guint64 ceiling = policy->base_delay_ms;

  for (guint i = 1; i < attempt && ceiling < policy->max_delay_ms; i++)
    ceiling *= 2;
  ceiling = MIN (ceiling, policy->max_delay_ms);
  if (ceiling == 0)
    return 0;
  return rand ? (guint) g_rand_int_range (rand, 0, (gint32) ceiling + 1)
              : (guint) g_random_int_range (0, (gint32) ceiling + 1);
}

gboolean
yp_retry_policy_should_retry (const YpRetryPolicy *policy,
                              guint                attempt,
                              const GError        *error)
{
  return attempt < policy->max_attempts && yp_client_error_is_transient (error);
}
