/*
 * TUN devices for the daemon.
 *
 * JS API:
 *   tunOpen(name, offload): { fd, name, vnetHeader, tso }
 *                                      create/attach a TUN device (IFF_TUN|IFF_NO_PI),
 *                                      non-blocking and close-on-exec (spawning the
 *                                      worker with it in a stdio slot passes it on);
 *                                      with offload, IFF_VNET_HDR and TSO for IPv4
 *                                      (tso false: the kernel refused the offloads)
 *   tunRead(fd, callback): handle      call callback(packets: Uint8Array[]) with up to
 *                                      256 packets per wake-up, until tunStop(handle)
 *   tunReadVnet(fd, callback): handle  the same for a device with virtio-net headers:
 *                                      TSO packets come out segmented, partial
 *                                      checksums completed
 *   tunStop(handle)
 *   tunWrite(fd, packet): boolean      false when the kernel queue is full (dropped);
 *                                      TypeError unless fd is a number and packet bytes
 *   tunWriteVnet(fd, packet): boolean  the same behind a virtio-net header; TCP and UDP
 *                                      packets must carry only the pseudo-header sum in
 *                                      their checksum (the kernel completes it)
 *   tunWriteVnetBatch(fd, packets): number
 *                                      writes packets in order, consecutive segments
 *                                      of one TCP flow coalesced into one GSO packet
 *                                      (GRO done here); returns how many were refused
 *   closeFd(fd)
 */
#include "tun.h"
#include "poller.h"
#include "check.h"
#include "offload.h"
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_PACKET 65536
#define VNET_HEADER sizeof(struct virtio_net_hdr)
/* The most bytes one TSO packet's segments take: each repeats the headers (at most 120 bytes). */
#define SEGMENTS_BYTES (MAX_PACKET + OFFLOAD_MAX_SEGMENTS * 120)

static void throw_errno(napi_env env, const char *what) {
  char message[256];
  snprintf(message, sizeof message, "%s: %s", what, strerror(errno));
  napi_throw_error(env, NULL, message);
}

static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char name[IFNAMSIZ] = {0};
  size_t length = 0;
  bool offload = false;
  if (argc < 2 || napi_get_value_string_utf8(env, argv[0], name, sizeof name, &length) != napi_ok ||
      napi_get_value_bool(env, argv[1], &offload) != napi_ok) {
    napi_throw_type_error(env, NULL, "tunOpen(name, offload): a string and a boolean");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    throw_errno(env, "open /dev/net/tun");
    return NULL;
  }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    throw_errno(env, "TUNSETIFF");
    return NULL;
  }
  /* Checksums and TSO for IPv4 only: the tunnel carries IPv4, and UDP segmentation
   * offload (USO) would hand us UDP packets larger than the MTU to split as well. */
  bool tso = offload && ioctl(fd, TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO_ECN) == 0;
  napi_value result, fd_value, name_value, vnet_value, tso_value;
  CHECK_OR_CLOSE(env, napi_create_object(env, &result), fd);
  CHECK_OR_CLOSE(env, napi_create_int32(env, fd, &fd_value), fd);
  CHECK_OR_CLOSE(env, napi_create_string_utf8(env, ifr.ifr_name, NAPI_AUTO_LENGTH, &name_value), fd);
  CHECK_OR_CLOSE(env, napi_get_boolean(env, offload, &vnet_value), fd);
  CHECK_OR_CLOSE(env, napi_get_boolean(env, tso, &tso_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "fd", fd_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "name", name_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "vnetHeader", vnet_value), fd);
  CHECK_OR_CLOSE(env, napi_set_named_property(env, result, "tso", tso_value), fd);
  return result;
}

/* A new Uint8Array (not a Buffer: its slice() copies) holding a copy of the bytes. */
static napi_status copy_to_uint8array(napi_env env, const void *bytes, size_t length, napi_value *out) {
  napi_value arraybuffer;
  void *data;
  napi_status status = napi_create_arraybuffer(env, length, &data, &arraybuffer);
  if (status != napi_ok) return status;
  memcpy(data, bytes, length);
  return napi_create_typedarray(env, napi_uint8_array, length, arraybuffer, 0, out);
}

/* One packet behind a virtio-net header: TSO packets split, partial checksums completed.
 * Returns the packets appended to batch (0: malformed, dropped). */
