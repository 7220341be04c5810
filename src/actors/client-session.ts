/**
 * Client peer session (control plane of one PQConnect server as seen by a client). From
 * discovery in DNS (protocol.md §7) through port lookup (§3), static-key download (§2,
 * §4), ephemeral-key fetch (§4) and the 0-RTT handshake (§5) to an established tunnel
 * (§6) that rekeys with every epoch, expires when idle and is re-established from cached
 * keys on demand. Failure after bounded retries leads to plain fallback — or, for strict
 * sessions, to `failed` — and PQ is retried later with exponential backoff.
 *
 * The trust rule (docs/session-rules.md): only authenticated tunnel packets confirm or
 * keep a tunnel; an unauthenticated `03 00` (FAILURE_NOTICE) only restarts a handshake
 * that nothing authenticated has confirmed yet (within its bounded attempts), and on an
 * established tunnel only starts a keepalive probe — a new handshake follows only if the
 * probe goes unanswered, at most once per NOTICE_RECONNECT_INTERVAL. Nothing
 * unauthenticated leads to plain fallback: fallback needs a failure an injecting attacker
 * cannot cause alone (silence from the key server, or a handshake never confirmed), and
 * is refused while forged key-server answers were seen.
 *
 * Tags tell the data plane what to do with packets: queue (bounded), seal, plain, or
 * (untagged) drop.
 */
import { assign, fromPromise, setup } from 'xstate';
import { epochsAfter } from './epochs.ts';
import { errorText } from './error-text.ts';
import { ALWAYS, type EventCatalogue } from './event-facts.ts';
import { staticKeyDownloadMachine } from './static-key-download.ts';

export type ClientSessionEvent =
  | { type: 'HANDSHAKE_CONFIRMED' }
  | { type: 'EPOCH_ADVANCED'; sendEpoch: number; receiveEpoch: number }
  | { type: 'TRAFFIC_WAITING' }
  /** DNS now gives another real address for the server (its pq1 key is the same). */
  | { type: 'SERVER_MOVED'; address: string }
  | { type: 'FAILURE_NOTICE' }
  | { type: 'DISCONNECT' }
  | { type: 'RECONNECT' }
  | { type: 'CLOSE'; reason: string };

/** What causes each event of the chart, and where it comes from. */
export const CLIENT_SESSION_EVENTS: EventCatalogue = {
  always: ALWAYS,
  HANDSHAKE_CONFIRMED: {
    origin: 'authenticated packet',
    words: 'A tunnel packet from the server authenticated under the new handshake’s keys',
  },
  EPOCH_ADVANCED: {
    origin: 'authenticated packet',
    words: 'The tunnel moved to a newer epoch (an authenticated packet in it, or 30 s of sending)',
  },
  TRAFFIC_WAITING: {
    origin: 'this host',
    words: 'An application on this host sent a packet to the server while no tunnel was up',
  },
  SERVER_MOVED: {
    origin: 'unauthenticated network',
    words: 'A DNS answer gave another address for the same pq1 name (DNS is not authenticated)',
  },
  FAILURE_NOTICE: {
    origin: 'unauthenticated network',
    words: 'A 03 00 packet claiming the server lost the tunnel (anyone on the path can send one)',
  },
  DISCONNECT: { origin: 'operator', words: 'The operator disconnected this server' },
  RECONNECT: { origin: 'operator', words: 'The operator asked to connect to this server again' },
  CLOSE: {
    origin: 'operator',
    words: 'The session ends: the daemon stops or the operator forgets the server',
  },
  'done:resolvePorts': {
    origin: 'unauthenticated network',
    words: 'The pq1 name’s TXT records were read: crypto and key ports (defaults if none)',
  },
  'error:resolvePorts': {
    origin: 'unauthenticated network',
    words: 'The TXT lookup of the pq1 name failed',
  },
  'done:staticKeyDownload': {
    origin: 'key server',
    words: 'The static-key download ended: complete and verified, or failed',
  },
  'done:fetchEphemeralKey': {
    origin: 'key server',
    words: 'The key server sent the current ephemeral public keys',
  },
  'error:fetchEphemeralKey': {
    origin: 'key server',
    words: 'The key server did not answer in time or its answers did not verify',
  },
  'done:sendHandshake': { origin: 'this host', words: 'The handshake packet was sent' },
  'error:sendHandshake': { origin: 'this host', words: 'The handshake could not be sent' },
  'after:HANDSHAKE_TIMEOUT': {
    origin: 'timer',
    words: 'No authenticated answer to the handshake within the handshake timeout',
  },
  'after:HANDSHAKE_RESEND': {
    origin: 'timer',
    words: 'Still unconfirmed: the same handshake is sent again',
  },
  'after:LIVENESS_TICK': {
    origin: 'timer',
    words: 'Once a second, the tunnel’s liveness and keepalives are checked',
  },
  'after:PROBE_TIMEOUT': {
    origin: 'timer',
    words: 'The keepalive probe’s answer time is over',
  },
  'after:RETRY_BACKOFF': {
    origin: 'timer',
    words: 'The back-off is over: PQ is tried again',
  },
};

