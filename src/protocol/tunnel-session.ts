/**
 * One tunnel: its id, a send chain and the receive chains, with the epoch rules of pq1.
 * The sender moves to a new epoch on the first send 30 s after the current one started;
 * the receiver follows authenticated packets only; when the receive side's newest epoch
 * passes the send epoch, the send side catches up. Time is a parameter (seconds).
 */
import { equalBytes, wipe } from '../crypto/bytes.ts';
import type { SymmetricPrimitives } from '../crypto/symmetric.ts';
import { COOKIE_PREFIX, EPOCH_SECONDS, TID_BYTES } from './constants.ts';
import { EPOCH_LOOKUP_FAILURES, RECEIVE_CHAINS_BYTES, ReceiveChains } from './receive-chains.ts';
import { KEY_LOOKUP_FAILURES } from './receive-epoch.ts';
import { MAX_EPOCH, SEND_CHAIN_BYTES, SendChain } from './send-chain.ts';
import {
  openTunnelPacket,
  parseTunnelPacket,
  sealTunnelPacketInto,
  TUNNEL_PACKET_FAILURES,
  tunnelPacketLength,
} from './tunnel-packet.ts';

/** Why `open` refused a packet: every reason it can return. */
export const OPEN_FAILURES = [
  'tunnel closed',
  'wrong tunnel id',
  'tunnel expired',
  'authentication failed',
  ...TUNNEL_PACKET_FAILURES,
  ...EPOCH_LOOKUP_FAILURES,
  ...KEY_LOOKUP_FAILURES,
] as const;
export type OpenFailure = (typeof OPEN_FAILURES)[number];

export type OpenOutcome =
  | { ok: true; kind: 'data'; plaintext: Uint8Array; epoch: number; counter: number }
  | { ok: true; kind: 'cookie'; cookie: Uint8Array; epoch: number; counter: number }
  | { ok: false; reason: OpenFailure };

export interface TunnelEpochState {
  sendEpoch: number;
  receiveEpoch: number;
  receiveEpochsHeld: number[];
}

export interface CookieRoots {
  epoch: number;
  sendRoot: Uint8Array;
  receiveRoot: Uint8Array;
}

function startsWithCookiePrefix(bytes: Uint8Array): boolean {
  return (
    bytes.length >= COOKIE_PREFIX.length &&
    equalBytes(bytes.subarray(0, COOKIE_PREFIX.length), COOKIE_PREFIX)
  );
}

/** Where a tunnel keeps its fixed-size material, in one buffer: its id, the send chain and
 * the receive side's next root and first epoch's chain key (later epochs' keys come and go
 * with the epochs). */
const SEND_AT = TID_BYTES;
const RECEIVE_AT = SEND_AT + SEND_CHAIN_BYTES;
const TUNNEL_STATE_BYTES = RECEIVE_AT + RECEIVE_CHAINS_BYTES;

export class TunnelSession {
  /** The id at 0, then the chains' keys (the layout above). */
  private readonly material: Uint8Array;
  private readonly send: SendChain;
  private readonly receive: ReceiveChains;
  private sendEpochStart: number;
  private closed = false;

  constructor(
    private readonly sym: SymmetricPrimitives,
    tid: Uint8Array,
    sendRoot: Uint8Array,
    receiveRoot: Uint8Array,
    now: number,
    firstEpoch = 0,
  ) {
    const state = new Uint8Array(TUNNEL_STATE_BYTES);
    state.set(tid, 0);
    this.material = state;
    this.send = new SendChain(sym, state, SEND_AT, sendRoot, firstEpoch);
    this.receive = new ReceiveChains(sym, state, RECEIVE_AT, receiveRoot, firstEpoch, now);
    this.sendEpochStart = now;
  }

  /** The tunnel id, public (it travels in every packet): a view made when asked, for
   * tables and names (the packet path reads the id in place). */
  get tid(): Uint8Array {
    return this.material.subarray(0, TID_BYTES);
  }

  /** Resumes a tunnel from cookie contents: both chains start at epoch + 1. */
  static fromCookie(
    sym: SymmetricPrimitives,
    roots: CookieRoots & { tid: Uint8Array },
    now: number,
  ): TunnelSession | null {
    if (roots.epoch >= MAX_EPOCH) return null;
    return new TunnelSession(
      sym,
      roots.tid,
      roots.sendRoot,
      roots.receiveRoot,
      now,
      roots.epoch + 1,
    );
  }

