/**
 * The unprivileged worker: runs the client or server engine on the TUN and UDP file
 * descriptors the root part passed it, judges intercepted DNS answers, and asks root for
 * plain-fallback routes. It never opens files, devices or privileged ports itself. It
 * talks to root over the frame channel at fd 3 and stops when root closes it.
 */

import { Socket } from 'node:net';
import { errorText } from '../actors/error-text.ts';
import { createCryptoSuite } from '../crypto/suite.ts';
import { ClientEngine } from '../engine/client-engine.ts';
import type { EngineLog } from '../engine/log.ts';
import { ServerEngine } from '../engine/server-engine.ts';
import { FD_TRANSPORT_COUNTERS, tunFdPort, udpFdTransport } from '../io/fd-transports.ts';
import { FrameChannel } from '../io/frame-channel.ts';
import { confineWorker } from '../io/worker-confinement.ts';
import { CHANNEL_FD } from '../io/worker-process.ts';
import { Counters } from '../shared/counters.ts';
import { rewriteDnsDatagram } from '../streams/dns-datagram.ts';
import { logCounterChanges } from './counter-changes.ts';
import {
  type ClientWorkerConfig,
  decodeToWorker,
  type FromWorker,
  MAX_TO_WORKER_BYTES,
  type ServerWorkerConfig,
  type ToWorker,
} from './ipc.ts';
import { eventText, stateText } from './transition-words.ts';

/** Before anything is parsed: no dumps, no same-user ptrace, the seccomp allow-list. */
const allowedSyscalls = (() => {
  try {
    return confineWorker();
  } catch (error) {
    process.stderr.write(`WARN could not confine the worker (${errorText(error)}); stopping\n`);
    process.exit(1);
  }
})();

function send(message: FromWorker): void {
  channel.send(message);
}

/** One line for root, which prefixes it with this process's name and pid. */
function log(message: string): void {
  process.stderr.write(`${message}\n`);
}

/** The engines' log: warnings always (marked WARN), the rest only when verbose. */
function engineLog(verbose: boolean): EngineLog {
  return (message, level = 'info') => {
    if (level === 'warn') log(`WARN ${message}`);
    else if (verbose) log(message);
  };
}

/** At -vv, a DEBUG line every 10 s with the counters that moved. */
function debugCounters(verbosity: number, read: () => Record<string, number>) {
  return verbosity < 2 ? () => {} : logCounterChanges(read, (line) => log(`DEBUG ${line}`));
}

/** The engine's counters and those of its descriptors (refused sends and writes). */
function allCounters(
  engine: { counters: { toJSON(): Record<string, number> } },
  io: { toJSON(): Record<string, number> },
): () => Record<string, number> {
  return () => ({ ...engine.counters.toJSON(), ...io.toJSON() });
}

interface Running {
  status(): unknown;
  dns?(id: number, payload: Uint8Array): void;
  stop(): void;
}

function startClient(config: ClientWorkerConfig): Running {
  const suite = createCryptoSuite(config.backend, log);
  const ioCounters = new Counters(FD_TRANSPORT_COUNTERS);
  const transport = udpFdTransport(config.udpFd, ioCounters, {
    segmentation: config.udpSegmentation,
  });
  const tun = tunFdPort(config.tunFd, ioCounters, { vnetHeader: config.tunVnetHeader });
  const engine = new ClientEngine({
    suite,
    transport,
    tunnelAddress: config.tunnelAddress,
    prefixLength: config.prefixLength,
    strict: config.strict,
    hostAddress: config.hostAddress,
    innerChecksums: config.tunVnetHeader ? 'partial' : 'complete',
    log: engineLog(config.verbosity > 0),
  });
  tun.packets.subscribe((batch) => engine.sendInnerBatch(batch));
  engine.innerBatches.subscribe((batch) => tun.write(batch));
  engine.routeRequests.subscribe((route) => send({ type: 'route', ...route }));
  engine.events.transitions.subscribe((transition) => {
    send({ type: 'transition', transition });
    if (config.verbosity > 0) {
      const who =
        engine.askedName(transition.sessionId) ??
        String(transition.context.name ?? transition.sessionId.slice(0, 16));
      log(`${who}: now ${stateText(transition.state)} (${eventText(transition.event)})`);
    }
  });
  send({
    type: 'ready',
    summary: `client engine on ${config.tunnelAddress}/${config.prefixLength}, crypto ${suite.backend}, ${allowedSyscalls} system calls allowed`,
  });
  const counters = allCounters(engine, ioCounters);
  const stopDebug = debugCounters(config.verbosity, counters);
  return {
    status: () => ({
      role: 'client',
      sessions: engine.sessions(),
      counters: counters(),
    }),
    dns: (id, payload) => {
      const rewritten = rewriteDnsDatagram(payload, (dns) => engine.rewriteDnsAnswer(dns));
      send({ type: 'dns-verdict', id, payload: rewritten });
    },
    stop: () => {
      stopDebug();
      engine.close();
      tun.close();
      transport.close();
      suite.kem
        .close()
        .catch((error: unknown) => log(`WARN closing the KEM backend: ${errorText(error)}`));
    },
  };
}

