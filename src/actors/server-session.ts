/**
 * Server peer session (control plane of one tunnel on the server). Created by an accepted
 * handshake (PROTOCOL.md §5) or a verified cookie (§8). Its state decides what the data
 * plane does with the peer's packets: `established`/`rekeying` seal and open, anything
 * else drops. Timers: a 5 s maintenance tick (keepalive, erasure of epochs older than
 * 120 s, §6); a receive side with no live epoch means the tunnel expired.
 */
import { assign, setup } from 'xstate';
import { epochsAfter } from './epochs.ts';

export type ServerSessionEvent =
  | { type: 'EPOCH_ADVANCED'; sendEpoch: number; receiveEpoch: number }
  | { type: 'PEER_ROAMED'; address: string; port: number }
  | { type: 'OFFLOAD' }
  | { type: 'CLOSE'; reason: string };

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

export const serverSessionMachine = setup({
  types: {
    context: {} as ServerSessionContext,
    events: {} as ServerSessionEvent,
    input: {} as ServerSessionInput,
  },
  actions: {
    sendConfirmation: () => {},
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
  guards: {
    tunnelDead: () => false,
  },
  delays: {
    MAINTENANCE_TICK: 5_000,
  },
}).createMachine({
  id: 'serverSession',
  description: 'One tunnel on the server, from an accepted handshake or cookie to its erasure',
  context: ({ input }) => ({
    peer: input.peer,
    internalAddress: input.internalAddress,
    sendEpoch: input.epoch,
    receiveEpoch: input.epoch,
    roams: 0,
    closeReason: null,
  }),
  entry: ['sendConfirmation'],
  initial: 'established',
  states: {
    established: {
      description:
        'PROTOCOL.md §6: packets sealed and opened; keepalives; epochs older than 120 s erased',
      tags: ['seal'],
      after: {
        MAINTENANCE_TICK: [
          { guard: 'tunnelDead', target: 'expired' },
          { target: 'established', reenter: true, actions: ['maintainTunnel'] },
        ],
      },
      on: {
        EPOCH_ADVANCED: { target: 'rekeying', actions: 'recordEpochs' },
        PEER_ROAMED: { actions: 'recordRoam' },
        OFFLOAD: 'offloaded',
      },
    },
    rekeying: {
      description:
        'PROTOCOL.md §6: an epoch advanced (either side); old epoch keys erased on schedule',
      tags: ['seal'],
      entry: ['maintainTunnel'],
      always: 'established',
    },
    offloaded: {
      description:
        'PROTOCOL.md §8: state handed to the client as a cookie; keys erased, address released',
      entry: ['sendCookie', 'eraseTunnelKeys', 'releaseAddress'],
      type: 'final',
    },
    expired: {
      description: 'PROTOCOL.md §6: the receive side holds no epoch; keys erased, address released',
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
