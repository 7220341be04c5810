/**
 * `--metrics`: the daemon's numbers in Prometheus text format (prom-client), served by
 * root over HTTP at /metrics. Each scrape asks the worker for its status (the same
 * document `pqconnect status --json` prints) and turns it into metrics: handshakes and
 * handshake failures by reason, tunnel bytes and packets each way, drops by reason,
 * sessions by state, key-download and handshake durations. The worker is untrusted, so
 * what it reports is checked (finite, non-negative numbers) and a label is a name from
 * the worker's counter catalogue or "other"; every catalogued reason is exported from
 * the first scrape on, at 0 until it moves. Loaded only when --metrics is given.
 */
import { createServer, type Server } from 'node:http';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DROP_PREFIX } from '../shared/counters.ts';
import { packageVersion } from './args.ts';
import type { Logger } from './daemon-log.ts';
import type { MetricsAddress } from './log-options.ts';
import type { StatusDocument, StatusSession } from './status-text.ts';
import { workerCounterNames } from './worker-counters.ts';

export interface MetricsSession extends StatusSession {
  staticKeyMs?: number | null;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : 0;
}

/** Sums of per-session counts that never go down when a session ends. */
class MonotonicTotals {
  private readonly last = new Map<string, number>();
  private retired = 0;

  update(values: Map<string, number>): number {
    for (const [id, value] of this.last) if (!values.has(id)) this.retired += value;
    this.last.clear();
    let total = this.retired;
    for (const [id, value] of values) {
      this.last.set(id, value);
      total += value;
    }
    return total;
  }
}

export class DaemonMetrics {
  readonly registry = new Registry();
  private readonly handshakes: Counter;
  private readonly handshakeFailures: Counter;
  private readonly drops: Counter;
  private readonly events: Counter;
  private readonly bytes: Counter;
  private readonly packets: Counter;
  private readonly sessions: Gauge;
  private readonly uptime: Gauge;
  private readonly keyDownload: Histogram;
  private readonly handshakeDuration: Histogram;
  private readonly totals = {
    bytesIn: new MonotonicTotals(),
    bytesOut: new MonotonicTotals(),
    packetsIn: new MonotonicTotals(),
    packetsOut: new MonotonicTotals(),
  };
  /** Durations already observed, per session: a download once, a handshake per time. */
  private readonly observed = new Map<string, { download: boolean; handshakeAt: number | null }>();

  private readonly reported: ReadonlySet<string>;

