/**
 * The daemon's local control socket: a Unix socket in /run/pqconnect readable only by root
 * and the pqconnect group. A client writes one command line ("status") and reads one JSON
 * document back. No key material ever goes through it.
 */
import { chmod, chown, mkdir, rm } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';

export const RUN_DIR = '/run/pqconnect';

export function controlSocketPath(role: 'client' | 'server'): string {
  return `${RUN_DIR}/${role}.sock`;
}

export async function serveControlSocket(
  path: string,
  gid: number,
  handle: (command: string) => Promise<unknown>,
): Promise<Server> {
  await mkdir(RUN_DIR, { recursive: true, mode: 0o750 });
  await chown(RUN_DIR, 0, gid);
  await rm(path, { force: true });
  const server = createServer((socket) => {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      buffer += chunk;
      const newline = buffer.indexOf('\n');
      if (newline < 0) {
        if (buffer.length > 256) socket.destroy();
        return;
      }
      const command = buffer.slice(0, newline).trim();
      handle(command).then(
        (answer) => socket.end(`${JSON.stringify(answer)}\n`),
        (error: Error) => socket.end(`${JSON.stringify({ error: error.message })}\n`),
      );
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chown(path, 0, gid);
  await chmod(path, 0o660);
  return server;
}

export function queryControlSocket(
  path: string,
  command: string,
  timeoutMs = 5_000,
): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${path}`));
    }, timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk) => {
      answer += chunk;
    });
    socket.on('end', () => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(answer));
      } catch {
        reject(new Error(`malformed answer from ${path}`));
      }
    });
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot reach the daemon at ${path}: ${error.message}`));
    });
  });
}
