/**
 * The options both daemons take (the deployed tools' -a, -m, -i, -H, -v and ours: --user,
 * --backend, --trace, --run-dir, --log-format, --metrics) as parseArgs definitions, and
 * their validated values. Each daemon adds its own (ports, keys, DNS interception).
 */

import type { TunSettings } from '../io/tun-device.ts';
import {
  DEFAULT_TUNNEL_MTU,
  MAX_TUNNEL_MTU,
  MIN_TUNNEL_MTU,
  TUNNEL_OVERHEAD_IPV4_BYTES,
} from '../protocol/constants.ts';
import {
  addressOption,
  choiceOption,
  interfaceOption,
  mtuOption,
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

/** The help lines of the shared options that are not the deployed tools' (after theirs). */
export const DAEMON_HELP = `      --mtu BYTES         TUN device MTU, ${MIN_TUNNEL_MTU}..${MAX_TUNNEL_MTU} (default ${DEFAULT_TUNNEL_MTU}); tunnel packets are
                          ${TUNNEL_OVERHEAD_IPV4_BYTES} bytes larger: at most ${1500 - TUNNEL_OVERHEAD_IPV4_BYTES} on a 1500-byte link
      --offload MODE      kernel offloads: auto (TUN TSO, UDP GSO and GRO where the
                          kernel has them) or off (default auto)
      --user NAME         unprivileged user for the worker (default pqconnect)
      --backend NAME      crypto backend: auto, fast, portable (default auto)
      --trace FILE        append every state transition to FILE as JSON lines
      --run-dir DIR       control socket directory (default /run/pqconnect); give each
                          instance its own, e.g. one per network namespace
${LOG_HELP}  -h, --help              show this help
      --version           show the version
`;

export const DAEMON_OPTIONS = {
  addr: { type: 'string', short: 'a' },
  mask: { type: 'string', short: 'm' },
  'interface-name': { type: 'string', short: 'i' },
  'host-ip': { type: 'string', short: 'H' },
  mtu: { type: 'string' },
  offload: { type: 'string' },
  user: { type: 'string' },
  backend: { type: 'string' },
  trace: { type: 'string' },
  'run-dir': { type: 'string' },
  verbose: { type: 'boolean', short: 'v', multiple: true },
  'log-format': { type: 'string' },
  metrics: { type: 'string' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export interface DaemonOptions {
  tunnelAddress: string;
  prefixLength: number;
  tunName: string;
  mtu: number;
  /** Use TUN TSO and UDP GSO/GRO where the kernel has them (--offload auto). */
  offload: boolean;
  hostAddress: string | undefined;
  user: string;
  backend: 'auto' | 'fast' | 'portable';
  trace: string | undefined;
  runDir: string;
  log: LogOptions;
  metrics: MetricsAddress | undefined;
}

type DaemonValues = {
  [K in keyof typeof DAEMON_OPTIONS]?: (typeof DAEMON_OPTIONS)[K] extends { multiple: true }
    ? boolean[]
    : (typeof DAEMON_OPTIONS)[K] extends { type: 'boolean' }
      ? boolean
      : string;
};

/** The TUN device the options ask for. */
export function tunSettings(options: DaemonOptions): TunSettings {
  const { tunName: name, tunnelAddress: address, prefixLength, mtu, offload } = options;
  return { name, address, prefixLength, mtu, offload };
}

export function daemonOptions(
  values: DaemonValues,
  defaults: { address: string; interfaceName: string },
): DaemonOptions {
  const prefixLength = prefixOption(values.mask, 'mask', 16);
  return {
    prefixLength,
    tunnelAddress: tunnelAddressOption(values.addr, 'addr', defaults.address, prefixLength),
    tunName: interfaceOption(values['interface-name'], defaults.interfaceName),
    mtu: mtuOption(values.mtu, 'mtu', DEFAULT_TUNNEL_MTU),
    offload: choiceOption(values.offload, 'offload', ['auto', 'off'] as const, 'auto') === 'auto',
    hostAddress:
      values['host-ip'] === undefined ? undefined : addressOption(values['host-ip'], 'host-ip', ''),
    user: values.user ?? 'pqconnect',
    backend: choiceOption(values.backend, 'backend', ['auto', 'fast', 'portable'] as const, 'auto'),
    trace: values.trace,
    runDir: runDirOption(values['run-dir']),
    log: logOptions(values.verbose, values['log-format']),
    metrics: metricsOption(values.metrics),
  };
}
