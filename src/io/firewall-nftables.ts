/**
 * The nftables table `ip pqconnect`, deleted as a whole at exit and at start:
 *   dns_input / dns_forward   DNS answers (UDP source port 53) to the queue, with bypass
 *                             (where the kernel has the nftables `queue` statement)
 *   nat_output / nat_prerouting  plain-fallback DNAT through the map @fallback
 *                             (internal address : server address), one element per server,
 *                             so adding or removing a route is one element and the
 *                             table's deletion removes any number of them at once
 *   nat_postrouting           fallback packets leave with the interface's address; in
 *                             bottle mode, forwarded traffic enters the tunnel as ours
 */
import { run, runQuietly } from './commands.ts';
import type { DnsDiversion, NatMode, PlainRoute } from './firewall-types.ts';

const TABLE = ['ip', 'pqconnect'];

async function ensureTable(): Promise<void> {
  await run('nft', ['add', 'table', ...TABLE]);
}

async function addChain(
  name: string,
  hook: string,
  type: 'filter' | 'nat',
  priority: number,
): Promise<void> {
  await run('nft', [
    'add',
    'chain',
    ...TABLE,
    name,
    `{ type ${type} hook ${hook} priority ${priority}; }`,
  ]);
}

export async function removeNftablesTable(): Promise<void> {
  await runQuietly('nft', ['delete', 'table', ...TABLE]);
}

export const nftablesDnsDiversion: DnsDiversion = {
  name: 'nftables',

  async install(queue, bottle) {
    await ensureTable();
    const chains = bottle
      ? [
          ['dns_input', 'input'],
          ['dns_forward', 'forward'],
        ]
      : [['dns_input', 'input']];
    for (const [name, hook] of chains as [string, string][]) {
      await addChain(name, hook, 'filter', 0);
      await run('nft', [
        'add',
        'rule',
        ...TABLE,
        name,
        'udp',
        'sport',
        '53',
        'queue',
        'num',
        String(queue),
        'bypass',
      ]);
    }
  },

  remove: removeNftablesTable,
};

export async function installNftablesNat(
  tunnelNetwork: string,
  ownAddress: string,
  tunName: string,
  mode: NatMode,
): Promise<void> {
  await ensureTable();
  await run('nft', ['add', 'map', ...TABLE, 'fallback', '{ type ipv4_addr : ipv4_addr; }']);
  const dnatChains =
    mode === 'local'
      ? [['nat_output', 'output']]
      : [
          ['nat_output', 'output'],
          ['nat_prerouting', 'prerouting'],
        ];
  for (const [name, hook] of dnatChains as [string, string][]) {
    await addChain(name, hook, 'nat', -100);
    await run('nft', [
      'add',
      'rule',
      ...TABLE,
      name,
      'dnat',
      'to',
      'ip',
      'daddr',
      'map',
      '@fallback',
    ]);
  }
  await addChain('nat_postrouting', 'postrouting', 'nat', 100);
  await run('nft', [
    'add',
    'rule',
    ...TABLE,
    'nat_postrouting',
    'ip',
    'saddr',
    tunnelNetwork,
    'oifname',
    '!=',
    tunName,
    'masquerade',
  ]);
  if (mode === 'bottle') {
    await run('nft', [
      'add',
      'rule',
      ...TABLE,
      'nat_postrouting',
      'oifname',
      tunName,
      'ip',
      'saddr',
      '!=',
      ownAddress,
      'snat',
      'to',
      ownAddress,
    ]);
  }
}

const element = (route: PlainRoute) => `{ ${route.internalAddress} : ${route.plainAddress} }`;

/**
 * Adds the map element, then forgets connection-tracking state for the internal address:
 * connections whose first packets went into the tunnel while PQ was being tried would
 * otherwise keep bypassing the new mapping.
 */
export async function addNftablesRoute(route: PlainRoute): Promise<void> {
  await run('nft', ['add', 'element', ...TABLE, 'fallback', element(route)]);
  await runQuietly('conntrack', ['-D', '-d', route.internalAddress]);
}

export async function removeNftablesRoute(route: PlainRoute): Promise<void> {
  await runQuietly('nft', ['delete', 'element', ...TABLE, 'fallback', element(route)]);
}
