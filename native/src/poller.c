/*
 * uv_poll-based readiness watching for file descriptors (TUN devices, NFQUEUE netlink
 * sockets). Unlike a blocking read on the libuv thread pool, an idle poll never holds up
 * process exit, and one wake-up can drain a whole batch.
 */
#include "poller.h"
#include <stdlib.h>

static void poller_ready(uv_poll_t *handle, int status, int events) {
  poller *p = handle->data;
  if (status < 0 || !(events & UV_READABLE) || p->closing) return;
  napi_handle_scope scope;
  napi_open_handle_scope(p->env, &scope);
  napi_value batch = p->drain(p->env, p);
  if (batch != NULL && !p->closing) {
    napi_value callback, global, result;
    napi_get_reference_value(p->env, p->callback, &callback);
    napi_get_global(p->env, &global);
    napi_callback_scope callback_scope;
    napi_value resource;
    napi_create_object(p->env, &resource);
    if (napi_open_callback_scope(p->env, resource, p->context, &callback_scope) == napi_ok) {
      napi_call_function(p->env, global, callback, 1, &batch, &result);
      napi_close_callback_scope(p->env, callback_scope);
    }
  }
  napi_close_handle_scope(p->env, scope);
}

int poller_start(napi_env env, poller *p, int fd, napi_value callback, poller_drain_fn drain,
                 const char *name) {
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return -1;
  p->env = env;
  p->fd = fd;
  p->drain = drain;
  p->closing = 0;
  napi_create_reference(env, callback, 1, &p->callback);
  napi_value resource_name;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &resource_name);
  napi_async_init(env, NULL, resource_name, &p->context);
  if (uv_poll_init(loop, &p->handle, fd) != 0) return -1;
  p->handle.data = p;
  return uv_poll_start(&p->handle, UV_READABLE, poller_ready);
}

static void poller_closed(uv_handle_t *handle) {
  poller *p = handle->data;
  if (p->on_closed != NULL) p->on_closed(p);
}

void poller_stop(poller *p, void (*on_closed)(poller *p)) {
  if (p->closing) return;
  p->closing = 1;
  uv_poll_stop(&p->handle);
  napi_delete_reference(p->env, p->callback);
  napi_async_destroy(p->env, p->context);
  p->on_closed = on_closed;
  uv_close((uv_handle_t *)&p->handle, poller_closed);
}

static void poller_free(poller *p) {
  free(p->data);
  free(p);
}

napi_value poller_js_start(napi_env env, napi_callback_info info, size_t object_size, size_t buffer_size,
                           poller_drain_fn drain, const char *name, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
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
  if (poller_start(env, p, fd, argv[1], drain, name) != 0) {
    poller_free(p);
    napi_throw_error(env, NULL, "cannot poll the file descriptor");
    return NULL;
  }
  napi_value handle;
  napi_create_external(env, p, NULL, NULL, &handle);
  return handle;
}

napi_value poller_js_stop(napi_env env, napi_callback_info info, const char *usage) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  void *p = NULL;
  if (argc < 1 || napi_get_value_external(env, argv[0], &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  poller_stop(p, poller_free);
  return NULL;
}
