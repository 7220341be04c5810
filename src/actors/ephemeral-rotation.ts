/**
 * Ephemeral-key rotation (server, protocol.md §4): generate key pairs ahead for the next
 * 30-second slots, wait for the next slot boundary, erase secrets older than 120 s, repeat.
 * Generation runs off the event loop (KEM key generation on the thread pool / workers).
 * The machine holds no key material: the engine's EphemeralKeyStore does.
 */
import { assign, fromPromise, setup } from 'xstate';
import { ALWAYS, type EventCatalogue } from './event-facts.ts';

/** What causes each event of the chart, and where it comes from. */
export const EPHEMERAL_ROTATION_EVENTS: EventCatalogue = {
  always: ALWAYS,
  STOP: { origin: 'operator', words: 'The server stops' },
  'done:generateAhead': {
    origin: 'this host',
    words: 'The key pairs for the coming slots are ready',
  },
  'error:generateAhead': {
    origin: 'this host',
    words: 'Generating a key pair failed (the KEM library reported an error)',
  },
  'after:GENERATION_RETRY': {
    origin: 'timer',
    words: 'The pause after a failed generation is over',
  },
  'after:UNTIL_NEXT_SLOT': {
    origin: 'timer',
    words: 'The next 30 s wall-clock slot begins',
  },
};

export interface RotationContext {
  generated: number;
  failures: number;
}

export const ephemeralRotationMachine = setup({
  types: {
    context: {} as RotationContext,
    events: {} as { type: 'STOP' },
  },
  actors: {
    generateAhead: fromPromise<number>(async () => {
      throw new Error('generateAhead not provided');
    }),
  },
  actions: {
    eraseExpiredSecrets: () => {},
    reportGenerationFailure: () => {},
    countGenerated: assign({
      generated: ({ context, event }) =>
        context.generated + ((event as { output?: number }).output ?? 0),
    }),
    countFailure: assign({ failures: ({ context }) => context.failures + 1 }),
  },
  delays: {
    UNTIL_NEXT_SLOT: 30_000,
    GENERATION_RETRY: 5_000,
  },
}).createMachine({
  id: 'ephemeralKeyRotation',
  description:
    'protocol.md §4: one (sntrup761, X25519) pair per 30 s slot; secrets erased 120 s after the slot starts',
  context: { generated: 0, failures: 0 },
  initial: 'generating',
  states: {
    generating: {
      description: 'Generate key pairs for the current and the next slots (off the event loop)',
      invoke: {
        id: 'generateAhead',
        src: 'generateAhead',
        onDone: {
          target: 'waitingForSlot',
          actions: 'countGenerated',
        },
        onError: {
          target: 'backingOff',
          actions: ['countFailure', 'reportGenerationFailure'],
        },
      },
    },
    backingOff: {
      description: 'Key generation failed; try again shortly',
      after: { GENERATION_RETRY: 'generating' },
    },
    waitingForSlot: {
      description: 'Serve the current slot until the next 30 s boundary',
      after: { UNTIL_NEXT_SLOT: 'rotating' },
    },
    rotating: {
      description: 'Slot boundary: erase secrets of slots that started 120 s ago or earlier',
      entry: ['eraseExpiredSecrets'],
      always: 'generating',
    },
    stopped: { type: 'final' },
  },
  on: { STOP: '.stopped' },
});