static uint32_t vnet_packets(napi_env env, unsigned char *read_buffer, size_t n, napi_value batch,
                             uint32_t count) {
  if (n <= VNET_HEADER) return 0;
  struct virtio_net_hdr header;
  memcpy(&header, read_buffer, VNET_HEADER);
  unsigned char *packet = read_buffer + VNET_HEADER;
  size_t length = n - VNET_HEADER;
  uint8_t gso = header.gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN;
  if (gso == VIRTIO_NET_HDR_GSO_NONE) {
    if ((header.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
        !offload_complete_checksum(packet, length, header.csum_start, header.csum_offset))
      return 0;
    napi_value value;
    if (copy_to_uint8array(env, packet, length, &value) != napi_ok ||
        napi_set_element(env, batch, count, value) != napi_ok)
      return 0;
    return 1;
  }
  if (gso != VIRTIO_NET_HDR_GSO_TCPV4) return 0;
  uint16_t lengths[OFFLOAD_MAX_SEGMENTS];
  size_t total = offload_segmented_bytes(packet, length, header.gso_size);
  napi_value arraybuffer;
  void *data;
  if (total == 0 || total > SEGMENTS_BYTES || napi_create_arraybuffer(env, total, &data, &arraybuffer) != napi_ok)
    return 0;
  size_t made = offload_segment_tcp4(packet, length, header.gso_size, data, total, lengths, OFFLOAD_MAX_SEGMENTS);
  if (made == 0) return 0;
  size_t offset = 0;
  for (size_t i = 0; i < made; i++) {
    napi_value view;
    if (napi_create_typedarray(env, napi_uint8_array, lengths[i], arraybuffer, offset, &view) != napi_ok ||
        napi_set_element(env, batch, count + (uint32_t)i, view) != napi_ok)
      return (uint32_t)i;
    offset += lengths[i];
  }
  return (uint32_t)made;
}

/* One packet as read (no virtio-net header): appended as it is. */
static uint32_t plain_packet(napi_env env, unsigned char *read_buffer, size_t n, napi_value batch,
                             uint32_t count) {
  napi_value packet;
  return copy_to_uint8array(env, read_buffer, n, &packet) == napi_ok &&
                 napi_set_element(env, batch, count, packet) == napi_ok
             ? 1
             : 0;
}

/* Reads until the device is empty or MAX_BATCH packets are in the batch. */
static napi_value drain(napi_env env, poller *p, size_t read_size,
                        uint32_t (*packets)(napi_env, unsigned char *, size_t, napi_value, uint32_t)) {
  unsigned char *buffer = p->data;
  napi_value batch;
  if (napi_create_array(env, &batch) != napi_ok) return NULL;
  uint32_t count = 0;
  while (count < MAX_BATCH) {
    ssize_t n = read(p->fd, buffer, read_size);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      poller_fail(p); /* EIO, EBADF…: the device is gone; do not spin on it */
      break;
    }
    if (n <= 0) break;
    count += packets(env, buffer, (size_t)n, batch, count);
  }
  return count > 0 ? batch : NULL;
}

static napi_value tun_drain(napi_env env, poller *p) { return drain(env, p, MAX_PACKET, plain_packet); }

static napi_value tun_drain_vnet(napi_env env, poller *p) {
  return drain(env, p, VNET_HEADER + MAX_PACKET, vnet_packets);
}

static napi_value tun_read(napi_env env, napi_callback_info info) {
  return poller_js_start(env, info, sizeof(poller), MAX_PACKET, tun_drain, "pqconnect-tun",
                         "tunRead(fd, callback)");
}

static napi_value tun_read_vnet(napi_env env, napi_callback_info info) {
  return poller_js_start(env, info, sizeof(poller), VNET_HEADER + MAX_PACKET, tun_drain_vnet, "pqconnect-tun", "tunReadVnet(fd, callback)");
}

static napi_value tun_stop(napi_env env, napi_callback_info info) {
  return poller_js_stop(env, info, "tunStop(handle)");
}

/* The bytes of a Uint8Array (or Buffer) argument; false (TypeError thrown) otherwise. */
static bool bytes_arg(napi_env env, napi_value value, void **data, size_t *length, const char *usage) {
  bool typed = false;
  napi_typedarray_type type;
  if (napi_is_typedarray(env, value, &typed) != napi_ok || !typed ||
      napi_get_typedarray_info(env, value, &type, length, data, NULL, NULL) != napi_ok ||
      type != napi_uint8_array) {
    napi_throw_type_error(env, NULL, usage);
    return false;
  }
  return true;
}

