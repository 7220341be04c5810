/**
 * `status` in words, a block per session as `wg show` prints its peers: the name asked
 * for, pq1 name, endpoint, state and for how long, latest handshake, transfer, epochs,
 * fallback reason; above them the daemon's version, pids and uptime; below, the drops.
 * Pure: the daemon's status document and the time in, text out.
 */
import { stateText } from './transition-words.ts';

export interface StatusSession {
  name?: string;
  askedName?: string;
  endpoint?: string;
  id: string;
  state: unknown;
  since?: number;
  peer?: string;
  internalAddress: string;
  sendEpoch: number | null;
  receiveEpoch: number | null;
  lastHandshakeAt?: number | null;
  lastHandshakeMs?: number | null;
  packetsIn: number;
  packetsOut: number;
  bytesIn?: number;
  bytesOut?: number;
  fallbackReason?: string | null;
}

export interface StatusDocument {
  version?: string;
  pid?: number;
  workerPid?: number;
  uptimeSeconds?: number;
  /** A farm instance's name (server --instance) and the address its ports are bound to. */
  instance?: string | null;
  listen?: string;
  sessions?: StatusSession[];
  counters?: Record<string, number>;
  refusedByRoot?: Record<string, number>;
  plainRoutes?: number;
}

/** `1d 2h`, `3h 4m`, `5m 6s`, `7s`. */
export function durationText(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m, s] = [
    Math.floor(seconds / 86400),
    Math.floor(seconds / 3600) % 24,
    Math.floor(seconds / 60) % 60,
    seconds % 60,
  ];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

/** `512 B`, `1.50 KiB`, `2.25 MiB`, `1.00 GiB`. */
export function bytesText(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

function sessionBlock(session: StatusSession, role: 'client' | 'server', now: number): string[] {
  const lines = [
    role === 'client'
      ? `peer: ${session.askedName ?? session.name ?? session.id.slice(0, 16)}`
      : `client: ${session.peer}`,
  ];
  const field = (name: string, value: string) => lines.push(`  ${name}: ${value}`);
  if (role === 'client' && session.name !== undefined) field('pq1 name', session.name);
  if (session.endpoint !== undefined) field('endpoint', session.endpoint);
  field(role === 'client' ? 'tunnel address' : 'inner address', session.internalAddress);
  const since = session.since === undefined ? '' : ` for ${durationText(now - session.since)}`;
  field('state', `${stateText(session.state)}${since}`);
  if (session.lastHandshakeAt != null) {
    const took = session.lastHandshakeMs == null ? '' : ` (took ${session.lastHandshakeMs} ms)`;
    field('latest handshake', `${durationText(now - session.lastHandshakeAt)} ago${took}`);
  } else if (role === 'client') field('latest handshake', 'none yet');
  const bytes = (count: number | undefined) => (count === undefined ? '' : `${bytesText(count)}, `);
  field(
    'transfer',
    `${bytes(session.bytesIn)}${session.packetsIn} packets received; ${bytes(session.bytesOut)}${session.packetsOut} packets sent`,
  );
  field('epochs', `send ${session.sendEpoch ?? '-'}, receive ${session.receiveEpoch ?? '-'}`);
  if (session.fallbackReason) field('plain fallback', session.fallbackReason);
  return lines;
}

export function statusText(status: StatusDocument, role: 'client' | 'server', now: number): string {
  const program = role === 'client' ? 'pqconnect' : 'pqconnect-server';
  const sessions = status.sessions ?? [];
  const uptime =
    status.uptimeSeconds === undefined ? '' : `, up ${durationText(status.uptimeSeconds * 1000)}`;
  const instance = status.instance ? ` (instance ${status.instance})` : '';
  const lines = [
    `${program} ${status.version ?? '?'}${instance}: pid ${status.pid ?? '?'} (worker ${status.workerPid ?? '-'})${uptime}, ${sessions.length} session${sessions.length === 1 ? '' : 's'}`,
  ];
  for (const session of sessions) lines.push('', ...sessionBlock(session, role, now));
  const drops = Object.entries(status.counters ?? {}).filter(([name]) => name.startsWith('drop: '));
  if (drops.length > 0)
    lines.push('', `dropped: ${drops.map(([n, v]) => `${n.slice(6)} ${v}`).join('; ')}`);
  const refused = Object.entries(status.refusedByRoot ?? {}).filter(([, v]) => v > 0);
  if (refused.length > 0)
    lines.push(`refused by root: ${refused.map(([n, v]) => `${n} ${v}`).join('; ')}`);
  return `${lines.join('\n')}\n`;
}
