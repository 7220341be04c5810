/**
 * `pqconnect-server` — the server daemon's privileged part. It reads the keys (refusing
 * secret key files others can read), binds the crypto and key ports (ports below 1024
 * included: only root can take those, so a local user cannot squat them), creates the
 * TUN device, and starts the unprivileged worker with the keys and descriptors.
 */

import { controlSocketPath } from '../io/control-socket.ts';
import { checkRunDirectoryFree, takeInstanceLock } from '../io/instance-lock.ts';
import {
  configDirFor,
  DEFAULT_KEY_DIR,
  readServerConfig,
  readServerKeys,
} from '../io/key-files.ts';
import { nativeIo } from '../io/native-io.ts';
import { createTun } from '../io/tun-device.ts';
import { FIRST_PASSED_FD, lookupUser } from '../io/worker-process.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import {
  addressOption,
  choiceOption,
  interfaceOption,
  parse,
  portOption,
  prefixOption,
  printVersion,
  runDirOption,
  tunnelAddressOption,
  UsageError,
} from './args.ts';
import { daemonLogger } from './daemon-log.ts';
import { PrivilegedDaemon } from './privileged-daemon.ts';

export const SERVER_HELP = `Usage: pqconnect-server [options]   run the PQConnect server daemon (as root)

Options:
  -d, --keydir DIR        directory of the long-term keys (default ${DEFAULT_KEY_DIR};
                          its sibling config/ holds pqcport, keyport)
  -p, --port PORT         crypto port (default: config/pqcport, else ${DEFAULT_CRYPTO_PORT})
  -k, --keyport PORT      key-server port (default: config/keyport, else ${DEFAULT_KEY_PORT})
  -a, --addr ADDRESS      tunnel address of this server (default 10.42.0.1)
  -m, --mask BITS         tunnel prefix length, 8..24 (default 16)
  -i, --interface-name N  TUN device name (default pqcserv0)
  -H, --host-ip ADDRESS   deliver tunnel traffic to this address (server-in-a-bottle)
  -v, --verbose           log every session transition
      --user NAME         unprivileged user for the worker (default pqconnect)
      --backend NAME      crypto backend: auto, fast, portable (default auto)
      --trace FILE        append every state transition to FILE as JSON lines
      --run-dir DIR       control socket directory (default /run/pqconnect); give each
                          instance its own, e.g. one per network namespace
  -h, --help              show this help
      --version           show the version
`;

export async function runServerDaemon(argv: string[]): Promise<number> {
  const options = parse(argv, {
    keydir: { type: 'string', short: 'd' },
    port: { type: 'string', short: 'p' },
    keyport: { type: 'string', short: 'k' },
    addr: { type: 'string', short: 'a' },
    mask: { type: 'string', short: 'm' },
    'interface-name': { type: 'string', short: 'i' },
    'host-ip': { type: 'string', short: 'H' },
    verbose: { type: 'boolean', short: 'v' },
    version: { type: 'boolean' },
    user: { type: 'string' },
    backend: { type: 'string' },
    trace: { type: 'string' },
    'run-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (options.help) {
    process.stdout.write(SERVER_HELP);
    return 0;
  }
  if (options.version) return printVersion('pqconnect-server');
  const keyDir = options.keydir ?? DEFAULT_KEY_DIR;
  const config = await readServerConfig(configDirFor(keyDir));
  const cryptoPort = portOption(options.port, 'port', config.cryptoPort ?? DEFAULT_CRYPTO_PORT);
  const keyPort = portOption(options.keyport, 'keyport', config.keyPort ?? DEFAULT_KEY_PORT);
  const prefixLength = prefixOption(options.mask, 'mask', 16);
  const tunnelAddress = tunnelAddressOption(options.addr, 'addr', '10.42.0.1', prefixLength);
  const tunName = interfaceOption(options['interface-name'], 'pqcserv0');
  const hostAddress =
    options['host-ip'] === undefined ? undefined : addressOption(options['host-ip'], 'host-ip', '');
  const backend = choiceOption(
    options.backend,
    'backend',
    ['auto', 'fast', 'portable'] as const,
    'auto',
  );
  const runDir = runDirOption(options['run-dir']);
  if (process.getuid?.() !== 0)
    throw new UsageError('must run as root (it creates a TUN device and binds the ports)');
  const lock = await takeInstanceLock('pqconnect/server');
  await checkRunDirectoryFree(controlSocketPath('server', runDir), runDir);
  const keys = await readServerKeys(keyDir);
  const user = await lookupUser(options.user ?? 'pqconnect');

  const log = daemonLogger(`pqconnect-server[${process.pid}]`);
  const daemon = new PrivilegedDaemon('server', log);
  daemon.onShutdown(() => lock.release());
  const io = nativeIo();
  const crypto = io.udpBind('0.0.0.0', cryptoPort);
  daemon.onShutdown(() => io.closeFd(crypto.fd));
  const keyServer = io.udpBind('0.0.0.0', keyPort);
  daemon.onShutdown(() => io.closeFd(keyServer.fd));
  const tun = await createTun({ name: tunName, address: tunnelAddress, prefixLength, mtu: 1200 });
  daemon.onShutdown(() => io.closeFd(tun.fd));

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
      tunnelAddress,
      prefixLength,
      hostAddress,
      backend,
      verbose: options.verbose === true,
      keys,
    },
  });
  for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);
  await daemon.workerReady();
  await daemon.serveStatus(user.gid, runDir);
  log(
    `server up: ${tun.name} ${tunnelAddress}/${prefixLength}, crypto port ${crypto.port}, key port ${keyServer.port}`,
  );
  return daemon.finished();
}
