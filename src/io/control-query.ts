/**
 * Asks a daemon's control socket one command and reads its one JSON answer (`status`).
 * Apart from the socket server so the `status` command loads nothing else.
 */
import { createConnection } from 'node:net';

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