  /** Seals one inner packet (empty = keepalive) into a new tunnel packet. */
  seal(plaintext: Uint8Array, now: number): Uint8Array {
    return this.sealInto(new Uint8Array(tunnelPacketLength(plaintext.length)), plaintext, now);
  }

  /** Seals into the start of `buffer` (large enough, apart from plaintext); returns the
   * view of the tunnel packet written. */
  sealInto(buffer: Uint8Array, plaintext: Uint8Array, now: number): Uint8Array {
    this.assertOpen();
    if (now - this.sendEpochStart >= EPOCH_SECONDS && this.send.canAdvance()) {
      this.send.advance();
      this.sendEpochStart = Math.min(now, this.sendEpochStart + EPOCH_SECONDS);
    }
    const { epoch, counter, key } = this.send.next();
    const packet = buffer.subarray(0, tunnelPacketLength(plaintext.length));
    sealTunnelPacketInto(this.sym, key, this.material, epoch, counter, plaintext, packet);
    wipe(key);
    return packet;
  }

  /** Moves the send side to the next epoch now. */
  ratchetSend(now: number): void {
    this.assertOpen();
    this.send.advance();
    this.sendEpochStart = now;
  }

  open(packet: Uint8Array, now: number): OpenOutcome {
    if (this.closed) return { ok: false, reason: 'tunnel closed' };
    const view = parseTunnelPacket(packet);
    if (!view.ok) return view;
    if (!this.carriesOwnId(view.value.tid)) return { ok: false, reason: 'wrong tunnel id' };
    if (!this.receive.expire(now)) return { ok: false, reason: 'tunnel expired' };
    const epoch = this.receive.lookup(view.value.epoch);
    if (!epoch.ok) return epoch;
    const key = epoch.epoch.key(view.value.counter);
    if (!key.ok) return key;
    const plaintext = openTunnelPacket(this.sym, key.key, view.value);
    if (plaintext === null) {
      epoch.epoch.release(view.value.counter);
      return { ok: false, reason: 'authentication failed' };
    }
    epoch.epoch.consume(view.value.counter);
    this.receive.authenticated(epoch.epoch, now);
    const where = { epoch: view.value.epoch, counter: view.value.counter };
    if (startsWithCookiePrefix(plaintext)) {
      this.receive.advanceNewest(now);
      this.catchUpSendEpoch(now);
      return { ok: true, kind: 'cookie', cookie: plaintext, ...where };
    }
    this.catchUpSendEpoch(now);
    return { ok: true, kind: 'data', plaintext, ...where };
  }

  /** False once the receive side holds no live epoch (the tunnel is dead). */
  isAlive(now: number): boolean {
    return !this.closed && this.receive.expire(now);
  }

  get sendEpoch(): number {
    return this.send.epoch;
  }

  get receiveEpoch(): number {
    return this.receive.newestEpoch;
  }

  state(): TunnelEpochState {
    return {
      sendEpoch: this.send.epoch,
      receiveEpoch: this.receive.newestEpoch,
      receiveEpochsHeld: this.receive.startedEpochs(),
    };
  }

  /** Bytes of receive key material held (bounded whatever the peer or an attacker sends). */
  keyMaterialBytes(): number {
    return this.receive.keyMaterialBytes();
  }

  /**
   * The roots a cookie carries: the epoch E = the highest epoch either side has reached,
   * and r_{E+1} of each direction. The send side moves to E so the cookie packet itself
   * goes out in E.
   */
  cookieRoots(): CookieRoots | null {
    this.assertOpen();
    const epoch = Math.max(this.send.epoch, this.receive.highestDerived);
    if (epoch >= MAX_EPOCH) return null;
    while (this.send.epoch < epoch) this.send.advance();
    const receiveRoot = this.receive.rootAfter(epoch);
    if (receiveRoot === null) return null;
    return { epoch, sendRoot: this.send.nextEpochRoot(), receiveRoot };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.send.close();
    this.receive.close();
  }

  /** Whether `tid` is this tunnel's id (public: no constant-time compare needed). */
  private carriesOwnId(tid: Uint8Array): boolean {
    if (tid.length !== TID_BYTES) return false;
    for (let i = 0; i < TID_BYTES; i++) if (tid[i] !== this.material[i]) return false;
    return true;
  }

  private catchUpSendEpoch(now: number): void {
    while (this.send.epoch < this.receive.newestEpoch && this.send.canAdvance()) {
      this.send.advance();
      this.sendEpochStart = now;
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('tunnel closed');
  }
}
