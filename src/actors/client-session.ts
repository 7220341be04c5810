/**
 * Client peer session (control plane of one PQConnect server as seen by a client). From
 * discovery in DNS (PROTOCOL.md §7) through port lookup (§3), static-key download (§2,
 * §4), ephemeral-key fetch (§4) and the 0-RTT handshake (§5) to an established tunnel
 * (§6) that rekeys with every epoch, expires when idle and is re-established from cached
 * keys on demand. Failure after bounded retries leads to plain fallback — or, for strict
 * sessions, to `failed` — and PQ is retried later with exponential backoff.
 *
 * Tags tell the data plane what to do with packets: queue (bounded), seal, plain, or
 * (untagged) drop.
 */
import { assign, fromPromise, setup } from 'xstate';
import { epochsAfter } from './epochs.ts';
import { staticKeyDownloadMachine } from './static-key-download.ts';

export type ClientSessionEvent =
  | { type: 'HANDSHAKE_CONFIRMED' }
  | { type: 'EPOCH_ADVANCED'; sendEpoch: number; receiveEpoch: number }
  | { type: 'TRAFFIC_WAITING' }
  | { type: 'PEER_FAILED' }
  | { type: 'CLOSE'; reason: string };

export interface ClientSessionContext {
  name: string;
  realAddress: string;
  internalAddress: string;
  strict: boolean;
  hasPorts: boolean;
  hasStaticKey: boolean;
  handshakeAttempts: number;
  maxHandshakeAttempts: number;
  backoffMs: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
  sendEpoch: number;
  receiveEpoch: number;
  lastError: string | null;
  fallbacks: number;
}

