/**
 * Outbound routing of inner packets, shared by both engines: a local IPv4 packet goes to
 * the data plane of the session that owns its destination address, or is counted as
 * dropped with the reason.
 */

import { inspectIpv4 } from '../protocol/ipv4.ts';
import type { Counters } from '../shared/counters.ts';
import type { SessionDataPlane } from './data-policy.ts';

export function routeInnerPacket(
  packet: Uint8Array,
  sessionByAddress: ReadonlyMap<number, { dataPlane: SessionDataPlane }>,
  counters: Counters,
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
  session.dataPlane.send(packet);
}
