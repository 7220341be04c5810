/* A readable-fd watcher on the Node event loop that hands batches to a JS callback. */
#ifndef PQCONNECT_POLLER_H
#define PQCONNECT_POLLER_H
#include <node_api.h>
#include <uv.h>

typedef struct poller poller;
/* Called on the event loop when fd is readable; returns the JS value to pass to the
 * callback, or NULL to skip the call. Calls poller_fail on an error that will not pass. */
typedef napi_value (*poller_drain_fn)(napi_env env, poller *p);

/*
 * Lifetime: a poller is freed only when the loop no longer references its handle
 * (closed through uv_close, or never initialised) and no JS handle refers to it (its
 * finalizer ran, or none was made). `release` frees what the owner added (buffers,
 * netlink handles) just before. Stopping twice, or using a stopped handle, is safe.
 */
struct poller {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  poller_drain_fn drain;
  void (*release)(poller *p);
  void *data;
  int fd;
  int started;   /* callback, context and uv handle exist */
  int closing;   /* stopped: nothing more is read or called */
  int failed;    /* a fatal read error: no longer watched */
  int loop_done; /* the loop has let go of the handle */
  int finalized; /* no JS handle refers to it */
};

/* Starts watching fd. On failure everything is released (now or through the loop) and
 * -1 is returned: the caller must not touch p again. */
int poller_start(napi_env env, poller *p, int fd, napi_value callback, poller_drain_fn drain,
                 const char *name, void (*release)(poller *p));
void poller_stop(poller *p);
/* A read error that will not pass: stop watching (no busy loop on EIO). */
void poller_fail(poller *p);
/* The JS handle for a started poller (with a finalizer); on failure stops it and returns NULL. */
napi_value poller_external(napi_env env, poller *p);
/* The poller behind a JS handle, or NULL (a TypeError is thrown). */
poller *poller_arg(napi_env env, napi_value value, const char *usage);

/* JS binding helpers for readers of the form `xRead(fd, callback): handle` and
 * `xStop(handle)`: allocate an object of object_size (a poller as its first member) with
 * a buffer of buffer_size in poller.data, and start it. */
napi_value poller_js_start(napi_env env, napi_callback_info info, size_t object_size, size_t buffer_size,
                           poller_drain_fn drain, const char *name, const char *usage);
napi_value poller_js_stop(napi_env env, napi_callback_info info, const char *usage);

#endif
