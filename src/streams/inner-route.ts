/**
 * Outbound routing of inner packets, shared by both engines: a local IPv4 packet is
 * inspected (the only time on its way out) and is delivered to the session that owns its
 * destination address (the client's data plane, the server's tunnel), or is counted as
 * dropped with the reason. A batch (one TUN read) reaches each session in runs: packets
 * in a row for the same session travel on as one batch.
 */

import {
  type CheckedIpv4Packet,
  checkedPacket,
  destinationOf,
  IPV4_FAILURES,
  inspectIpv4,
} from '../protocol/ipv4.ts';
import { catalogue, prefixed, type SinkFor } from '../shared/counters.ts';

export const INNER_ROUTE_COUNTERS = catalogue({
  counts: [],
  drops: [...prefixed('outbound: ', IPV4_FAILURES), 'outbound: no session for destination'],
});

type RouteCounters = SinkFor<typeof INNER_ROUTE_COUNTERS>;

function checkOutbound(packet: Uint8Array, counters: RouteCounters): CheckedIpv4Packet | null {
  const view = inspectIpv4(packet);
  if (view.ok) return checkedPacket(packet, view.value);
  counters.drop(`outbound: ${view.reason}`);
  return null;
}

/** Where routed packets find their session (a Map will do). */
export interface SessionsByAddress<Session> {
  get(address: number): Session | undefined;
}

function sessionFor<Session>(
  packet: CheckedIpv4Packet,
  sessionByAddress: SessionsByAddress<Session>,
  counters: RouteCounters,
): Session | undefined {
  const session = sessionByAddress.get(destinationOf(packet));
  if (session === undefined) counters.drop('outbound: no session for destination');
  return session;
}

/** Routes one packet at a time (the server seals each on the spot). */
export function routeInnerPackets<Session>(
  packets: readonly Uint8Array[],
  sessionByAddress: SessionsByAddress<Session>,
  deliver: (session: Session, packet: CheckedIpv4Packet) => void,
  counters: RouteCounters,
): void {
  for (const packet of packets) {
    const checked = checkOutbound(packet, counters);
    if (checked === null) continue;
    const session = sessionFor(checked, sessionByAddress, counters);
    if (session !== undefined) deliver(session, checked);
  }
}

/** Routes a batch in runs: each run holds consecutive packets for one session. */
export function routeInnerRuns<Session>(
  packets: readonly Uint8Array[],
  sessionByAddress: SessionsByAddress<Session>,
  deliver: (session: Session, run: readonly CheckedIpv4Packet[]) => void,
  counters: RouteCounters,
): void {
  let current: Session | undefined;
  let run: CheckedIpv4Packet[] = [];
  for (const packet of packets) {
    const checked = checkOutbound(packet, counters);
    if (checked === null) continue;
    const session = sessionFor(checked, sessionByAddress, counters);
    if (session === undefined) continue;
    if (session !== current && current !== undefined && run.length > 0) {
      deliver(current, run);
      run = [];
    }
    current = session;
    run.push(checked);
  }
  if (current !== undefined && run.length > 0) deliver(current, run);
}
