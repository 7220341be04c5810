/**
 * The unprivileged worker: runs the client or server engine on the TUN and UDP file
 * descriptors the root part passed it, judges intercepted DNS answers, and asks root for
 * plain-fallback routes. It never opens files, devices or privileged ports itself.
 */

import { errorText } from '../actors/error-text.ts';
import { createCryptoSuite } from '../crypto/suite.ts';
import { ClientEngine } from '../engine/client-engine.ts';
import type { EngineLog } from '../engine/log.ts';
import { ServerEngine } from '../engine/server-engine.ts';
import { tunFdPort, udpFdTransport } from '../io/fd-transports.ts';
import { rewriteDnsDatagram } from '../streams/dns-datagram.ts';
import type { ClientWorkerConfig, FromWorker, ServerWorkerConfig, ToWorker } from './ipc.ts';

function send(message: FromWorker): void {
  process.send?.(message);
}

function log(message: string): void {
  process.stderr.write(`pqconnect-worker[${process.pid}]: ${message}\n`);
}

/** The engines' log: warnings always (marked WARN), the rest only when verbose. */
function engineLog(verbose: boolean): EngineLog {
  return (message, level = 'info') => {
    if (level === 'warn') log(`WARN ${message}`);
    else if (verbose) log(message);
  };
}

interface Running {
  status(): unknown;
  dns?(id: number, payload: Uint8Array): void;
  stop(): void;
}

function startClient(config: ClientWorkerConfig): Running {
  const suite = createCryptoSuite(config.backend, log);
  const transport = udpFdTransport(config.udpFd);
  const tun = tunFdPort(config.tunFd);
  const engine = new ClientEngine({
    suite,
    transport,
    tunnelAddress: config.tunnelAddress,
    prefixLength: config.prefixLength,
    strict: config.strict,
    hostAddress: config.hostAddress,
    log: engineLog(config.verbose),
  });
  tun.packets.subscribe((packet) => engine.sendInner(packet));
  engine.innerPackets.subscribe((packet) => tun.write(packet));
  engine.routeRequests.subscribe((route) => send({ type: 'route', ...route }));
  engine.events.transitions.subscribe((transition) => {
    send({ type: 'transition', transition });
    if (config.verbose) {
      const who = String(transition.context.name ?? transition.sessionId.slice(0, 16));
      log(`${who}: ${JSON.stringify(transition.state)} (${transition.event})`);
    }
  });
  send({
    type: 'ready',
    summary: `client engine on ${config.tunnelAddress}/${config.prefixLength}, crypto ${suite.backend}`,
  });
  return {
    status: () => ({
      role: 'client',
      sessions: engine.sessions(),
      counters: engine.counters.toJSON(),
    }),
    dns: (id, payload) => {
      const rewritten = rewriteDnsDatagram(payload, (dns) => engine.rewriteDnsAnswer(dns));
      send({ type: 'dns-verdict', id, payload: rewritten });
    },
    stop: () => {
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
  const cryptoTransport = udpFdTransport(config.cryptoFd);
  const keyTransport = udpFdTransport(config.keyFd);
  const tun = tunFdPort(config.tunFd);
  const engine = new ServerEngine({
    suite,
    keys: config.keys,
    cryptoTransport,
    keyTransport,
    tunnelAddress: config.tunnelAddress,
    prefixLength: config.prefixLength,
    hostAddress: config.hostAddress,
    log: engineLog(true),
  });
  tun.packets.subscribe((packet) => engine.sendInner(packet));
  engine.innerPackets.subscribe((packet) => tun.write(packet));
  engine.events.transitions.subscribe((transition) => send({ type: 'transition', transition }));
  void engine.ready().then(() =>
    send({
      type: 'ready',
      summary: `server engine on ${config.tunnelAddress}/${config.prefixLength}, crypto ${suite.backend}`,
    }),
  );
  return {
    status: () => ({
      role: 'server',
      sessions: engine.sessions(),
      counters: engine.counters.toJSON(),
    }),
    stop: () => {
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

process.on('message', (message: ToWorker) => {
  try {
    switch (message.type) {
      case 'start':
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
        send({ type: 'status', id: message.id, status: running?.status() ?? null });
        return;
      case 'stop':
        running?.stop();
        process.disconnect?.();
        return;
    }
  } catch (error) {
    log(`error handling ${message.type}: ${(error as Error).message}`);
    if (message.type === 'start') process.exit(1);
  }
});

process.on('disconnect', () => {
  running?.stop();
  running = null;
});
