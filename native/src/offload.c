/*
 * TCP segmentation in user space for TUN devices opened with IFF_VNET_HDR and TSO
 * offloads: the kernel hands over one large TCP packet and the MSS; the tunnel carries
 * MSS-sized packets, each a valid IPv4/TCP packet of its own (RFC 791 and 9293 headers,
 * checksums in full). Pure functions over byte buffers.
 */
#include "offload.h"
#include <string.h>

static uint32_t sum16(const uint8_t *bytes, size_t length, uint32_t sum) {
  size_t i = 0;
  for (; i + 1 < length; i += 2) sum += (uint32_t)(bytes[i] << 8 | bytes[i + 1]);
  if (i < length) sum += (uint32_t)bytes[i] << 8;
  return sum;
}

static uint16_t fold(uint32_t sum) {
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

static void put16(uint8_t *at, uint16_t value) {
  at[0] = (uint8_t)(value >> 8);
  at[1] = (uint8_t)value;
}

static uint16_t get16(const uint8_t *at) { return (uint16_t)(at[0] << 8 | at[1]); }

static uint32_t get32(const uint8_t *at) {
  return (uint32_t)at[0] << 24 | (uint32_t)at[1] << 16 | (uint32_t)at[2] << 8 | at[3];
}

static void put32(uint8_t *at, uint32_t value) {
  at[0] = (uint8_t)(value >> 24);
  at[1] = (uint8_t)(value >> 16);
  at[2] = (uint8_t)(value >> 8);
  at[3] = (uint8_t)value;
}

int offload_complete_checksum(uint8_t *packet, size_t length, uint16_t start, uint16_t offset) {
  if ((size_t)start + offset + 2 > length) return 0;
  uint16_t checksum = fold(sum16(packet + start, length - start, 0));
  put16(packet + start + offset, checksum);
  return 1;
}

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

/* Header bytes of a TCP/IPv4 packet that can be segmented, or 0. */
static size_t tcp4_headers(const uint8_t *packet, size_t length, uint16_t gso_size) {
  if (length < 40 || packet[0] >> 4 != 4 || packet[9] != 6 || gso_size == 0) return 0;
  size_t ip_length = (size_t)(packet[0] & 0x0f) * 4;
  if (ip_length < 20 || ip_length + 20 > length) return 0;
  size_t tcp_length = (size_t)(packet[ip_length + 12] >> 4) * 4;
  size_t headers = ip_length + tcp_length;
  return tcp_length < 20 || headers > length ? 0 : headers;
}

static size_t segment_count(size_t payload, uint16_t gso_size) {
  return payload == 0 ? 1 : (payload + gso_size - 1) / gso_size;
}

size_t offload_segmented_bytes(const uint8_t *packet, size_t length, uint16_t gso_size) {
  size_t headers = tcp4_headers(packet, length, gso_size);
  if (headers == 0) return 0;
  size_t count = segment_count(length - headers, gso_size);
  return count > OFFLOAD_MAX_SEGMENTS ? 0 : count * headers + (length - headers);
}

size_t offload_segment_tcp4(const uint8_t *packet, size_t length, uint16_t gso_size, uint8_t *out,
                            size_t capacity, uint16_t *lengths, size_t max_segments) {
  size_t headers = tcp4_headers(packet, length, gso_size);
  if (headers == 0) return 0;
  size_t ip_length = (size_t)(packet[0] & 0x0f) * 4;
  const uint8_t *tcp = packet + ip_length;
  size_t payload = length - headers;
  size_t count = segment_count(payload, gso_size);
  if (count > max_segments || count * headers + payload > capacity || headers + gso_size > 65535) return 0;
  uint16_t id = get16(packet + 4);
  uint32_t seq = get32(tcp + 4);
  size_t written = 0;
  for (size_t i = 0; i < count; i++) {
    size_t chunk = payload - i * gso_size < gso_size ? payload - i * gso_size : gso_size;
    uint8_t *segment = out + written;
    memcpy(segment, packet, headers);
    memcpy(segment + headers, packet + headers + i * gso_size, chunk);
    size_t total = headers + chunk;
    put16(segment + 2, (uint16_t)total);
    put16(segment + 4, (uint16_t)(id + i));
    put16(segment + 10, 0);
    put16(segment + 10, fold(sum16(segment, ip_length, 0)));
    uint8_t *segment_tcp = segment + ip_length;
    put32(segment_tcp + 4, seq + (uint32_t)(i * gso_size));
    if (i + 1 < count) segment_tcp[13] &= (uint8_t)~(TCP_FIN | TCP_PSH);
    if (i > 0) segment_tcp[13] &= (uint8_t)~TCP_CWR;
    put16(segment_tcp + 16, 0);
    size_t segment_tcp_length = total - ip_length;
    uint32_t pseudo = sum16(segment + 12, 8, 6 + (uint32_t)segment_tcp_length);
    put16(segment_tcp + 16, fold(sum16(segment_tcp, segment_tcp_length, pseudo)));
    lengths[i] = (uint16_t)total;
    written += total;
  }
  return count;
}

/* The largest packet a GSO write may carry. */
#define COALESCED_MAX 65535
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_ACK 0x10
#define TCP_URG 0x20
#define TCP_ECE 0x40

/* Header sizes of an unfragmented IPv4 TCP packet with only ACK (and PSH) set, and
 * payload; 0 otherwise (such a packet is written alone). */
static size_t coalescable_headers(const uint8_t *p, size_t length) {
  if (length < 40 || p[0] >> 4 != 4 || p[9] != 6) return 0;
  size_t ip_length = (size_t)(p[0] & 0x0f) * 4;
  if (ip_length < 20 || ip_length + 20 > length || get16(p + 2) != length) return 0;
  if ((get16(p + 6) & 0x3fff) != 0) return 0; /* a fragment */
  const uint8_t *tcp = p + ip_length;
  size_t headers = ip_length + (size_t)(tcp[12] >> 4) * 4;
  uint8_t flags = tcp[13];
  if (headers > length || headers == length) return 0;
  if ((flags & TCP_ACK) == 0 || (flags & (TCP_SYN | TCP_RST | TCP_FIN | TCP_URG | TCP_ECE | TCP_CWR)))
    return 0;
  return headers;
}

/* Same flow and the same headers but for what differs per segment (lengths, ids,
 * checksums, sequence number, PSH). */
static int same_headers(const uint8_t *a, const uint8_t *b, size_t ip_length, size_t headers) {
  if (memcmp(a, b, 2) != 0 || a[8] != b[8] || a[9] != b[9] || memcmp(a + 12, b + 12, ip_length - 12) != 0)
    return 0;
  const uint8_t *ta = a + ip_length, *tb = b + ip_length;
  return memcmp(ta, tb, 4) == 0 && memcmp(ta + 8, tb + 8, 5) == 0 &&
         (ta[13] & (uint8_t)~TCP_PSH) == (tb[13] & (uint8_t)~TCP_PSH) && memcmp(ta + 14, tb + 14, 2) == 0 &&
         memcmp(ta + 18, tb + 18, headers - ip_length - 18) == 0;
}

offload_run offload_tcp4_run(const uint8_t *const *packets, const size_t *lengths, size_t n) {
  offload_run run = {1, 0, 0, lengths[0]};
  size_t headers = coalescable_headers(packets[0], lengths[0]);
  if (headers == 0) return run;
  const uint8_t *first = packets[0];
  size_t ip_length = (size_t)(first[0] & 0x0f) * 4;
  run.headers = headers;
  run.gso_size = lengths[0] - headers;
  uint32_t next_seq = get32(first + ip_length + 4) + (uint32_t)run.gso_size;
  int closed = (first[ip_length + 13] & TCP_PSH) != 0;
  while (!closed && run.count < n && run.count < OFFLOAD_MAX_SEGMENTS) {
    const uint8_t *p = packets[run.count];
    size_t length = lengths[run.count];
    if (coalescable_headers(p, length) != headers || !same_headers(first, p, ip_length, headers)) break;
    size_t payload = length - headers;
    if (payload > run.gso_size || get32(p + ip_length + 4) != next_seq ||
        run.total + payload > COALESCED_MAX)
      break;
    run.count++;
    run.total += payload;
    next_seq += (uint32_t)payload;
    closed = payload < run.gso_size || (p[ip_length + 13] & TCP_PSH) != 0;
  }
  return run;
}

void offload_tcp4_coalesce(const uint8_t *const *packets, const size_t *lengths, offload_run run,
                           uint8_t *out) {
  const uint8_t *first = packets[0];
  size_t ip_length = (size_t)(first[0] & 0x0f) * 4;
  memcpy(out, first, run.headers);
  size_t written = run.headers;
  for (size_t i = 0; i < run.count; i++) {
    memcpy(out + written, packets[i] + run.headers, lengths[i] - run.headers);
    written += lengths[i] - run.headers;
  }
  const uint8_t *last = packets[run.count - 1];
  out[ip_length + 13] = (uint8_t)((out[ip_length + 13] & ~TCP_PSH) | (last[ip_length + 13] & TCP_PSH));
  put16(out + 2, (uint16_t)run.total);
  put16(out + 10, 0);
  put16(out + 10, fold(sum16(out, ip_length, 0)));
  uint32_t pseudo = sum16(out + 12, 8, 6 + (uint32_t)(run.total - ip_length));
  while (pseudo > 0xffff) pseudo = (pseudo & 0xffff) + (pseudo >> 16);
  put16(out + ip_length + 16, (uint16_t)pseudo);
}

struct virtio_net_hdr offload_partial_checksum_header(const uint8_t *packet, size_t length) {
  struct virtio_net_hdr header;
  memset(&header, 0, sizeof header);
  if (length < 20 || packet[0] >> 4 != 4 || (get16(packet + 6) & 0x3fff) != 0) return header;
  size_t ip_length = (size_t)(packet[0] & 0x0f) * 4;
  uint8_t protocol = packet[9];
  size_t offset = protocol == 6 ? 16 : protocol == 17 ? 6 : 0;
  size_t minimum = protocol == 6 ? 20 : 8;
  if (offset == 0 || ip_length < 20 || ip_length + minimum > length) return header;
  header.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
  header.csum_start = (uint16_t)ip_length;
  header.csum_offset = (uint16_t)offset;
  return header;
}
