/* What the kernel's offloads leave to us: TCP segmentation of a TSO packet read from a
 * TUN device with a virtio-net header, and completing a checksum the kernel left partial. */
#ifndef PQCONNECT_OFFLOAD_H
#define PQCONNECT_OFFLOAD_H
#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

/* The most segments one TSO packet can give (64 KiB of payload at the smallest MSS we allow). */
#define OFFLOAD_MAX_SEGMENTS 256

/* Completes the partial checksum at csum_start + csum_offset (VIRTIO_NET_HDR_F_NEEDS_CSUM);
 * 0 if the offsets lie outside the packet. */
int offload_complete_checksum(uint8_t *packet, size_t length, uint16_t start, uint16_t offset);

/* The bytes offload_segment_tcp4 writes for this packet (0 if it cannot be segmented). */
size_t offload_segmented_bytes(const uint8_t *packet, size_t length, uint16_t gso_size);

/* Splits an IPv4 TCP packet of `length` bytes into segments of at most gso_size payload
 * bytes with their own IPv4 and TCP headers (lengths, ids, sequence numbers, flags and
 * both checksums), written back to back into `out` (capacity `capacity`); each segment's
 * length goes to lengths[]. Returns the number of segments, 0 if the packet is malformed
 * or does not fit. */
size_t offload_segment_tcp4(const uint8_t *packet, size_t length, uint16_t gso_size, uint8_t *out,
                            size_t capacity, uint16_t *lengths, size_t max_segments);

/* The virtio-net header for writing one packet whose TCP or UDP checksum holds only the
 * pseudo-header sum: NEEDS_CSUM at the transport checksum (the kernel completes it); an
 * empty header for anything else (ICMP, fragments: complete already). */
struct virtio_net_hdr offload_partial_checksum_header(const uint8_t *packet, size_t length);

/* One run of consecutive segments of one TCP flow that the kernel can take as one GSO
 * packet: the first `count` of the given packets. */
typedef struct {
  size_t count;
  size_t headers;     /* IPv4 + TCP header bytes of each segment */
  size_t gso_size;    /* payload bytes of every segment but the last */
  size_t total;       /* bytes of the coalesced packet */
} offload_run;

/* How many of packets[0..n) coalesce with the first (at least 1: a packet alone). */
offload_run offload_tcp4_run(const uint8_t *const *packets, const size_t *lengths, size_t n);

/* Writes the coalesced packet of a run (count >= 2) into out (capacity >= run.total): the
 * first segment's headers with the total length, a fresh IPv4 checksum, PSH if the last
 * had it, the TCP checksum field holding the pseudo-header sum (the kernel completes it),
 * then every segment's payload. */
void offload_tcp4_coalesce(const uint8_t *const *packets, const size_t *lengths, offload_run run,
                           uint8_t *out);

#endif
