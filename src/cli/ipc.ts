/**
 * Messages between the privileged part (root) and the unprivileged worker, and the strict
 * schema each side checks them against (io/frame-channel.ts carries them). The command
 * set from the worker is deliberately small — a DNS verdict, a plain-route request, a
 * status answer, readiness, transitions — and every field is checked: types, allowed
 * keys only, sizes, printable text. A refusal names what was wrong, never echoing it.
 */

import type { SessionTransition } from '../engine/session-events.ts';
import type { Decoded } from '../io/frame-channel.ts';
import { parseIpv4Address } from '../protocol/ipv4.ts';
import type { ServerKeys } from '../shared/keys.ts';

export interface ClientWorkerConfig {
  role: 'client';
  tunFd: number;
  udpFd: number;
  /** The TUN descriptor carries virtio-net headers (opened with --offload auto). */
  tunVnetHeader: boolean;
  /** Send through UDP GSO where the kernel allows it. */
  udpSegmentation: boolean;
  tunnelAddress: string;
  prefixLength: number;
  strict: boolean;
  /** Deliver decrypted traffic to this address (client-in-a-bottle, --host-ip). */
  hostAddress?: string;
  backend: 'auto' | 'fast' | 'portable';
  /** 0 warnings only, 1 transitions and progress (-v), 2 debug detail too (-vv). */
  verbosity: 0 | 1 | 2;
}

export interface ServerWorkerConfig {
  role: 'server';
  tunFd: number;
  cryptoFd: number;
  keyFd: number;
  tunVnetHeader: boolean;
  udpSegmentation: boolean;
  tunnelAddress: string;
  prefixLength: number;
  hostAddress?: string;
  backend: 'auto' | 'fast' | 'portable';
  /** 0 warnings only, 1 transitions and progress (-v), 2 debug detail too (-vv). */
  verbosity: 0 | 1 | 2;
  keys: ServerKeys;
}

export type ToWorker =
  | { type: 'start'; config: ClientWorkerConfig | ServerWorkerConfig }
  | { type: 'dns'; id: number; payload: Uint8Array }
  | { type: 'status'; id: number }
  | { type: 'stop' };

export type FromWorker =
  | { type: 'ready'; summary: string }
  | { type: 'dns-verdict'; id: number; payload: Uint8Array | null }
  | { type: 'route'; action: 'add' | 'remove'; internalAddress: string; plainAddress: string }
  | { type: 'status'; id: number; status: unknown }
  | { type: 'transition'; transition: SessionTransition };

/** Frame caps: root refuses larger frames from the worker (status of a busy server
 * included), the worker larger ones from root (its start message carries the 1 MB key). */
export const MAX_FROM_WORKER_BYTES = 4 * 1024 * 1024;
export const MAX_TO_WORKER_BYTES = 4 * 1024 * 1024;
/** A transition is small; one larger than this (serialized) is out of protocol. */
export const MAX_TRANSITION_BYTES = 8 * 1024;
const MAX_DNS_BYTES = 65_535;

type Fields = Record<string, unknown>;
type Checked<T> = Decoded<T>;

const refuse = <T>(reason: string): Checked<T> => ({ ok: false, reason });

function isFields(value: unknown): value is Fields {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  );
}

function hasOnly(value: Fields, allowed: readonly string[]): boolean {
  return Object.keys(value).every((key) => allowed.includes(key));
}

/** Printable text of at most `max` characters: no control characters (no forged log lines). */
function isText(value: unknown, max: number): value is string {
  if (typeof value !== 'string' || value.length > max) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return false;
  }
  return true;
}

function isId(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0 && (value as number) <= 0xffffffff;
}

function isIpv4(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    parseIpv4Address(value);
    return true;
  } catch {
    return false;
  }
}

function isBytes(value: unknown, max: number): value is Uint8Array {
  return value instanceof Uint8Array && value.length <= max;
}

/** A state value as XState reports it: a name, or nested names, a few levels deep. */
function isStateValue(value: unknown, depth = 0): boolean {
  if (isText(value, 64)) return true;
  if (!isFields(value) || depth >= 4) return false;
  const entries = Object.entries(value);
  return (
    entries.length <= 8 &&
    entries.every(([key, inner]) => isText(key, 64) && isStateValue(inner, depth + 1))
  );
}

function checkTransition(value: unknown): Checked<SessionTransition> {
  if (
    !isFields(value) ||
    !hasOnly(value, ['sessionId', 'machine', 'state', 'event', 'context', 'at'])
  )
    return refuse('a malformed transition');
  const { sessionId, machine, state, event, context, at } = value;
  if (!isText(sessionId, 128) || !isText(machine, 64) || !isText(event, 200))
    return refuse('a transition with malformed names');
  if (!isStateValue(state) || !isFields(context) || typeof at !== 'number' || !Number.isFinite(at))
    return refuse('a transition with a malformed state, context or time');
  if (JSON.stringify(value).length > MAX_TRANSITION_BYTES) return refuse('an oversized transition');
  return { ok: true, value: value as unknown as SessionTransition };
}

