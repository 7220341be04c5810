/*
 * UDP over raw file descriptors, so that the privileged part can bind a socket (also to
 * a port below 1024) and hand the descriptor to the unprivileged worker, which Node's
 * dgram module cannot adopt. Reads are batched with recvmmsg on the event loop.
 *
 * JS API:
 *   udpBind(address, port, gro): { fd, port, gro }
 *                                            IPv4 socket, non-blocking, 4 MiB buffers;
 *                                            with gro, UDP_GRO (gro false: refused)
 *   udpRead(fd, callback): handle            callback([datas, addresses, ports]): three
 *                                            parallel arrays, one entry per datagram;
 *                                            datagrams the kernel coalesced (GRO) come
 *                                            out one by one again
 *   udpStop(handle)
 *   udpSend(fd, data, address, port): boolean   false if the kernel refused (dropped)
 *   udpSendSegments(fd, data, size, address, port): 1 | 0 | -1
 *                                            data = datagrams of `size` bytes back to back
 *                                            (the last may be shorter), sent in one
 *                                            sendmsg with UDP_SEGMENT (GSO): 1 sent,
 *                                            0 refused (dropped), -1 GSO unsupported
 */
#include "udp.h"
#include "poller.h"
#include "check.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define BATCH 64
#define DATAGRAM_MAX 65536
#define CONTROL_BYTES CMSG_SPACE(sizeof(int))

typedef struct {
  poller poll; /* poll.data holds BATCH buffers of DATAGRAM_MAX bytes */
  struct mmsghdr messages[BATCH];
  struct iovec vectors[BATCH];
  struct sockaddr_in sources[BATCH];
  char controls[BATCH][CONTROL_BYTES];
} udp_reader;

/* The segment size of a message the kernel coalesced (UDP_GRO), or 0. */
static size_t gro_segment_size(struct msghdr *header) {
  for (struct cmsghdr *c = CMSG_FIRSTHDR(header); c != NULL; c = CMSG_NXTHDR(header, c)) {
    if (c->cmsg_level == SOL_UDP && c->cmsg_type == UDP_GRO) {
      int size;
      memcpy(&size, CMSG_DATA(c), sizeof size);
      return size > 0 ? (size_t)size : 0;
    }
  }
  return 0;
}

static void throw_errno(napi_env env, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
}

static int parse_address(napi_env env, napi_value value, struct in_addr *out) {
  char text[64];
  size_t length;
  if (napi_get_value_string_utf8(env, value, text, sizeof text, &length) != napi_ok) return 0;
  return inet_pton(AF_INET, text, out) == 1;
}

static napi_value udp_bind(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  struct sockaddr_in address;
  memset(&address, 0, sizeof address);
  address.sin_family = AF_INET;
  uint32_t port;
  bool gro = false;
  if (argc < 3 || !parse_address(env, argv[0], &address.sin_addr) ||
      napi_get_value_uint32(env, argv[1], &port) != napi_ok || port > 65535 ||
      napi_get_value_bool(env, argv[2], &gro) != napi_ok) {
    napi_throw_type_error(env, NULL, "udpBind(address, port, gro)");
    return NULL;
  }
  address.sin_port = htons((uint16_t)port);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    throw_errno(env, "socket");
    return NULL;
  }
  int size = 4 * 1024 * 1024;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
  int on = 1;
  if (gro && setsockopt(fd, SOL_UDP, UDP_GRO, &on, sizeof on) < 0) gro = false;
  if (bind(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    throw_errno(env, "bind");
    return NULL;
  }
  socklen_t length = sizeof address;
  if (getsockname(fd, (struct sockaddr *)&address, &length) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    throw_errno(env, "getsockname");
    return NULL;
  }
  napi_value result, fd_value, port_value, gro_value;
  CHECK_OR_CLOSE(env, napi_create_object(env, &result), fd);
  CHECK_OR_CLOSE(env, napi_create_int32(env, fd, &fd_value), fd);
  CHECK_OR_CLOSE(env, napi_create_uint32(env, ntohs(address.sin_port), &port_value), fd);
  CHECK_OR_CLOSE(env, napi_get_boolean(env, gro, &gro_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "fd", fd_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "port", port_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "gro", gro_value), fd);
  return result;
}

