/**
 * Privilege separation: the root part starts the worker — the code that parses network
 * input — as an unprivileged user (no capabilities after the uid change), hands it only
 * the file descriptors it needs (TUN and UDP sockets) and talks to it over an IPC channel.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { FromWorker, ToWorker } from '../cli/ipc.ts';

export interface WorkerUser {
  name: string;
  uid: number;
  gid: number;
}

export async function lookupUser(name: string): Promise<WorkerUser> {
  const passwd = await readFile('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined)
      return { name, uid: Number(uid), gid: Number(gid) };
  }
  throw new Error(
    `user ${name} does not exist (create it: useradd --system --no-create-home --shell /usr/sbin/nologin ${name})`,
  );
}

const WORKER_SCRIPT = fileURLToPath(
  new URL(`../cli/worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/** The first descriptor number the worker sees for `fds` (after stdin, stdout, stderr, ipc). */
export const FIRST_PASSED_FD = 4;

export class WorkerProcess {
  private readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(user: WorkerUser, fds: number[], onMessage: (message: FromWorker) => void) {
    this.child = spawn(process.execPath, [...process.execArgv, WORKER_SCRIPT], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', ...fds],
      uid: user.uid,
      gid: user.gid,
      serialization: 'advanced',
      env: { PATH: '/usr/bin:/bin', NODE_ENV: 'production', HOME: '/nonexistent' },
    });
    this.child.on('message', (message) => onMessage(message as FromWorker));
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: ToWorker): void {
    if (this.child.connected) this.child.send(message);
  }

  /** Asks the worker to stop; kills it if it has not exited after `graceMs`. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send({ type: 'stop' });
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
