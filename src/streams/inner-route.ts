/**
 * Outbound routing of inner packets, shared by both engines: a local IPv4 packet is
 * inspected (the only time on its way out) and is delivered to the session that owns its
 * destination address (the client's data plane, the server's tunnel), or is counted as
 * dropped with the reason.
 */

import {
  type CheckedIpv4Packet,
  checkedPacket,
  IPV4_FAILURES,
  inspectIpv4,
} from '../protocol/ipv4.ts';
import { catalogue, prefixed, type SinkFor } from '../shared/counters.ts';

export const INNER_ROUTE_COUNTERS = catalogue({
  counts: [],
  drops: [...prefixed('outbound: ', IPV4_FAILURES), 'outbound: no session for destination'],
});

export function routeInnerPacket<Session>(
  packet: Uint8Array,
  sessionByAddress: ReadonlyMap<number, Session>,
  deliver: (session: Session, packet: CheckedIpv4Packet) => void,
  counters: SinkFor<typeof INNER_ROUTE_COUNTERS>,
): void {
  const view = inspectIpv4(packet);
  if (!view.ok) {
    counters.drop(`outbound: ${view.reason}`);
    return;
  }
  const session = sessionByAddress.get(view.value.destination);
  if (session === undefined) {
    counters.drop('outbound: no session for destination');
    return;
  }
  deliver(session, checkedPacket(packet, view.value));
}
