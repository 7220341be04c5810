/**
 * DNS interception through iptables (iptables-nft on current Debian), for kernels whose
 * nftables lack the `queue` statement (these machines'): the chain PQCONNECT-DNS, jumped
 * to from INPUT (and FORWARD in client-in-a-bottle mode), sends DNS answers (UDP source
 * port 53) to NFQUEUE with queue-bypass, so DNS works while no daemon listens. It is
 * removed as a whole at exit, and at start when a crashed run left it behind.
 */
import { run, runQuietly } from './commands.ts';
import type { DnsDiversion } from './firewall-types.ts';

const DNS_CHAIN = 'PQCONNECT-DNS';
const JUMPED_FROM = ['INPUT', 'FORWARD'];

export const iptablesDnsDiversion: DnsDiversion = {
  name: 'iptables',

  async install(queue, bottle) {
    await run('iptables', ['-N', DNS_CHAIN]);
    const divert = ['-p', 'udp', '--sport', '53', '-j', 'NFQUEUE', '--queue-num', String(queue)];
    await run('iptables', ['-A', DNS_CHAIN, ...divert, '--queue-bypass']);
    await run('iptables', ['-I', 'INPUT', '1', '-j', DNS_CHAIN]);
    if (bottle) await run('iptables', ['-I', 'FORWARD', '1', '-j', DNS_CHAIN]);
  },

  async remove() {
    for (const from of JUMPED_FROM)
      while (await runQuietly('iptables', ['-D', from, '-j', DNS_CHAIN])) {}
    await runQuietly('iptables', ['-F', DNS_CHAIN]);
    await runQuietly('iptables', ['-X', DNS_CHAIN]);
  },
};
