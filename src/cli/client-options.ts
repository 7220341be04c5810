/**
 * `pqconnect`'s command line: the help text and the validated options of the client
 * daemon. Loads nothing heavy, so `--help`, `--version` and every usage error answer
 * before the daemon's modules are read.
 */
import { DEFAULT_CLIENT_PORT } from '../protocol/constants.ts';
import {
  addressOption,
  choiceOption,
  interfaceOption,
  parse,
  portOption,
  prefixOption,
  queueOption,
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

export const CLIENT_HELP = `Usage: pqconnect [options]          run the PQConnect client daemon (as root)
       pqconnect status [--json]   show the sessions of the running client (also --show)
       pqconnect viz --help        state charts for auditors (static and live)

Options:
  -p, --port PORT         client UDP port (default ${DEFAULT_CLIENT_PORT})
  -a, --addr ADDRESS      tunnel address of this host (default 10.43.0.1)
  -m, --mask BITS         tunnel prefix length, 8..24 (default 16)
  -i, --interface-name N  TUN device name (default pqccli0)
  -H, --host-ip ADDRESS   client-in-a-bottle: deliver decrypted traffic to this address
                          (the host this VM protects); intercepts forwarded DNS too
      --bottle            client-in-a-bottle for several machines: intercept DNS this
                          host forwards and carry their traffic as this host's
                          tunnel address (SNAT); needs net.ipv4.ip_forward=1
      --strict            never fall back to plain traffic
      --queue NUMBER      NFQUEUE number for DNS answers (default 4242)
      --user NAME         unprivileged user for the worker (default pqconnect)
      --backend NAME      crypto backend: auto, fast, portable (default auto)
      --trace FILE        append every state transition to FILE as JSON lines
      --run-dir DIR       control socket directory (default /run/pqconnect); give each
                          instance its own, e.g. one per network namespace
${LOG_HELP}  -h, --help              show this help
      --version           show the version
`;

export interface ClientOptions {
  port: number;
  tunnelAddress: string;
  prefixLength: number;
  tunName: string;
  hostAddress: string | undefined;
  bottle: boolean;
  strict: boolean;
  queue: number;
  user: string;
  backend: 'auto' | 'fast' | 'portable';
  trace: string | undefined;
  runDir: string;
  log: LogOptions;
  metrics: MetricsAddress | undefined;
}

export type ClientCommand = { run: ClientOptions } | 'help' | 'version';

export function parseClientOptions(argv: string[]): ClientCommand {
  const options = parse(argv, {
    port: { type: 'string', short: 'p' },
    addr: { type: 'string', short: 'a' },
    mask: { type: 'string', short: 'm' },
    'interface-name': { type: 'string', short: 'i' },
    'host-ip': { type: 'string', short: 'H' },
    bottle: { type: 'boolean' },
    strict: { type: 'boolean' },
    queue: { type: 'string' },
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
  const prefixLength = prefixOption(options.mask, 'mask', 16);
  const hostAddress =
    options['host-ip'] === undefined ? undefined : addressOption(options['host-ip'], 'host-ip', '');
  return {
    run: {
      port: portOption(options.port, 'port', DEFAULT_CLIENT_PORT),
      prefixLength,
      tunnelAddress: tunnelAddressOption(options.addr, 'addr', '10.43.0.1', prefixLength),
      tunName: interfaceOption(options['interface-name'], 'pqccli0'),
      hostAddress,
      bottle: options.bottle === true || hostAddress !== undefined,
      strict: options.strict === true,
      queue: queueOption(options.queue, 'queue', 4242),
      user: options.user ?? 'pqconnect',
      backend: choiceOption(
        options.backend,
        'backend',
        ['auto', 'fast', 'portable'] as const,
        'auto',
      ),
      trace: options.trace,
      runDir: runDirOption(options['run-dir']),
      log: logOptions(options.verbose, options['log-format']),
      metrics: metricsOption(options.metrics),
    },
  };
}
