/**
 * `pqconnect-server-check HOSTNAME`: checks that a server is announced and reachable as
 * PQConnect clients will find it — the CNAME chain to a pq1 name, the pq1 label, its
 * address, that the announced key hash and ports match this machine's key and config
 * files (unless -D), that the key server answers with the announced key tree, and a full
 * handshake with an echo through the tunnel. One ✓/✗ line per check, with a hint on ✗;
 * exit status 0 only if every check passes.
 */
import { Resolver } from 'node:dns/promises';
import { equalBytes, toHex } from '../crypto/bytes.ts';
import type { CryptoSuite } from '../crypto/suite.ts';
import { resolveServerPorts } from '../engine/port-lookup.ts';
import {
  configDirFor,
  DEFAULT_KEY_DIR,
  readServerConfig,
  readServerKeys,
} from '../io/key-files.ts';
import { DEFAULT_CRYPTO_PORT, DEFAULT_KEY_PORT } from '../protocol/constants.ts';
import { buildKeyTree } from '../protocol/keytree.ts';
import { formatPq1Label, type Pq1Announcement, parsePq1Name } from '../protocol/names.ts';
import { choiceOption, helpOrVersion, parseWithPositionals, runMain, UsageError } from './args.ts';
import type { Outcome } from './server-check-network.ts';

const HELP = `Usage: pqconnect-server-check [options] HOSTNAME
       pqconnect-server-check [options] --local ADDRESS [--every SECONDS]

Checks the DNS announcement of HOSTNAME, this machine's key files, the key server and a
full handshake, one line per check. With --local, checks only this instance: its key
server and a handshake at ADDRESS (e.g. a farm's service address on lo), with the key
hash of the local keys and the local ports; a health check for a BGP speaker, which stops
at the first failed check. With --every, it keeps checking (one session kept, an echo
through it and a key-server answer per round) and prints a line per round, "✓ healthy"
or "✗ unhealthy: why", until stopped. Exit status 0 only if every check passes.

Options:
      --local ADDRESS     check the instance serving ADDRESS with the local keys, no DNS
      --every SECONDS     with --local: check again every SECONDS (0.1..3600), until stopped
  -d, --keydir DIR        the server's key directory (default ${DEFAULT_KEY_DIR})
  -c, --config-dir DIR    its config directory (default: config/ beside the keys)
  -D, --dns-only          skip the local key and config files (check from anywhere)
      --timeout SECONDS   per network check (default 10)
      --backend NAME      crypto backend: auto, fast, portable (default auto)
      --version           print the version
  -h, --help              show this help
`;

const MAX_CNAME_HOPS = 8;

interface Line {
  what: string;
  outcome: Outcome;
  hint?: string;
}

function print(line: Line): void {
  const mark = line.outcome.ok ? '✓' : '✗';
  const hint = !line.outcome.ok && line.hint ? `\n    hint: ${line.hint}` : '';
  process.stdout.write(`${mark} ${line.what}: ${line.outcome.detail}${hint}\n`);
}

/** Follows CNAME records from `name` to the first name with a pq1 label. */
async function cnameChain(resolver: Resolver, name: string): Promise<string[]> {
  const chain = [name];
  while (chain.length <= MAX_CNAME_HOPS) {
    const current = chain[chain.length - 1]!;
    if (parsePq1Name(current) !== null) return chain;
    const next = await resolver.resolveCname(current).catch(() => [] as string[]);
    if (next.length === 0 || next[0] === undefined) return chain;
    chain.push(next[0]);
  }
  return chain;
}

async function localFiles(
  suite: CryptoSuite,
  announcement: Pq1Announcement,
  ports: { crypto: number; key: number },
  keyDir: string,
  configDir: string,
): Promise<Line[]> {
  const lines: Line[] = [];
  try {
    const keys = await readServerKeys(keyDir);
    for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);
    const root = buildKeyTree(suite.sym, keys.mceliecePk, keys.x25519Pk).root;
    const match = equalBytes(root, announcement.pkh);
    lines.push({
      what: 'local keys',
      outcome: match
        ? { ok: true, detail: `${keyDir} hash to the announced key hash` }
        : {
            ok: false,
            detail: `${keyDir} hash to ${formatPq1Label(root)}, DNS announces another key`,
          },
      hint: 'publish the records `pqconnect-keygen -D` prints for these keys, or start the server on the announced keys',
    });
  } catch (error) {
    lines.push({
      what: 'local keys',
      outcome: { ok: false, detail: (error as Error).message },
      hint: 'give the key directory with -d, or check from another machine with -D',
    });
  }
  try {
    const config = await readServerConfig(configDir);
    const differs = [
      config.cryptoPort !== undefined && config.cryptoPort !== ports.crypto
        ? `pqcport ${config.cryptoPort} ≠ announced ${ports.crypto}`
        : '',
      config.keyPort !== undefined && config.keyPort !== ports.key
        ? `keyport ${config.keyPort} ≠ announced ${ports.key}`
        : '',
    ].filter((text) => text !== '');
    lines.push({
      what: 'local ports',
      outcome:
        differs.length === 0
          ? { ok: true, detail: `${configDir} agrees with the announced ports` }
          : { ok: false, detail: differs.join(', ') },
      hint: 'the ports in the pq1 label (or TXT records) must be the ones the server binds',
    });
  } catch (error) {
    lines.push({ what: 'local ports', outcome: { ok: false, detail: (error as Error).message } });
  }
  return lines;
}