/** Root's schema for what the worker sends. */
export function decodeFromWorker(value: unknown): Checked<FromWorker> {
  if (!isFields(value) || typeof value.type !== 'string') return refuse('a message without a type');
  const message = value;
  switch (message.type) {
    case 'ready':
      if (!hasOnly(message, ['type', 'summary']) || !isText(message.summary, 200))
        return refuse('a malformed ready message');
      return { ok: true, value: message as FromWorker };
    case 'dns-verdict':
      if (
        !hasOnly(message, ['type', 'id', 'payload']) ||
        !isId(message.id) ||
        (message.payload !== null && !isBytes(message.payload, MAX_DNS_BYTES))
      )
        return refuse('a malformed DNS verdict');
      return { ok: true, value: message as FromWorker };
    case 'route':
      if (
        !hasOnly(message, ['type', 'action', 'internalAddress', 'plainAddress']) ||
        (message.action !== 'add' && message.action !== 'remove') ||
        !isIpv4(message.internalAddress) ||
        !isIpv4(message.plainAddress)
      )
        return refuse('a malformed route request');
      return { ok: true, value: message as FromWorker };
    case 'status':
      if (
        !hasOnly(message, ['type', 'id', 'status']) ||
        !isId(message.id) ||
        !isFields(message.status)
      )
        return refuse('a malformed status answer');
      return { ok: true, value: message as FromWorker };
    case 'transition': {
      if (!hasOnly(message, ['type', 'transition'])) return refuse('a malformed transition');
      const transition = checkTransition(message.transition);
      return transition.ok
        ? { ok: true, value: { type: 'transition', transition: transition.value } }
        : transition;
    }
    default:
      return refuse('a message of an unknown type');
  }
}

const KEY_LENGTHS: Record<keyof ServerKeys, number> = {
  mceliecePk: 1_047_319,
  mcelieceSk: 13_948,
  x25519Pk: 32,
  x25519Sk: 32,
  sessionKey: 32,
};

function isFd(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 3 && (value as number) < 1024;
}

function checkConfig(value: unknown): Checked<ClientWorkerConfig | ServerWorkerConfig> {
  if (!isFields(value)) return refuse('a start message without a configuration');
  const common =
    isIpv4(value.tunnelAddress) &&
    Number.isInteger(value.prefixLength) &&
    (value.prefixLength as number) >= 8 &&
    (value.prefixLength as number) <= 30 &&
    (value.hostAddress === undefined || isIpv4(value.hostAddress)) &&
    ['auto', 'fast', 'portable'].includes(value.backend as string) &&
    [0, 1, 2].includes(value.verbosity as number) &&
    typeof value.tunVnetHeader === 'boolean' &&
    typeof value.udpSegmentation === 'boolean' &&
    isFd(value.tunFd);
  if (!common) return refuse('a malformed worker configuration');
  if (value.role === 'client') {
    const allowed = [
      'role',
      'tunFd',
      'udpFd',
      'tunVnetHeader',
      'udpSegmentation',
      'tunnelAddress',
      'prefixLength',
      'strict',
      'hostAddress',
      'backend',
      'verbosity',
    ];
    if (!hasOnly(value, allowed) || !isFd(value.udpFd) || typeof value.strict !== 'boolean')
      return refuse('a malformed client configuration');
    return { ok: true, value: value as unknown as ClientWorkerConfig };
  }
  if (value.role === 'server') {
    const allowed = [
      'role',
      'tunFd',
      'cryptoFd',
      'keyFd',
      'tunVnetHeader',
      'udpSegmentation',
      'tunnelAddress',
      'prefixLength',
      'hostAddress',
      'backend',
      'verbosity',
      'keys',
    ];
    const keys = value.keys;
    const keysOk =
      isFields(keys) &&
      hasOnly(keys, Object.keys(KEY_LENGTHS)) &&
      Object.entries(KEY_LENGTHS).every(([name, length]) => {
        const key = keys[name];
        return key instanceof Uint8Array && key.length === length;
      });
    if (!hasOnly(value, allowed) || !isFd(value.cryptoFd) || !isFd(value.keyFd) || !keysOk)
      return refuse('a malformed server configuration');
    return { ok: true, value: value as unknown as ServerWorkerConfig };
  }
  return refuse('a configuration of an unknown role');
}

/** The worker's schema for what root sends. */
export function decodeToWorker(value: unknown): Checked<ToWorker> {
  if (!isFields(value) || typeof value.type !== 'string') return refuse('a message without a type');
  switch (value.type) {
    case 'start': {
      if (!hasOnly(value, ['type', 'config'])) return refuse('a malformed start message');
      const config = checkConfig(value.config);
      return config.ok ? { ok: true, value: { type: 'start', config: config.value } } : config;
    }
    case 'dns':
      if (
        !hasOnly(value, ['type', 'id', 'payload']) ||
        !isId(value.id) ||
        !isBytes(value.payload, MAX_DNS_BYTES)
      )
        return refuse('a malformed DNS message');
      return { ok: true, value: value as ToWorker };
    case 'status':
      if (!hasOnly(value, ['type', 'id']) || !isId(value.id))
        return refuse('a malformed status request');
      return { ok: true, value: value as ToWorker };
    case 'stop':
      if (!hasOnly(value, ['type'])) return refuse('a malformed stop message');
      return { ok: true, value: { type: 'stop' } };
    default:
      return refuse('a message of an unknown type');
  }
}
