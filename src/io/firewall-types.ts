/**
 * What the firewall modules share: the NAT modes, a DNS diversion backend (iptables or
 * nftables) and a plain-fallback route. Apart so the backends and firewall.ts, which
 * picks one, do not import each other.
 */

/** How plain-fallback NAT applies: to this host, or also to hosts it forwards for. */
export type NatMode = 'local' | 'host-ip' | 'bottle';

/** Sends DNS answers (UDP source port 53) to an NFQUEUE queue, with bypass. */
export interface DnsDiversion {
  readonly name: 'iptables' | 'nftables';
  install(queue: number, bottle: boolean): Promise<void>;
  remove(): Promise<void>;
}

/** One plain-fallback route: traffic to the internal address goes to the plain one. */
export interface PlainRoute {
  internalAddress: string;
  plainAddress: string;
}
