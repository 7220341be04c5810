/** Transitions in words: state paths and event phrases instead of XState's internal names. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventText, stateText } from '../src/cli/transition-words.ts';

describe('transition words', () => {
  it('writes a state value as a dotted path', () => {
    assert.equal(stateText('failing'), 'failing');
    assert.equal(stateText({ established: 'probing' }), 'established.probing');
    assert.equal(stateText({ a: { b: 'c' } }), 'a.b.c');
  });

  it("names XState's own events by what happened and ours in lower case", () => {
    assert.equal(eventText('xstate.done.actor.fetchEphemeralKey'), 'fetchEphemeralKey finished');
    assert.equal(eventText('xstate.error.actor.handshake'), 'handshake failed');
    assert.equal(
      eventText('xstate.after.5000.clientSession.awaitingConfirmation'),
      'after 5000 ms',
    );
    assert.equal(eventText('xstate.init'), 'start');
    assert.equal(eventText('HANDSHAKE_CONFIRMED'), 'handshake confirmed');
  });
});