/* The batch handed to JS: [data views, source addresses, source ports], one entry per
 * datagram each. Parallel arrays, so no object is built and no property named per datagram;
 * one address string serves every datagram from the same source in a row. */
typedef struct {
  napi_value datas, addresses, ports;
  uint32_t total;
  struct in_addr last_source;
  napi_value last_address;
} udp_batch;

static int batch_add(napi_env env, udp_batch *batch, napi_value data, struct sockaddr_in *source) {
  if (batch->last_address == NULL || batch->last_source.s_addr != source->sin_addr.s_addr) {
    char text[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &source->sin_addr, text, sizeof text);
    if (napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &batch->last_address) != napi_ok) return 0;
    batch->last_source = source->sin_addr;
  }
  napi_value port;
  if (napi_create_uint32(env, ntohs(source->sin_port), &port) != napi_ok ||
      napi_set_element(env, batch->datas, batch->total, data) != napi_ok ||
      napi_set_element(env, batch->addresses, batch->total, batch->last_address) != napi_ok ||
      napi_set_element(env, batch->ports, batch->total, port) != napi_ok)
    return 0;
  batch->total++;
  return 1;
}

static napi_value udp_drain(napi_env env, poller *p) {
  udp_reader *reader = (udp_reader *)p;
  udp_batch batch = {0};
  napi_value result;
  if (napi_create_array(env, &batch.datas) != napi_ok || napi_create_array(env, &batch.addresses) != napi_ok ||
      napi_create_array(env, &batch.ports) != napi_ok || napi_create_array_with_length(env, 3, &result) != napi_ok)
    return NULL;
  for (int round = 0; round < 4; round++) {
    for (int i = 0; i < BATCH; i++) {
      reader->vectors[i].iov_base = (unsigned char *)p->data + (size_t)i * DATAGRAM_MAX;
      reader->vectors[i].iov_len = DATAGRAM_MAX;
      memset(&reader->messages[i].msg_hdr, 0, sizeof(struct msghdr));
      reader->messages[i].msg_hdr.msg_iov = &reader->vectors[i];
      reader->messages[i].msg_hdr.msg_iovlen = 1;
      reader->messages[i].msg_hdr.msg_name = &reader->sources[i];
      reader->messages[i].msg_hdr.msg_namelen = sizeof(struct sockaddr_in);
      reader->messages[i].msg_hdr.msg_control = reader->controls[i];
      reader->messages[i].msg_hdr.msg_controllen = CONTROL_BYTES;
    }
    int received = recvmmsg(p->fd, reader->messages, BATCH, MSG_DONTWAIT, NULL);
    if (received < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
        errno != ECONNREFUSED) {
      poller_fail(p); /* the socket is unusable: do not spin on it */
      break;
    }
    if (received <= 0) break;
    for (int i = 0; i < received; i++) {
      napi_value arraybuffer;
      void *copy;
      size_t length = reader->messages[i].msg_len;
      size_t segment = gro_segment_size(&reader->messages[i].msg_hdr);
      if (segment == 0 || segment > length) segment = length;
      if (napi_create_arraybuffer(env, length, &copy, &arraybuffer) != napi_ok) continue;
      memcpy(copy, reader->vectors[i].iov_base, length);
      for (size_t offset = 0; offset < length || (length == 0 && offset == 0); offset += segment) {
        size_t size = length - offset < segment ? length - offset : segment;
        napi_value data;
        if (napi_create_typedarray(env, napi_uint8_array, size, arraybuffer, offset, &data) != napi_ok ||
            !batch_add(env, &batch, data, &reader->sources[i]))
          break;
        if (length == 0) break;
      }
    }
    if (received < BATCH) break;
  }
  if (batch.total == 0 || napi_set_element(env, result, 0, batch.datas) != napi_ok ||
      napi_set_element(env, result, 1, batch.addresses) != napi_ok ||
      napi_set_element(env, result, 2, batch.ports) != napi_ok)
    return NULL;
  return result;
}

