/**
 * Every machine's definition is exportable as JSON for the auditors' visualizer: no
 * function survives in the exported definition, every state node is present, and every
 * state carries a description that points at what it implements.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AnyStateMachine } from 'xstate';
import { getStateNodes } from 'xstate/graph';
import { clientSessionMachine } from '../../src/actors/client-session.ts';
import { ephemeralRotationMachine } from '../../src/actors/ephemeral-rotation.ts';
import { serverSessionMachine } from '../../src/actors/server-session.ts';
import { staticKeyDownloadMachine } from '../../src/actors/static-key-download.ts';

const MACHINES: [string, AnyStateMachine][] = [
  ['clientSession', clientSessionMachine],
  ['serverSession', serverSessionMachine],
  ['staticKeyDownload', staticKeyDownloadMachine],
  ['ephemeralKeyRotation', ephemeralRotationMachine],
];

/** Places in the exported definition where an action or guard lost its name (inline code). */
function anonymousReferences(value: unknown, path = '$'): string[] {
  if (value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    const holes = path.endsWith('.actions') || path.endsWith('.entry') || path.endsWith('.exit');
    return value.flatMap((item, i) =>
      holes &&
      typeof item !== 'string' &&
      (item === null || typeof item !== 'object' || !('type' in item))
        ? [`${path}[${i}]`]
        : anonymousReferences(item, `${path}[${i}]`),
    );
  }
  return Object.entries(value).flatMap(([key, child]) =>
    key === 'guard' && typeof child !== 'string'
      ? [`${path}.guard`]
      : anonymousReferences(child, `${path}.${key}`),
  );
}

describe('machine definitions', () => {
  for (const [name, machine] of MACHINES) {
    it(`${name}: toJSON() is plain data with every state node`, () => {
      const text = JSON.stringify(machine);
      assert.deepEqual(anonymousReferences(JSON.parse(text)), []);
      for (const node of getStateNodes(machine.root))
        assert.ok(text.includes(`"${node.id}"`), node.id);
      assert.ok(getStateNodes(machine.root).length >= 4);
    });
  }

  it('the client session has the named states the engine and auditors rely on', () => {
    const names = getStateNodes(clientSessionMachine.root).map((n) => n.key);
    for (const required of [
      'discovered',
      'fetchingStaticKey',
      'fetchingEphemeralKey',
      'handshaking',
      'established',
      'rekeying',
      'fallback',
      'expired',
      'failed',
      'closed',
    ]) {
      assert.ok(names.includes(required), required);
    }
  });

  it('client and server session states say which part of the protocol they implement', () => {
    for (const machine of [clientSessionMachine, serverSessionMachine]) {
      for (const node of getStateNodes(machine.root).filter((n) => n.parent === machine.root)) {
        assert.ok((node.description ?? '').length > 10, `${node.id} has a description`);
      }
    }
  });
});
