/**
 * Key and config files in the deployed PQConnect layout, so an existing server can switch
 * implementation without new keys or DNS changes:
 *   /etc/pqconnect/keys/{mceliece_pk, mceliece_sk, x25519_pk, x25519_sk, session_key}  raw
 *   /etc/pqconnect/config/{pqcport, keyport, host}                                     text
 * The key directory can be moved (--keydir, or KEYPATH as the deployed tools read it);
 * the config directory is then the sibling `config` of the key directory.
 * Secret files must be 0600 (readable by nobody but their owner): anything looser is
 * refused. New secrets are written 0600 in a 0700 directory, never over an existing file.
 */
import { constants } from 'node:fs';
import { access, chmod, open, readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KEM_SIZES } from '../crypto/kem.ts';
import type { ServerKeys } from '../shared/keys.ts';
import { makeDirectory } from './directories.ts';

export const DEFAULT_KEY_DIR = process.env.KEYPATH ?? '/etc/pqconnect/keys';

/** The config directory that belongs with a key directory (its sibling `config`). */
export function configDirFor(keyDir: string): string {
  return join(dirname(keyDir), 'config');
}

const FILES = {
  mceliecePk: {
    name: 'mceliece_pk',
    bytes: KEM_SIZES.mceliece6960119.publicKeyBytes,
    secret: false,
  },
  mcelieceSk: {
    name: 'mceliece_sk',
    bytes: KEM_SIZES.mceliece6960119.secretKeyBytes,
    secret: true,
  },
  x25519Pk: { name: 'x25519_pk', bytes: 32, secret: false },
  x25519Sk: { name: 'x25519_sk', bytes: 32, secret: true },
  sessionKey: { name: 'session_key', bytes: 32, secret: true },
} as const;

export class KeyFileError extends Error {}

async function readKey(dir: string, key: keyof typeof FILES): Promise<Uint8Array> {
  const spec = FILES[key];
  const path = join(dir, spec.name);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch {
    throw new KeyFileError(`missing key file ${path} (create keys with pqconnect-keygen)`);
  }
  if (spec.secret && (info.mode & 0o077) !== 0) {
    throw new KeyFileError(
      `refusing ${path}: mode ${(info.mode & 0o777).toString(8)} lets others read a secret key (chmod 600)`,
    );
  }
  const bytes = new Uint8Array(await readFile(path));
  if (bytes.length !== spec.bytes)
    throw new KeyFileError(`${path} has ${bytes.length} bytes, expected ${spec.bytes}`);
  return bytes;
}

export async function readServerKeys(dir: string): Promise<ServerKeys> {
  return {
    mceliecePk: await readKey(dir, 'mceliecePk'),
    mcelieceSk: await readKey(dir, 'mcelieceSk'),
    x25519Pk: await readKey(dir, 'x25519Pk'),
    x25519Sk: await readKey(dir, 'x25519Sk'),
    sessionKey: await readKey(dir, 'sessionKey'),
  };
}

export async function keysExist(dir: string): Promise<boolean> {
  try {
    await access(join(dir, FILES.mcelieceSk.name), constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

async function writeNew(path: string, data: Uint8Array | string, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.chmod(mode);
  } finally {
    await handle.close();
  }
}

export async function writeServerKeys(dir: string, keys: ServerKeys): Promise<void> {
  await makeDirectory(dir, 0o700);
  await chmod(dir, 0o700);
  for (const key of Object.keys(FILES) as (keyof typeof FILES)[]) {
    const spec = FILES[key];
    await writeNew(join(dir, spec.name), keys[key], spec.secret ? 0o600 : 0o644);
  }
}

export interface ServerConfig {
  cryptoPort?: number;
  keyPort?: number;
  host?: string;
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

export async function readServerConfig(dir: string): Promise<ServerConfig> {
  const port = (text: string | undefined, name: string) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1 || value > 65535)
      throw new KeyFileError(`config/${name}: not a port: ${text}`);
    return value;
  };
  return {
    cryptoPort: port(await readOptional(join(dir, 'pqcport')), 'pqcport'),
    keyPort: port(await readOptional(join(dir, 'keyport')), 'keyport'),
    host: await readOptional(join(dir, 'host')),
  };
}

export async function writeServerConfig(
  dir: string,
  config: Required<Omit<ServerConfig, 'host'>> & { host?: string },
): Promise<void> {
  await makeDirectory(dir, 0o755);
  const files: [string, string | undefined][] = [
    ['pqcport', String(config.cryptoPort)],
    ['keyport', String(config.keyPort)],
    ['host', config.host],
  ];
  for (const [name, value] of files) {
    if (value === undefined) continue;
    const path = join(dir, name);
    if ((await readOptional(path)) === undefined) await writeNew(path, `${value}\n`, 0o644);
  }
}
