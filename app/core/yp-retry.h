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

G_END_DECLS
