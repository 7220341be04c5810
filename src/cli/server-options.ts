/**
 * `pqconnect-server`'s command line: the help text and the validated options of the
 * server daemon (port defaults from the key directory's config/, as the deployed server
 * reads them). Loads nothing heavy, so `--help`, `--version` and usage errors answer
 * before the daemon's modules are read.
 */
import { configDirFor, DEFAULT_KEY_DIR, readServerConfig } from '../io/key-files.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import { addressOption, parse, portOption, UsageError } from './args.ts';
import {
  DAEMON_HELP,
  DAEMON_OPTIONS,
  type DaemonOptions,
  daemonOptions,
} from './daemon-options.ts';

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
      --listen ADDRESS    bind the crypto and key ports to ADDRESS only (default 0.0.0.0;
                          a farm's service address, so replies leave from it)
      --instance NAME     this instance's name in its logs (a farm: which one said it)
${DAEMON_HELP}`;

export interface ServerOptions extends DaemonOptions {
  keyDir: string;
  cryptoPort: number;
  keyPort: number;
  listenAddress: string;
  instance: string | null;
}

export type ServerCommand = { run: ServerOptions } | 'help' | 'version';

/** An instance name: letters, digits, '-', '_' and '.', up to 32. */
function instanceOption(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(value))
    throw new UsageError(`--instance: letters, digits, '.', '_' or '-', up to 32: ${value}`);
  return value;
}

export async function parseServerOptions(argv: string[]): Promise<ServerCommand> {
  const options = parse(argv, {
    ...DAEMON_OPTIONS,
    keydir: { type: 'string', short: 'd' },
    port: { type: 'string', short: 'p' },
    keyport: { type: 'string', short: 'k' },
    listen: { type: 'string' },
    instance: { type: 'string' },
  });
  if (options.help) return 'help';
  if (options.version) return 'version';
  const keyDir = options.keydir ?? DEFAULT_KEY_DIR;
  const common = daemonOptions(options, { address: '10.42.0.1', interfaceName: 'pqcserv0' });
  const config = await readServerConfig(configDirFor(keyDir));
  return {
    run: {
      ...common,
      keyDir,
      cryptoPort: portOption(options.port, 'port', config.cryptoPort ?? DEFAULT_CRYPTO_PORT),
      keyPort: portOption(options.keyport, 'keyport', config.keyPort ?? DEFAULT_KEY_PORT),
      listenAddress: addressOption(options.listen, 'listen', '0.0.0.0'),
      instance: instanceOption(options.instance),
    },
  };
}
