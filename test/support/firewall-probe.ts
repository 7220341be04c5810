/**
 * Runs inside a throw-away network namespace (started by test/io/firewall.test.ts): applies
 * the firewall with one DNS diversion backend step by step and prints the rule listings
 * after each step, and how long removing everything takes with 1 and with 250 routes.
 */
import { run } from '../../src/io/commands.ts';
import { detectFirewall, firewallWith, removeStaleRules } from '../../src/io/firewall.ts';
import { iptablesDnsDiversion } from '../../src/io/firewall-iptables.ts';
import { nftablesDnsDiversion } from '../../src/io/firewall-nftables.ts';

const listing = async () =>
  `${await run('iptables-save', [])}\n${await run('nft', ['list', 'ruleset'])}`;
const firewall = firewallWith(
  process.argv[2] === 'nftables' ? nftablesDnsDiversion : iptablesDnsDiversion,
);
const route = { internalAddress: '10.43.0.5', plainAddress: '203.0.113.7' };

async function removalMs(routes: number): Promise<number> {
  await firewall.installNat('10.43.0.0/16', '10.43.0.1', 'pqccli0', 'local');
  for (let i = 0; i < routes; i++)
    await firewall.addPlainRoute({
      internalAddress: `10.43.1.${i + 1}`,
      plainAddress: '203.0.113.8',
    });
  const start = performance.now();
  await firewall.removeAll();
  return Math.round(performance.now() - start);
}

await removeStaleRules();
const detected = (await detectFirewall()).name;
await firewall.installNat('10.43.0.0/16', '10.43.0.1', 'pqccli0', 'bottle');
const dns = await firewall.installDnsInterception(4242, true).then(
  () => 'installed',
  (error: Error) => `refused: ${error.message.split('\n')[0]}`,
);
await firewall.addPlainRoute(route);
const withRoute = await listing();
await firewall.removePlainRoute(route);
const withoutRoute = await listing();
await removeStaleRules();
const after = await listing();
const removal = { one: await removalMs(1), many: await removalMs(250) };
const afterMany = await listing();
process.stdout.write(
  JSON.stringify({ detected, dns, withRoute, withoutRoute, after, removal, afterMany }),
);
