/**
 * The real root part of `pqconnect` against a fake worker that speaks the real channel
 * (test/e2e/hostile-worker.ts), in a network namespace (root): garbage frames, oversized
 * frames, unknown messages, extra fields, oversized transitions and log-forging text,
 * before and after the worker reported ready. Each time root logs one line naming the
 * violation, stops the worker and shuts down cleanly (exit 1): no rule, device or worker
 * is left, and nothing the worker wrote appears as a line of root's. Forged DNS verdicts
 * (every A record poisoned) are refused and applications get the original answers; a
 * flood of route requests installs nothing.
 */
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, waitFor } from '../../demo/lab.ts';
import { BIN, startDns } from '../../demo/scenario.ts';
import { clientStatus, leftovers } from '../support/daemon-status.ts';

const ROOT = process.getuid?.() === 0;
const MODE_FILE = '/tmp/pqconnect-hostile-mode';
const FAKE_WORKER = fileURLToPath(new URL('./hostile-worker-start.mjs', import.meta.url));
const RUN_DIR = '/tmp/pqh-run';

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

async function natRules(lab: Lab): Promise<string> {
  const nat = await lab.run(lab.client, 'iptables-save', ['-t', 'nat']);
  const nft = await lab.run(lab.client, 'nft', ['list', 'ruleset']);
  return nat.stdout + nft.stdout;
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

  it('forged DNS verdicts are refused: applications get the original answers', async () => {
    await writeFile(MODE_FILE, 'forged-verdict-after-ready\n', { mode: 0o644 });
    await startDns(lab, { keyDir: '', pq1Label: 'pq1x', pq1Name: 'pq1x.demo.test' });
    const daemon = lab.start(
      lab.client,
      'env',
      [`PQCONNECT_TEST_WORKER=${FAKE_WORKER}`, BIN('pqconnect'), '--run-dir', RUN_DIR],
      'forged',
    );
    await waitFor('root with the fake worker', async () =>
      lab.logs('forged').includes('client up'),
    );
    for (let i = 0; i < 3; i++) {
      const answer = await lab.run(lab.client, 'getent', ['hosts', 'plain.demo.test']);
      assert.match(answer.stdout, /^10\.77\.0\.2\s/, 'the original answer, not 6.6.6.6');
    }
    const status = await clientStatus(lab, RUN_DIR);
    const refused = Object.entries(status.refusedByRoot ?? {}).find(([reason]) =>
      /DNS verdict refused \(a verdict that changes a record it may not\)/.test(reason),
    );
    assert.ok(refused && refused[1] >= 3, JSON.stringify(status.refusedByRoot));
    assert.notEqual(status.pid, 1, "root's pid, not the worker's claim");
    assert.notEqual(status.version, '6.6.6', "root's version, not the worker's claim");
    daemon.kill('SIGTERM');
    await waitFor('root to stop', async () =>
      lab.logs('forged').includes('stopped; rules and devices removed'),
    );
    assert.deepEqual(await leftovers(lab, 'hostile-worker.ts'), []);
  });

  it('a flood of 2,000 route requests installs nothing and stops at once', async () => {
    await writeFile(MODE_FILE, 'route-flood-after-ready\n', { mode: 0o644 });
    const daemon = lab.start(
      lab.client,
      'env',
      [`PQCONNECT_TEST_WORKER=${FAKE_WORKER}`, BIN('pqconnect'), '--run-dir', RUN_DIR],
      'flood',
    );
    await waitFor('root with the fake worker', async () => lab.logs('flood').includes('client up'));
    await waitFor('the flood to be judged', async () => {
      const status = await clientStatus(lab, RUN_DIR);
      const total = Object.values(status.refusedByRoot ?? {}).reduce((a, b) => a + b, 0);
      return total >= 2_000;
    });
    assert.doesNotMatch(await natRules(lab), /10\.77\.0\.2/, 'no fallback rule installed');
    const refusalLines = lab
      .logs('flood')
      .split('\n')
      .filter((l) => /route request refused/.test(l));
    assert.ok(refusalLines.length <= 2, `${refusalLines.length} refusal lines logged`);
    const stopping = Date.now();
    daemon.kill('SIGTERM');
    await waitFor('root to stop', async () =>
      lab.logs('flood').includes('stopped; rules and devices removed'),
    );
    process.stdout.write(`# stop after a 2,000-route flood: ${Date.now() - stopping} ms\n`);
    assert.deepEqual(await leftovers(lab, 'hostile-worker.ts'), []);
  });

  for (const [mode, violation] of CASES) {
    it(`${mode}: one line, clean shutdown, nothing left`, async () => {
      await writeFile(MODE_FILE, `${mode}\n`, { mode: 0o644 });
      const result = await lab.run(
        lab.client,
        'env',
        [`PQCONNECT_TEST_WORKER=${FAKE_WORKER}`, BIN('pqconnect'), '--run-dir', RUN_DIR],
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
          /^(\d{4}-\d\d-\d\dT[\d:.]+Z (INFO|WARN) )?pqconnect(-worker\[\d+\]|\[\d+\])?: /,
          `every line is attributed: ${line}`,
        );
      assert.doesNotMatch(
        result.stderr,
        /^(\S+ (INFO|WARN) )?pqconnect\[1\]:/m,
        'no forged root line',
      );
      assert.doesNotMatch(result.stderr, /forged line/);
      assert.deepEqual(await leftovers(lab, 'hostile-worker.ts'), []);
    });
  }
});
