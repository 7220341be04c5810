/**
 * The real root part of `pqconnect` against a fake worker that speaks the real channel
 * (test/e2e/hostile-worker.ts), in a network namespace (root): garbage frames, oversized
 * frames, unknown messages, extra fields, oversized transitions and log-forging text,
 * before and after the worker reported ready. Each time root logs one line naming the
 * violation, stops the worker and shuts down cleanly (exit 1): no rule, device or worker
 * is left, and nothing the worker wrote appears as a line of root's.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab } from '../../demo/lab.ts';
import { BIN } from '../../demo/scenario.ts';

const ROOT = process.getuid?.() === 0;
const MODE_FILE = '/tmp/pqconnect-hostile-mode';
const FAKE_WORKER = fileURLToPath(new URL('./hostile-worker.ts', import.meta.url));

const CASES: [mode: string, violation: RegExp][] = [
  ['garbage', /the worker sent a frame that is not JSON; stopping it and shutting down/],
  ['oversized', /the worker sent frame of 4294967295 bytes \(limit 4194304\); stopping it/],
  ['unknown-type', /the worker sent a message of an unknown type; stopping it/],
  ['extra-field', /the worker sent a malformed ready message; stopping it/],
  ['forged-log', /the worker sent a malformed ready message; stopping it/],
  [
    'huge-transition',
    /the worker sent frame of \d+ bytes \(limit 4194304\)|the worker sent an oversized transition/,
  ],
  ['garbage-after-ready', /the worker sent a frame that is not JSON; stopping it/],
  ['unknown-type-after-ready', /the worker sent a message of an unknown type; stopping it/],
  [
    'huge-transition-after-ready',
    /the worker sent frame of \d+ bytes \(limit 4194304\)|the worker sent an oversized transition/,
  ],
];

async function leftovers(lab: Lab): Promise<string[]> {
  const found: string[] = [];
  const iptables = await lab.run(lab.client, 'iptables-save', []);
  const nat = await lab.run(lab.client, 'iptables-save', ['-t', 'nat']);
  if (/PQCONNECT/.test(iptables.stdout + nat.stdout)) found.push('iptables chains');
  const nft = await lab.run(lab.client, 'nft', ['list', 'tables']);
  if (/pqconnect/.test(nft.stdout)) found.push('nftables table');
  if ((await lab.run(lab.client, 'ip', ['link', 'show', 'pqccli0'])).code === 0)
    found.push('TUN device');
  const workers = await lab.run(lab.client, 'pgrep', ['-f', 'hostile-worker.ts']);
  if (workers.code === 0) found.push(`worker processes ${workers.stdout.trim()}`);
  return found;
}

describe('the root part against a hostile worker (namespaces)', {
  skip: ROOT ? false : 'needs root (network namespaces, TUN, iptables)',
}, () => {
  let lab: Lab;

  before(async () => {
    lab = await createLab('pqh');
  });
  after(async () => {
    await lab?.destroy();
    await rm(MODE_FILE, { force: true });
  });

  for (const [mode, violation] of CASES) {
    it(`${mode}: one line, clean shutdown, nothing left`, async () => {
      await writeFile(MODE_FILE, `${mode}\n`, { mode: 0o644 });
      const result = await lab.run(
        lab.client,
        'env',
        [`PQCONNECT_TEST_WORKER=${FAKE_WORKER}`, BIN('pqconnect'), '--run-dir', '/tmp/pqh-run'],
        30_000,
      );
      assert.equal(result.code, 1, result.stderr);
      const lines = result.stderr.split('\n').filter((l) => l.length > 0);
      const violations = lines.filter((l) => /the worker sent /.test(l));
      assert.equal(violations.length, 1, result.stderr);
      assert.match(violations[0]!, violation);
      assert.match(result.stderr, /stopped; rules and devices removed/);
      for (const line of lines)
        assert.match(
          line,
          /^pqconnect(-worker\[\d+\]|\[\d+\])?: /,
          `every line is attributed: ${line}`,
        );
      assert.doesNotMatch(result.stderr, /^pqconnect\[1\]:/m, 'no forged root line');
      assert.doesNotMatch(result.stderr, /forged line/);
      assert.deepEqual(await leftovers(lab), []);
    });
  }
});
