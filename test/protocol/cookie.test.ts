/** cookie.json: cookie bytes, the cookie-key chain, checking, and resuming a tunnel. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { CookieKeyChain, openCookie, sealCookie } from '../../src/protocol/cookie.ts';
import { TunnelSession } from '../../src/protocol/tunnel-session.ts';
import { BACKENDS } from '../support/backends.ts';
import { loadVectors } from '../support/vectors.ts';

interface SessionValues {
  kind: 'from_session_values';
  key: string;
  nonce: string;
  timestamp: number;
  tid: string;
  epoch: number;
  send_root: string;
  recv_root: string;
  cookie: string;
}
interface Issued {
  session: { tid: string; server_send_root: string; server_recv_root: string };
  scenario: string;
  server_epoch_at_cookie?: number;
  cookie_key: string;
  cookie_nonce: string;
  timestamp: number;
  cookie?: string;
  resumed_epochs?: { send_epoch: number; recv_epoch: number; recv_epochs_held: number[] };
  resumed_first_packet?: string;
  client_reply?: string;
}
interface Manager {
  kind: 'cookie_manager';
  master_key: string;
  seed: string;
  state_after_init: string;
  updates: {
    timestamp: number;
    randomness: string;
    state: string;
    keystore_timestamps: number[];
  }[];
  issued: Issued[];
  check_cookie: {
    what: string;
    data: string;
    ok: boolean;
    epochs?: { send_epoch: number; recv_epoch: number; recv_epochs_held: number[] };
  }[];
}

const { cases } = loadVectors<{ cases: (SessionValues | Manager | { kind: string })[] }>(
  'cookie.json',
);
const sessionValues = cases.filter((c): c is SessionValues => c.kind === 'from_session_values');
const managers = cases.filter((c): c is Manager => c.kind === 'cookie_manager');

for (const { name, sym } of BACKENDS) {
  describe(`cookies (${name})`, () => {
    it('the vector set has cookies from session values and a cookie manager', () => {
      assert.ok(sessionValues.length > 0 && managers.length > 0);
    });

    it('seals the deployed cookie bytes from session values and opens them again', () => {
      for (const c of sessionValues) {
        const contents = {
          tid: fromHex(c.tid),
          epoch: c.epoch,
          sendRoot: fromHex(c.send_root),
          receiveRoot: fromHex(c.recv_root),
        };
        const cookie = sealCookie(sym, fromHex(c.key), fromHex(c.nonce), c.timestamp, contents);
        assert.equal(cookie.length, 144);
        assert.equal(toHex(cookie), c.cookie);
        const opened = openCookie(sym, cookie, () => fromHex(c.key));
        assert.ok(opened.ok);
        assert.deepEqual(opened.value, { ...contents, timestamp: c.timestamp });
      }
    });

    function chainAfterUpdates(manager: Manager): CookieKeyChain {
      const chain = new CookieKeyChain(sym, fromHex(manager.master_key), fromHex(manager.seed));
      for (const update of manager.updates)
        chain.update(update.timestamp, fromHex(update.randomness));
      return chain;
    }

    for (const [index, manager] of managers.entries()) {
      const which = `cookie manager ${index + 1} of ${managers.length}`;
      it(`${which}: evolves the cookie-key chain and forgets keys older than 120 s`, () => {
        const chain = new CookieKeyChain(sym, fromHex(manager.master_key), fromHex(manager.seed));
        assert.equal(toHex(chain.currentState), manager.state_after_init);
        for (const update of manager.updates) {
          chain.update(update.timestamp, fromHex(update.randomness));
          assert.equal(toHex(chain.currentState), update.state);
          assert.deepEqual(chain.slots(), update.keystore_timestamps);
        }
      });

      it(`${which}: checks cookies: valid ones resume at epoch + 1, every tampered one is refused`, () => {
        const chain = chainAfterUpdates(manager);
        for (const check of manager.check_cookie) {
          const opened = openCookie(sym, fromHex(check.data), (t) => chain.keyFor(t));
          assert.equal(opened.ok, check.ok, check.what);
          if (!opened.ok) continue;
          const resumed = TunnelSession.fromCookie(sym, opened.value, 0);
          assert.ok(resumed);
          const state = resumed.state();
          assert.deepEqual(
            {
              send_epoch: state.sendEpoch,
              recv_epoch: state.receiveEpoch,
              recv_epochs_held: state.receiveEpochsHeld,
            },
            check.epochs,
          );
        }
      });

      it(`${which}: issues the deployed cookies and the full offload round trip works both ways`, () => {
        const chain = chainAfterUpdates(manager);
        for (const issued of manager.issued.filter((x) => x.cookie !== undefined)) {
          const tid = fromHex(issued.session.tid);
          const sendRoot = fromHex(issued.session.server_send_root);
          const receiveRoot = fromHex(issued.session.server_recv_root);
          const server = new TunnelSession(sym, tid, sendRoot, receiveRoot, 0);
          const client = new TunnelSession(sym, tid, receiveRoot, sendRoot, 0);
          for (let e = 0; e < issued.server_epoch_at_cookie!; e++) {
            server.ratchetSend(0);
            client.ratchetSend(0);
          }
          assert.ok(client.open(server.seal(new Uint8Array([1]), 0), 0).ok);
          assert.ok(server.open(client.seal(new Uint8Array([2]), 0), 0).ok);

          const roots = server.cookieRoots();
          assert.ok(roots);
          assert.equal(roots.epoch, issued.server_epoch_at_cookie);
          const key = chain.keyFor(issued.timestamp);
          assert.equal(key && toHex(key), issued.cookie_key);
          const cookie = sealCookie(sym, key!, fromHex(issued.cookie_nonce), issued.timestamp, {
            tid,
            ...roots,
          });
          assert.equal(toHex(cookie), issued.cookie, issued.scenario);

          const atClient = client.open(server.seal(cookie, 0), 0);
          assert.ok(atClient.ok && atClient.kind === 'cookie', issued.scenario);
          server.close();

          const opened = openCookie(sym, cookie, (t) => chain.keyFor(t));
          assert.ok(opened.ok);
          const resumed = TunnelSession.fromCookie(sym, opened.value, 0)!;
          const resumedState = resumed.state();
          assert.deepEqual(resumedState.receiveEpochsHeld, issued.resumed_epochs!.recv_epochs_held);
          const first = client.open(fromHex(issued.resumed_first_packet!), 0);
          assert.ok(
            first.ok && first.kind === 'data',
            `${issued.scenario}: client decrypts the resumed packet`,
          );
          assert.equal(toHex(resumed.seal(first.plaintext, 0)), issued.resumed_first_packet);
          const reply = resumed.open(fromHex(issued.client_reply!), 0);
          assert.ok(
            reply.ok && reply.kind === 'data',
            `${issued.scenario}: resumed server decrypts the client's reply`,
          );
          assert.equal(
            toHex(client.seal(reply.plaintext, 0)),
            issued.client_reply,
            'our client sends the same reply',
          );
          assert.ok(resumed.open(client.seal(new Uint8Array([3]), 0), 0).ok);
        }
      });
    }

    it('takes a cookie even when the send side is ahead of the receive side', () => {
      const tid = new Uint8Array(32).fill(1);
      const a = new Uint8Array(32).fill(2);
      const b = new Uint8Array(32).fill(3);
      const server = new TunnelSession(sym, tid, a, b, 0);
      const client = new TunnelSession(sym, tid, b, a, 0);
      server.ratchetSend(0);
      const roots = server.cookieRoots()!;
      assert.equal(roots.epoch, 1);
      const chainKey = new Uint8Array(32).fill(4);
      const cookie = sealCookie(sym, chainKey, new Uint8Array(12), 1000, { tid, ...roots });
      assert.ok(client.open(server.seal(cookie, 0), 0).ok);
      const resumed = TunnelSession.fromCookie(sym, { tid, ...roots }, 0)!;
      assert.ok(client.open(resumed.seal(new Uint8Array([5]), 0), 0).ok);
      assert.ok(resumed.open(client.seal(new Uint8Array([6]), 0), 0).ok);
    });
  });
}
