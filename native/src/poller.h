/* A readable-fd watcher on the Node event loop that hands batches to a JS callback. */
#ifndef PQCONNECT_POLLER_H
#define PQCONNECT_POLLER_H
#include <node_api.h>
#include <uv.h>

typedef struct poller poller;
/* Called on the event loop when fd is readable; returns the JS value to pass to the
 * callback, or NULL to skip the call. */
typedef napi_value (*poller_drain_fn)(napi_env env, poller *p);

struct poller {
  uv_poll_t handle;
  napi_env env;
  napi_ref callback;
  napi_async_context context;
  poller_drain_fn drain;
  void *data;
  int fd;
  int closing;
  void (*on_closed)(poller *p);
};

int poller_start(napi_env env, poller *p, int fd, napi_value callback, poller_drain_fn drain,
                 const char *name);
void poller_stop(poller *p, void (*on_closed)(poller *p));

/* JS binding helpers for readers of the form `xRead(fd, callback): handle` and
 * `xStop(handle)`: allocate an object of object_size (a poller as its first member) with
 * a buffer of buffer_size in poller.data, start it, and free both when stopped. */
napi_value poller_js_start(napi_env env, napi_callback_info info, size_t object_size, size_t buffer_size,
                           poller_drain_fn drain, const char *name, const char *usage);
napi_value poller_js_stop(napi_env env, napi_callback_info info, const char *usage);

#endif
