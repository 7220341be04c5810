/**
 * The network half of `pqconnect-server-check`: one static-key request to the key server
 * (the answer must be the key tree's top node that hashes to the announced key hash), and
 * a full session through the crypto port with a real client engine on an ephemeral UDP
 * port — key download, handshake and an ICMP echo answered by the server host through the
 * tunnel, once (checkHandshake) or round after round on one kept session (TunnelProbe).
 * Nothing needs root.
 */
import { filter, firstValueFrom, mergeAll, timeout } from 'rxjs';
import type { CryptoSuite } from '../crypto/suite.ts';
import { ClientEngine } from '../engine/client-engine.ts';
import { openUdpTransport } from '../io/udp-transport.ts';
import { inspectIpv4, parseIpv4Address, repairChecksums } from '../protocol/ipv4.ts';
import { encodeStaticKeyRequest, parseKeyResponse } from '../protocol/keyserver-messages.ts';
import { KeyTreeAssembler } from '../protocol/keytree-assembler.ts';
import type { Pq1Announcement } from '../protocol/names.ts';
import type { DatagramTransport } from '../shared/transport.ts';

export type Outcome = { ok: true; detail: string } | { ok: false; detail: string };

const CLIENT_TUNNEL_ADDRESS = '10.43.0.1';
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;
const ECHO_RESEND_MS = 250;
/** A new session that has not answered an echo in this time is replaced. */
const FRESH_SESSION_MS = 10_000;

/** Asks the key server for the top node of the key tree (depth 1) and verifies it. */
export async function checkKeyServer(
  suite: CryptoSuite,
  announcement: Pq1Announcement,
  address: string,
  keyPort: number,
  timeoutMs: number,
): Promise<Outcome> {
  const transport = await openUdpTransport('0.0.0.0', 0);
  try {
    const started = Date.now();
    const answer = firstValueFrom(
      transport.datagrams.pipe(
        mergeAll(),
        filter((d) => d.address === address && d.port === keyPort),
        timeout(timeoutMs),
      ),
    );
    transport.send(encodeStaticKeyRequest(1, 0), address, keyPort);
    const datagram = await answer.catch(() => null);
    if (datagram === null) return { ok: false, detail: `no answer within ${timeoutMs} ms` };
    const response = parseKeyResponse(datagram.data);
    if (!response.ok || response.value.kind !== 'static')
      return { ok: false, detail: 'the answer is not a static-key response' };
    const tree = new KeyTreeAssembler(suite.sym, announcement.pkh);
    const outcome = tree.insert(response.value.depth, response.value.position, response.value.node);
    if (outcome !== 'accepted')
      return { ok: false, detail: 'its key tree does not hash to the announced key hash' };
    return { ok: true, detail: `answers with the announced key tree (${Date.now() - started} ms)` };
  } finally {
    transport.close();
  }
}

/** An ICMP echo request from the client's tunnel address to `destination`. */
export function echoRequest(destination: string, sequence: number): Uint8Array {
  const packet = new Uint8Array(28 + 8);
  const view = new DataView(packet.buffer);
  packet[0] = 0x45;
  view.setUint16(2, packet.length);
  packet[8] = 64;
  packet[9] = 1;
  view.setUint32(12, parseIpv4Address(CLIENT_TUNNEL_ADDRESS));
  view.setUint32(16, parseIpv4Address(destination));
  packet[20] = ICMP_ECHO_REQUEST;
  view.setUint16(24, 0x7071);
  view.setUint16(26, sequence);
  packet.set(new TextEncoder().encode('pqcheck!'), 28);
  const parsed = inspectIpv4(packet);
  if (parsed.ok) repairChecksums(packet, parsed.value);
  return packet;
}

/**
 * A client session to one server kept across checks (`--every`): each `echo` sends ICMP
 * echoes through the tunnel until the one with its sequence number comes back or the
 * bound passes. The first one also downloads the static key and makes the handshake; a
 * handshake still under way when a bound passes goes on into the next echo. A tunnel
 * that stops answering, or a session that never answered in FRESH_SESSION_MS, is
 * replaced by a new one at the next echo.
 */
export class TunnelProbe {
  private readonly transport: Promise<DatagramTransport>;
  private engine: ClientEngine | null = null;
  private internalAddress: string | null = null;
  private sequence = 0;
  private startedAt = 0;
  private answered = false;

  constructor(
    private readonly suite: CryptoSuite,
    private readonly announcement: Pq1Announcement,
    private readonly address: string,
    private readonly name: string,
  ) {
    this.transport = openUdpTransport('0.0.0.0', 0);
  }

  async echo(timeoutMs: number): Promise<Outcome> {
    const started = Date.now();
    if (this.engine === null) {
      this.engine = new ClientEngine({
        suite: this.suite,
        transport: await this.transport,
        strict: true,
      });
      this.internalAddress = this.engine.connect(this.announcement, this.address, this.name, true);
    }
    const engine = this.engine;
    const destination = this.internalAddress;
    if (destination === null) return { ok: false, detail: 'no internal address free' };
    this.sequence = (this.sequence + 1) & 0xffff;
    const sequence = this.sequence;
    const reply = firstValueFrom(
      engine.innerPackets.pipe(
        filter(
          (packet) =>
            packet[9] === 1 &&
            packet[20] === ICMP_ECHO_REPLY &&
            ((packet[26]! << 8) | packet[27]!) === sequence,
        ),
        timeout(timeoutMs),
      ),
    );
    const send = () => engine.sendInner(echoRequest(destination, sequence));
    const resends = setInterval(send, ECHO_RESEND_MS);
    send();
    const answered = await reply.then(
      () => true,
      () => false,
    );
    clearInterval(resends);
    const session = engine.sessions()[0];
    if (answered) this.answered = true;
    else if (this.answered || Date.now() - this.startedAt >= FRESH_SESSION_MS) this.reset();
    if (!answered)
      return {
        ok: false,
        detail: `no echo through the tunnel within ${timeoutMs} ms (session ${JSON.stringify(session?.state)}${session?.lastError ? `: ${session.lastError}` : ''})`,
      };
    return {
      ok: true,
      detail: `echo answered through the tunnel in ${Date.now() - started} ms (handshake computation ${session?.lastHandshakeMs ?? '?'} ms)`,
    };
  }

  /** Ends the session; the next echo starts a new one. */
  private reset(): void {
    this.engine?.close();
    this.engine = null;
  }

  async close(): Promise<void> {
    this.reset();
    (await this.transport).close();
  }
}

/** A session through the crypto port: established, and an echo answered through it. */
export async function checkHandshake(
  suite: CryptoSuite,
  announcement: Pq1Announcement,
  address: string,
  name: string,
  timeoutMs: number,
): Promise<Outcome> {
  const probe = new TunnelProbe(suite, announcement, address, name);
  try {
    const outcome = await probe.echo(timeoutMs);
    return outcome.ok ? { ok: true, detail: `tunnel established, ${outcome.detail}` } : outcome;
  } finally {
    await probe.close();
  }
}
