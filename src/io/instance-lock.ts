/**
 * One daemon per role and network namespace, and one per run directory. The per-namespace
 * lock is an abstract Unix socket (`@pqconnect/client`): binding it is atomic, it is
 * scoped to the network namespace whose rules and devices two daemons would fight over,
 * the kernel releases it when the holder dies (no stale lock after a crash), and it
 * answers a newcomer with the holder's pid. The run directory is claimed by its control
 * socket: a socket that still answers belongs to a live daemon (perhaps in another
 * namespace) and is never removed. Both are checked before any rule or device is touched.
 */
import { createConnection, createServer, type Server } from 'node:net';

export class AlreadyRunningError extends Error {}

export interface InstanceLock {
  release(): Promise<void>;
}

const ASK_TIMEOUT_MS = 1_000;

/** The first line a Unix socket at `path` answers, or null if nobody listens there. */
function firstLineAt(path: string): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    let text = '';
    const done = (value: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(() => done(text), ASK_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      text += chunk;
      if (text.includes('\n')) done(text.slice(0, text.indexOf('\n')));
    });
    socket.on('end', () => done(text));
    socket.on('error', () => done(null));
  });
}

function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * Takes the lock `name` (the daemons use `pqconnect/client` and `pqconnect/server`) in
 * this network namespace, or throws AlreadyRunningError naming the holder's pid.
 */
export async function takeInstanceLock(lockName: string): Promise<InstanceLock> {
  const name = `\0${lockName}`;
  const server = createServer((socket) => socket.end(`${process.pid}\n`));
  try {
    await listen(server, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    const pid = (await firstLineAt(name))?.trim();
    throw new AlreadyRunningError(`already running (pid ${/^\d+$/.test(pid ?? '') ? pid : '?'})`);
  }
  server.unref();
  return { release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** True when something accepts connections on the Unix socket at `path`. */
function isListening(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    socket.on('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/**
 * Refuses a run directory whose control socket still answers: it belongs to a live
 * daemon, which a new one must not disturb.
 */
export async function checkRunDirectoryFree(socketPath: string, runDir: string): Promise<void> {
  if (!(await isListening(socketPath))) return;
  throw new AlreadyRunningError(
    `${socketPath} belongs to another running instance; give this one its own --run-dir (not ${runDir})`,
  );
}
