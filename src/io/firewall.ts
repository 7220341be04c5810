/**
 * The daemon's firewall, behind one interface with two implementations: nftables (a
 * table of its own, `ip pqconnect`) where the kernel supports the nftables `queue`
 * statement, iptables otherwise (its NFQUEUE target works on kernels without nft queue,
 * such as these machines'). Detection probes nft in a throw-away table. Whichever is
 * used, stale rules of both from a crashed run are removed at start.
 */
import { runQuietly } from './commands.ts';
import { iptablesFirewall } from './firewall-iptables.ts';
import { nftablesFirewall } from './firewall-nftables.ts';

/** How plain-fallback NAT applies: to this host, or also to hosts it forwards for. */
export type NatMode = 'local' | 'host-ip' | 'bottle';

export interface Firewall {
  readonly name: 'iptables' | 'nftables';
  removeAll(): Promise<void>;
  installDnsInterception(queue: number, bottle: boolean): Promise<void>;
  installNat(
    tunnelNetwork: string,
    ownAddress: string,
    tunName: string,
    mode: NatMode,
  ): Promise<void>;
  addPlainRoute(route: PlainRoute): Promise<void>;
  removePlainRoute(route: PlainRoute): Promise<void>;
}

const PROBE_TABLE = 'pqconnect_probe';

/** True when nft exists and this kernel accepts an nftables queue rule. */
export async function nftQueueSupported(): Promise<boolean> {
  await runQuietly('nft', ['delete', 'table', 'ip', PROBE_TABLE]);
  const ok =
    (await runQuietly('nft', ['add', 'table', 'ip', PROBE_TABLE])) &&
    (await runQuietly('nft', [
      'add',
      'chain',
      'ip',
      PROBE_TABLE,
      'input',
      '{ type filter hook input priority 0; }',
    ])) &&
    (await runQuietly('nft', [
      'add',
      'rule',
      'ip',
      PROBE_TABLE,
      'input',
      'udp',
      'sport',
      '53',
      'queue',
      'num',
      '65000',
      'bypass',
    ]));
  await runQuietly('nft', ['delete', 'table', 'ip', PROBE_TABLE]);
  return ok;
}

export async function detectFirewall(): Promise<Firewall> {
  return (await nftQueueSupported()) ? nftablesFirewall : iptablesFirewall;
}

/** Removes what either backend may have left behind. */
export async function removeStaleRules(): Promise<void> {
  await iptablesFirewall.removeAll();
  await nftablesFirewall.removeAll();
}

export interface PlainRoute {
  internalAddress: string;
  plainAddress: string;
}