function startServer(config: ServerWorkerConfig): Running {
  const suite = createCryptoSuite(config.backend, log);
  const ioCounters = new Counters(FD_TRANSPORT_COUNTERS);
  const cryptoTransport = udpFdTransport(config.cryptoFd, ioCounters, {
    segmentation: config.udpSegmentation,
  });
  const keyTransport = udpFdTransport(config.keyFd, ioCounters);
  const tun = tunFdPort(config.tunFd, ioCounters, { vnetHeader: config.tunVnetHeader });
  const engine = new ServerEngine({
    suite,
    keys: config.keys,
    cryptoTransport,
    keyTransport,
    tunnelAddress: config.tunnelAddress,
    prefixLength: config.prefixLength,
    hostAddress: config.hostAddress,
    innerChecksums: config.tunVnetHeader ? 'partial' : 'complete',
    log: engineLog(true),
  });
  tun.packets.subscribe((batch) => engine.sendInnerBatch(batch));
  engine.innerBatches.subscribe((batch) => tun.write(batch));
  engine.events.transitions.subscribe((transition) => send({ type: 'transition', transition }));
  engine
    .ready()
    .then(() =>
      send({
        type: 'ready',
        summary: `server engine on ${config.tunnelAddress}/${config.prefixLength}, crypto ${suite.backend}, ${allowedSyscalls} system calls allowed`,
      }),
    )
    .catch((error: unknown) => log(`WARN server engine did not become ready: ${errorText(error)}`));
  const counters = allCounters(engine, ioCounters);
  const stopDebug = debugCounters(config.verbosity, counters);
  return {
    status: () => ({
      role: 'server',
      sessions: engine.sessions(),
      counters: counters(),
    }),
    stop: () => {
      stopDebug();
      engine.close();
      tun.close();
      cryptoTransport.close();
      keyTransport.close();
      suite.kem
        .close()
        .catch((error: unknown) => log(`WARN closing the KEM backend: ${errorText(error)}`));
    },
  };
}

let running: Running | null = null;

function handle(message: ToWorker): void {
  try {
    switch (message.type) {
      case 'start':
        if (running !== null) return;
        running =
          message.config.role === 'client'
            ? startClient(message.config)
            : startServer(message.config);
        return;
      case 'dns':
        if (running?.dns) running.dns(message.id, message.payload);
        else send({ type: 'dns-verdict', id: message.id, payload: null });
        return;
      case 'status':
        send({
          type: 'status',
          id: message.id,
          status: (running?.status() as object | undefined) ?? { error: 'not started' },
        });
        return;
      case 'stop':
        stop();
        return;
    }
  } catch (error) {
    log(`error handling ${message.type}: ${errorText(error)}`);
    if (message.type === 'start') process.exit(1);
  }
}

function stop(): void {
  running?.stop();
  running = null;
  channel.close();
}

const channel = new FrameChannel<ToWorker, FromWorker>(new Socket({ fd: CHANNEL_FD }), {
  maxFrameBytes: MAX_TO_WORKER_BYTES,
  decode: decodeToWorker,
  onMessage: handle,
  onViolation: (reason) => log(`root sent ${reason}; stopping`),
  onClose: () => {
    running?.stop();
    running = null;
  },
});
