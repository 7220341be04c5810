/**
 * The key-server pipeline (protocol.md §4): every datagram on the key port is answered
 * with a tree node or the current ephemeral keys if, and only if, it is a well-formed
 * request exactly as long as its answer. Everything else is dropped and counted.
 */
import type { Subscription } from 'rxjs';
import {
  answerKeyRequest,
  type EphemeralKeyResponse,
  KEY_MESSAGE_FAILURES,
} from '../protocol/keyserver-messages.ts';
import type { KeyTree } from '../protocol/keytree.ts';
import { catalogue, prefixed, type SinkFor } from '../shared/counters.ts';
import type { DatagramTransport } from '../shared/transport.ts';

export const KEY_SERVER_COUNTERS = catalogue({
  counts: ['key server answers'],
  drops: prefixed('key server: ', KEY_MESSAGE_FAILURES),
});

export function serveKeys(
  transport: DatagramTransport,
  tree: KeyTree,
  currentEphemeral: () => EphemeralKeyResponse | null,
  counters: SinkFor<typeof KEY_SERVER_COUNTERS>,
): Subscription {
  const source = {
    node: (depth: number, position: number) => tree.nodes[depth]![position]!,
    currentEphemeral,
  };
  return transport.datagrams.subscribe((batch) => {
    for (const { data, address, port } of batch) {
      const answer = answerKeyRequest(data, source);
      if (!answer.ok) {
        counters.drop(`key server: ${answer.reason}`);
        continue;
      }
      counters.add('key server answers');
      transport.send(answer.value, address, port);
    }
  });
}
