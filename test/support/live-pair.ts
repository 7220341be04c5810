/** A live viz server fed by an engine pair's transitions (for the secrets and browser tests). */
import type { Server } from 'node:http';
import { after } from 'node:test';
import { merge } from 'rxjs';
import { startLiveServer } from '../../src/viz/live-server.ts';
import type { Pair } from './engine-harness.ts';

export async function liveServerFor(pair: Pair): Promise<{ server: Server; url: string }> {
  const server = await startLiveServer(
    {
      transitions: merge(pair.client.events.transitions, pair.server.events.transitions),
      status: async () => ({
        sessions: pair.client.sessions(),
        counters: pair.client.counters.toJSON(),
      }),
    },
    0,
  );
  after(() => {
    server.closeAllConnections();
    server.close();
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, url: `http://127.0.0.1:${address.port}/` };
}
