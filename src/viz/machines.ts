/** The machines an auditor can inspect, by name, with what causes their events and the
 * notes and bounds of their dynamic timers. */
import type { AnyStateMachine } from 'xstate';
import { CLIENT_SESSION_EVENTS, clientSessionMachine } from '../actors/client-session.ts';
import { daemonSupervisorMachine, SUPERVISOR_EVENTS } from '../actors/daemon-supervisor.ts';
import {
  EPHEMERAL_ROTATION_EVENTS,
  ephemeralRotationMachine,
} from '../actors/ephemeral-rotation.ts';
import type { EventCatalogue } from '../actors/event-facts.ts';
import { SERVER_SESSION_EVENTS, serverSessionMachine } from '../actors/server-session.ts';
import {
  STATIC_KEY_DOWNLOAD_EVENTS,
  staticKeyDownloadMachine,
} from '../actors/static-key-download.ts';

export interface InspectableMachine {
  name: string;
  title: string;
  machine: AnyStateMachine;
  events: EventCatalogue;
}

export const MACHINES: readonly InspectableMachine[] = [
  {
    name: 'clientSession',
    title: 'Client session',
    machine: clientSessionMachine,
    events: CLIENT_SESSION_EVENTS,
  },
  {
    name: 'serverSession',
    title: 'Server session',
    machine: serverSessionMachine,
    events: SERVER_SESSION_EVENTS,
  },
  {
    name: 'staticKeyDownload',
    title: 'Static-key download',
    machine: staticKeyDownloadMachine,
    events: STATIC_KEY_DOWNLOAD_EVENTS,
  },
  {
    name: 'ephemeralKeyRotation',
    title: 'Ephemeral-key rotation',
    machine: ephemeralRotationMachine,
    events: EPHEMERAL_ROTATION_EVENTS,
  },
  {
    name: 'daemonSupervisor',
    title: 'Daemon supervisor',
    machine: daemonSupervisorMachine,
    events: SUPERVISOR_EVENTS,
  },
];

/** Timers whose value depends on context or the clock: described for people, with the
 * longest they can run (the client's back-off cap is its default `maxBackoffMs`). */
export const DYNAMIC_DELAYS: Readonly<Record<string, { words: string; atMostMs: number }>> = {
  RETRY_BACKOFF: { words: '10 s, doubling to 10 min', atMostMs: 600_000 },
  UNTIL_NEXT_SLOT: { words: 'to the next 30 s wall-clock slot', atMostMs: 30_001 },
};

/** Timers of the protocol that live in the tunnel code rather than in a machine. */
export const PROTOCOL_TIMERS: readonly string[] = [
  'epoch: a sender moves to a new epoch on the first send 30 s after the current one started (§6)',
  'erasure: receive epochs, ephemeral secrets and replay entries are erased 120 s after they start (§4, §5, §6)',
  'ephemeral keys: one pair per 30 s wall-clock slot (§4)',
  'cookie keys: one per 30 s slot, accepted for 120 s (§8)',
];