/** The announcement the local key and config files make: their key hash and ports. */
async function localAnnouncement(
  suite: CryptoSuite,
  keyDir: string,
  configDir: string,
): Promise<{ announcement: Pq1Announcement; ports: { crypto: number; key: number } }> {
  const keys = await readServerKeys(keyDir);
  for (const secret of [keys.mcelieceSk, keys.x25519Sk, keys.sessionKey]) secret.fill(0);
  const pkh = buildKeyTree(suite.sym, keys.mceliecePk, keys.x25519Pk).root;
  const config = await readServerConfig(configDir);
  const ports = {
    crypto: config.cryptoPort ?? DEFAULT_CRYPTO_PORT,
    key: config.keyPort ?? DEFAULT_KEY_PORT,
  };
  return { announcement: { pkh, ports }, ports };
}

/** `--local ADDRESS`: the key server and a handshake of the instance at ADDRESS. */
async function checkLocal(
  suite: CryptoSuite,
  address: string,
  keyDir: string,
  configDir: string,
  timeoutMs: number,
  report: (line: Line) => void,
): Promise<void> {
  const local = await localAnnouncement(suite, keyDir, configDir).catch((error: Error) => error);
  if (local instanceof Error) {
    report({
      what: 'local keys',
      outcome: { ok: false, detail: local.message },
      hint: 'give the key directory with -d',
    });
    return;
  }
  const { announcement, ports } = local;
  const { checkHandshake, checkKeyServer } = await import('./server-check-network.ts');
  const keyServer = await checkKeyServer(suite, announcement, address, ports.key, timeoutMs);
  report({ what: 'key server', outcome: keyServer });
  // A health check wants its verdict soon: a silent key server ends it here.
  if (!keyServer.ok) return;
  report({
    what: 'handshake',
    outcome: await checkHandshake(suite, announcement, address, address, timeoutMs),
  });
}

/** `--every SECONDS` in ms, or null without it; only with --local. */
function everyOption(value: string | undefined, local: string | undefined): number | null {
  if (value === undefined) return null;
  if (local === undefined) throw new UsageError(`--every: only with --local: ${value}`);
  const seconds = Number(value);
  if (!Number.isFinite(seconds) || seconds < 0.1 || seconds > 3600)
    throw new UsageError(`--every: seconds must be in [0.1, 3600]: ${value}`);
  return Math.round(seconds * 1000);
}

/**
 * `--local ADDRESS --every SECONDS`: a round per period on one kept session — the key
 * server's answer, then an echo through the tunnel (TunnelProbe: a new session at the
 * start and after the tunnel stops answering). One line per round; stops on SIGTERM or
 * SIGINT (exit 0).
 */
async function watchLocal(
  suite: CryptoSuite,
  address: string,
  keyDir: string,
  configDir: string,
  timeoutMs: number,
  everyMs: number,
): Promise<number> {
  const local = await localAnnouncement(suite, keyDir, configDir).catch((error: Error) => error);
  if (local instanceof Error) {
    print({ what: 'local keys', outcome: { ok: false, detail: local.message } });
    return 1;
  }
  const { announcement, ports } = local;
  const { checkKeyServer, TunnelProbe } = await import('./server-check-network.ts');
  const probe = new TunnelProbe(suite, announcement, address, address);
  let stopped = false;
  let wake = () => {};
  const stop = () => {
    stopped = true;
    wake();
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    while (!stopped) {
      const started = Date.now();
      const keyServer = await checkKeyServer(suite, announcement, address, ports.key, timeoutMs);
      const echo = keyServer.ok ? await probe.echo(timeoutMs) : null;
      if (keyServer.ok && echo?.ok) process.stdout.write(`✓ healthy: ${echo.detail}\n`);
      else {
        const why = echo === null ? `key server: ${keyServer.detail}` : `tunnel: ${echo.detail}`;
        process.stdout.write(`✗ unhealthy: ${why}\n`);
      }
      const rest = everyMs - (Date.now() - started);
      if (rest > 0 && !stopped)
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, rest);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
    }
    return 0;
  } finally {
    await probe.close();
  }
}

