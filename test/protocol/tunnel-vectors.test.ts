/**
 * tunnel.json replayed on our TunnelSession. Every packet we send must equal the deployed
 * bytes; every packet the deployed receiver accepts we accept. Where our receive policy is
 * deliberately better (README of the vectors) the test states what we do instead: a
 * packet outside the deployed windows may be accepted once, a packet is never accepted
 * twice, and a failed packet never changes the epochs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '../../src/crypto/bytes.ts';
import { type TunnelEpochState, TunnelSession } from '../../src/protocol/tunnel-session.ts';
import { BACKENDS } from '../support/backends.ts';
import { loadVectors } from '../support/vectors.ts';

interface VectorState {
  send_epoch: number;
  recv_epoch: number;
  recv_epochs_held: number[];
}
interface Step {
  op: 'send' | 'recv' | 'send_epoch_ratchet';
  side: 'A' | 'B';
  name?: string;
  plaintext?: string | null;
  packet?: string | null;
  modification?: string | null;
  ok?: boolean;
  state: VectorState;
}
interface TunnelCase {
  label: string;
  tid: string;
  a_send_root: string;
  a_recv_root: string;
  steps: Step[];
}

const { cases } = loadVectors<{ cases: TunnelCase[] }>('tunnel.json');

function asVector(state: TunnelEpochState): VectorState {
  return {
    send_epoch: state.sendEpoch,
    recv_epoch: state.receiveEpoch,
    recv_epochs_held: state.receiveEpochsHeld,
  };
}

/**
 * Whether a case shows the deployed windows refusing a fresh, unmodified packet (which
 * ours may accept: the vectors' README), read from its steps rather than its label.
 */
function refusesFreshPackets(c: TunnelCase): boolean {
  const accepted = new Set<string>();
  for (const step of c.steps) {
    if (step.op !== 'recv' || step.modification || step.name === undefined) continue;
    if (step.ok) accepted.add(step.name);
    else if (!accepted.has(step.name)) return true;
  }
  return false;
}

const sameState = (a: VectorState, b: VectorState) => JSON.stringify(a) === JSON.stringify(b);

for (const backend of BACKENDS) {
  describe(`tunnel.json (${backend.name})`, () => {
    for (const c of cases) {
      it(c.label, () => {
        const tid = fromHex(c.tid);
        const sessions = {
          A: new TunnelSession(backend.sym, tid, fromHex(c.a_send_root), fromHex(c.a_recv_root), 0),
          B: new TunnelSession(backend.sym, tid, fromHex(c.a_recv_root), fromHex(c.a_send_root), 0),
        };
        /**
         * Sides whose deployed epochs moved on a forged packet, which ours refuse to do
         * (or that received a packet such a side sent), until the two agree again: their
         * bytes and states are not compared meanwhile.
         */
        const movedByForgery = new Set<'A' | 'B'>();
        const sentWhileMoved = new Set<string>();
        const agreesAgain = (side: 'A' | 'B', state: VectorState) => {
          if (sameState(asVector(sessions[side].state()), state)) movedByForgery.delete(side);
          return !movedByForgery.has(side);
        };
        const sent = new Map<string, { packet: Uint8Array; plaintext: string }>();
        const delivered = new Set<string>();
        let acceptedBeyondDeployed = 0;
        let diverged = false;

        for (const [index, step] of c.steps.entries()) {
          const where = `step ${index} (${step.op} ${step.side} ${step.name ?? ''} ${step.modification ?? ''})`;
          const session = sessions[step.side];
          if (step.op === 'send_epoch_ratchet') {
            session.ratchetSend(0);
            assert.deepEqual(asVector(session.state()), step.state, where);
          } else if (step.op === 'send') {
            const packet = session.seal(fromHex(step.plaintext!), 0);
            sent.set(step.name!, { packet, plaintext: step.plaintext! });
            if (movedByForgery.has(step.side)) sentWhileMoved.add(step.name!);
            if (!movedByForgery.has(step.side)) assert.equal(toHex(packet), step.packet, where);
            if (agreesAgain(step.side, step.state) && !diverged)
              assert.deepEqual(asVector(session.state()), step.state, where);
          } else {
            const before = session.state();
            const original = sent.get(step.name!)!;
            const input = step.packet ? fromHex(step.packet) : original.packet;
            const result = session.open(input, 0);
            if (!step.modification && sentWhileMoved.has(step.name!)) movedByForgery.add(step.side);
            if (step.modification) {
              if (!sameState(asVector(before), step.state)) movedByForgery.add(step.side);
              assert.equal(result.ok, false, where);
              assert.deepEqual(
                session.state(),
                before,
                `${where}: a forged packet changed the epochs`,
              );
            } else if (delivered.has(step.name!)) {
              assert.equal(result.ok, false, `${where}: replay accepted`);
            } else if (step.ok) {
              assert.ok(result.ok, `${where}: ${result.ok ? '' : result.reason}`);
            }
            if (result.ok) {
              const plaintext = result.kind === 'data' ? result.plaintext : result.cookie;
              assert.equal(toHex(plaintext), original.plaintext, where);
              delivered.add(step.name!);
              if (!step.ok) {
                acceptedBeyondDeployed++;
                diverged = true;
              }
            }
            if (result.ok && step.ok && agreesAgain(step.side, step.state) && !diverged) {
              assert.deepEqual(asVector(session.state()), step.state, where);
            }
          }
        }
        if (refusesFreshPackets(c)) {
          assert.ok(
            acceptedBeyondDeployed > 0,
            'our receiver should accept what the deployed window drops',
          );
        }
      });
    }

    it('a forged epoch field moves nothing; both sides keep talking in epoch 0', () => {
      const c = cases[0]!;
      const tid = fromHex(c.tid);
      const a = new TunnelSession(
        backend.sym,
        tid,
        fromHex(c.a_send_root),
        fromHex(c.a_recv_root),
        0,
      );
      const b = new TunnelSession(
        backend.sym,
        tid,
        fromHex(c.a_recv_root),
        fromHex(c.a_send_root),
        0,
      );
      const u0 = a.seal(fromHex('78787878787878787878'), 0);
      const forged = u0.slice();
      forged[35] = 3;
      assert.equal(b.open(forged, 0).ok, false);
      assert.deepEqual(b.state(), { sendEpoch: 0, receiveEpoch: 0, receiveEpochsHeld: [0] });
      const reply = b.seal(fromHex('7265706c79'), 0);
      assert.equal(reply[35], 0, 'reply stays in epoch 0');
      const atA = a.open(reply, 0);
      assert.ok(atA.ok && atA.kind === 'data' && toHex(atA.plaintext) === '7265706c79');
      assert.ok(b.open(u0, 0).ok);
    });
  });
}