export interface ClientSessionInput {
  name: string;
  realAddress: string;
  internalAddress: string;
  strict: boolean;
  hasPorts: boolean;
  hasStaticKey: boolean;
  maxHandshakeAttempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export const clientSessionMachine = setup({
  types: {
    context: {} as ClientSessionContext,
    events: {} as ClientSessionEvent,
    input: {} as ClientSessionInput,
  },
  actors: {
    resolvePorts: fromPromise<void>(async () => {
      throw new Error('resolvePorts not provided');
    }),
    staticKeyDownload: staticKeyDownloadMachine,
    fetchEphemeralKey: fromPromise<void>(async () => {
      throw new Error('fetchEphemeralKey not provided');
    }),
    sendHandshake: fromPromise<void>(async () => {
      throw new Error('sendHandshake not provided');
    }),
  },
  actions: {
    maintainTunnel: () => {},
    resendHandshake: () => {},
    eraseTunnel: () => {},
    requestPlainRoute: () => {},
    removePlainRoute: () => {},
    markPortsKnown: assign({ hasPorts: true }),
    markStaticKeyKnown: assign({ hasStaticKey: true }),
    recordError: assign({
      lastError: ({ event }) => String((event as { error?: unknown }).error ?? event.type),
    }),
    recordDownloadFailure: assign({ lastError: 'static key download failed' }),
    recordHandshakeTimeout: assign({ lastError: 'handshake not confirmed' }),
    recordPeerFailure: assign({ lastError: 'server reported handshake failure' }),
    countHandshakeAttempt: assign({
      handshakeAttempts: ({ context }) => context.handshakeAttempts + 1,
    }),
    resetRetries: assign({
      handshakeAttempts: 0,
      backoffMs: ({ context }) => context.initialBackoffMs,
      lastError: null,
    }),
    recordEpochs: assign(({ context, event }) => epochsAfter(context, event)),
    countFallback: assign({ fallbacks: ({ context }) => context.fallbacks + 1 }),
    increaseBackoff: assign({
      backoffMs: ({ context }) => Math.min(context.maxBackoffMs, context.backoffMs * 2),
      handshakeAttempts: 0,
    }),
  },
  guards: {
    needsPorts: ({ context }) => !context.hasPorts,
    needsStaticKey: ({ context }) => !context.hasStaticKey,
    downloadComplete: ({ event }) =>
      (event as { output?: { complete?: boolean } }).output?.complete === true,
    canRetryHandshake: ({ context }) => context.handshakeAttempts < context.maxHandshakeAttempts,
    strict: ({ context }) => context.strict,
    tunnelDead: () => false,
  },
  delays: {
    HANDSHAKE_TIMEOUT: 5_000,
    HANDSHAKE_RESEND: 1_000,
    MAINTENANCE_TICK: 5_000,
    RETRY_BACKOFF: ({ context }) => context.backoffMs,
  },
}).createMachine({
  id: 'clientSession',
  description: 'One PQConnect server as seen by a client: discovery to tunnel, fallback and retry',
  context: ({ input }) => ({
    name: input.name,
    realAddress: input.realAddress,
    internalAddress: input.internalAddress,
    strict: input.strict,
    hasPorts: input.hasPorts,
    hasStaticKey: input.hasStaticKey,
    handshakeAttempts: 0,
    maxHandshakeAttempts: input.maxHandshakeAttempts ?? 3,
    backoffMs: input.initialBackoffMs ?? 10_000,
    initialBackoffMs: input.initialBackoffMs ?? 10_000,
    maxBackoffMs: input.maxBackoffMs ?? 600_000,
    sendEpoch: 0,
    receiveEpoch: 0,
    lastError: null,
    fallbacks: 0,
  }),
  initial: 'discovered',
  states: {
    discovered: {
      description: 'PROTOCOL.md §7: a pq1 announcement seen in a DNS answer; packets wait',
      tags: ['queue'],
      always: [
        { guard: 'needsPorts', target: 'resolvingPorts' },
        { guard: 'needsStaticKey', target: 'fetchingStaticKey' },
        { target: 'fetchingEphemeralKey' },
      ],
    },
    resolvingPorts: {
      description:
        'PROTOCOL.md §3: TXT records of the pq1 name for the crypto and key ports (defaults if absent)',
      tags: ['queue'],
      invoke: {
        id: 'resolvePorts',
        src: 'resolvePorts',
        onDone: [
          {
            guard: 'needsStaticKey',
            target: 'fetchingStaticKey',
            actions: 'markPortsKnown',
          },
          { target: 'fetchingEphemeralKey', actions: 'markPortsKnown' },
        ],
        onError: {
          target: 'failing',
          actions: 'recordError',
        },
      },
    },
    fetchingStaticKey: {
      description: 'PROTOCOL.md §2/§4: download and verify the server key tree (once per server)',
      tags: ['queue'],
      invoke: {
        id: 'staticKeyDownload',
        src: 'staticKeyDownload',
        onDone: [
          {
            guard: 'downloadComplete',
            target: 'fetchingEphemeralKey',
            actions: 'markStaticKeyKnown',
          },
          { target: 'failing', actions: 'recordDownloadFailure' },
        ],
      },
    },
    fetchingEphemeralKey: {
      description:
        "PROTOCOL.md §4: the current 30 s slot's sntrup761 and X25519 public keys, bounded retries",
      tags: ['queue'],
      invoke: {
        id: 'fetchEphemeralKey',
        src: 'fetchEphemeralKey',
        onDone: 'handshaking',
        onError: {
          target: 'failing',
          actions: 'recordError',
        },
      },
    },
    handshaking: {
      description: 'PROTOCOL.md §5: 0-RTT handshake from a precomputed McEliece ciphertext',
      initial: 'sending',
      entry: ['countHandshakeAttempt'],
      after: {
        HANDSHAKE_TIMEOUT: [
          { guard: 'canRetryHandshake', target: 'fetchingEphemeralKey' },
          { target: 'failing', actions: 'recordHandshakeTimeout' },
        ],
      },
      states: {
        sending: {
          tags: ['queue'],
          invoke: {
            id: 'sendHandshake',
            src: 'sendHandshake',
            onDone: 'awaitingConfirmation',
            onError: { target: '#clientSession.failing', actions: 'recordError' },
          },
        },
        awaitingConfirmation: {
          description:
            'Data flows already (0-RTT); the first authenticated packet from the server confirms. Resend the handshake and a keepalive while waiting, in case either was lost',
          tags: ['seal'],
          after: {
            HANDSHAKE_RESEND: {
              target: 'awaitingConfirmation',
              reenter: true,
              actions: 'resendHandshake',
            },
          },
        },
      },
      on: {
        HANDSHAKE_CONFIRMED: { target: 'established', actions: 'resetRetries' },
        PEER_FAILED: [
          { guard: 'canRetryHandshake', target: 'fetchingEphemeralKey' },
          { target: 'failing', actions: 'recordPeerFailure' },
        ],
      },
    },
    established: {
      description:
        'PROTOCOL.md §6: tunnel up; keepalives while in use; epochs older than 120 s erased',
      tags: ['seal'],
      after: {
        MAINTENANCE_TICK: [
          { guard: 'tunnelDead', target: 'expired' },
          { target: 'established', reenter: true, actions: ['maintainTunnel'] },
        ],
      },
      on: {
        EPOCH_ADVANCED: {
          target: 'rekeying',
          actions: 'recordEpochs',
        },
        PEER_FAILED: 'expired',
      },
    },
    rekeying: {
      description:
        'PROTOCOL.md §6: an epoch advanced on either side; keys of old epochs erased on schedule',
      tags: ['seal'],
      entry: ['maintainTunnel'],
      always: 'established',
    },
    expired: {
      description:
        'PROTOCOL.md §6: the receive side holds no epoch; keys erased; new traffic starts a new 0-RTT handshake',
      tags: ['queue'],
      entry: ['eraseTunnel'],
      on: { TRAFFIC_WAITING: 'fetchingEphemeralKey' },
    },
    failing: {
      description:
        'Bounded retries exhausted: strict sessions fail, others fall back to plain traffic',
      always: [{ guard: 'strict', target: 'failed' }, { target: 'fallback' }],
    },
    fallback: {
      description: 'Plain traffic to the real address (a NAT rule); PQ retried after a backoff',
      tags: ['plain'],
      entry: ['eraseTunnel', 'requestPlainRoute', 'countFallback'],
      exit: ['removePlainRoute'],
      after: { RETRY_BACKOFF: { target: 'retrying' } },
    },
    failed: {
      description:
        'Strict session (pq1 name asked for directly, or --strict): never plain; PQ retried after a backoff',
      entry: ['eraseTunnel'],
      after: { RETRY_BACKOFF: { target: 'retrying' } },
    },
    retrying: {
      description: 'Back off exponentially, then start over',
      entry: ['increaseBackoff'],
      always: 'discovered',
    },
    closed: {
      description: 'Shut down, or the peer was removed',
      entry: ['eraseTunnel'],
      type: 'final',
    },
  },
  on: { CLOSE: '.closed' },
});
