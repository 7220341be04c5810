/**
 * `pqconnect-keygen`: creates a server's long-term keys in the deployed layout and prints
 * the DNS records that announce the server; `--dns-only` prints them for existing keys.
 * Accepts the deployed tool's options (-c, -d/--directory, -D) and checks every argument
 * before it writes anything. Ports come from the options, else from the config
 * directory (as the deployed tool reads them), else the defaults.
 */

import { generateServerKeys, serverPq1Label } from '../engine/server-keys.ts';
import {
  configDirFor,
  DEFAULT_KEY_DIR,
  keysExist,
  readServerConfig,
  readServerKeys,
  writeServerConfig,
  writeServerKeys,
} from '../io/key-files.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import {
  addressOption,
  choiceOption,
  helpOrVersion,
  parse,
  portOption,
  runMain,
  UsageError,
} from './args.ts';

const HELP = `Usage: pqconnect-keygen [options]

Creates the server's McEliece, X25519 and session keys in DIR/keys (secrets 0600) and
prints the DNS records to add.

Options:
  -d, --directory DIR     directory for the keys (default ${DEFAULT_KEY_DIR});
      --keydir DIR        the same
  -c, --config-dir DIR    directory for the ports and host files (default: config/
                          beside the key directory)
  -n, --name HOSTNAME     the server's name, e.g. www.example.org (for the DNS records)
  -a, --address ADDRESS   the server's public IPv4 address (for the DNS records)
  -p, --port PORT         crypto port announced (default: config-dir/pqcport, else ${DEFAULT_CRYPTO_PORT})
  -k, --keyport PORT      key port announced (default: config-dir/keyport, else ${DEFAULT_KEY_PORT})
  -D, --dns-only          do not create keys; print the records for existing ones
      --backend NAME      crypto backend: auto, fast, portable (default auto)
      --version           print the version
  -h, --help              show this help
`;

/** The part of a host name after its first label (".example.org"); a usage error if none. */
function domainOf(name: string): string {
  const dot = name.indexOf('.');
  if (dot <= 0 || dot === name.length - 1 || !/^[A-Za-z0-9.-]+$/.test(name))
    throw new UsageError(`--name: need a host name with a domain, e.g. www.example.org: ${name}`);
  return name.slice(dot);
}

/** A port from its option, else the config file, else the default; both given must agree. */
function chosenPort(
  option: string | undefined,
  name: string,
  fromConfig: number | undefined,
  configFile: string,
  fallback: number,
): number {
  if (option === undefined) return fromConfig ?? fallback;
  const port = portOption(option, name, fallback);
  if (fromConfig !== undefined && fromConfig !== port)
    throw new UsageError(
      `--${name}: ${port} differs from ${configFile} (${fromConfig}); change or remove that file`,
    );
  return port;
}

function dnsRecords(name: string | undefined, label: string, address: string): string {
  if (name === undefined)
    return `SUBDOMAIN.DOMAIN. CNAME ${label}.DOMAIN.\n${label}.DOMAIN. A ${address}\n(for each name of this server; with --name the records are filled in)\n`;
  const pq1Name = `${label}${domainOf(name)}`;
  return `${name}. CNAME ${pq1Name}.\n${pq1Name}. A ${address}\n`;
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2), {
    directory: { type: 'string', short: 'd' },
    keydir: { type: 'string' },
    'config-dir': { type: 'string', short: 'c' },
    name: { type: 'string', short: 'n' },
    address: { type: 'string', short: 'a' },
    port: { type: 'string', short: 'p' },
    keyport: { type: 'string', short: 'k' },
    'dns-only': { type: 'boolean', short: 'D' },
    backend: { type: 'string' },
    version: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const answered = helpOrVersion('pqconnect-keygen', HELP, options);
  if (answered !== undefined) return answered;
  if (
    options.directory !== undefined &&
    options.keydir !== undefined &&
    options.directory !== options.keydir
  )
    throw new UsageError(
      `--keydir: ${options.keydir} differs from --directory ${options.directory}`,
    );
  const dir = options.directory ?? options.keydir ?? DEFAULT_KEY_DIR;
  const configDir = options['config-dir'] ?? configDirFor(dir);
  const config = await readServerConfig(configDir).catch((error: Error) => {
    throw new UsageError(`--config-dir: ${configDir}: ${error.message}`);
  });
  const cryptoPort = chosenPort(
    options.port,
    'port',
    config.cryptoPort,
    `${configDir}/pqcport`,
    DEFAULT_CRYPTO_PORT,
  );
  const keyPort = chosenPort(
    options.keyport,
    'keyport',
    config.keyPort,
    `${configDir}/keyport`,
    DEFAULT_KEY_PORT,
  );
  if (options.name !== undefined) domainOf(options.name);
  const address =
    options.address === undefined ? undefined : addressOption(options.address, 'address', '');
  const backend = choiceOption(
    options.backend,
    'backend',
    ['auto', 'fast', 'portable'] as const,
    'auto',
  );
  const { createCryptoSuite } = await import('../crypto/suite.ts');
  const suite = createCryptoSuite(backend, (m) => process.stderr.write(`pqconnect-keygen: ${m}\n`));
  try {
    if (!options['dns-only']) {
      if (await keysExist(dir))
        throw new UsageError(`keys already exist in ${dir} (use --dns-only to print the records)`);
      process.stderr.write('pqconnect-keygen: generating a Classic McEliece key pair...\n');
      const keys = await generateServerKeys(suite);
      await writeServerKeys(dir, keys);
      await writeServerConfig(configDir, { cryptoPort, keyPort, host: address });
      for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);
      process.stderr.write(`pqconnect-keygen: keys written to ${dir}\n`);
    }
    const keys = await readServerKeys(dir);
    for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);
    const label = serverPq1Label(suite, keys, { crypto: cryptoPort, key: keyPort });
    process.stdout.write(`pq1 label: ${label}\n`);
    process.stdout.write('Add these DNS records:\n');
    process.stdout.write(
      dnsRecords(options.name, label, address ?? config.host ?? '<public IPv4 address>'),
    );
    return 0;
  } finally {
    await suite.kem.close();
  }
}

runMain('pqconnect-keygen', main);
