/**
 * Root's check of a DNS verdict from the worker (the privilege boundary): the rewritten
 * packet must answer exactly the packet root queued — same IPv4 header but for length
 * and checksum, same UDP ports, same DNS id, flags, questions, authorities and additional
 * records — and differ only where the rewrite may (protocol.md §7): an A record of a pq1
 * name may point into the client's tunnel pool with TTL 0, an AAAA record of a pq1 name
 * may be dropped, and the Firefox canary may become an empty NXDOMAIN. Anything else is
 * refused with a reason, and root passes the original. On success it returns the
 * (internal, real) address pairs the answer set up: the only plain-fallback routes root
 * will later accept. Pure; never throws.
 */
import dnsPacket from 'dns-packet';
import { inspectIpv4, parseIpv4Address } from '../protocol/ipv4.ts';
import { parsePq1Name } from '../protocol/names.ts';

const FIREFOX_CANARY = 'use-application-dns.net';
const NXDOMAIN = 3;
const UDP_HEADER = 8;

export interface AddressPair {
  internalAddress: number;
  realAddress: number;
  /** The TTL of the original record, seconds. */
  ttl: number;
}

export type VerdictCheck = { ok: true; pairs: AddressPair[] } | { ok: false; reason: string };

type DnsRecord = dnsPacket.Answer & { data?: unknown; ttl?: number; class?: string };

const refuse = (reason: string): VerdictCheck => ({ ok: false, reason });

function dnsOf(packet: Uint8Array, start: number, end: number): dnsPacket.DecodedPacket | null {
  try {
    return dnsPacket.decode(Buffer.from(packet.subarray(start, end)));
  } catch {
    return null;
  }
}

/** Same bytes except those at `skip` (length and checksum fields). */
function sameExcept(a: Uint8Array, b: Uint8Array, skip: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!skip.includes(i) && a[i] !== b[i]) return false;
  return true;
}

function sameRecords(
  a: readonly unknown[] | undefined,
  b: readonly unknown[] | undefined,
): boolean {
  return JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
}

function lower(name: string): string {
  return name.toLowerCase();
}

function ipv4Of(data: unknown): number | null {
  try {
    return parseIpv4Address(String(data));
  } catch {
    return null;
  }
}

/** The answers, allowing only the changes the rewrite makes; the pairs it set up. */
function checkAnswers(
  original: DnsRecord[],
  rewritten: DnsRecord[],
  isInternal: (address: number) => boolean,
): VerdictCheck {
  const pairs: AddressPair[] = [];
  let next = 0;
  for (const before of original) {
    const pq1 =
      (before.type === 'A' || before.type === 'AAAA') && parsePq1Name(before.name) !== null;
    const after = rewritten[next];
    if (
      before.type === 'AAAA' &&
      pq1 &&
      (after === undefined || JSON.stringify(after) !== JSON.stringify(before))
    )
      continue;
    if (after === undefined) return refuse('a verdict that drops a record');
    next++;
    if (JSON.stringify(after) === JSON.stringify(before)) continue;
    if (!(before.type === 'A' && pq1)) return refuse('a verdict that changes a record it may not');
    const { data: beforeData, ttl: beforeTtl, ...beforeRest } = before;
    const { data: afterData, ttl: afterTtl, ...afterRest } = after;
    if (JSON.stringify(beforeRest) !== JSON.stringify(afterRest) || afterTtl !== 0)
      return refuse('a verdict that changes more of an A record than its address and TTL');
    const internal = ipv4Of(afterData);
    const real = ipv4Of(beforeData);
    if (internal === null || real === null || !isInternal(internal))
      return refuse('a verdict that points a name outside the tunnel pool');
    pairs.push({ internalAddress: internal, realAddress: real, ttl: beforeTtl ?? 0 });
  }
  if (next !== rewritten.length) return refuse('a verdict that adds records');
  return { ok: true, pairs };
}

export function checkDnsVerdict(
  original: Uint8Array,
  verdict: Uint8Array,
  isInternal: (address: number) => boolean,
): VerdictCheck {
  const before = inspectIpv4(original);
  const after = inspectIpv4(verdict);
  if (!before.ok || !after.ok) return refuse('a verdict that is not an IPv4 packet');
  const start = before.value.headerLength;
  if (after.value.headerLength !== start || after.value.protocol !== 17 || after.value.fragmented)
    return refuse('a verdict with another IP header');
  if (!sameExcept(original.subarray(0, start), verdict.subarray(0, start), [2, 3, 10, 11]))
    return refuse('a verdict with another IP header');
  if (!sameExcept(original.subarray(start, start + 4), verdict.subarray(start, start + 4), []))
    return refuse('a verdict for other UDP ports');
  const question = dnsOf(original, start + UDP_HEADER, before.value.totalLength);
  const answer = dnsOf(verdict, start + UDP_HEADER, after.value.totalLength);
  if (question === null || answer === null) return refuse('a verdict that is not DNS');
  if (question.id !== answer.id || !sameRecords(question.questions, answer.questions))
    return refuse('a verdict for another query');
  if (
    !sameRecords(question.authorities, answer.authorities) ||
    !sameRecords(question.additionals, answer.additionals)
  )
    return refuse('a verdict that changes authority or additional records');
  const canary = (question.questions ?? []).some((q) => lower(q.name) === FIREFOX_CANARY);
  if (canary) {
    const expectedFlags = ((question.flags ?? 0) & ~0xf) | NXDOMAIN;
    return answer.flags === expectedFlags && (answer.answers ?? []).length === 0
      ? { ok: true, pairs: [] }
      : refuse('a canary verdict other than an empty NXDOMAIN');
  }
  if (question.flags !== answer.flags) return refuse('a verdict that changes the DNS flags');
  return checkAnswers(
    (question.answers ?? []) as DnsRecord[],
    (answer.answers ?? []) as DnsRecord[],
    isInternal,
  );
}
