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
  return yp_retry_policy_should_retry_request (policy, attempt, error, TRUE);
}

/* An answer that says the request had no effect (docs/protocol.md: 500 and
 * 503 change nothing, nor do 429 and request_in_progress), or a failure
 * before anything was sent. */
static gboolean
nothing_was_done (const GError *error)
{
  if (error->domain != YP_CLIENT_ERROR)
    return FALSE;
  switch ((YpClientError) error->code)
    {
    case YP_CLIENT_ERROR_RESOLVE:
    case YP_CLIENT_ERROR_RATE_LIMITED:
    case YP_CLIENT_ERROR_IN_PROGRESS:
      return TRUE;
    case YP_CLIENT_ERROR_SERVER:
      /* a 502 or 504 from the proxy may come after the change was made */
      return yp_client_error_get_http_status (error) == 500
             || yp_client_error_get_http_status (error) == 503;
    default:
      return FALSE;
    }
}

gboolean
yp_retry_policy_should_retry_request (const YpRetryPolicy *policy,
                                      guint                attempt,
                                      const GError        *error,
                                      gboolean             repeatable)
{
  if (attempt >= policy->max_attempts || !yp_client_error_is_transient (error))
    return FALSE;
  if (yp_client_error_get_retry_after (error) > YP_RETRY_AFTER_MAX_S)
    return FALSE;
  return repeatable || nothing_was_done (error);
}

guint
yp_retry_policy_delay_for_error (const YpRetryPolicy *policy,
                                 guint                attempt,
                                 const GError        *error,
                                 GRand               *rand)
{
  guint backoff = yp_retry_policy_delay_ms (policy, attempt, rand);
  guint asked = MIN (yp_client_error_get_retry_after (error), YP_RETRY_AFTER_MAX_S) * 1000;

  return MAX (backoff, asked);
}