async function main(): Promise<number> {
  const { values: options, positionals } = parseWithPositionals(process.argv.slice(2), {
    keydir: { type: 'string', short: 'd' },
    'config-dir': { type: 'string', short: 'c' },
    'dns-only': { type: 'boolean', short: 'D' },
    local: { type: 'string' },
    every: { type: 'string' },
    timeout: { type: 'string' },
    backend: { type: 'string' },
    version: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  const answered = helpOrVersion('pqconnect-server-check', HELP, options);
  if (answered !== undefined) return answered;
  const local = options.local;
  if (local !== undefined && (positionals.length > 0 || !/^(\d{1,3}\.){3}\d{1,3}$/.test(local)))
    throw new UsageError(
      `--local: give one IPv4 address and no HOSTNAME: ${[local, ...positionals].join(' ')}`,
    );
  const everyMs = everyOption(options.every, local);
  const [hostname, ...extra] = local === undefined ? positionals : ['local'];
  if (hostname === undefined || extra.length > 0 || !/^[A-Za-z0-9.-]{1,253}$/.test(hostname))
    throw new UsageError(
      `HOSTNAME: give exactly one host name: ${positionals.join(' ') || '(none)'}`,
    );
  const seconds = Number(options.timeout ?? '10');
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 300)
    throw new UsageError(`--timeout: seconds must be in (0, 300]: ${options.timeout}`);
  const timeoutMs = Math.round(seconds * 1000);
  const backend = choiceOption(
    options.backend,
    'backend',
    ['auto', 'fast', 'portable'] as const,
    'auto',
  );
  const keyDir = options.keydir ?? DEFAULT_KEY_DIR;
  const configDir = options['config-dir'] ?? configDirFor(keyDir);

  const resolver = new Resolver();
  const { createCryptoSuite } = await import('../crypto/suite.ts');
  const suite = createCryptoSuite(backend, () => {});
  let failed = 0;
  const report = (line: Line) => {
    print(line);
    if (!line.outcome.ok) failed++;
  };
  try {
    if (local !== undefined && everyMs !== null)
      return await watchLocal(suite, local, keyDir, configDir, timeoutMs, everyMs);
    if (local !== undefined) {
      await checkLocal(suite, local, keyDir, configDir, timeoutMs, report);
      return failed === 0 ? 0 : 1;
    }
    const chain = await cnameChain(resolver, hostname);
    const pq1Name = chain[chain.length - 1]!;
    const announcement = parsePq1Name(pq1Name);
    report({
      what: 'CNAME chain',
      outcome:
        announcement === null
          ? { ok: false, detail: `${chain.join(' → ')} reaches no pq1 name` }
          : { ok: true, detail: chain.join(' → ') },
      hint: `add "${hostname}. CNAME pq1….${hostname.split('.').slice(1).join('.')}." (pqconnect-keygen -D prints it) and remove other records of ${hostname}`,
    });
    if (announcement === null) return 1;
    const txt = {
      resolveTxt: async (name: string) => (await resolver.resolveTxt(name)).map((r) => r.join('')),
    };
    const looked = announcement.ports ? null : await resolveServerPorts(txt, pq1Name);
    const ports: { crypto: number; key: number } = announcement.ports ?? {
      crypto: looked?.cryptoPort ?? DEFAULT_CRYPTO_PORT,
      key: looked?.keyPort ?? DEFAULT_KEY_PORT,
    };
    report({
      what: 'pq1 label',
      outcome: {
        ok: true,
        detail: `key hash ${toHex(announcement.pkh).slice(0, 16)}…, crypto port ${ports.crypto}, key port ${ports.key}${announcement.ports ? '' : ' (from TXT or defaults)'}`,
      },
    });
    const addresses = await resolver.resolve4(pq1Name).catch(() => [] as string[]);
    const address = addresses[0];
    report({
      what: 'address',
      outcome:
        address === undefined
          ? { ok: false, detail: `${pq1Name} has no A record` }
          : { ok: true, detail: `${pq1Name} A ${addresses.join(', ')}` },
      hint: `add "${pq1Name}. A <the server's public IPv4 address>"`,
    });
    if (!options['dns-only'])
      for (const line of await localFiles(suite, announcement, ports, keyDir, configDir))
        report(line);
    if (address === undefined) return 1;
    const { checkHandshake, checkKeyServer } = await import('./server-check-network.ts');
    report({
      what: 'key server',
      outcome: await checkKeyServer(suite, announcement, address, ports.key, timeoutMs),
      hint: `is pqconnect-server running, and does a firewall pass UDP ${address}:${ports.key}?`,
    });
    report({
      what: 'handshake',
      outcome: await checkHandshake(suite, announcement, address, hostname, timeoutMs),
      hint: `does a firewall pass UDP ${address}:${ports.crypto} both ways, and are the server's keys the announced ones?`,
    });
    return failed === 0 ? 0 : 1;
  } finally {
    await suite.kem.close();
  }
}

runMain('pqconnect-server-check', main);
