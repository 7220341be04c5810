/**
 * Privilege separation: the root part starts the worker — the code that parses network
 * input — as an unprivileged user with every capability set empty and no_new_privs
 * (through setpriv, before the worker executes), hands it only
 * the file descriptors it needs (TUN and UDP sockets) and talks to it over a socket pair
 * at fd 3 carrying size-capped frames (frame-channel.ts) checked against a schema. A
 * worker that breaks the protocol is reported once and stopped. Its stderr comes to root
 * line by line, made printable, so it cannot forge root's log lines.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Decoded, FrameChannel } from './frame-channel.ts';
import { workerExecArgv } from './node-flags.ts';

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

const DEFAULT_WORKER_SCRIPT = fileURLToPath(
  new URL(`../cli/worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/** util-linux's setpriv: changes user and drops privileges between fork and exec. */
const SETPRIV = '/usr/bin/setpriv';

/**
 * The worker runs as `user` with no supplementary groups, empty inheritable, ambient and
 * bounding capability sets and no_new_privs, all set before it executes: nothing it runs
 * can regain a privilege. (Dropping the bounding set needs CAP_SETPCAP in root.)
 */
function confinement(user: WorkerUser): string[] {
  return [
    `--reuid=${user.uid}`,
    `--regid=${user.gid}`,
    '--clear-groups',
    '--inh-caps=-all',
    '--ambient-caps=-all',
    '--bounding-set=-all',
    '--no-new-privs',
    '--',
  ];
}

/** The worker's channel to root. */
export const CHANNEL_FD = 3;
/** The first descriptor number the worker sees for `fds` (after stdin, stdout, stderr, channel). */
export const FIRST_PASSED_FD = 4;

export interface WorkerProtocol<In> {
  maxFrameBytes: number;
  decode(value: unknown): Decoded<In>;
  onMessage(message: In): void;
  /** The worker broke the protocol (it is being stopped). */
  onViolation(reason: string): void;
  /** One line the worker wrote to stderr, made printable and at most 1,000 characters. */
  onLogLine(line: string): void;
}

const MAX_LOG_LINE = 1_000;

/** A worker's log text as one printable line: control characters become `?`. */
function printable(text: string): string {
  let out = '';
  for (const char of text.slice(0, MAX_LOG_LINE)) {
    const code = char.charCodeAt(0);
    out += code < 0x20 || code === 0x7f ? '?' : char;
  }
  return out;
}

/** Splits a stream into lines for `emit`; a line longer than the limit is cut there. */
function lines(stream: NodeJS.ReadableStream, emit: (line: string) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    for (let newline = partial.indexOf('\n'); newline >= 0; newline = partial.indexOf('\n')) {
      emit(printable(partial.slice(0, newline)));
      partial = partial.slice(newline + 1);
    }
    if (partial.length > MAX_LOG_LINE) {
      emit(printable(partial));
      partial = '';
    }
  });
  stream.on('end', () => {
    if (partial.length > 0) emit(printable(partial));
  });
}

export class WorkerProcess<In, Out> {
  private readonly child: ChildProcess;
  private readonly channel: FrameChannel<In, Out>;
  readonly exited: Promise<number | null>;

  constructor(
    user: WorkerUser,
    fds: number[],
    protocol: WorkerProtocol<In>,
    script = DEFAULT_WORKER_SCRIPT,
  ) {
    this.child = spawn(
      SETPRIV,
      [...confinement(user), process.execPath, ...workerExecArgv(process.execArgv), script],
      {
        stdio: ['ignore', 'ignore', 'pipe', 'pipe', ...fds],
        env: { PATH: '/usr/bin:/bin', NODE_ENV: 'production', HOME: '/nonexistent' },
      },
    );
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
    if (this.child.stderr !== null) lines(this.child.stderr, protocol.onLogLine);
    this.channel = new FrameChannel<In, Out>(this.child.stdio[CHANNEL_FD] as Duplex, {
      maxFrameBytes: protocol.maxFrameBytes,
      decode: protocol.decode,
      onMessage: protocol.onMessage,
      onViolation: (reason) => {
        protocol.onViolation(reason);
        this.child.kill('SIGKILL');
      },
      onClose: () => {},
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  send(message: Out): void {
    this.channel.send(message);
  }

  /** Asks the worker to stop (`stopMessage`); kills it if it has not exited after `graceMs`. */
  async stop(stopMessage: Out, graceMs = 2_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.send(stopMessage);
    this.channel.close();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
