/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "yp-rate-limiter.h"

/**
 * YpRateLimiter:
 *
 * A token bucket shared by every transfer in one direction: together they
 * move at most #YpRateLimiter:rate bytes a second (0: no limit), with bursts
 * of up to a quarter of a second's worth. Thread-safe; consume() blocks the
 * calling worker thread, never the main loop.
 */
struct _YpRateLimiter
{
  GObject  parent_instance;

  GMutex   mutex;
  guint64  rate;
  double   tokens;
  gint64   last_refill;     /* monotonic µs */
};

G_DEFINE_FINAL_TYPE (YpRateLimiter, yp_rate_limiter, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_RATE,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
yp_rate_limiter_finalize (GObject *object)
{
  g_mutex_clear (&YP_RATE_LIMITER (object)->mutex);

  G_OBJECT_CLASS (yp_rate_limiter_parent_class)->finalize (object);
}

static void
yp_rate_limiter_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_RATE:
      g_value_set_uint64 (value, yp_rate_limiter_get_rate (YP_RATE_LIMITER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_rate_limiter_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_RATE:
      yp_rate_limiter_set_rate (YP_RATE_LIMITER (object), g_value_get_uint64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
yp_rate_limiter_class_init (YpRateLimiterClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = yp_rate_limiter_finalize;
  object_class->get_property = yp_rate_limiter_get_property;
  object_class->set_property = yp_rate_limiter_set_property;

  properties[PROP_RATE] =
    g_param_spec_uint64 ("rate", NULL, NULL, 0, G_MAXUINT64, 0,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
yp_rate_limiter_init (YpRateLimiter *self)
{
  g_mutex_init (&self->mutex);
  self->last_refill = g_get_monotonic_time ();
}

YpRateLimiter *
yp_rate_limiter_new (guint64 bytes_per_second)
{
  return g_object_new (YP_TYPE_RATE_LIMITER, "rate", bytes_per_second, NULL);
}

guint64
yp_rate_limiter_get_rate (YpRateLimiter *self)
{
  guint64 rate;

  g_return_val_if_fail (YP_IS_RATE_LIMITER (self), 0);

  g_mutex_lock (&self->mutex);
  rate = self->rate;
  g_mutex_unlock (&self->mutex);
  return rate;
}

void
yp_rate_limiter_set_rate (YpRateLimiter *self,
                          guint64        bytes_per_second)
{
  gboolean changed;

  g_return_if_fail (YP_IS_RATE_LIMITER (self));

  g_mutex_lock (&self->mutex);
  changed = self->rate != bytes_per_second;
  self->rate = bytes_per_second;
  self->tokens = 0;
  self->last_refill = g_get_monotonic_time ();
  g_mutex_unlock (&self->mutex);
  if (changed)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_RATE]);
}

/* How long to wait before BYTES may pass, taking them when they can. */
static gint64
take_tokens (YpRateLimiter *self,
             gsize          bytes)
{
  gint64 now = g_get_monotonic_time ();
  double burst;
  gint64 wait = 0;

  g_mutex_lock (&self->mutex);
  if (self->rate == 0)
    goto out;
  burst = MAX ((double) self->rate / 4, (double) bytes);
  self->tokens = MIN (burst, self->tokens
                      + (double) (now - self->last_refill) * (double) self->rate / G_USEC_PER_SEC);
  self->last_refill = now;
  if (self->tokens >= (double) bytes)
    self->tokens -= (double) bytes;
  else
    wait = (gint64) (((double) bytes - self->tokens) * G_USEC_PER_SEC / (double) self->rate) + 1;
out:
  g_mutex_unlock (&self->mutex);
  return wait;
}

/**
 * yp_rate_limiter_consume:
 *
 * Blocks until @bytes may be sent or received under the limit.
 *
 * Returns: %FALSE only when @cancellable fired
 */
gboolean
yp_rate_limiter_consume (YpRateLimiter  *self,
                         gsize           bytes,
                         GCancellable   *cancellable,
                         GError        **error)
{
  gint64 wait;

  g_return_val_if_fail (YP_IS_RATE_LIMITER (self), FALSE);

  while ((wait = take_tokens (self, bytes)) > 0)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (MIN (wait, 50000));
    }
  return !g_cancellable_set_error_if_cancelled (cancellable, error);
}
