/**
 * The namespace lab leaves nothing behind and keeps to itself: two labs with the same
 * prefix coexist (their own namespaces), and destroying one removes its namespaces, its
 * processes and its private directory — the server keys and web root the scenario made
 * there — while the other keeps working.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { stat } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { createLab } from '../../demo/lab.ts';
import { createServerKeys, startWebServer } from '../../demo/scenario.ts';

const ROOT = process.getuid?.() === 0;

async function namespaces(prefix: string): Promise<string[]> {
  const { stdout } = await promisify(execFile)('ip', ['netns', 'list']);
  return stdout
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));
}

describe('the namespace lab', {
  skip: ROOT ? false : 'needs root (network namespaces)',
}, () => {
  it('two labs with one prefix coexist; destroy removes only its own, keys and files included', async () => {
    const first = await createLab('pql');
    const second = await createLab('pql');
    try {
      assert.notEqual(first.prefix, second.prefix);
      const scenario = await createServerKeys(first);
      await startWebServer(first);
      assert.equal((await stat(first.dir)).mode & 0o777, 0o700, 'private directory');
      assert.ok(scenario.keyDir.startsWith(first.dir), 'the keys live in the lab directory');
      assert.equal((await namespaces(first.prefix)).length, 4);
      await first.destroy();
      assert.deepEqual(await namespaces(first.prefix), []);
      await assert.rejects(stat(first.dir), 'the lab directory with the server keys is gone');
      const ping = await second.run(second.client, 'ping', [
        '-c',
        '1',
        '-W',
        '2',
        second.dns.address,
      ]);
      assert.equal(ping.code, 0, 'the other lab still works');
    } finally {
      await first.destroy();
      await second.destroy();
    }
    assert.deepEqual(await namespaces(second.prefix), []);
  });
});
