/**
 * The firewall rules through iptables (iptables-nft on current Debian), all in chains of
 * their own so that they can be found and removed as a whole — at exit, and at start
 * when a crashed run left them behind:
 *   filter PQCONNECT-DNS  (jumped to from INPUT): DNS answers (UDP source port 53) to
 *                          NFQUEUE, with queue-bypass so DNS works while no daemon listens
 *   nat    PQCONNECT-NAT  (jumped to from OUTPUT): plain-fallback DNAT of an internal
 *                          address to the server's real address
 *   nat    PQCONNECT-SNAT (jumped to from POSTROUTING): fallback packets leave with the
 *                          outgoing interface's address, not the tunnel address
 * In client-in-a-bottle mode the DNS and NAT chains are also jumped to for forwarded
 * traffic (FORWARD, PREROUTING), for the machines whose traffic this host carries.
 */
import { run, runQuietly } from './commands.ts';
import type { Firewall, NatMode, PlainRoute } from './firewall.ts';

const DNS_CHAIN = 'PQCONNECT-DNS';
const NAT_CHAIN = 'PQCONNECT-NAT';
const SNAT_CHAIN = 'PQCONNECT-SNAT';

const JUMPS: { table: string; from: string; chain: string }[] = [
  { table: 'filter', from: 'INPUT', chain: DNS_CHAIN },
  { table: 'filter', from: 'FORWARD', chain: DNS_CHAIN },
  { table: 'nat', from: 'OUTPUT', chain: NAT_CHAIN },
  { table: 'nat', from: 'PREROUTING', chain: NAT_CHAIN },
  { table: 'nat', from: 'POSTROUTING', chain: SNAT_CHAIN },
];

async function removeAllRules(): Promise<void> {
  for (const { table, from, chain } of JUMPS) {
    while (await runQuietly('iptables', ['-t', table, '-D', from, '-j', chain])) {}
  }
  for (const [table, chain] of [
    ['filter', DNS_CHAIN],
    ['nat', NAT_CHAIN],
    ['nat', SNAT_CHAIN],
  ] as const) {
    await runQuietly('iptables', ['-t', table, '-F', chain]);
    await runQuietly('iptables', ['-t', table, '-X', chain]);
  }
}

/**
 * DNS answers to NFQUEUE: those for this host (INPUT) and, in client-in-a-bottle mode,
 * those this host forwards to the machines it protects (FORWARD).
 */
async function installDnsInterception(queue: number, bottle: boolean): Promise<void> {
  await run('iptables', ['-N', DNS_CHAIN]);
  const divert = ['-p', 'udp', '--sport', '53', '-j', 'NFQUEUE', '--queue-num', String(queue)];
  await run('iptables', ['-A', DNS_CHAIN, ...divert, '--queue-bypass']);
  await run('iptables', ['-I', 'INPUT', '1', '-j', DNS_CHAIN]);
  if (bottle) await run('iptables', ['-I', 'FORWARD', '1', '-j', DNS_CHAIN]);
}

/**
 * NAT for plain fallback and source addresses, by mode:
 *   local   — fallback DNAT for this host's own traffic (OUTPUT); fallback packets leave
 *             with the outgoing interface's address (MASQUERADE)
 *   host-ip — also for traffic this host forwards (PREROUTING): client-in-a-bottle for one
 *             host, whose decrypted traffic is delivered to it directly
 *   bottle  — as host-ip, and forwarded traffic enters the tunnel as this host's tunnel
 *             address (SNAT), so any number of machines can route through it
 */
async function installNatChains(
  tunnelNetwork: string,
  ownAddress: string,
  tunName: string,
  mode: NatMode,
): Promise<void> {
  await run('iptables', ['-t', 'nat', '-N', NAT_CHAIN]);
  await run('iptables', ['-t', 'nat', '-I', 'OUTPUT', '1', '-j', NAT_CHAIN]);
  if (mode !== 'local')
    await run('iptables', ['-t', 'nat', '-I', 'PREROUTING', '1', '-j', NAT_CHAIN]);
  await run('iptables', ['-t', 'nat', '-N', SNAT_CHAIN]);
  const masquerade = ['-s', tunnelNetwork, '!', '-o', tunName, '-j', 'MASQUERADE'];
  await run('iptables', ['-t', 'nat', '-A', SNAT_CHAIN, ...masquerade]);
  if (mode === 'bottle') {
    const intoTunnel = [
      '-o',
      tunName,
      '!',
      '-s',
      ownAddress,
      '-j',
      'SNAT',
      '--to-source',
      ownAddress,
    ];
    await run('iptables', ['-t', 'nat', '-A', SNAT_CHAIN, ...intoTunnel]);
  }
  await run('iptables', ['-t', 'nat', '-I', 'POSTROUTING', '1', '-j', SNAT_CHAIN]);
}

function natRule(route: PlainRoute): string[] {
  return [
    '-d',
    `${route.internalAddress}/32`,
    '-j',
    'DNAT',
    '--to-destination',
    route.plainAddress,
  ];
}

/**
 * Adds the DNAT rule, then forgets connection-tracking state for the internal address:
 * connections whose first packets went into the tunnel while PQ was being tried would
 * otherwise keep bypassing the new rule.
 */
async function addPlainRoute(route: PlainRoute): Promise<void> {
  await run('iptables', ['-t', 'nat', '-A', NAT_CHAIN, ...natRule(route)]);
  await runQuietly('conntrack', ['-D', '-d', route.internalAddress]);
}

async function removePlainRoute(route: PlainRoute): Promise<void> {
  await runQuietly('iptables', ['-t', 'nat', '-D', NAT_CHAIN, ...natRule(route)]);
}

export const iptablesFirewall: Firewall = {
  name: 'iptables',
  removeAll: removeAllRules,
  installDnsInterception,
  installNat: installNatChains,
  addPlainRoute,
  removePlainRoute,
};
