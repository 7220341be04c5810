/**
 * `pqconnect` — the client daemon's privileged part. It creates the TUN device, binds the
 * client UDP port, diverts DNS answers into NFQUEUE, starts the unprivileged worker with
 * those descriptors, and carries out the worker's few requests: DNS verdicts (a late or
 * missing verdict lets the original answer through) and plain-fallback NAT rules (each
 * validated). Everything it installs is removed at exit, and stale rules at start — after
 * the instance lock is taken, so a second instance changes nothing.
 */
import { readFile } from 'node:fs/promises';
import { errorText } from '../actors/error-text.ts';
import { AddressPool } from '../engine/address-pool.ts';
import { detectFirewall, removeStaleRules } from '../io/firewall.ts';
import type { PlainRoute } from '../io/firewall-types.ts';
import { checkRunDirectoryFree, takeInstanceLock } from '../io/instance-lock.ts';
import { nativeIo } from '../io/native-io.ts';
import { controlSocketPath } from '../io/run-dir.ts';
import { createTun } from '../io/tun-device.ts';
import { FIRST_PASSED_FD, lookupUser } from '../io/worker-process.ts';
import { formatIpv4Address } from '../protocol/ipv4.ts';
import { UsageError } from './args.ts';
import type { ClientOptions } from './client-options.ts';
import { daemonLogger } from './daemon-log.ts';
import { tunSettings } from './daemon-options.ts';
import type { FromWorker } from './ipc.ts';
import { describeOffloads } from './offload-summary.ts';
import { PrivilegedDaemon } from './privileged-daemon.ts';
import { WorkerRequests } from './worker-requests.ts';

const DNS_VERDICT_TIMEOUT_MS = 250;

export async function runClientDaemon(options: ClientOptions): Promise<number> {
  const { port, prefixLength, tunnelAddress, mtu, offload, hostAddress, queue, bottle, runDir } =
    options;
  if (process.getuid?.() !== 0)
    throw new UsageError('must run as root (it creates a TUN device and firewall rules)');
  const lock = await takeInstanceLock('pqconnect/client');
  await checkRunDirectoryFree(controlSocketPath('client', runDir), runDir);
  const user = await lookupUser(options.user);
  const pool = new AddressPool(tunnelAddress, prefixLength);
  const network = `${formatIpv4Address(pool.network)}/${prefixLength}`;

  const log = daemonLogger(`pqconnect[${process.pid}]`, options.log.format);
  if (bottle && (await readFile('/proc/sys/net/ipv4/ip_forward', 'utf8')).trim() !== '1') {
    log(
      '--bottle without net.ipv4.ip_forward=1: other machines cannot route through this host',
      'warn',
    );
  }
  const daemon = new PrivilegedDaemon('client', log, options.log.format);
  daemon.onShutdown(() => lock.release());
  return daemon.run(async () => {
    // Before anything is installed: a port in use ends the start here.
    await daemon.serveMetrics(options.metrics);
    const io = nativeIo();

    await removeStaleRules();
    const firewall = await detectFirewall();
    log(
      `firewall: DNS answers diverted by ${firewall.name}, fallback NAT in the nftables table ip pqconnect`,
    );
    daemon.onShutdown(() => firewall.removeAll());
    const tun = await createTun(tunSettings(options));
    daemon.onShutdown(() => io.closeFd(tun.fd));
    const udp = io.udpBind('0.0.0.0', port, offload);
    daemon.onShutdown(() => io.closeFd(udp.fd));
    log(describeOffloads(offload, tun, [udp]));
    const natMode = hostAddress !== undefined ? 'host-ip' : bottle ? 'bottle' : 'local';
    await firewall.installNat(network, tunnelAddress, tun.name, natMode);

    /** Fallback routes installed; firewall.removeAll() at shutdown drops them all at once. */
    const routes = new Map<string, PlainRoute>();
    const requests = new WorkerRequests(pool, log);
    daemon.addStatus(() => ({ refusedByRoot: requests.refused(), plainRoutes: routes.size }));
    const timers = new Map<number, NodeJS.Timeout>();
    let queueHandle: unknown = null;
    const verdict = (id: number, rewritten: Uint8Array | null) => {
      const payload = requests.settle(id, rewritten);
      if (payload === undefined) return;
      clearTimeout(timers.get(id));
      timers.delete(id);
      io.nfqueueVerdict(queueHandle, id, payload);
    };

    const onWorker = (message: FromWorker) => {
      if (message.type === 'ready') log(`worker ready: ${message.summary}`);
      else if (message.type === 'dns-verdict') verdict(message.id, message.payload);
      else if (message.type === 'route') void applyRoute(message);
    };
    const applyRoute = async (message: Extract<FromWorker, { type: 'route' }>) => {
      const route = requests.route(message, routes.size);
      if (route === null) return;
      const key = `${route.internalAddress}>${route.plainAddress}`;
      try {
        if (message.action === 'add' && !routes.has(key)) {
          routes.set(key, route);
          await firewall.addPlainRoute(route);
          log(`plain fallback: ${route.internalAddress} -> ${route.plainAddress}`);
        } else if (message.action === 'remove' && routes.has(key)) {
          routes.delete(key);
          await firewall.removePlainRoute(route);
          log(`plain fallback removed: ${route.internalAddress}`);
        }
      } catch (error) {
        if (message.action === 'add') routes.delete(key);
        log(`route ${message.action} failed: ${errorText(error)}`);
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
        tunVnetHeader: tun.vnetHeader,
        udpSegmentation: offload,
        tunnelAddress,
        prefixLength,
        strict: options.strict,
        hostAddress,
        backend: options.backend,
        verbosity: options.log.verbosity,
      },
    });

    await daemon.workerReady();
    queueHandle = io.nfqueueOpen(queue, (packets) => {
      for (const { id, payload } of packets) {
        const original = new Uint8Array(payload.buffer, payload.byteOffset, payload.length);
        if (!requests.queued(id, original)) {
          io.nfqueueVerdict(queueHandle, id, null);
          continue;
        }
        timers.set(
          id,
          setTimeout(() => verdict(id, null), DNS_VERDICT_TIMEOUT_MS),
        );
        daemon.send({ type: 'dns', id, payload: original });
      }
    });
    daemon.onShutdown(() => {
      for (const id of [...timers.keys()]) verdict(id, null);
      io.nfqueueClose(queueHandle);
    });
    await firewall.installDnsInterception(queue, bottle);
    await daemon.serveStatus(user.gid, runDir);
    log(
      `client up: ${tun.name} ${tunnelAddress}/${prefixLength} MTU ${mtu}, UDP port ${udp.port}, DNS answers via NFQUEUE ${queue}`,
    );
  });
}
