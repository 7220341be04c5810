/**
 * `pqconnect` — the client daemon's privileged part. It creates the TUN device, binds the
 * client UDP port, diverts DNS answers into NFQUEUE, starts the unprivileged worker with
 * those descriptors, and carries out the worker's few requests: DNS verdicts (a late or
 * missing verdict lets the original answer through) and plain-fallback NAT rules (each
 * validated). Everything it installs is removed at exit, and stale rules at start.
 */
import { readFile } from 'node:fs/promises';
import { AddressPool } from '../engine/address-pool.ts';
import {
  addPlainRoute,
  installDnsInterception,
  installNatChains,
  type PlainRoute,
  removeAllRules,
  removePlainRoute,
  validatePlainRoute,
} from '../io/firewall.ts';
import { nativeIo } from '../io/native-io.ts';
import { createTun } from '../io/tun-device.ts';
import { FIRST_PASSED_FD, lookupUser } from '../io/worker-process.ts';
import { DEFAULT_CLIENT_PORT } from '../protocol/constants.ts';
import { formatIpv4Address } from '../protocol/ipv4.ts';
import {
  addressOption,
  choiceOption,
  interfaceOption,
  parse,
  portOption,
  prefixOption,
  UsageError,
} from './args.ts';
import type { FromWorker } from './ipc.ts';
import { PrivilegedDaemon } from './privileged-daemon.ts';

export const CLIENT_HELP = `Usage: pqconnect [options]          run the PQConnect client daemon (as root)
       pqconnect status [--json]   show the sessions of the running client
       pqconnect viz --help        state charts for auditors (static and live)

Options:
  -p, --port PORT         client UDP port (default ${DEFAULT_CLIENT_PORT})
  -a, --address ADDRESS   tunnel address of this host (default 10.43.0.1)
  -m, --mask BITS         tunnel prefix length (default 16)
  -i, --interface NAME    TUN device name (default pqconnect0)
      --strict            never fall back to plain traffic
      --bottle            client-in-a-bottle: also protect the machines this host
                          forwards for (intercept their DNS, carry their traffic);
                          needs net.ipv4.ip_forward=1 and routes to this host
      --queue NUMBER      NFQUEUE number for DNS answers (default 4242)
      --user NAME         unprivileged user for the worker (default pqconnect)
      --backend NAME      crypto backend: auto, fast, portable (default auto)
      --trace FILE        append every state transition to FILE as JSON lines
  -v, --verbose           log every session transition
  -h, --help              show this help
`;

const DNS_VERDICT_TIMEOUT_MS = 250;

