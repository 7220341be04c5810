/**
 * `pqconnect viz --live`: serves the auditors' page on 127.0.0.1 with the live view on,
 * streams session transitions to it as server-sent events, and answers /status. The
 * transitions come from any source — a daemon's control socket, or an embedded engine's
 * `events.transitions` — and carry states and public facts only, never key material.
 */
import { createServer, type Server } from 'node:http';
import type { Observable } from 'rxjs';
import type { SessionTransition } from '../engine/session-events.ts';
import { laidOutMachines } from './export.ts';
import { renderPage } from './page.ts';
import { protocolDocumentHtml } from './protocol-document.ts';

export interface LiveSource {
  transitions: Observable<SessionTransition>;
  status(): Promise<unknown>;
}

export async function startLiveServer(
  source: LiveSource,
  port: number,
  host = '127.0.0.1',
): Promise<Server> {
  const page = renderPage({
    machines: await laidOutMachines(),
    protocol: await protocolDocumentHtml(),
    live: true,
  });
  const recent: SessionTransition[] = [];
  const clients = new Set<(t: SessionTransition) => void>();
  const subscription = source.transitions.subscribe((t) => {
    recent.push(t);
    if (recent.length > 500) recent.shift();
    for (const send of clients) send(t);
  });
  const server = createServer((request, response) => {
    if (request.url === '/' || request.url === '/index.html') {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
      });
      response.end(page);
    } else if (request.url === '/events') {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-store',
        connection: 'keep-alive',
      });
      const send = (t: SessionTransition) => response.write(`data: ${JSON.stringify(t)}\n\n`);
      for (const t of recent) send(t);
      clients.add(send);
      request.on('close', () => clients.delete(send));
    } else if (request.url === '/status') {
      source.status().then(
        (status) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify(status));
        },
        (error: Error) => {
          response.writeHead(502, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ error: error.message }));
        },
      );
    } else {
      response.writeHead(404);
      response.end();
    }
  });
  server.on('close', () => subscription.unsubscribe());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
