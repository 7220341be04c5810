/**
 * `pqconnect-server`'s command line: the help text and the validated options of the
 * server daemon (port defaults from the key directory's config/, as the deployed server
 * reads them). Loads nothing heavy, so `--help`, `--version` and usage errors answer
 * before the daemon's modules are read.
 */
import { configDirFor, DEFAULT_KEY_DIR, readServerConfig } from '../io/key-files.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import {
  addressOption,
  choiceOption,
  interfaceOption,
  parse,
  portOption,
  prefixOption,
  runDirOption,
  tunnelAddressOption,
} from './args.ts';
import {
  LOG_HELP,
  type LogOptions,
  logOptions,
  type MetricsAddress,
  metricsOption,
} from './log-options.ts';

export const SERVER_HELP = `Usage: pqconnect-server [options]   run the PQConnect server daemon (as root)
       pqconnect-server status [--json]

Options:
  -d, --keydir DIR        directory of the long-term keys (default ${DEFAULT_KEY_DIR};
                          its sibling config/ holds pqcport, keyport)
  -p, --port PORT         crypto port (default: config/pqcport, else ${DEFAULT_CRYPTO_PORT})
  -k, --keyport PORT      key-server port (default: config/keyport, else ${DEFAULT_KEY_PORT})
  -a, --addr ADDRESS      tunnel address of this server (default 10.42.0.1)
  -m, --mask BITS         tunnel prefix length, 8..24 (default 16)
  -i, --interface-name N  TUN device name (default pqcserv0)
  -H, --host-ip ADDRESS   deliver tunnel traffic to this address (server-in-a-bottle)
      --user NAME         unprivileged user for the worker (default pqconnect)
      --backend NAME      crypto backend: auto, fast, portable (default auto)
      --trace FILE        append every state transition to FILE as JSON lines
      --run-dir DIR       control socket directory (default /run/pqconnect); give each
                          instance its own, e.g. one per network namespace
${LOG_HELP}  -h, --help              show this help
      --version           show the version
`;

export interface ServerOptions {
  keyDir: string;
  cryptoPort: number;
  keyPort: number;
  tunnelAddress: string;
  prefixLength: number;
  tunName: string;
  hostAddress: string | undefined;
  user: string;
  backend: 'auto' | 'fast' | 'portable';
  trace: string | undefined;
  runDir: string;
  log: LogOptions;
  metrics: MetricsAddress | undefined;
}

export type ServerCommand = { run: ServerOptions } | 'help' | 'version';

export async function parseServerOptions(argv: string[]): Promise<ServerCommand> {
  const options = parse(argv, {
    keydir: { type: 'string', short: 'd' },
    port: { type: 'string', short: 'p' },
    keyport: { type: 'string', short: 'k' },
    addr: { type: 'string', short: 'a' },
    mask: { type: 'string', short: 'm' },
    'interface-name': { type: 'string', short: 'i' },
    'host-ip': { type: 'string', short: 'H' },
    user: { type: 'string' },
    backend: { type: 'string' },
    trace: { type: 'string' },
    'run-dir': { type: 'string' },
    verbose: { type: 'boolean', short: 'v', multiple: true },
    'log-format': { type: 'string' },
    metrics: { type: 'string' },
    version: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (options.help) return 'help';
  if (options.version) return 'version';
  const keyDir = options.keydir ?? DEFAULT_KEY_DIR;
  const prefixLength = prefixOption(options.mask, 'mask', 16);
  const log = logOptions(options.verbose, options['log-format']);
  const metrics = metricsOption(options.metrics);
  const config = await readServerConfig(configDirFor(keyDir));
  return {
    run: {
      keyDir,
      cryptoPort: portOption(options.port, 'port', config.cryptoPort ?? DEFAULT_CRYPTO_PORT),
      keyPort: portOption(options.keyport, 'keyport', config.keyPort ?? DEFAULT_KEY_PORT),
      prefixLength,
      tunnelAddress: tunnelAddressOption(options.addr, 'addr', '10.42.0.1', prefixLength),
      tunName: interfaceOption(options['interface-name'], 'pqcserv0'),
      hostAddress:
        options['host-ip'] === undefined
          ? undefined
          : addressOption(options['host-ip'], 'host-ip', ''),
      user: options.user ?? 'pqconnect',
      backend: choiceOption(
        options.backend,
        'backend',
        ['auto', 'fast', 'portable'] as const,
        'auto',
      ),
      trace: options.trace,
      runDir: runDirOption(options['run-dir']),
      log,
      metrics,
    },
  };
}
