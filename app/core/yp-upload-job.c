/* SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "yunpan-client"

#include "config.h"

#include "yp-upload-job.h"

struct _YpUploadJob
{
  YpUploadSignal  *signal;
  GCancellable    *cancellable;
  GCancellable    *parent;
  gulong           parent_handler;
  YpUploadJobFunc  func;
  gpointer         data;
  GThread         *thread;

  /* written by the job's thread; read after the join */
  JsonObject      *reply;
  GError          *error;
  gboolean         finished;    /* under signal->mutex */
};

void
yp_upload_signal_init (YpUploadSignal *signal)
{
  g_mutex_init (&signal->mutex);
  g_cond_init (&signal->cond);
}

void
yp_upload_signal_clear (YpUploadSignal *signal)
{
  g_mutex_clear (&signal->mutex);
  g_cond_clear (&signal->cond);
}

void
yp_upload_signal_broadcast (YpUploadSignal *signal)
{
  g_cond_broadcast (&signal->cond);
}

static gpointer
job_thread (gpointer data)
{
  YpUploadJob *job = data;
  JsonObject *reply;
  GError *error = NULL;

  reply = job->func (job->data, job->cancellable, &error);
  g_mutex_lock (&job->signal->mutex);
  job->reply = reply;
  job->error = error;
  job->finished = TRUE;
  yp_upload_signal_broadcast (job->signal);
  g_mutex_unlock (&job->signal->mutex);
  return NULL;
}

static void
parent_cancelled_cb (GCancellable *parent,
                     GCancellable *child)
{
  g_cancellable_cancel (child);
}

YpUploadJob *
yp_upload_job_start (const char      *name,
                     YpUploadSignal  *signal,
                     GCancellable    *parent,
                     YpUploadJobFunc  func,
                     gpointer         data)
{
  YpUploadJob *job = g_new0 (YpUploadJob, 1);

  job->signal = signal;
  job->cancellable = g_cancellable_new ();
  job->func = func;
  job->data = data;
  if (parent != NULL)
    {
      job->parent = g_object_ref (parent);
      /* runs at once when PARENT has already fired */
      job->parent_handler = g_cancellable_connect (parent, G_CALLBACK (parent_cancelled_cb),
                                                   job->cancellable, NULL);
    }
  job->thread = g_thread_new (name, job_thread, job);
  return job;
}

gboolean
yp_upload_job_is_finished (YpUploadJob *job)
{
  return job->finished;
}

void
yp_upload_job_cancel (YpUploadJob *job)
{
  g_cancellable_cancel (job->cancellable);
}

JsonObject *
yp_upload_job_join (YpUploadJob  *job,
                    GError      **error)
{
  JsonObject *reply;

  g_thread_join (job->thread);
  if (job->parent != NULL)
    {
      g_cancellable_disconnect (job->parent, job->parent_handler);
      g_object_unref (job->parent);
    }
  g_object_unref (job->cancellable);
  reply = job->reply;
  if (job->error != NULL)
    g_propagate_error (error, job->error);
  g_free (job);
  return reply;
}
