/**
 * What both daemons' root parts share: start the unprivileged worker with the file
 * descriptors it needs, relay status queries from the control socket, and shut down
 * cleanly on SIGINT, SIGTERM or SIGHUP (a hang-up stops cleanly; start it again to
 * reload), when the worker dies or when it breaks the protocol — a repeated signal does
 * not interrupt the cleanup, and a log reader that went away (EPIPE) changes nothing —
 * running every registered cleanup (rules, devices, sockets) exactly once, in reverse
 * order. What root keeps for the worker is bounded: 500 transitions of at most 8 KiB.
 */
import { open } from 'node:fs/promises';
import { concat, defer, from, Subject } from 'rxjs';
import { type Actor, createActor } from 'xstate';
import { daemonSupervisorMachine } from '../actors/daemon-supervisor.ts';
import { errorText } from '../actors/error-text.ts';
import { SessionEventBus, type SessionTransition } from '../engine/session-events.ts';
import { type ControlServer, serveControlSocket } from '../io/control-socket.ts';
import { WorkerProcess, type WorkerUser } from '../io/worker-process.ts';
import { systemClock } from '../shared/clock.ts';
import { packageVersion } from './args.ts';
import { daemonLogger, type LogFormat, type Logger, workerLineLevel } from './daemon-log.ts';
import { decodeFromWorker, type FromWorker, MAX_FROM_WORKER_BYTES, type ToWorker } from './ipc.ts';
import type { MetricsAddress } from './log-options.ts';

const RECENT_TRANSITIONS = 500;

