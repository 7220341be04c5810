/**
 * Model-based tests of the other machines — server session, static-key download,
 * ephemeral-key rotation, daemon supervisor: generated paths, replayed on live actors,
 * exercise every transition of each definition.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AnyEventObject, type AnyStateMachine, fromPromise } from 'xstate';
import { daemonSupervisorMachine } from '../../src/actors/daemon-supervisor.ts';
import { ephemeralRotationMachine } from '../../src/actors/ephemeral-rotation.ts';
import { serverSessionMachine } from '../../src/actors/server-session.ts';
import { staticKeyDownloadMachine } from '../../src/actors/static-key-download.ts';
import { exerciseModel, recordCoverage, type Variant } from '../support/model-coverage.ts';

const byValue = (s: { value: unknown; status: string }) => JSON.stringify([s.value, s.status]);

const CASES: {
  name: string;
  variants: Variant[];
  events: AnyEventObject[];
  machine: AnyStateMachine;
}[] = [
  {
    name: 'serverSession',
    machine: serverSessionMachine,
    variants: [
      {
        machine: serverSessionMachine,
        input: { peer: '192.0.2.1:42423', internalAddress: '10.42.0.2', epoch: 0 },
      },
    ],
    events: [
      { type: 'EPOCH_ADVANCED', sendEpoch: 1, receiveEpoch: 1 },
      { type: 'PEER_ROAMED', address: '203.0.113.9', port: 5000 },
      { type: 'OFFLOAD' },
      { type: 'TUNNEL_EXPIRED' },
      { type: 'CLOSE', reason: 'model' },
    ],
  },
  {
    name: 'staticKeyDownload',
    machine: staticKeyDownloadMachine,
    variants: [
      {
        machine: staticKeyDownloadMachine.provide({
          actors: {
            transferLevel: fromPromise<void, { depth: number }>(() => new Promise<void>(() => {})),
          },
        }),
      },
    ],
    events: [1, 2, 3].flatMap((depth) => [
      { type: `xstate.done.actor.level${depth}` },
      { type: `xstate.error.actor.level${depth}`, error: 'lost' },
    ]),
  },
  {
    name: 'ephemeralKeyRotation',
    machine: ephemeralRotationMachine,
    variants: [
      {
        machine: ephemeralRotationMachine.provide({
          actors: { generateAhead: fromPromise<number>(() => new Promise<number>(() => {})) },
        }),
      },
    ],
    events: [
      { type: 'xstate.done.actor.generateAhead', output: 3 },
      { type: 'xstate.error.actor.generateAhead', error: 'failed' },
      { type: 'xstate.after.UNTIL_NEXT_SLOT.ephemeralKeyRotation.waitingForSlot' },
      { type: 'xstate.after.GENERATION_RETRY.ephemeralKeyRotation.backingOff' },
      { type: 'STOP' },
    ],
  },
  {
    name: 'daemonSupervisor',
    machine: daemonSupervisorMachine,
    variants: [{ machine: daemonSupervisorMachine }],
    events: [
      { type: 'WORKER_STARTED', pid: 42 },
      { type: 'WORKER_READY' },
      { type: 'STOP', reason: 'signal' },
      { type: 'WORKER_EXITED', code: 1 },
      { type: 'CLEANED' },
    ],
  },
];

describe('machines, model-based', () => {
  for (const { name, variants, events } of CASES) {
    it(`${name}: every transition is exercised by generated paths, and live actors agree`, () => {
      const result = exerciseModel(variants, events, byValue as never);
      recordCoverage(name, result.covered);
      const missing = [...result.all].filter((key) => !result.covered.has(key));
      assert.deepEqual(missing, [], `${name}: transitions never exercised (${result.paths} paths)`);
    });
  }
});