  constructor(
    role: 'client' | 'server',
    version: string,
    reported: readonly string[] = workerCounterNames(role),
    instance: string | null = null,
  ) {
    this.reported = new Set(reported);
    const registers = [this.registry];
    new Gauge({
      name: 'pqconnect_info',
      help: 'The daemon: role, version and instance name (--instance; empty without one). Always 1.',
      labelNames: ['role', 'version', 'instance'],
      registers,
    }).set({ role, version, instance: instance ?? '' }, 1);
    this.uptime = new Gauge({
      name: 'pqconnect_uptime_seconds',
      help: 'Seconds since the daemon started.',
      registers,
    });
    this.handshakes = new Counter({
      name: 'pqconnect_handshakes_total',
      help: 'Handshakes by what happened: sent, resent, accepted, liveness (restarted after silence).',
      labelNames: ['event'],
      registers,
    });
    this.handshakeFailures = new Counter({
      name: 'pqconnect_handshake_failures_total',
      help: 'Handshakes refused or failed, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.drops = new Counter({
      name: 'pqconnect_drops_total',
      help: 'Datagrams, packets and answers dropped, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.events = new Counter({
      name: 'pqconnect_events_total',
      help: 'Other counted events (keepalives, cookies, key-server answers, ...).',
      labelNames: ['event'],
      registers,
    });
    this.bytes = new Counter({
      name: 'pqconnect_tunnel_bytes_total',
      help: 'Inner bytes carried through tunnels, by direction (in: received from peers).',
      labelNames: ['direction'],
      registers,
    });
    this.packets = new Counter({
      name: 'pqconnect_tunnel_packets_total',
      help: 'Tunnel packets, by direction (keepalives included).',
      labelNames: ['direction'],
      registers,
    });
    this.sessions = new Gauge({
      name: 'pqconnect_sessions',
      help: 'Sessions by state (the top level of the session chart).',
      labelNames: ['state'],
      registers,
    });
    this.keyDownload = new Histogram({
      name: 'pqconnect_static_key_download_seconds',
      help: "Time to download and verify a server's static key (client).",
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers,
    });
    this.handshakeDuration = new Histogram({
      name: 'pqconnect_handshake_duration_seconds',
      help: 'From the ephemeral-key request to the confirmed tunnel (client).',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
  }

  /** Sets every metric from one status document. */
  update(status: StatusDocument): void {
    this.uptime.set(count(status.uptimeSeconds));
    for (const metric of [this.handshakes, this.handshakeFailures, this.drops, this.events])
      metric.reset();
    for (const name of this.reported) this.count(name, 0);
    for (const [name, raw] of Object.entries(status.counters ?? {})) {
      const value = count(raw);
      if (value !== 0) this.count(this.reported.has(name) ? name : uncatalogued(name), value);
    }
    const sessions = (status.sessions ?? []) as MetricsSession[];
    this.updateTraffic(sessions);
    this.sessions.reset();
    for (const session of sessions) this.sessions.inc({ state: topState(session.state) });
    this.observeDurations(sessions);
  }

  private count(name: string, value: number): void {
    const handshake = /^handshakes (sent|resent|accepted)$/.exec(name);
    if (name.startsWith(DROP_PREFIX)) {
      const reason = name.slice(DROP_PREFIX.length);
      this.drops.inc({ reason }, value);
      if (reason.startsWith('handshake: '))
        this.handshakeFailures.inc({ reason: reason.slice('handshake: '.length) }, value);
    } else if (handshake) this.handshakes.inc({ event: handshake[1]! }, value);
    else if (name === 'liveness: new handshakes') this.handshakes.inc({ event: 'liveness' }, value);
    else this.events.inc({ event: name }, value);
  }

  private updateTraffic(sessions: MetricsSession[]): void {
    const per = (field: 'bytesIn' | 'bytesOut' | 'packetsIn' | 'packetsOut') =>
      this.totals[field].update(new Map(sessions.map((s) => [s.id, count(s[field])])));
    this.bytes.reset();
    this.packets.reset();
    this.bytes.inc({ direction: 'in' }, per('bytesIn'));
    this.bytes.inc({ direction: 'out' }, per('bytesOut'));
    this.packets.inc({ direction: 'in' }, per('packetsIn'));
    this.packets.inc({ direction: 'out' }, per('packetsOut'));
  }

  private observeDurations(sessions: MetricsSession[]): void {
    const present = new Set<string>();
    for (const session of sessions) {
      present.add(session.id);
      const seen = this.observed.get(session.id) ?? { download: false, handshakeAt: null };
      this.observed.set(session.id, seen);
      if (!seen.download && session.staticKeyMs != null) {
        seen.download = true;
        this.keyDownload.observe(count(session.staticKeyMs) / 1000);
      }
      const at = session.lastHandshakeAt ?? null;
      if (at !== null && at !== seen.handshakeAt && session.lastHandshakeMs != null) {
        seen.handshakeAt = at;
        this.handshakeDuration.observe(count(session.lastHandshakeMs) / 1000);
      }
    }
    for (const id of this.observed.keys()) if (!present.has(id)) this.observed.delete(id);
  }
}

/** The label a name outside the catalogue is counted under. */
function uncatalogued(name: string): string {
  return name.startsWith(DROP_PREFIX) ? `${DROP_PREFIX}other` : 'other';
}

function topState(state: unknown): string {
  const name = typeof state === 'string' ? state : Object.keys(state ?? {})[0];
  return typeof name === 'string' && /^[A-Za-z]{1,40}$/.test(name) ? name : 'other';
}

/** Serves GET /metrics; anything else is a 404. */
export async function serveMetrics(
  metrics: DaemonMetrics,
  status: () => Promise<unknown>,
  host: string,
  port: number,
): Promise<Server> {
  const server = createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end('not found: try /metrics\n');
      return;
    }
    status()
      .then(async (document) => {
        if (typeof document === 'object' && document !== null && !('error' in document))
          metrics.update(document as StatusDocument);
        response.writeHead(200, { 'content-type': metrics.registry.contentType });
        response.end(await metrics.registry.metrics());
      })
      .catch((error: unknown) => {
        response.writeHead(500).end(`${(error as Error).message}\n`);
      });
  });
  server.keepAliveTimeout = 5_000;
  server.headersTimeout = 5_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

/** Starts serving the daemon's metrics; the returned function stops it (at shutdown). */
export async function startMetrics(
  role: 'client' | 'server',
  status: () => Promise<unknown>,
  address: MetricsAddress,
  log: Logger,
  instance: string | null,
): Promise<() => Promise<void>> {
  const where = `${address.host}:${address.port}`;
  const server = await serveMetrics(
    new DaemonMetrics(role, packageVersion(), workerCounterNames(role), instance),
    status,
    address.host,
    address.port,
  ).catch((error: unknown) => {
    throw new Error(
      `--metrics ${where}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  });
  log(`metrics: http://${address.host}:${address.port}/metrics (Prometheus text format)`);
  return () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
}
