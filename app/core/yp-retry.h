/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/**
 * YpRetryPolicy:
 * @max_attempts: tries in all, the first included
 * @base_delay_ms: the delay before the second try, doubled after each one
 * @max_delay_ms: the longest delay
 *
 * When and how long to wait before trying a request again: exponential
 * backoff with full jitter, only for transient errors (network, 5xx).
 */
typedef struct
{
  guint max_attempts;
  guint base_delay_ms;
  guint max_delay_ms;
} YpRetryPolicy;

#define YP_RETRY_POLICY_DEFAULT ((YpRetryPolicy) { 5, 250, 8000 })

guint    yp_retry_policy_delay_ms     (const YpRetryPolicy *policy,
                                       guint                attempt,
                                       GRand               *rand);
gboolean yp_retry_policy_should_retry (const YpRetryPolicy *policy,
                                       guint                attempt,
                                       const GError        *error);

/* The longest Retry-After that is waited for; a longer one ends the call. */
#define YP_RETRY_AFTER_MAX_S 60

/* Whether to try again after ERROR a request that has been tried ATTEMPT
 * times. REPEATABLE: sending it twice does no harm (a read, a chunk placed
 * by offset, a change carrying an Idempotency-Key); other requests are only
 * tried again after an answer that says nothing was done. */
gboolean yp_retry_policy_should_retry_request (const YpRetryPolicy *policy,
                                               guint                attempt,
                                               const GError        *error,
                                               gboolean             repeatable);
/* The wait before the next try: the backoff, or the server's Retry-After
 * when that is longer. */
guint    yp_retry_policy_delay_for_error      (const YpRetryPolicy *policy,
                                               guint                attempt,
                                               const GError        *error,
                                               GRand               *rand);

G_END_DECLS
