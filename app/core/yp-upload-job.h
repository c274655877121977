/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * One request of an upload (a chunk, a proof) on a thread of its own, so
 * that the upload's thread can keep several going and act on whichever
 * answers first. Every job of an upload reports to the upload's
 * YpUploadSignal: its mutex guards what the jobs share with the upload's
 * thread, and its cond is broadcast whenever a job's state changes.
 */
typedef struct
{
  GMutex mutex;
  GCond  cond;
} YpUploadSignal;

typedef struct _YpUploadJob YpUploadJob;

/* Runs on the job's thread; returns the reply object, or NULL with ERROR. */
typedef JsonObject *(*YpUploadJobFunc) (gpointer       data,
                                        GCancellable  *cancellable,
                                        GError       **error);

void         yp_upload_signal_init      (YpUploadSignal  *signal);
void         yp_upload_signal_clear     (YpUploadSignal  *signal);
/* With the mutex held: wakes the upload's thread. */
void         yp_upload_signal_broadcast (YpUploadSignal  *signal);

/* Starts FUNC (DATA, ...) on a new thread; the job is cancelled when
 * PARENT (may be NULL) is. */
YpUploadJob *yp_upload_job_start        (const char      *name,
                                         YpUploadSignal  *signal,
                                         GCancellable    *parent,
                                         YpUploadJobFunc  func,
                                         gpointer         data);
/* With the signal's mutex held. */
gboolean     yp_upload_job_is_finished  (YpUploadJob     *job);
void         yp_upload_job_cancel       (YpUploadJob     *job);
/* Waits for the job's thread and frees the job; returns FUNC's result. */
JsonObject  *yp_upload_job_join         (YpUploadJob     *job,
                                         GError         **error);

G_END_DECLS
