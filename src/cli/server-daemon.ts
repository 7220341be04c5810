/**
 * `pqconnect-server` — the server daemon's privileged part. It reads the keys (refusing
 * secret key files others can read), binds the crypto and key ports (ports below 1024
 * included: only root can take those, so a local user cannot squat them), creates the
 * TUN device, and starts the unprivileged worker with the keys and descriptors.
 */
import { checkRunDirectoryFree, takeInstanceLock } from '../io/instance-lock.ts';
import { readServerKeys } from '../io/key-files.ts';
import { nativeIo } from '../io/native-io.ts';
import { controlSocketPath } from '../io/run-dir.ts';
import { createTun } from '../io/tun-device.ts';
import { FIRST_PASSED_FD, lookupUser } from '../io/worker-process.ts';
import { UsageError } from './args.ts';
import { daemonLogger } from './daemon-log.ts';
import { tunSettings } from './daemon-options.ts';
import { describeOffloads } from './offload-summary.ts';
import { PrivilegedDaemon } from './privileged-daemon.ts';
import type { ServerOptions } from './server-options.ts';

export async function runServerDaemon(options: ServerOptions): Promise<number> {
  const {
    keyDir,
    cryptoPort,
    keyPort,
    prefixLength,
    tunnelAddress,
    mtu,
    offload,
    hostAddress,
    runDir,
  } = options;
  if (process.getuid?.() !== 0)
    throw new UsageError('must run as root (it creates a TUN device and binds the ports)');
  const lock = await takeInstanceLock('pqconnect/server');
  await checkRunDirectoryFree(controlSocketPath('server', runDir), runDir);
  const keys = await readServerKeys(keyDir);
  const user = await lookupUser(options.user);

  const tag = options.instance === null ? `${process.pid}` : `${options.instance} ${process.pid}`;
  const log = daemonLogger(`pqconnect-server[${tag}]`, options.log.format);
  const daemon = new PrivilegedDaemon('server', log, options.log.format);
  daemon.onShutdown(() => lock.release());
  daemon.addStatus(() => ({ instance: options.instance, listen: options.listenAddress }));
  return daemon.run(async () => {
    // Before anything is installed: a port in use ends the start here.
    await daemon.serveMetrics(options.metrics, options.instance);
    const io = nativeIo();
    const crypto = io.udpBind(options.listenAddress, cryptoPort, offload);
    daemon.onShutdown(() => io.closeFd(crypto.fd));
    const keyServer = io.udpBind(options.listenAddress, keyPort, false);
    daemon.onShutdown(() => io.closeFd(keyServer.fd));
    const tun = await createTun(tunSettings(options));
    daemon.onShutdown(() => io.closeFd(tun.fd));
    log(describeOffloads(offload, tun, [crypto]));

    if (options.trace !== undefined) await daemon.recordTrace(options.trace);
    daemon.startWorker(user, [tun.fd, crypto.fd, keyServer.fd], (message) => {
      if (message.type === 'ready') log(`worker ready: ${message.summary}`);
    });
    daemon.send({
      type: 'start',
      config: {
        role: 'server',
        tunFd: FIRST_PASSED_FD,
        cryptoFd: FIRST_PASSED_FD + 1,
        keyFd: FIRST_PASSED_FD + 2,
        tunVnetHeader: tun.vnetHeader,
        udpSegmentation: offload,
        tunnelAddress,
        prefixLength,
        hostAddress,
        backend: options.backend,
        verbosity: options.log.verbosity,
        keys,
      },
    });
    for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);
    await daemon.workerReady();
    await daemon.serveStatus(user.gid, runDir);
    log(
      `server up${options.instance === null ? '' : ` (instance ${options.instance})`}: ${tun.name} ${tunnelAddress}/${prefixLength} MTU ${mtu}, crypto port ${options.listenAddress}:${crypto.port}, key port ${options.listenAddress}:${keyServer.port}`,
    );
  });
}
