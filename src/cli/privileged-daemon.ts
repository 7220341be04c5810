/**
 * What both daemons' root parts share: start the unprivileged worker with the file
 * descriptors it needs, relay status queries from the control socket, and shut down
 * cleanly on SIGINT/SIGTERM or when the worker dies — running every registered cleanup
 * (rules, devices, sockets) exactly once, in reverse order.
 */
import type { Server } from 'node:net';
import { controlSocketPath, serveControlSocket } from '../io/control-socket.ts';
import { WorkerProcess, type WorkerUser } from '../io/worker-process.ts';
import type { FromWorker, ToWorker } from './ipc.ts';

export type Logger = (message: string) => void;

export class PrivilegedDaemon {
  private readonly cleanups: (() => Promise<void> | void)[] = [];
  private worker: WorkerProcess | null = null;
  private readonly statusWaiters = new Map<number, (status: unknown) => void>();
  private nextStatusId = 1;
  private stopping: Promise<void> | null = null;
  private readonly done: Promise<number>;
  private finish: (code: number) => void = () => {};
  private controlServer: Server | null = null;
  private markReady: () => void = () => {};
  private readonly ready = new Promise<void>((resolve) => {
    this.markReady = resolve;
  });

  constructor(
    readonly role: 'client' | 'server',
    readonly log: Logger,
  ) {
    this.done = new Promise((resolve) => {
      this.finish = resolve;
    });
    const onSignal = (signal: string) => {
      this.log(`${signal} received, shutting down`);
      void this.shutdown(0);
    };
    process.once('SIGINT', () => onSignal('SIGINT'));
    process.once('SIGTERM', () => onSignal('SIGTERM'));
  }

  /** Registers a cleanup to run at shutdown (last registered runs first). */
  onShutdown(cleanup: () => Promise<void> | void): void {
    this.cleanups.push(cleanup);
  }

  startWorker(
    user: WorkerUser,
    fds: number[],
    onMessage: (message: FromWorker) => void,
  ): WorkerProcess {
    const worker = new WorkerProcess(user, fds, (message) => {
      if (message.type === 'ready') this.markReady();
      if (message.type === 'status') {
        this.statusWaiters.get(message.id)?.(message.status);
        this.statusWaiters.delete(message.id);
        return;
      }
      onMessage(message);
    });
    this.worker = worker;
    this.log(`worker started as ${user.name} (uid ${user.uid}, pid ${worker.pid})`);
    void worker.exited.then((code) => {
      if (this.stopping === null) {
        this.log(`worker exited unexpectedly (code ${code}); shutting down`);
        void this.shutdown(1);
      }
    });
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

  async serveStatus(gid: number): Promise<void> {
    this.controlServer = await serveControlSocket(
      controlSocketPath(this.role),
      gid,
      async (command) => {
        if (command !== 'status') throw new Error(`unknown command: ${command}`);
        return this.workerStatus();
      },
    );
    this.onShutdown(
      () => new Promise<void>((resolve) => this.controlServer?.close(() => resolve())),
    );
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
        resolve({ pid: process.pid, workerPid: this.worker?.pid, ...(status as object) });
      });
      this.send({ type: 'status', id });
    });
  }

  /** Resolves with the exit code once the daemon has shut down. */
  finished(): Promise<number> {
    return this.done;
  }

  shutdown(code: number): Promise<void> {
    this.stopping ??= (async () => {
      await this.worker?.stop();
      for (const cleanup of this.cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          this.log(`cleanup failed: ${(error as Error).message}`);
        }
      }
      this.log('stopped; rules and devices removed');
      this.finish(code);
    })();
    return this.stopping;
  }
}