export class PrivilegedDaemon {
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private readonly statusFacts: (() => Record<string, unknown>)[] = [];
  private worker: WorkerProcess<FromWorker, ToWorker> | null = null;
  private readonly statusWaiters = new Map<number, (status: unknown) => void>();
  private nextStatusId = 1;
  private readonly startedAt = Date.now();
  private readonly version = packageVersion();
  private stopping: Promise<void> | null = null;
  private readonly done: Promise<number>;
  private finish: (code: number) => void = () => {};
  private controlServer: ControlServer | null = null;
  /** Session and supervisor transitions, for `watch` and the trace file. */
  readonly transitions = new Subject<SessionTransition>();
  /** The latest transitions, replayed to a new watcher so it sees every session's state. */
  private readonly recentTransitions: SessionTransition[] = [];
  /** The lifecycle as a state machine, for status and the auditors' visualizer. */
  readonly supervisor: Actor<typeof daemonSupervisorMachine>;
  private markReady: () => void = () => {};
  private readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(
    readonly role: 'client' | 'server',
    readonly log: Logger,
    private readonly logFormat: LogFormat = 'text',
  ) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    this.transitions.subscribe((t) => {
      this.recentTransitions.push(t);
      if (this.recentTransitions.length > RECENT_TRANSITIONS) this.recentTransitions.shift();
    });
    const bus = new SessionEventBus(systemClock);
    bus.transitions.subscribe((t) => this.transitions.next(t));
    this.supervisor = createActor(daemonSupervisorMachine, {
      inspect: bus.inspector(`${role}-daemon`, 'daemonSupervisor'),
    }).start();
    const onSignal = (signal: string) => {
      if (this.stopping !== null) {
        this.log(`${signal} received, already shutting down`);
        return;
      }
      this.log(`${signal} received, shutting down`);
      this.requestShutdown(0);
    };
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
      process.on(signal, () => onSignal(signal));
    for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
  }

  /** Adds root's own facts to every status answer (next to the worker's). */
  addStatus(facts: () => Record<string, unknown>): void {
    this.statusFacts.push(facts);
  }

  /** Registers a cleanup to run at shutdown (last registered runs first). */
  onShutdown(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  /**
   * Starts the worker (PQCONNECT_TEST_WORKER names another script, for the hostile-worker
   * tests; it runs as the same unprivileged user). A message that breaks the protocol
   * stops the worker and shuts the daemon down cleanly, with one log line.
   */
  startWorker(
    user: WorkerUser,
    fds: number[],
    onMessage: (message: FromWorker) => void,
  ): WorkerProcess<FromWorker, ToWorker> {
    const worker = new WorkerProcess<FromWorker, ToWorker>(
      user,
      fds,
      {
        maxFrameBytes: MAX_FROM_WORKER_BYTES,
        decode: decodeFromWorker,
        onMessage: (message) => {
          if (message.type === 'ready') {
            this.supervisor.send({ type: 'WORKER_READY' });
            this.markReady();
          }
          if (message.type === 'transition') {
            this.transitions.next(message.transition);
            return;
          }
          if (message.type === 'status') {
            this.statusWaiters.get(message.id)?.(message.status);
            this.statusWaiters.delete(message.id);
            return;
          }
          onMessage(message);
        },
        onLogLine: (line) => {
          const { message, level } = workerLineLevel(line);
          daemonLogger(`pqconnect-worker[${worker.pid}]`, this.logFormat)(message, level);
        },
        onViolation: (reason) => {
          if (this.stopping !== null) return;
          this.log(`the worker sent ${reason}; stopping it and shutting down`, 'warn');
          this.requestShutdown(1);
        },
      },
      process.env.PQCONNECT_TEST_WORKER,
    );
    this.worker = worker;
    this.supervisor.send({ type: 'WORKER_STARTED', pid: worker.pid ?? -1 });
    this.log(`worker started as ${user.name} (uid ${user.uid}, pid ${worker.pid})`);
    worker.exited
      .then((code) => {
        this.supervisor.send({ type: 'WORKER_EXITED', code });
        if (this.stopping === null) {
          this.log(`worker exited unexpectedly (code ${code}); shutting down`, 'warn');
          this.requestShutdown(1);
        }
      })
      .catch((error: unknown) =>
        this.log(`worker supervision failed: ${errorText(error)}`, 'warn'),
      );
    return worker;
  }

  /** Resolves when the worker reports its engine running; fails if it does not within 60 s. */
  async workerReady(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the worker did not start within 60 s')), 60_000);
    });
    try {
      await Promise.race([
        this.ready,
        timeout,
        this.done.then(() => Promise.reject(new Error('stopped before the worker was ready'))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  send(message: ToWorker): void {
    this.worker?.send(message);
  }

  /** `--metrics`: Prometheus metrics from the worker's status, served until shutdown;
   * `instance` (a farm's --instance) goes into pqconnect_info. */
  async serveMetrics(
    address: MetricsAddress | undefined,
    instance: string | null = null,
  ): Promise<void> {
    if (address === undefined) return;
    const { startMetrics } = await import('./daemon-metrics.ts');
    this.onShutdown(
      await startMetrics(this.role, () => this.workerStatus(), address, this.log, instance),
    );
  }

  async serveStatus(gid: number, runDir: string): Promise<void> {
    this.controlServer = await serveControlSocket(runDir, this.role, gid, (command) => {
      if (command === 'status') return { once: this.workerStatus() };
      if (command === 'watch') {
        return {
          stream: concat(
            defer(() => from([...this.recentTransitions])),
            this.transitions,
          ),
        };
      }
      throw new Error(`unknown command: ${command}`);
    });
    this.onShutdown(() => this.controlServer?.close());
  }

  workerStatus(timeoutMs = 2_000): Promise<unknown> {
    const id = this.nextStatusId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.statusWaiters.delete(id);
        resolve({ error: 'worker did not answer' });
      }, timeoutMs);
      this.statusWaiters.set(id, (status) => {
        clearTimeout(timer);
        const facts = Object.assign({}, ...this.statusFacts.map((f) => f()));
        // Root's own facts last: a worker's answer cannot replace them.
        resolve({
          ...(status as object),
          version: this.version,
          pid: process.pid,
          workerPid: this.worker?.pid,
          startedAt: new Date(this.startedAt).toISOString(),
          uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
          ...facts,
        });
      });
      this.send({ type: 'status', id });
    });
  }

  /**
   * Appends every transition to `path` as JSON lines (created 0600; no key material). A
   * failed write (a full disk) is logged once and ends the trace; the daemon carries on.
   */
  async recordTrace(path: string): Promise<void> {
    const file = await open(path, 'a', 0o600);
    let writes = Promise.resolve();
    const subscription = this.transitions.subscribe((t) => {
      writes = writes
        .then(() => file.appendFile(`${JSON.stringify(t)}\n`))
        .catch((error: unknown) => {
          if (subscription.closed) return;
          subscription.unsubscribe();
          this.log(`trace file ${path}: ${errorText(error)}; tracing stopped`, 'warn');
        });
    });
    this.onShutdown(async () => {
      subscription.unsubscribe();
      await writes;
      await file.close();
    });
  }

  /** Resolves with the exit code once the daemon has shut down. */
  finished(): Promise<number> {
    return this.done;
  }

  /**
   * Runs the start-up steps, then waits for the shutdown. A step that fails undoes what
   * the steps before it set up (worker, rules, devices) before its error is reported.
   */
  async run(start: () => Promise<void>): Promise<number> {
    try {
      await start();
    } catch (error) {
      await this.shutdown(1);
      throw error;
    }
    return this.finished();
  }

  /** Starts the shutdown from an event handler; its outcome is logged, never lost. */
  requestShutdown(code: number): void {
    this.shutdown(code).catch((error: unknown) => {
      this.log(`shutdown failed: ${errorText(error)}`, 'warn');
      this.finish(1);
    });
  }

  shutdown(code: number): Promise<void> {
    this.stopping ??= (async () => {
      this.supervisor.send({ type: 'STOP', reason: code === 0 ? 'signal' : 'failure' });
      await this.worker?.stop({ type: 'stop' });
      for (const cleanup of this.cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.log(`cleanup failed: ${(error as Error).message}`, 'warn');
        }
      }
      this.supervisor.send({ type: 'CLEANED' });
      this.log('stopped; rules and devices removed');
      this.finish(code);
    })();
    return this.stopping;
  }
}