/** Liveness timers (ms), documented in docs/session-rules.md. */
export const LIVENESS = {
  /** How often an established tunnel checks liveness and keepalives. */
  tickMs: 1_000,
  /** A keepalive probe that gets no authenticated answer in this time failed. */
  probeTimeoutMs: 1_000,
  /** Least time between two new handshakes caused by unanswered probes. */
  noticeReconnectIntervalMs: 10_000,
  /** Inner data sent and nothing authenticated back for this long: the peer is gone. */
  unansweredMs: 5_000,
  handshakeTimeoutMs: 5_000,
  handshakeResendMs: 1_000,
} as const;

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
  fallbackReason: string | null;
  fallbacks: number;
  noticesIgnored: number;
  reconnects: number;
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

const unprovided = (name: string) =>
  fromPromise<void>(async () => {
    throw new Error(`${name} not provided`);
  });

export const clientSessionMachine = setup({
  types: {
    context: {} as ClientSessionContext,
    events: {} as ClientSessionEvent,
    input: {} as ClientSessionInput,
  },
  actors: {
    resolvePorts: unprovided('resolvePorts'),
    staticKeyDownload: staticKeyDownloadMachine,
    fetchEphemeralKey: unprovided('fetchEphemeralKey'),
    sendHandshake: unprovided('sendHandshake'),
  },
  actions: {
    maintainTunnel: () => {},
    resendHandshake: () => {},
    sendProbe: () => {},
    eraseTunnel: () => {},
    requestPlainRoute: () => {},
    removePlainRoute: () => {},
    reportRefusedFallback: () => {},
    reportLivenessLoss: () => {},
    markPortsKnown: assign({ hasPorts: true }),
    recordServerAddress: assign({
      realAddress: ({ context, event }) =>
        event.type === 'SERVER_MOVED' ? event.address : context.realAddress,
    }),
    markStaticKeyKnown: assign({ hasStaticKey: true }),
    recordError: assign({
      lastError: ({ event }) => errorText((event as { error?: unknown }).error ?? event.type),
    }),
    recordDownloadFailure: assign({
      lastError: ({ event }) =>
        `static key download failed: ${(event as { output?: { error?: string | null } }).output?.error ?? 'incomplete'}`,
    }),
    recordHandshakeTimeout: assign({
      lastError: ({ context }) =>
        `handshake not confirmed after ${context.handshakeAttempts} attempts`,
    }),
    recordUnanswered: assign({
      lastError: `inner data unanswered for ${LIVENESS.unansweredMs / 1000} s`,
      reconnects: ({ context }) => context.reconnects + 1,
    }),
    recordProbeUnanswered: assign({
      lastError: 'handshake-failed notice, and the keepalive probe went unanswered',
      reconnects: ({ context }) => context.reconnects + 1,
    }),
    recordForgery: assign({
      lastError: ({ context }) =>
        `${context.lastError ?? 'PQ failed'}; forged key-server answers seen, plain fallback refused`,
    }),
    countNoticeIgnored: assign({ noticesIgnored: ({ context }) => context.noticesIgnored + 1 }),
    countHandshakeAttempt: assign({
      handshakeAttempts: ({ context }) => context.handshakeAttempts + 1,
    }),
    resetRetries: assign({
      handshakeAttempts: 0,
      backoffMs: ({ context }) => context.initialBackoffMs,
      lastError: null,
      fallbackReason: null,
    }),
    recordEpochs: assign(({ context, event }) => epochsAfter(context, event)),
    enterFallback: assign({
      fallbacks: ({ context }) => context.fallbacks + 1,
      fallbackReason: ({ context }) => context.lastError ?? 'PQ failed',
    }),
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
    peerUnresponsive: () => false,
    probeAnswered: () => true,
    noticeReconnectAllowed: () => false,
    forgedAnswersSeen: () => false,
  },
  delays: {
    HANDSHAKE_TIMEOUT: LIVENESS.handshakeTimeoutMs,
    HANDSHAKE_RESEND: LIVENESS.handshakeResendMs,
    LIVENESS_TICK: LIVENESS.tickMs,
    PROBE_TIMEOUT: LIVENESS.probeTimeoutMs,
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
    fallbackReason: null,
    fallbacks: 0,
    noticesIgnored: 0,
    reconnects: 0,
  }),
  initial: 'discovered',
  states: {
    discovered: {
      description: 'protocol.md §7: a pq1 announcement seen in a DNS answer; packets wait',
      tags: ['queue'],
      always: [
        { guard: 'needsPorts', target: 'resolvingPorts' },
        { guard: 'needsStaticKey', target: 'fetchingStaticKey' },
        { target: 'fetchingEphemeralKey' },
      ],
    },
    resolvingPorts: {
      description:
        'protocol.md §3: TXT records of the pq1 name for the crypto and key ports (defaults if absent)',
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
      description:
        'protocol.md §2/§4: download and verify the server key tree (once per server); nodes that do not verify are dropped and counted',
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
        "protocol.md §4: the current 30 s slot's sntrup761 and X25519 public keys; 4 requests over 7.5 s, failing only if none is answered",
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
      description:
        'protocol.md §5: 0-RTT handshake from a precomputed McEliece ciphertext; confirmed only by an authenticated tunnel packet',
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
            onError: [
              {
                guard: 'canRetryHandshake',
                target: '#clientSession.fetchingEphemeralKey',
                actions: 'recordError',
              },
              { target: '#clientSession.failing', actions: 'recordError' },
            ],
          },
        },
        awaitingConfirmation: {
          description:
            'Data flows already (0-RTT); the first authenticated packet from the server confirms. Resend the handshake and a keepalive while waiting; resend the first queued packets once if nothing authenticated came back after a settle time (a server may drop data that overtakes its handshake)',
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
        FAILURE_NOTICE: [
          { guard: 'canRetryHandshake', target: 'fetchingEphemeralKey' },
          { actions: 'countNoticeIgnored' },
        ],
      },
    },
    established: {
      description:
        'protocol.md §6: tunnel up; keepalives while in use; epochs older than 120 s erased; liveness checked every second',
      tags: ['seal'],
      initial: 'up',
      states: {
        up: {
          description:
            'Authenticated packets keep the tunnel; inner data unanswered for 5 s means a new handshake',
          after: {
            LIVENESS_TICK: [
              { guard: 'tunnelDead', target: '#clientSession.expired' },
              {
                guard: 'peerUnresponsive',
                target: '#clientSession.reconnecting',
                actions: 'recordUnanswered',
              },
              { target: 'up', reenter: true, actions: ['maintainTunnel'] },
            ],
          },
          on: { FAILURE_NOTICE: { target: 'probing', actions: 'sendProbe' } },
        },
        probing: {
          description:
            'An unauthenticated 03 00 arrived: a keepalive probe asks the server for an authenticated answer; notices are ignored meanwhile',
          after: {
            PROBE_TIMEOUT: [
              { guard: 'probeAnswered', target: 'up' },
              {
                guard: 'noticeReconnectAllowed',
                target: '#clientSession.reconnecting',
                actions: 'recordProbeUnanswered',
              },
              { target: 'up', actions: 'countNoticeIgnored' },
            ],
          },
          on: { FAILURE_NOTICE: { actions: 'countNoticeIgnored' } },
        },
      },
      on: {
        EPOCH_ADVANCED: {
          target: 'rekeying',
          actions: 'recordEpochs',
        },
      },
    },
    rekeying: {
      description:
        'protocol.md §6: an epoch advanced on either side; keys of old epochs erased on schedule',
      tags: ['seal'],
      entry: ['maintainTunnel'],
      always: 'established',
    },
    reconnecting: {
      description:
        'Liveness lost: the dead tunnel is erased and a new 0-RTT handshake starts from cached prekeys; packets wait',
      tags: ['queue'],
      entry: ['reportLivenessLoss', 'eraseTunnel'],
      always: 'fetchingEphemeralKey',
    },
    expired: {
      description:
        'protocol.md §6: the receive side holds no epoch; keys erased; new traffic starts a new 0-RTT handshake',
      tags: ['queue'],
      entry: ['eraseTunnel'],
      on: { TRAFFIC_WAITING: 'fetchingEphemeralKey' },
    },
    failing: {
      description:
        'Bounded retries exhausted: strict sessions fail; others fall back to plain traffic unless forged key-server answers were seen',
      always: [
        { guard: 'strict', target: 'failed' },
        {
          guard: 'forgedAnswersSeen',
          target: 'failed',
          actions: ['recordForgery', 'reportRefusedFallback'],
        },
        { target: 'fallback' },
      ],
    },
    fallback: {
      description:
        'Plain traffic to the real address (a NAT rule), logged at WARN with its reason; PQ retried after a backoff',
      tags: ['plain'],
      entry: ['eraseTunnel', 'enterFallback', 'requestPlainRoute'],
      exit: ['removePlainRoute'],
      after: { RETRY_BACKOFF: { target: 'retrying' } },
    },
    failed: {
      description:
        'Never plain (strict session, or an attacker seen): packets dropped; PQ retried after a backoff',
      entry: ['eraseTunnel'],
      after: { RETRY_BACKOFF: { target: 'retrying' } },
    },
    retrying: {
      description: 'Back off exponentially, then start over',
      entry: ['increaseBackoff'],
      always: 'discovered',
    },
    disconnected: {
      description: 'Disconnected by the embedder: tunnel erased, packets dropped until RECONNECT',
      entry: ['eraseTunnel'],
    },
    closed: {
      description: 'Shut down, or the peer was removed',
      entry: ['eraseTunnel'],
      type: 'final',
    },
  },
  on: {
    CLOSE: '.closed',
    DISCONNECT: '.disconnected',
    RECONNECT: { target: '.discovered', actions: 'resetRetries' },
    SERVER_MOVED: { actions: 'recordServerAddress' },
  },
});
