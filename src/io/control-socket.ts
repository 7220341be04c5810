/**
 * The daemon's local control socket: a Unix socket in the run directory (/run/pqconnect
 * unless `--run-dir` says otherwise) readable only by root and the pqconnect group. A client writes one command line and reads either one JSON
 * document ("status") or a stream of JSON lines until it hangs up ("watch": session
 * transitions). No key material ever goes through it. (One-answer queries: control-query.ts.)
 */
import { chmod, chown, rm } from 'node:fs/promises';
import { createConnection, createServer, type Socket } from 'node:net';
import { Observable } from 'rxjs';
import { makeDirectory } from './directories.ts';
import { checkRunDirectoryFree } from './instance-lock.ts';
import { controlSocketPath } from './run-dir.ts';

/** A command's answer: one document, or a stream of documents. */
export type ControlAnswer = { once: Promise<unknown> } | { stream: Observable<unknown> };

export interface ControlServer {
  /** Stops listening and ends every connection (watchers included) at once. */
  close(): Promise<void>;
}

export async function serveControlSocket(
  runDir: string,
  role: 'client' | 'server',
  gid: number,
  handle: (command: string) => ControlAnswer,
): Promise<ControlServer> {
  const path = controlSocketPath(role, runDir);
  await makeDirectory(runDir, 0o750);
  await chown(runDir, 0, gid);
  await checkRunDirectoryFree(path, runDir);
  await rm(path, { force: true });
  const connections = new Set<Socket>();
  const server = createServer((socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
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
      buffer = '';
      let answer: ControlAnswer;
      try {
        answer = handle(command);
      } catch (error) {
        socket.end(`${JSON.stringify({ error: (error as Error).message })}\n`);
        return;
      }
      if ('once' in answer) {
        answer.once.then(
          (value) => socket.end(`${JSON.stringify(value)}\n`),
          (error: Error) => socket.end(`${JSON.stringify({ error: error.message })}\n`),
        );
        return;
      }
      const subscription = answer.stream.subscribe({
        next: (value) => socket.write(`${JSON.stringify(value)}\n`),
        complete: () => socket.end(),
      });
      socket.on('close', () => subscription.unsubscribe());
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  await chown(path, 0, gid);
  await chmod(path, 0o660);
  return {
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of connections) socket.destroy();
      }),
  };
}

/** Streams the JSON lines a command answers with, until unsubscribed or the daemon hangs up. */
export function watchControlSocket(path: string, command = 'watch'): Observable<unknown> {
  return new Observable((subscriber) => {
    const socket = createConnection(path);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${command}\n`));
    socket.on('data', (chunk) => {
      buffer += chunk;
      for (let newline = buffer.indexOf('\n'); newline >= 0; newline = buffer.indexOf('\n')) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        try {
          subscriber.next(JSON.parse(line));
        } catch {
          subscriber.error(new Error(`malformed line from ${path}`));
        }
      }
    });
    socket.on('end', () => subscriber.complete());
    socket.on('error', (error) =>
      subscriber.error(new Error(`cannot reach the daemon at ${path}: ${error.message}`)),
    );
    return () => socket.destroy();
  });
}