static napi_value write_packet(napi_env env, napi_callback_info info, bool vnet, const char *usage) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  void *data;
  size_t length;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  if (!bytes_arg(env, argv[1], &data, &length, usage)) return NULL;
  struct virtio_net_hdr header = offload_partial_checksum_header(data, length);
  struct iovec parts[2] = {{&header, VNET_HEADER}, {data, length}};
  ssize_t n = vnet ? writev(fd, parts, 2) - (ssize_t)VNET_HEADER : write(fd, data, length);
  napi_value result;
  CHECK(env, napi_get_boolean(env, n == (ssize_t)length, &result));
  return result;
}

#define WRITE_CHUNK 256

/* Writes packets[0..n): coalesced runs as GSO packets, the rest alone; returns refusals. */
static uint32_t write_coalesced(int fd, const uint8_t *const *packets, const size_t *lengths, size_t n) {
  static uint8_t coalesced[65535];
  uint32_t refused = 0;
  for (size_t i = 0; i < n;) {
    offload_run run = offload_tcp4_run(packets + i, lengths + i, n - i);
    if (run.count < 2) {
      struct virtio_net_hdr alone = offload_partial_checksum_header(packets[i], lengths[i]);
      struct iovec parts[2] = {{&alone, VNET_HEADER}, {(void *)packets[i], lengths[i]}};
      if (writev(fd, parts, 2) != (ssize_t)(VNET_HEADER + lengths[i])) refused++;
      i++;
      continue;
    }
    offload_tcp4_coalesce(packets + i, lengths + i, run, coalesced);
    size_t ip_length = (size_t)(packets[i][0] & 0x0f) * 4;
    struct virtio_net_hdr header = {
        .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
        .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
        .hdr_len = (uint16_t)run.headers,
        .gso_size = (uint16_t)run.gso_size,
        .csum_start = (uint16_t)ip_length,
        .csum_offset = 16,
    };
    struct iovec parts[2] = {{&header, VNET_HEADER}, {coalesced, run.total}};
    if (writev(fd, parts, 2) != (ssize_t)(VNET_HEADER + run.total)) refused += (uint32_t)run.count;
    i += run.count;
  }
  return refused;
}

static napi_value tun_write_vnet_batch(napi_env env, napi_callback_info info) {
  const char *usage = "tunWriteVnetBatch(fd, packets)";
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  int32_t fd;
  bool is_array = false;
  uint32_t n = 0;
  if (argc < 2 || napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0 ||
      napi_is_array(env, argv[1], &is_array) != napi_ok || !is_array ||
      napi_get_array_length(env, argv[1], &n) != napi_ok) {
    napi_throw_type_error(env, NULL, usage);
    return NULL;
  }
  const uint8_t *packets[WRITE_CHUNK];
  size_t lengths[WRITE_CHUNK];
  uint32_t refused = 0;
  for (uint32_t start = 0; start < n; start += WRITE_CHUNK) {
    size_t count = n - start < WRITE_CHUNK ? n - start : WRITE_CHUNK;
    for (size_t i = 0; i < count; i++) {
      napi_value element;
      void *data;
      CHECK(env, napi_get_element(env, argv[1], start + (uint32_t)i, &element));
      if (!bytes_arg(env, element, &data, &lengths[i], usage)) return NULL;
      packets[i] = data;
    }
    refused += write_coalesced(fd, packets, lengths, count);
  }
  napi_value result;
  CHECK(env, napi_create_uint32(env, refused, &result));
  return result;
}

static napi_value tun_write(napi_env env, napi_callback_info info) {
  return write_packet(env, info, false, "tunWrite(fd, packet)");
}

static napi_value tun_write_vnet(napi_env env, napi_callback_info info) {
  return write_packet(env, info, true, "tunWriteVnet(fd, packet)");
}

static napi_value close_fd(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t fd;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &fd) != napi_ok) {
    napi_throw_type_error(env, NULL, "closeFd(fd)");
    return NULL;
  }
  close(fd);
  return NULL;
}

napi_status tun_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    {"tunOpen", NULL, tun_open, NULL, NULL, NULL, napi_default, NULL},
    {"tunRead", NULL, tun_read, NULL, NULL, NULL, napi_default, NULL},
    {"tunReadVnet", NULL, tun_read_vnet, NULL, NULL, NULL, napi_default, NULL},
    {"tunStop", NULL, tun_stop, NULL, NULL, NULL, napi_default, NULL},
    {"tunWrite", NULL, tun_write, NULL, NULL, NULL, napi_default, NULL},
    {"tunWriteVnet", NULL, tun_write_vnet, NULL, NULL, NULL, napi_default, NULL},
    {"tunWriteVnetBatch", NULL, tun_write_vnet_batch, NULL, NULL, NULL, napi_default, NULL},
    {"closeFd", NULL, close_fd, NULL, NULL, NULL, napi_default, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
