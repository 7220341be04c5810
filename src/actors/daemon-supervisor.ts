/**
 * Daemon supervisor (the privileged part of pqconnect / pqconnect-server): set up the
 * privileged resources, start the unprivileged worker, run until a signal or the
 * worker's death, then remove every rule and device and stop. The machine records the
 * lifecycle for operators and auditors; the daemon code performs the steps.
 */
import { assign, setup } from 'xstate';
import type { EventCatalogue } from './event-facts.ts';

/** What causes each event of the chart, and where it comes from. */
export const SUPERVISOR_EVENTS: EventCatalogue = {
  WORKER_STARTED: {
    origin: 'this host',
    words: 'The privileged set-up is done and the unprivileged worker process was started',
  },
  WORKER_READY: { origin: 'this host', words: 'The worker reported that its engine runs' },
  WORKER_EXITED: {
    origin: 'this host',
    words: 'The worker process ended (crashed, was killed, or broke the IPC protocol)',
  },
  STOP: { origin: 'operator', words: 'A signal asked the daemon to stop' },
  CLEANED: {
    origin: 'this host',
    words: 'Every firewall rule, route and device the daemon made is removed',
  },
};

export type SupervisorEvent =
  | { type: 'WORKER_STARTED'; pid: number }
  | { type: 'WORKER_READY' }
  | { type: 'STOP'; reason: string }
  | { type: 'WORKER_EXITED'; code: number | null }
  | { type: 'CLEANED' };

export interface SupervisorContext {
  workerPid: number | null;
  stopReason: string | null;
  exitCode: number;
}

export const daemonSupervisorMachine = setup({
  types: { context: {} as SupervisorContext, events: {} as SupervisorEvent },
  actions: {
    recordWorker: assign({
      workerPid: ({ context, event }) =>
        event.type === 'WORKER_STARTED' ? event.pid : context.workerPid,
    }),
    recordStop: assign({
      stopReason: ({ context, event }) =>
        event.type === 'STOP' ? event.reason : context.stopReason,
    }),
    recordWorkerDeath: assign({
      stopReason: ({ context, event }) =>
        event.type === 'WORKER_EXITED' ? `worker exited (code ${event.code})` : context.stopReason,
      exitCode: 1,
    }),
  },
}).createMachine({
  id: 'daemonSupervisor',
  description:
    'The root part of a daemon: privileged set-up, the unprivileged worker, clean shutdown',
  context: { workerPid: null, stopReason: null, exitCode: 0 },
  initial: 'settingUp',
  states: {
    settingUp: {
      description:
        'Remove stale rules; create the TUN device; bind the UDP ports (also below 1024)',
      on: {
        WORKER_STARTED: { target: 'startingWorker', actions: 'recordWorker' },
        STOP: { target: 'stopping', actions: 'recordStop' },
      },
    },
    startingWorker: {
      description:
        'The worker runs as the pqconnect user with no capabilities; it gets only file descriptors',
      on: {
        WORKER_READY: 'running',
        STOP: { target: 'stopping', actions: 'recordStop' },
        WORKER_EXITED: { target: 'stopping', actions: 'recordWorkerDeath' },
      },
    },
    running: {
      description:
        "DNS interception and the control socket are on; root answers the worker's few validated requests",
      on: {
        STOP: { target: 'stopping', actions: 'recordStop' },
        WORKER_EXITED: { target: 'stopping', actions: 'recordWorkerDeath' },
      },
    },
    stopping: {
      description: 'Stop the worker, remove every firewall rule, close the TUN device and sockets',
      on: { CLEANED: 'stopped' },
    },
    stopped: { type: 'final' },
  },
});
