/**
 * Server peer session (control plane of one tunnel on the server). Created by an accepted
 * handshake (protocol.md §5) or a verified cookie (§8). Its state decides what the data
 * plane does with the peer's packets: `established`/`rekeying` seal and open, anything
 * else drops. The chart holds no timer: the engine's maintenance sweep visits every
 * tunnel at least every 5 s (keepalive, erasure of epochs older than 120 s, §6) and reports
 * TUNNEL_EXPIRED once the receive side holds no live epoch. Between events an established
 * session may rest as its context alone (restored into `established`), so a server can
 * hold many idle tunnels without a running actor each; a new one rests from the start
 * (nothing runs on entering `established`: the engine confirms a new tunnel itself).
 */
import { assign, setup } from 'xstate';
import { epochsAfter } from './epochs.ts';
import { ALWAYS, type EventCatalogue } from './event-facts.ts';

export type ServerSessionEvent =
  | { type: 'EPOCH_ADVANCED'; sendEpoch: number; receiveEpoch: number }
  | { type: 'PEER_ROAMED'; address: string; port: number }
  | { type: 'OFFLOAD' }
  | { type: 'TUNNEL_EXPIRED' }
  | { type: 'CLOSE'; reason: string };

/** What causes each event of the chart, and where it comes from. */
export const SERVER_SESSION_EVENTS: EventCatalogue = {
  always: ALWAYS,
  EPOCH_ADVANCED: {
    origin: 'authenticated packet',
    words: 'The tunnel moved to a newer epoch (an authenticated packet in it, or 30 s of sending)',
  },
  PEER_ROAMED: {
    origin: 'authenticated packet',
    words: 'A packet that authenticated came from a new address: the peer moved',
  },
  OFFLOAD: {
    origin: 'this host',
    words: 'The address pool is full and this is the least recently active tunnel',
  },
  TUNNEL_EXPIRED: {
    origin: 'timer',
    words:
      'The maintenance sweep found no receive epoch left alive (nothing authenticated for 120 s)',
  },
  CLOSE: { origin: 'operator', words: 'The server stops' },
};

export interface ServerSessionContext {
  peer: string;
  internalAddress: string;
  sendEpoch: number;
  receiveEpoch: number;
  roams: number;
  closeReason: string | null;
}

export interface ServerSessionInput {
  peer: string;
  internalAddress: string;
  epoch: number;
}

/** The context a new session starts with (the chart's own, and that of a session that
 * rests from its first moment: the initial state has no entry actions). */
export function initialServerSessionContext(input: ServerSessionInput): ServerSessionContext {
  return {
    peer: input.peer,
    internalAddress: input.internalAddress,
    sendEpoch: input.epoch,
    receiveEpoch: input.epoch,
    roams: 0,
    closeReason: null,
  };
}

export const serverSessionMachine = setup({
  types: {
    context: {} as ServerSessionContext,
    events: {} as ServerSessionEvent,
    input: {} as ServerSessionInput,
  },
  actions: {
    maintainTunnel: () => {},
    eraseTunnelKeys: () => {},
    releaseAddress: () => {},
    sendCookie: () => {},
    recordEpochs: assign(({ context, event }) => epochsAfter(context, event)),
    recordRoam: assign({
      peer: ({ context, event }) =>
        event.type === 'PEER_ROAMED' ? `${event.address}:${event.port}` : context.peer,
      roams: ({ context }) => context.roams + 1,
    }),
    recordCloseReason: assign({
      closeReason: ({ context, event }) =>
        event.type === 'CLOSE' ? event.reason : context.closeReason,
    }),
  },
}).createMachine({
  id: 'serverSession',
  description: 'One tunnel on the server, from an accepted handshake or cookie to its erasure',
  context: ({ input }) => initialServerSessionContext(input),
  initial: 'established',
  states: {
    established: {
      description:
        'protocol.md §6: packets sealed and opened; keepalives; epochs older than 120 s erased',
      tags: ['seal'],
      on: {
        EPOCH_ADVANCED: { target: 'rekeying', actions: 'recordEpochs' },
        PEER_ROAMED: { actions: 'recordRoam' },
        OFFLOAD: 'offloaded',
        TUNNEL_EXPIRED: 'expired',
      },
    },
    rekeying: {
      description:
        'protocol.md §6: an epoch advanced (either side); old epoch keys erased on schedule',
      tags: ['seal'],
      entry: ['maintainTunnel'],
      always: 'established',
    },
    offloaded: {
      description:
        'protocol.md §8: state handed to the client as a cookie; keys erased, address released',
      entry: ['sendCookie', 'eraseTunnelKeys', 'releaseAddress'],
      type: 'final',
    },
    expired: {
      description: 'protocol.md §6: the receive side holds no epoch; keys erased, address released',
      entry: ['eraseTunnelKeys', 'releaseAddress'],
      type: 'final',
    },
    closed: {
      description: 'Shut down or removed; keys erased, address released',
      entry: ['eraseTunnelKeys', 'releaseAddress'],
      type: 'final',
    },
  },
  on: {
    CLOSE: { target: '.closed', actions: 'recordCloseReason' },
  },
});
