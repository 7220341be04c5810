/**
 * Interoperability, our client daemon → the deployed `pqconnect-server` (Debian's
 * package, run from its trixie root in the lab's server namespace), once on keys from the
 * deployed `pqconnect-keygen` and once on keys from ours (mixed key directories): curl
 * and ping by name; with the deployed keys also a 70 s soak across epoch ratchets and a
 * restart of the deployed server, after which traffic comes back with a new 0-RTT
 * handshake from the cached prekeys and without a second static-key download. Prints the
 * deployed version and the timings (static-key download, handshake, first reply, RTT).
 */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLab, type Lab } from '../../demo/lab.ts';
import {
  createServerKeys,
  type Scenario,
  startClientDaemon,
  startDns,
  startWebServer,
} from '../../demo/scenario.ts';
import { clientStatus } from '../support/daemon-status.ts';
import {
  deployedKeygen,
  ensureDeployedRoot,
  msUntil,
  startDeployedServer,
  stopDeployed,
} from '../support/deployed.ts';
import { curlDemoPage, shortPing, soakPing } from '../support/traffic.ts';

const ROOT = process.getuid?.() === 0;
const say = (text: string) => process.stdout.write(`# ${text}\n`);
const STATIC_KEY_VERIFIED = /static key verified/g;
const staticKeyDownloads = (log: string) => log.match(STATIC_KEY_VERIFIED)?.length ?? 0;

function isEstablished(state: unknown): boolean {
  return typeof state === 'object' && state !== null && 'established' in state;
}

const curl = (lab: Lab, seconds = 20) => curlDemoPage(lab, seconds);

for (const keys of ['the deployed keygen', 'our keygen'] as const)
  describe(`our client daemon → the deployed pqconnect-server, keys from ${keys}`, {
    skip: ROOT ? false : 'needs root (debootstrap root, network namespaces, TUN)',
  }, () => {
    const once =
      keys === 'the deployed keygen' ? false : "runs once, with the deployed keygen's keys";
    let lab: Lab;
    let server: ChildProcess;
    let keyDir: string | undefined;

    before(async () => {
      say(`deployed implementation: ${await ensureDeployedRoot()}`);
      lab = await createLab('pqi');
      const dir = join(lab.dir, 'deployed');
      let scenario: Scenario;
      if (keys === 'our keygen') {
        scenario = await createServerKeys(lab);
      } else {
        const label = await deployedKeygen(lab, dir);
        scenario = { keyDir: join(dir, 'keys'), pq1Label: label, pq1Name: `${label}.demo.test` };
      }
      keyDir = scenario.keyDir;
      await startDns(lab, scenario);
      await startWebServer(lab);
      server = await startDeployedServer(lab, keyDir);
      await startClientDaemon(lab);
    });
    after(async () => {
      await lab?.destroy();
    });

    it('curl and ping by name through the tunnel, with timings', async () => {
      const start = Date.now();
      const page = curl(lab);
      const staticKeyMs = await msUntil(start, () => staticKeyDownloads(lab.logs('client')) > 0);
      const established = await msUntil(start, async () =>
        (await clientStatus(lab)).sessions.some((s) => isEstablished(s.state)),
      );
      const result = await page;
      const firstReplyMs = Date.now() - start;
      assert.equal(result.code, 0, `${result.stderr}\n${lab.logs('client')}`);
      assert.match(result.stdout, /hello from the PQConnect demo server/);
      const { avg, loss, output } = await shortPing(lab);
      assert.ok(Number.isFinite(avg), output);
      assert.equal(loss, 0);
      const status = await clientStatus(lab);
      const session = status.sessions[0];
      assert.ok(session);
      assert.equal(session.realAddress, lab.server.address);
      say(
        `static key ${staticKeyMs} ms, established ${established} ms (handshake computation ${session.lastHandshakeMs} ms), first reply ${firstReplyMs} ms, RTT avg ${avg} ms`,
      );
    });

    it('soaks for 70 s across epoch ratchets', { skip: once }, async () => {
      const { avg, loss } = await soakPing(lab);
      const session = (await clientStatus(lab)).sessions[0];
      assert.ok(session);
      say(
        `70 s soak: loss ${loss} %, RTT avg ${avg} ms, epochs send ${session.sendEpoch} receive ${session.receiveEpoch}`,
      );
      assert.ok(loss <= 1, `loss ${loss} %`);
      assert.ok(
        (session.sendEpoch ?? 0) >= 2 && (session.receiveEpoch ?? 0) >= 2,
        'ratcheted at least twice',
      );
      assert.ok(isEstablished(session.state));
    });

    it('traffic comes back after the deployed server restarts, from cached prekeys', {
      skip: once,
    }, async () => {
      await stopDeployed(server);
      const restarted = Date.now();
      server = await startDeployedServer(lab, keyDir!);
      const backMs = await msUntil(restarted, async () => (await curl(lab, 3)).code === 0, 60_000);
      say(`traffic back ${backMs} ms after the deployed server restarted (its start included)`);
      assert.equal(
        staticKeyDownloads(lab.logs('client')),
        1,
        'the static key was not downloaded again',
      );
    });
  });
