/**
 * `pqconnect-keygen`: creates a server's long-term keys in the deployed layout and prints
 * the DNS records that announce the server; `--dns-only` prints them for existing keys.
 */
import { randomBytes } from 'node:crypto';
import { createCryptoSuite } from '../crypto/suite.ts';
import {
  configDirFor,
  DEFAULT_KEY_DIR,
  keysExist,
  readServerKeys,
  writeServerConfig,
  writeServerKeys,
} from '../io/key-files.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import { buildKeyTree } from '../protocol/keytree.ts';
import { formatPq1Label } from '../protocol/names.ts';
import { addressOption, choiceOption, parse, portOption, runMain, UsageError } from './args.ts';

const HELP = `Usage: pqconnect-keygen [options]

Creates the server's McEliece, X25519 and session keys in DIR/keys (secrets 0600) and
prints the DNS records to add.

Options:
  -d, --keydir DIR        directory for the keys (default ${DEFAULT_KEY_DIR}); the ports
                          go to its sibling config/
  -n, --name HOSTNAME     the server's name, e.g. www.example.org (for the DNS records)
  -a, --address ADDRESS   the server's public IPv4 address (for the DNS records)
  -p, --port PORT         crypto port announced (default ${DEFAULT_CRYPTO_PORT})
  -k, --keyport PORT      key port announced (default ${DEFAULT_KEY_PORT})
      --dns-only          do not create keys; print the records for existing ones
      --backend NAME      crypto backend: auto, fast, portable (default auto)
  -h, --help              show this help
`;

function dnsRecords(name: string, label: string, address: string): string {
  const dot = name.indexOf('.');
  if (dot <= 0)
    throw new UsageError(`--name: need a host name with a domain, e.g. www.example.org: ${name}`);
  const pq1Name = `${label}${name.slice(dot)}`;
  return `${name}. CNAME ${pq1Name}.\n${pq1Name}. A ${address}\n`;
}

async function main(): Promise<number> {
  const options = parse(process.argv.slice(2), {
    keydir: { type: 'string', short: 'd' },
    name: { type: 'string', short: 'n' },
    address: { type: 'string', short: 'a' },
    port: { type: 'string', short: 'p' },
    keyport: { type: 'string', short: 'k' },
    'dns-only': { type: 'boolean' },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (options.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const dir = options.keydir ?? DEFAULT_KEY_DIR;
  const cryptoPort = portOption(options.port, 'port', DEFAULT_CRYPTO_PORT);
  const keyPort = portOption(options.keyport, 'keyport', DEFAULT_KEY_PORT);
  const address =
    options.address === undefined ? undefined : addressOption(options.address, 'address', '');
  const backend = choiceOption(
    options.backend,
    'backend',
    ['auto', 'fast', 'portable'] as const,
    'auto',
  );
  const suite = createCryptoSuite(backend, (m) => process.stderr.write(`pqconnect-keygen: ${m}\n`));
  try {
    if (!options['dns-only']) {
      if (await keysExist(dir))
        throw new UsageError(`keys already exist in ${dir} (use --dns-only to print the records)`);
      process.stderr.write('pqconnect-keygen: generating a Classic McEliece key pair...\n');
      const mceliece = await suite.kem.keypair('mceliece6960119');
      const x25519Sk = new Uint8Array(randomBytes(32));
      await writeServerKeys(dir, {
        mceliecePk: mceliece.publicKey,
        mcelieceSk: mceliece.secretKey,
        x25519Pk: suite.sym.x25519PublicKey(x25519Sk),
        x25519Sk,
        sessionKey: new Uint8Array(randomBytes(32)),
      });
      await writeServerConfig(configDirFor(dir), { cryptoPort, keyPort, host: address });
      mceliece.secretKey.fill(0);
      x25519Sk.fill(0);
      process.stderr.write(`pqconnect-keygen: keys written to ${dir}\n`);
    }
    const keys = await readServerKeys(dir);
    for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);
    const label = formatPq1Label(buildKeyTree(suite.sym, keys.mceliecePk, keys.x25519Pk).root, {
      crypto: cryptoPort,
      key: keyPort,
    });
    process.stdout.write(`pq1 label: ${label}\n`);
    if (options.name !== undefined) {
      process.stdout.write('Add these DNS records:\n');
      process.stdout.write(dnsRecords(options.name, label, address ?? '<public IPv4 address>'));
    }
    return 0;
  } finally {
    await suite.kem.close();
  }
}

runMain('pqconnect-keygen', main);
