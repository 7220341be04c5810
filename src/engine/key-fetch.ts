/**
 * The client's conversations with a key server (protocol.md §4): the ephemeral-key fetch
 * (one padded request, bounded retries with backoff) and one level of the static-key
 * download (a congestion-controlled NodeTransfer feeding the tree assembler). Both stop
 * at once when their abort signal fires: timers cleared, subscriptions ended, nothing
 * sent after that.
 */
import { filter, type Observable } from 'rxjs';
import {
  type EphemeralKeyResponse,
  encodeEphemeralKeyRequest,
  encodeStaticKeyRequest,
  type KeyResponse,
} from '../protocol/keyserver-messages.ts';
import type { KeyTreeAssembler } from '../protocol/keytree-assembler.ts';
import type { EngineClock } from '../shared/clock.ts';
import { catalogue, type SinkFor } from '../shared/counters.ts';
import {
  DEFAULT_TRANSFER_OPTIONS,
  NodeTransfer,
  type TransferOptions,
} from '../streams/key-transfer.ts';

export const KEY_FETCH_COUNTERS = catalogue({
  counts: ['key download packets', 'key download retransmissions'],
  drops: ['key download: node does not verify'],
});

export interface KeyServerEndpoint {
  address: string;
  port: number;
}

export interface SourcedKeyResponse {
  response: KeyResponse;
  address: string;
  port: number;
}

export interface KeyFetchContext {
  clock: EngineClock;
  responses: Observable<SourcedKeyResponse>;
  send(data: Uint8Array, address: string, port: number): void;
  counters: SinkFor<typeof KEY_FETCH_COUNTERS>;
  /** A key-tree node from this server did not verify: somebody forges answers. */
  noteForgery(server: KeyServerEndpoint): void;
}

export interface EphemeralFetch {
  keys: EphemeralKeyResponse;
  /** Time from the last request sent to the answer (a round-trip estimate). */
  rttMs: number;
}

function fromServer(server: KeyServerEndpoint) {
  return filter((r: SourcedKeyResponse) => r.address === server.address && r.port === server.port);
}

export function abortError(): Error {
  const error = new Error('aborted');
  error.name = 'AbortError';
  return error;
}

export function fetchEphemeralKeys(
  context: KeyFetchContext,
  server: KeyServerEndpoint,
  {
    attempts = 4,
    firstTimeoutMs = 500,
    signal,
  }: {
    attempts?: number;
    firstTimeoutMs?: number;
    signal?: AbortSignal;
  } = {},
): Promise<EphemeralFetch> {
  const { clock } = context;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortError());
      return;
    }
    let attempt = 0;
    let timer: unknown = null;
    let sentAt = clock.now();
    const stop = () => {
      clock.clearTimeout(timer);
      subscription.unsubscribe();
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      stop();
      reject(abortError());
    };
    const subscription = context.responses.pipe(fromServer(server)).subscribe(({ response }) => {
      if (response.kind !== 'ephemeral') return;
      stop();
      resolve({
        keys: { ekemPk: response.ekemPk, x25519Pk: response.x25519Pk },
        rttMs: clock.now() - sentAt,
      });
    });
    signal?.addEventListener('abort', onAbort);
    const request = encodeEphemeralKeyRequest();
    const send = () => {
      if (attempt >= attempts) {
        stop();
        reject(
          new Error(
            `no ephemeral key from ${server.address}:${server.port} after ${attempts} requests`,
          ),
        );
        return;
      }
      const timeout = firstTimeoutMs * 2 ** attempt;
      attempt++;
      sentAt = clock.now();
      context.send(request, server.address, server.port);
      timer = clock.setTimeout(send, timeout);
    };
    send();
  });
}

export async function transferLevel(
  context: KeyFetchContext,
  server: KeyServerEndpoint,
  assembler: KeyTreeAssembler,
  depth: number,
  options: TransferOptions = DEFAULT_TRANSFER_OPTIONS,
  signal?: AbortSignal,
): Promise<void> {
  if (signal?.aborted) throw abortError();
  const nodes = assembler.missing().filter((n) => n.depth === depth);
  const firstContact = depth === 1 ? { maxAttempts: options.firstContactAttempts } : {};
  const transfer = new NodeTransfer(
    nodes,
    (node) =>
      context.send(encodeStaticKeyRequest(node.depth, node.position), server.address, server.port),
    context.clock,
    { ...options, ...firstContact },
  );
  const subscription = context.responses.pipe(fromServer(server)).subscribe(({ response }) => {
    if (response.kind !== 'static') return;
    const outcome = assembler.insert(response.depth, response.position, response.node);
    if (outcome === 'rejected') {
      context.counters.drop('key download: node does not verify');
      context.noteForgery(server);
      return;
    }
    if (response.depth === depth)
      transfer.answered({ depth: response.depth, position: response.position });
  });
  const onAbort = () => transfer.abort(abortError());
  signal?.addEventListener('abort', onAbort);
  try {
    await transfer.run();
  } finally {
    signal?.removeEventListener('abort', onAbort);
    subscription.unsubscribe();
    transfer.cancel();
  }
  context.counters.add('key download packets', transfer.stats.sent);
  context.counters.add('key download retransmissions', transfer.stats.retransmitted);
}
