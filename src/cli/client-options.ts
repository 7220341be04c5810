/**
 * `pqconnect`'s command line: the help text and the validated options of the client
 * daemon. Loads nothing heavy, so `--help`, `--version` and every usage error answer
 * before the daemon's modules are read.
 */
import { DEFAULT_CLIENT_PORT } from '../protocol/constants.ts';
import { parse, portOption, queueOption } from './args.ts';
import {
  DAEMON_HELP,
  DAEMON_OPTIONS,
  type DaemonOptions,
  daemonOptions,
} from './daemon-options.ts';

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
${DAEMON_HELP}`;

export interface ClientOptions extends DaemonOptions {
  port: number;
  bottle: boolean;
  strict: boolean;
  queue: number;
}

export type ClientCommand = { run: ClientOptions } | 'help' | 'version';

export function parseClientOptions(argv: string[]): ClientCommand {
  const options = parse(argv, {
    ...DAEMON_OPTIONS,
    port: { type: 'string', short: 'p' },
    bottle: { type: 'boolean' },
    strict: { type: 'boolean' },
    queue: { type: 'string' },
  });
  if (options.help) return 'help';
  if (options.version) return 'version';
  const common = daemonOptions(options, { address: '10.43.0.1', interfaceName: 'pqccli0' });
  return {
    run: {
      ...common,
      port: portOption(options.port, 'port', DEFAULT_CLIENT_PORT),
      bottle: options.bottle === true || common.hostAddress !== undefined,
      strict: options.strict === true,
      queue: queueOption(options.queue, 'queue', 4242),
    },
  };
}
