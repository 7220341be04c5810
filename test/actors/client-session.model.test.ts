/**
 * Model-based test of the client session machine, for every combination of inputs (ports
 * known, static key cached, strict) and environment (healthy peer; dead tunnel with forged
 * key-server answers seen; unresponsive peer): the generated paths, replayed on live
 * actors, must exercise every transition of the definition, including guarded branches
 * and eventless ones.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyEventObject } from 'xstate';
import { clientModel } from '../support/client-model.ts';
import { exerciseModel, recordCoverage, type Variant } from '../support/model-coverage.ts';

interface Environment {
  tunnelDead: boolean;
  peerUnresponsive: boolean;
  probeAnswered: boolean;
  noticeReconnectAllowed: boolean;
  forgedAnswersSeen: boolean;
}

const ENVIRONMENTS: Environment[] = [
  {
    tunnelDead: false,
    peerUnresponsive: false,
    probeAnswered: true,
    noticeReconnectAllowed: true,
    forgedAnswersSeen: false,
  },
  {
    tunnelDead: true,
    peerUnresponsive: false,
    probeAnswered: false,
    noticeReconnectAllowed: false,
    forgedAnswersSeen: true,
  },
  {
    tunnelDead: false,
    peerUnresponsive: true,
    probeAnswered: false,
    noticeReconnectAllowed: true,
    forgedAnswersSeen: false,
  },
];

function modelMachine(env: Environment) {
  return clientModel({
    tunnelDead: () => env.tunnelDead,
    peerUnresponsive: () => env.peerUnresponsive,
    probeAnswered: () => env.probeAnswered,
    noticeReconnectAllowed: () => env.noticeReconnectAllowed,
    forgedAnswersSeen: () => env.forgedAnswersSeen,
  });
}

const EVENTS: AnyEventObject[] = [
  { type: 'HANDSHAKE_CONFIRMED' },
  { type: 'EPOCH_ADVANCED', sendEpoch: 1, receiveEpoch: 1 },
  { type: 'TRAFFIC_WAITING' },
  { type: 'FAILURE_NOTICE' },
  { type: 'DISCONNECT' },
  { type: 'RECONNECT' },
  { type: 'SERVER_MOVED', address: '203.0.113.7' },
  { type: 'CLOSE', reason: 'model' },
  { type: 'xstate.done.actor.resolvePorts' },
  { type: 'xstate.error.actor.resolvePorts', error: 'no answer' },
  { type: 'xstate.done.actor.staticKeyDownload', output: { complete: true, error: null } },
  { type: 'xstate.done.actor.staticKeyDownload', output: { complete: false, error: 'lost' } },
  { type: 'xstate.done.actor.fetchEphemeralKey' },
  { type: 'xstate.error.actor.fetchEphemeralKey', error: 'no answer' },
  { type: 'xstate.done.actor.sendHandshake' },
  { type: 'xstate.error.actor.sendHandshake', error: 'failed' },
  { type: 'xstate.after.HANDSHAKE_TIMEOUT.clientSession.handshaking' },
  { type: 'xstate.after.HANDSHAKE_RESEND.clientSession.handshaking.awaitingConfirmation' },
  { type: 'xstate.after.LIVENESS_TICK.clientSession.established.up' },
  { type: 'xstate.after.PROBE_TIMEOUT.clientSession.established.probing' },
  { type: 'xstate.after.RETRY_BACKOFF.clientSession.fallback' },
  { type: 'xstate.after.RETRY_BACKOFF.clientSession.failed' },
];

interface Snapshot {
  value: unknown;
  status: string;
  context: { handshakeAttempts: number; hasPorts: boolean; hasStaticKey: boolean };
}

const serialize = (s: Snapshot) =>
  JSON.stringify([
    s.value,
    s.context.handshakeAttempts,
    s.context.hasPorts,
    s.context.hasStaticKey,
    s.status,
  ]);

describe('client session machine, model-based', () => {
  it('every transition of the definition is exercised by generated paths, and live actors agree', () => {
    const variants: Variant[] = [];
    for (const hasPorts of [true, false]) {
      for (const hasStaticKey of [true, false]) {
        for (const strict of [true, false]) {
          for (const env of ENVIRONMENTS) {
            const input = {
              name: 'pq1model.test',
              realAddress: '198.51.100.1',
              internalAddress: '10.43.0.2',
              strict,
              hasPorts,
              hasStaticKey,
            };
            variants.push({ machine: modelMachine(env), input });
          }
        }
      }
    }
    const result = exerciseModel(variants, EVENTS, serialize as never);
    recordCoverage('clientSession', result.covered);
    const missing = [...result.all].filter((key) => !result.covered.has(key));
    assert.deepEqual(missing, [], `transitions never exercised (${result.paths} paths run)`);
    assert.ok(result.paths > 50, `${result.paths} paths`);
  });
});
