/** Key files in the deployed layout: written 0600/0700, read back, loose modes refused. */
import assert from 'node:assert/strict';
import { chmod, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  configDirFor,
  readServerConfig,
  readServerKeys,
  writeServerConfig,
  writeServerKeys,
} from '../../src/io/key-files.ts';
import { VECTOR_SERVER_KEYS } from '../support/engine-harness.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('key files', () => {
  it('round-trips the keys with secret files 0600 in a 0700 directory, and the config', async () => {
    const dir = join(tempDir('keys'), 'keys');
    await writeServerKeys(dir, VECTOR_SERVER_KEYS);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, 'mceliece_sk'))).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'mceliece_pk'))).mode & 0o777, 0o644);
    assert.deepEqual(await readServerKeys(dir), VECTOR_SERVER_KEYS);
    await writeServerConfig(configDirFor(dir), { cryptoPort: 624, keyPort: 584 });
    assert.deepEqual(await readServerConfig(configDirFor(dir)), {
      cryptoPort: 624,
      keyPort: 584,
      host: undefined,
    });
    await assert.rejects(writeServerKeys(dir, VECTOR_SERVER_KEYS), /EEXIST/);
  });

  it('refuses a secret key others can read, a wrong size, a missing file and a bad port', async () => {
    const dir = join(tempDir('keys'), 'keys');
    await writeServerKeys(dir, VECTOR_SERVER_KEYS);
    await chmod(join(dir, 'x25519_sk'), 0o644);
    await assert.rejects(
      readServerKeys(dir),
      /refusing .*x25519_sk: mode 644 lets others read a secret key/,
    );
    await chmod(join(dir, 'x25519_sk'), 0o600);
    await writeFile(join(dir, 'session_key'), new Uint8Array(31));
    await assert.rejects(readServerKeys(dir), /session_key has 31 bytes, expected 32/);
    await assert.rejects(readServerKeys(join(dir, 'nope')), /missing key file .*pqconnect-keygen/);
    await writeFile(join(configDirFor(dir), 'pqcport'), 'eighty\n').catch(async () => {
      await writeServerConfig(configDirFor(dir), { cryptoPort: 1, keyPort: 2 });
      await writeFile(join(configDirFor(dir), 'pqcport'), 'eighty\n');
    });
    await assert.rejects(
      readServerConfig(configDirFor(dir)),
      /config\/pqcport: not a port: eighty/,
    );
  });
});
