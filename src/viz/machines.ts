/** The machines an auditor can inspect, by name, with the notes for dynamic timers. */
import type { AnyStateMachine } from 'xstate';
import { clientSessionMachine } from '../actors/client-session.ts';
import { daemonSupervisorMachine } from '../actors/daemon-supervisor.ts';
import { ephemeralRotationMachine } from '../actors/ephemeral-rotation.ts';
import { serverSessionMachine } from '../actors/server-session.ts';
import { staticKeyDownloadMachine } from '../actors/static-key-download.ts';

export const MACHINES: readonly { name: string; title: string; machine: AnyStateMachine }[] = [
  { name: 'clientSession', title: 'Client session', machine: clientSessionMachine },
  { name: 'serverSession', title: 'Server session', machine: serverSessionMachine },
  { name: 'staticKeyDownload', title: 'Static-key download', machine: staticKeyDownloadMachine },
  {
    name: 'ephemeralKeyRotation',
    title: 'Ephemeral-key rotation',
    machine: ephemeralRotationMachine,
  },
  { name: 'daemonSupervisor', title: 'Daemon supervisor', machine: daemonSupervisorMachine },
];

/** Timers whose value depends on context or the clock, described for people. */
export const DYNAMIC_DELAYS: Readonly<Record<string, string>> = {
  RETRY_BACKOFF: '10 s, doubling to 10 min',
  UNTIL_NEXT_SLOT: 'to the next 30 s wall-clock slot',
};

/** Timers of the protocol that live in the tunnel code rather than in a machine. */
export const PROTOCOL_TIMERS: readonly string[] = [
  'epoch: a sender moves to a new epoch on the first send 30 s after the current one started (§6)',
  'erasure: receive epochs, ephemeral secrets and replay entries are erased 120 s after they start (§4, §5, §6)',
  'ephemeral keys: one pair per 30 s wall-clock slot (§4)',
  'cookie keys: one per 30 s slot, accepted for 120 s (§8)',
];
