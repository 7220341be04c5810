/*
 * NFQUEUE binding (libnetfilter_queue) for DNS interception.
 *
 * JS API:
 *   nfqueueOpen(queueNumber, callback): handle
 *       callback(packets: { id: number, payload: Buffer }[]) on the event loop, batched;
 *       the queue is fail-open: when it overflows the kernel accepts packets unjudged
 *   nfqueueVerdict(handle, id, payload | null)
 *       accept packet `id`, with `payload` replacing it when given
 *   nfqueueClose(handle)
 * Packets are never dropped here: every verdict is an accept (DNS must never break).
 */
#include "nfqueue.h"
#include "poller.h"
#include "check.h"
#include <stdbool.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RECV_BUFFER 262144

typedef struct {
  poller poll;
  struct nfq_handle *handle;
  struct nfq_q_handle *queue;
  char *buffer;
  napi_value batch;
  uint32_t count;
} nfqueue_state;

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *message, struct nfq_data *nfa,
                     void *data) {
  (void)queue;
  (void)message;
  nfqueue_state *state = data;
  napi_env env = state->poll.env;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(nfa);
  if (header == NULL) return 0;
  unsigned char *payload = NULL;
  int length = nfq_get_payload(nfa, &payload);
  napi_value item, id, buffer;
  void *copy;
  if (napi_create_object(env, &item) != napi_ok ||
      napi_create_uint32(env, ntohl(header->packet_id), &id) != napi_ok ||
      napi_create_buffer_copy(env, length > 0 ? (size_t)length : 0, payload, &copy, &buffer) != napi_ok ||
      napi_set_named_property(env, item, "id", id) != napi_ok ||
      napi_set_named_property(env, item, "payload", buffer) != napi_ok ||
      napi_set_element(env, state->batch, state->count, item) != napi_ok) {
    /* not handed to JS: let the original through now rather than leaving it queued */
    nfq_set_verdict(state->queue, ntohl(header->packet_id), NF_ACCEPT, 0, NULL);
    return 0;
  }
  state->count++;
  return 0;
}

static napi_value nfqueue_drain(napi_env env, poller *p) {
  nfqueue_state *state = (nfqueue_state *)p;
  if (napi_create_array(env, &state->batch) != napi_ok) return NULL;
  state->count = 0;
  for (int i = 0; i < 256; i++) {
    ssize_t n = recv(p->fd, state->buffer, RECV_BUFFER, MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR && errno != ENOBUFS) {
      poller_fail(p); /* ENOBUFS only says the kernel dropped some: go on; others will not pass */
      break;
    }
    if (n < 0 && errno == ENOBUFS) continue;
    if (n <= 0) break;
    nfq_handle_packet(state->handle, state->buffer, (int)n);
  }
  return state->count > 0 ? state->batch : NULL;
}

static void nfqueue_release(poller *p) {
  nfqueue_state *state = (nfqueue_state *)p;
  nfq_destroy_queue(state->queue);
  nfq_close(state->handle);
  free(state->buffer);
}

static napi_value nfqueue_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  uint32_t number;
  if (argc < 2 || napi_get_value_uint32(env, argv[0], &number) != napi_ok || number > 65535) {
    napi_throw_type_error(env, NULL, "nfqueueOpen(queueNumber, callback)");
    return NULL;
  }
  nfqueue_state *state = calloc(1, sizeof *state);
  char *buffer = malloc(RECV_BUFFER);
  struct nfq_handle *handle = state && buffer ? nfq_open() : NULL;
  if (handle == NULL) {
    free(state);
    free(buffer);
    napi_throw_error(env, NULL, "nfq_open failed (need CAP_NET_ADMIN)");
    return NULL;
  }
  state->handle = handle;
  state->buffer = buffer;
  state->queue = nfq_create_queue(handle, (uint16_t)number, on_packet, state);
  if (state->queue == NULL) {
    nfq_close(handle);
    free(buffer);
    free(state);
    napi_throw_error(env, NULL, "nfq_create_queue failed (queue number in use?)");
    return NULL;
  }
  nfq_set_mode(state->queue, NFQNL_COPY_PACKET, 0xffff);
  nfq_set_queue_flags(state->queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN);
  int fd = nfq_fd(handle);
  fcntl(fd, F_SETFD, FD_CLOEXEC); /* never inherited by firewall commands or the worker */
  if (poller_start(env, &state->poll, fd, argv[1], nfqueue_drain, "pqconnect-nfqueue",
                   nfqueue_release) != 0) {
    napi_throw_error(env, NULL, "cannot poll the NFQUEUE socket");
    return NULL;
  }
  return poller_external(env, &state->poll);
}

static nfqueue_state *state_arg(napi_env env, napi_value value) {
  return (nfqueue_state *)poller_arg(env, value, "not an NFQUEUE handle");
}

static napi_value nfqueue_verdict(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) {
    napi_throw_type_error(env, NULL, "nfqueueVerdict(handle, id, payload | null)");
    return NULL;
  }
  nfqueue_state *state = state_arg(env, argv[0]);
  uint32_t id;
  if (state == NULL) return NULL;
  if (napi_get_value_uint32(env, argv[1], &id) != napi_ok) {
    napi_throw_type_error(env, NULL, "nfqueueVerdict(handle, id, payload | null)");
    return NULL;
  }
  if (state->poll.closing) return NULL; /* closed: the kernel already let everything through */
  void *data = NULL;
  size_t length = 0;
  napi_valuetype type;
  CHECK(env, napi_typeof(env, argv[2], &type));
  if (type != napi_null && type != napi_undefined) {
    bool typed = false;
    napi_typedarray_type kind;
    if (napi_is_typedarray(env, argv[2], &typed) != napi_ok || !typed ||
        napi_get_typedarray_info(env, argv[2], &kind, &length, &data, NULL, NULL) != napi_ok ||
        kind != napi_uint8_array || length > 0xffff) {
      napi_throw_type_error(env, NULL, "nfqueueVerdict: payload must be bytes (at most 65535) or null");
      return NULL;
    }
  }
  nfq_set_verdict(state->queue, id, NF_ACCEPT, (uint32_t)length, data);
  return NULL;
}

static napi_value nfqueue_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  nfqueue_state *state = argc >= 1 ? state_arg(env, argv[0]) : NULL;
  if (state == NULL) return NULL;
  poller_stop(&state->poll);
  return NULL;
}

napi_status nfqueue_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"nfqueueOpen", NULL, nfqueue_open, NULL, NULL, NULL, napi_default, NULL},
    {"nfqueueVerdict", NULL, nfqueue_verdict, NULL, NULL, NULL, napi_default, NULL},
    {"nfqueueClose", NULL, nfqueue_close, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
