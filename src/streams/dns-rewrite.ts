/**
 * Client-side discovery (protocol.md §7): rewrite DNS answers on their way to local
 * applications. An A record whose owner name carries a pq1 announcement (the end of a
 * CNAME chain such as www → pq1….example.org) and whose address is not already ours is
 * replaced by the peer's internal tunnel address with TTL 0; AAAA records of such names
 * are removed so applications take the tunnel. The Firefox canary
 * use-application-dns.net gets NXDOMAIN (keep resolving through the system). Anything
 * that does not parse passes through untouched, and so does an answer whose rewrite
 * would not decode again (dns-packet re-encodes some odd label bytes differently): DNS
 * must never break.
 */
import dnsPacket from 'dns-packet';
import { parseIpv4Address } from '../protocol/ipv4.ts';
import { formatPq1Label, type Pq1Announcement, parsePq1Name } from '../protocol/names.ts';

const FIREFOX_CANARY = 'use-application-dns.net';
const NXDOMAIN = 3;

export interface Discovery {
  announcement: Pq1Announcement;
  /** The announcing owner name (the pq1 name). */
  name: string;
  /** The name the application asked for (the question; the pq1 name when asked directly). */
  askedName: string;
  /** The server's real address from the A record. */
  realAddress: string;
  internalAddress: string;
  /** The application asked for the pq1 name itself: never fall back to plain. */
  strict: boolean;
}

export interface RewriteResult {
  bytes: Uint8Array;
  discoveries: Discovery[];
  rewritten: boolean;
  /** Why the answer passed through unchanged, when it did. */
  passReason?: DnsPassReason;
}

/** Why an answer passed through unchanged: the first two are ordinary, the rest the
 * daemon's own failure to rewrite a well-formed answer. */
export const DNS_REWRITE_FAILURES = [
  'answer could not be re-encoded',
  'rewritten answer did not decode',
] as const;
export type DnsRewriteFailure = (typeof DNS_REWRITE_FAILURES)[number];
export type DnsPassReason =
  | 'not a response'
  | 'no pq1 announcement'
  | 'malformed DNS message'
  | DnsRewriteFailure;

export function isDnsRewriteFailure(
  reason: DnsPassReason | undefined,
): reason is DnsRewriteFailure {
  return (DNS_REWRITE_FAILURES as readonly (string | undefined)[]).includes(reason);
}

export interface RewriteContext {
  /** The internal address for a peer (stable per pkh), or null when none is left. */
  internalAddressFor(announcement: Pq1Announcement, realAddress: string): string | null;
  /** True for addresses inside our own tunnel subnet. */
  isTunnelAddress(address: number): boolean;
}

type Answer = dnsPacket.Answer & { data?: unknown; ttl?: number };

function passThrough(bytes: Uint8Array, reason: DnsPassReason): RewriteResult {
  return { bytes, discoveries: [], rewritten: false, passReason: reason };
}

export function rewriteDnsAnswer(bytes: Uint8Array, context: RewriteContext): RewriteResult {
  let packet: dnsPacket.DecodedPacket;
  try {
    packet = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch {
    return passThrough(bytes, 'malformed DNS message');
  }
  if (packet.type !== 'response') return passThrough(bytes, 'not a response');
  const questions = packet.questions ?? [];
  if (questions.some((q) => q.name.toLowerCase() === FIREFOX_CANARY)) {
    return encodeOrPass(
      bytes,
      { ...packet, flags: ((packet.flags ?? 0) & ~0xf) | NXDOMAIN, answers: [] },
      [],
    );
  }
  const strictNames = new Set(
    questions.filter((q) => parsePq1Name(q.name) !== null).map((q) => q.name.toLowerCase()),
  );
  const answers = (packet.answers ?? []) as Answer[];
  const discoveries: Discovery[] = [];
  const announcedNames = new Set<string>();
  const rewrittenAnswers: Answer[] = [];
  for (const answer of answers) {
    if (answer.type !== 'A' && answer.type !== 'AAAA') {
      rewrittenAnswers.push(answer);
      continue;
    }
    const announcement = parsePq1Name(answer.name);
    if (announcement === null) {
      rewrittenAnswers.push(answer);
      continue;
    }
    announcedNames.add(answer.name.toLowerCase());
    if (answer.type === 'AAAA') continue;
    const realAddress = String(answer.data);
    let real: number;
    try {
      real = parseIpv4Address(realAddress);
    } catch {
      rewrittenAnswers.push(answer);
      continue;
    }
    if (context.isTunnelAddress(real)) {
      rewrittenAnswers.push(answer);
      continue;
    }
    const internalAddress = context.internalAddressFor(announcement, realAddress);
    if (internalAddress === null) {
      rewrittenAnswers.push(answer);
      continue;
    }
    const strict =
      strictNames.size > 0 && questions.every((q) => strictNames.has(q.name.toLowerCase()));
    discoveries.push({
      announcement,
      name: answer.name,
      askedName: questions[0]?.name ?? answer.name,
      realAddress,
      internalAddress,
      strict,
    });
    rewrittenAnswers.push({ ...answer, data: internalAddress, ttl: 0 });
  }
  if (announcedNames.size === 0) return passThrough(bytes, 'no pq1 announcement');
  return encodeOrPass(
    bytes,
    { ...packet, answers: rewrittenAnswers as dnsPacket.Answer[] },
    discoveries,
  );
}

function encodeOrPass(
  original: Uint8Array,
  packet: dnsPacket.Packet,
  discoveries: Discovery[],
): RewriteResult {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(dnsPacket.encode(packet));
  } catch {
    return passThrough(original, 'answer could not be re-encoded');
  }
  if (!decodesAgain(bytes, packet)) return passThrough(original, 'rewritten answer did not decode');
  return { bytes, discoveries, rewritten: true };
}

/** The rewritten message decodes, with the same questions and answer count as intended. */
function decodesAgain(bytes: Uint8Array, intended: dnsPacket.Packet): boolean {
  try {
    const decoded = dnsPacket.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const names = (list: { name: string }[] | undefined) =>
      JSON.stringify((list ?? []).map((entry) => entry.name.toLowerCase()));
    return (
      names(decoded.questions) === names(intended.questions) &&
      names(decoded.answers) === names(intended.answers)
    );
  } catch {
    return false;
  }
}

/** For logs: the internal address a discovery maps to, as text. */
export function describeDiscovery(d: Discovery): string {
  const pq1 = `${formatPq1Label(d.announcement.pkh).slice(0, 16)}…`;
  return `${d.askedName} (${pq1} at ${d.realAddress}) -> ${d.internalAddress}${d.strict ? ' [strict]' : ''}`;
}