static napi_value udp_read(napi_env env, napi_callback_info info) {
  return poller_js_start(env, info, sizeof(udp_reader), (size_t)BATCH * DATAGRAM_MAX, udp_drain,
                         "pqconnect-udp", "udpRead(fd, callback)");
}

static napi_value udp_stop(napi_env env, napi_callback_info info) {
  return poller_js_stop(env, info, "udpStop(handle)");
}

/* A send's arguments: fd, the bytes (a Uint8Array), and the target (address, port). */
typedef struct {
  int32_t fd;
  void *data;
  size_t length;
  struct sockaddr_in target;
} send_args;

/* Reads fd and data from argv[0..1] and the target from argv[at], argv[at + 1]. */
static bool parse_send_args(napi_env env, napi_value *argv, size_t argc, size_t at, send_args *out) {
  memset(out, 0, sizeof *out);
  out->target.sin_family = AF_INET;
  bool typed = false;
  napi_typedarray_type kind = napi_int8_array;
  uint32_t port;
  if (argc >= 2 && napi_is_typedarray(env, argv[1], &typed) == napi_ok && typed &&
      napi_get_typedarray_info(env, argv[1], &kind, &out->length, &out->data, NULL, NULL) != napi_ok)
    typed = false;
  if (argc < at + 2 || !typed || kind != napi_uint8_array ||
      napi_get_value_int32(env, argv[0], &out->fd) != napi_ok || out->fd < 0 ||
      !parse_address(env, argv[at], &out->target.sin_addr) ||
      napi_get_value_uint32(env, argv[at + 1], &port) != napi_ok || port > 65535)
    return false;
  out->target.sin_port = htons((uint16_t)port);
  return true;
}

static napi_value udp_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  send_args args;
  if (!parse_send_args(env, argv, argc, 2, &args)) {
    napi_throw_type_error(env, NULL, "udpSend(fd, data, address, port)");
    return NULL;
  }
  ssize_t sent = sendto(args.fd, args.data, args.length, MSG_DONTWAIT, (struct sockaddr *)&args.target,
                        sizeof args.target);
  napi_value result;
  CHECK(env, napi_get_boolean(env, sent == (ssize_t)args.length, &result));
  return result;
}

static napi_value udp_send_segments(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  send_args args;
  uint32_t segment;
  if (!parse_send_args(env, argv, argc, 3, &args) || napi_get_value_uint32(env, argv[2], &segment) != napi_ok ||
      segment == 0 || segment > 65535) {
    napi_throw_type_error(env, NULL, "udpSendSegments(fd, data, size, address, port)");
    return NULL;
  }
  struct iovec vector = {args.data, args.length};
  char control[CMSG_SPACE(sizeof(uint16_t))];
  memset(control, 0, sizeof control);
  struct msghdr message = {.msg_name = &args.target, .msg_namelen = sizeof args.target, .msg_iov = &vector,
                           .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *c = CMSG_FIRSTHDR(&message);
  c->cmsg_level = SOL_UDP;
  c->cmsg_type = UDP_SEGMENT;
  c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
  uint16_t size = (uint16_t)segment;
  memcpy(CMSG_DATA(c), &size, sizeof size);
  ssize_t sent = sendmsg(args.fd, &message, MSG_DONTWAIT);
  int32_t outcome = 1;
  if (sent != (ssize_t)args.length)
    outcome = sent < 0 && (errno == EIO || errno == EINVAL || errno == ENOPROTOOPT || errno == EOPNOTSUPP) ? -1 : 0;
  napi_value result;
  CHECK(env, napi_create_int32(env, outcome, &result));
  return result;
}

napi_status udp_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"udpBind", NULL, udp_bind, NULL, NULL, NULL, napi_default, NULL},
    {"udpRead", NULL, udp_read, NULL, NULL, NULL, napi_default, NULL},
    {"udpStop", NULL, udp_stop, NULL, NULL, NULL, napi_default, NULL},
    {"udpSend", NULL, udp_send, NULL, NULL, NULL, napi_default, NULL},
    {"udpSendSegments", NULL, udp_send_segments, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
