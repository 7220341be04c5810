/**
 * The daemon's firewall. Plain-fallback NAT is always nftables (the table `ip pqconnect`
 * with a fallback map: a route is one map element, shutdown deletes the table at once
 * however many routes there are). DNS answers are diverted to the queue by nftables
 * where the kernel supports its `queue` statement, by iptables otherwise (its NFQUEUE
 * target works on kernels without nft queue, such as these machines'). Detection probes
 * nft in a throw-away table. Whichever is used, stale rules of both from a crashed run
 * are removed at start.
 */
import { runQuietly } from './commands.ts';
import { iptablesDnsDiversion } from './firewall-iptables.ts';
import {
  addNftablesRoute,
  installNftablesNat,
  nftablesDnsDiversion,
  removeNftablesRoute,
  removeNftablesTable,
} from './firewall-nftables.ts';
import type { DnsDiversion, NatMode, PlainRoute } from './firewall-types.ts';

export interface Firewall {
  /** Which tool diverts DNS answers. */
  readonly name: DnsDiversion['name'];
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

export function firewallWith(dns: DnsDiversion): Firewall {
  return {
    name: dns.name,
    async removeAll() {
      await dns.remove();
      await removeNftablesTable();
    },
    installDnsInterception: (queue, bottle) => dns.install(queue, bottle),
    installNat: installNftablesNat,
    addPlainRoute: addNftablesRoute,
    removePlainRoute: removeNftablesRoute,
  };
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
  return firewallWith((await nftQueueSupported()) ? nftablesDnsDiversion : iptablesDnsDiversion);
}

/** Removes what either backend may have left behind. */
export async function removeStaleRules(): Promise<void> {
  await iptablesDnsDiversion.remove();
  await removeNftablesTable();
}
