/*
 * uv_poll-based readiness watching for file descriptors (TUN devices, UDP sockets,
 * NFQUEUE netlink sockets). Unlike a blocking read on the libuv thread pool, an idle poll
 * never holds up process exit, and one wake-up can drain a whole batch. See poller.h for
 * the lifetime rules that keep every path free of use-after-free.
 */
#include "poller.h"
#include "check.h"
#include <stdlib.h>

static void maybe_free(poller *p) {
  if (!p->loop_done || !p->finalized) return;
  if (p->release != NULL) p->release(p);
  free(p);
}

static void poller_ready(uv_poll_t *handle, int status, int events) {
  poller *p = handle->data;
  if (p->closing || p->failed) return;
  if (status < 0) {
    poller_fail(p); /* an error on the descriptor itself: stop instead of waking forever */
    return;
  }
  if (!(events & UV_READABLE)) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(p->env, &scope) != napi_ok) return;
  napi_value batch = p->drain(p->env, p);
  napi_value callback, global, result, resource;
  napi_callback_scope callback_scope;
  if (batch != NULL && !p->closing && napi_get_reference_value(p->env, p->callback, &callback) == napi_ok &&
      napi_get_global(p->env, &global) == napi_ok && napi_create_object(p->env, &resource) == napi_ok &&
      napi_open_callback_scope(p->env, resource, p->context, &callback_scope) == napi_ok) {
    napi_call_function(p->env, global, callback, 1, &batch, &result);
    napi_close_callback_scope(p->env, callback_scope);
  }
  napi_close_handle_scope(p->env, scope);
}

static void handle_closed(uv_handle_t *handle) {
  poller *p = handle->data;
  p->loop_done = 1;
  maybe_free(p);
}

int poller_start(napi_env env, poller *p, int fd, napi_value callback, poller_drain_fn drain,
                 const char *name, void (*release)(poller *p)) {
  uv_loop_t *loop;
  napi_value resource_name;
  p->env = env;
  p->fd = fd;
  p->drain = drain;
  p->release = release;
  p->finalized = 1; /* no JS handle until poller_external */
  p->loop_done = 1; /* no uv handle yet */
  if (napi_get_uv_event_loop(env, &loop) != napi_ok ||
      napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name) != napi_ok ||
      napi_create_reference(env, callback, 1, &p->callback) != napi_ok) {
    maybe_free(p);
    return -1;
  }
  if (napi_async_init(env, NULL, resource_name, &p->context) != napi_ok) {
    napi_delete_reference(env, p->callback);
    maybe_free(p);
    return -1;
  }
  if (uv_poll_init(loop, &p->handle, fd) != 0) {
    napi_delete_reference(env, p->callback);
    napi_async_destroy(env, p->context);
    maybe_free(p);
    return -1;
  }
  p->handle.data = p;
  p->started = 1;
  p->loop_done = 0;
  if (uv_poll_start(&p->handle, UV_READABLE, poller_ready) != 0) {
    poller_stop(p); /* the loop references the handle now: close it, free in the callback */
    return -1;
  }
  return 0;
}

void poller_stop(poller *p) {
  if (p->closing) return;
  p->closing = 1;
  if (!p->started) {
    p->loop_done = 1;
    maybe_free(p);
    return;
  }
  uv_poll_stop(&p->handle);
  napi_delete_reference(p->env, p->callback);
  napi_async_destroy(p->env, p->context);
  uv_close((uv_handle_t *)&p->handle, handle_closed);
}

void poller_fail(poller *p) {
  if (p->failed || p->closing) return;
  p->failed = 1;
  uv_poll_stop(&p->handle);
}

static void poller_finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  poller *p = data;
  p->finalized = 1;
  if (!p->closing) poller_stop(p); /* nobody can stop it any more */
  else maybe_free(p);
}

napi_value poller_external(napi_env env, poller *p) {
  napi_value handle;
  p->finalized = 0;
  if (napi_create_external(env, p, poller_finalize, NULL, &handle) != napi_ok) {
    p->finalized = 1;
    poller_stop(p);
    napi_throw_error(env, NULL, "cannot create the reader handle");
    return NULL;
  }
  return handle;
}

poller *poller_arg(napi_env env, napi_value value, const char *usage) {
  void *p = NULL;
  napi_valuetype type;
  if (napi_typeof(env, value, &type) != napi_ok || type != napi_external ||
      napi_get_value_external(env, value, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  return p;
}

static void release_buffer(poller *p) {
  free(p->data);
}

napi_value poller_js_start(napi_env env, napi_callback_info info, size_t object_size, size_t buffer_size,
                           poller_drain_fn drain, const char *name, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  napi_valuetype type;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_typeof(env, argv[1], &type) != napi_ok || type != napi_function) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  poller *p = calloc(1, object_size);
  void *buffer = malloc(buffer_size);
  if (p == NULL || buffer == NULL) {
    free(p);
    free(buffer);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  p->data = buffer;
  if (poller_start(env, p, fd, argv[1], drain, name, release_buffer) != 0) {
    napi_throw_error(env, NULL, "cannot poll the file descriptor");
    return NULL;
  }
  return poller_external(env, p);
}

napi_value poller_js_stop(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  poller *p = argc >= 1 ? poller_arg(env, argv[0], usage) : NULL;
  if (p == NULL) {
    if (argc < 1) napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  poller_stop(p);
  return NULL;
}