export async function runClientDaemon(argv: string[]): Promise<number> {
  const options = parse(argv, {
    port: { type: 'string', short: 'p' },
    address: { type: 'string', short: 'a' },
    mask: { type: 'string', short: 'm' },
    interface: { type: 'string', short: 'i' },
    strict: { type: 'boolean' },
    bottle: { type: 'boolean' },
    queue: { type: 'string' },
    user: { type: 'string' },
    backend: { type: 'string' },
    trace: { type: 'string' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  });
  if (options.help) {
    process.stdout.write(CLIENT_HELP);
    return 0;
  }
  const port = portOption(options.port, 'port', DEFAULT_CLIENT_PORT);
  const tunnelAddress = addressOption(options.address, 'address', '10.43.0.1');
  const prefixLength = prefixOption(options.mask, 'mask', 16);
  const tunName = interfaceOption(options.interface, 'pqconnect0');
  const queue = portOption(options.queue, 'queue', 4242);
  const bottle = options.bottle === true;
  const backend = choiceOption(
    options.backend,
    'backend',
    ['auto', 'fast', 'portable'] as const,
    'auto',
  );
  if (process.getuid?.() !== 0)
    throw new UsageError('must run as root (it creates a TUN device and firewall rules)');
  const user = await lookupUser(options.user ?? 'pqconnect');
  const pool = new AddressPool(tunnelAddress, prefixLength);
  const network = `${formatIpv4Address(pool.network)}/${prefixLength}`;

  const log = (message: string) => process.stderr.write(`pqconnect[${process.pid}]: ${message}\n`);
  if (bottle && (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim() !== '1') {
    log(
      'warning: --bottle without net.ipv4.ip_forward=1: other machines cannot route through this host',
    );
  }
  const daemon = new PrivilegedDaemon('client', log);
  const io = nativeIo();

  await removeAllRules();
  daemon.onShutdown(() => removeAllRules());
  const tun = await createTun({ name: tunName, address: tunnelAddress, prefixLength, mtu: 1200 });
  daemon.onShutdown(() => io.closeFd(tun.fd));
  const udp = io.udpBind('0.0.0.0', port);
  daemon.onShutdown(() => io.closeFd(udp.fd));
  await installNatChains(network, tunnelAddress, tun.name, bottle);

  const routes = new Map<string, PlainRoute>();
  daemon.onShutdown(async () => {
    for (const route of routes.values()) await removePlainRoute(route);
  });
  const pendingDns = new Map<number, NodeJS.Timeout>();
  let queueHandle: unknown = null;
  const verdict = (id: number, payload: Uint8Array | null) => {
    const timer = pendingDns.get(id);
    if (timer === undefined) return;
    clearTimeout(timer);
    pendingDns.delete(id);
    io.nfqueueVerdict(queueHandle, id, payload);
  };

  const onWorker = (message: FromWorker) => {
    if (message.type === 'ready') log(message.summary);
    else if (message.type === 'dns-verdict') {
      verdict(message.id, message.payload instanceof Uint8Array ? message.payload : null);
    } else if (message.type === 'route') void applyRoute(message);
  };
  const applyRoute = async (message: Extract<FromWorker, { type: 'route' }>) => {
    try {
      const route = validatePlainRoute(message, pool);
      const key = `${route.internalAddress}>${route.plainAddress}`;
      if (message.action === 'add' && !routes.has(key)) {
        await addPlainRoute(route);
        routes.set(key, route);
        log(`plain fallback: ${route.internalAddress} -> ${route.plainAddress}`);
      } else if (message.action === 'remove' && routes.has(key)) {
        await removePlainRoute(route);
        routes.delete(key);
        log(`plain fallback removed: ${route.internalAddress}`);
      }
    } catch (error) {
      log(`refused route request: ${(error as Error).message}`);
    }
  };

  if (options.trace !== undefined) await daemon.recordTrace(options.trace);
  daemon.startWorker(user, [tun.fd, udp.fd], onWorker);
  daemon.send({
    type: 'start',
    config: {
      role: 'client',
      tunFd: FIRST_PASSED_FD,
      udpFd: FIRST_PASSED_FD + 1,
      tunnelAddress,
      prefixLength,
      strict: options.strict === true,
      backend,
      verbose: options.verbose === true,
    },
  });

  await daemon.workerReady();
  queueHandle = io.nfqueueOpen(queue, (packets) => {
    for (const { id, payload } of packets) {
      pendingDns.set(
        id,
        setTimeout(() => verdict(id, null), DNS_VERDICT_TIMEOUT_MS),
      );
      daemon.send({
        type: 'dns',
        id,
        payload: new Uint8Array(payload.buffer, payload.byteOffset, payload.length),
      });
    }
  });
  daemon.onShutdown(() => {
    for (const id of [...pendingDns.keys()]) verdict(id, null);
    io.nfqueueClose(queueHandle);
  });
  await installDnsInterception(queue, bottle);
  await daemon.serveStatus(user.gid);
  log(
    `client up: ${tun.name} ${tunnelAddress}/${prefixLength}, UDP port ${udp.port}, DNS answers via NFQUEUE ${queue}`,
  );
  return daemon.finished();
}
