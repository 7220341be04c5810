/**
 * Runs inside a throw-away network namespace (started by test/io/firewall.test.ts): applies
 * one firewall backend's rules step by step and prints the rule listings after each step.
 */
import { run } from '../../src/io/commands.ts';
import { detectFirewall, removeStaleRules } from '../../src/io/firewall.ts';
import { iptablesFirewall } from '../../src/io/firewall-iptables.ts';
import { nftablesFirewall } from '../../src/io/firewall-nftables.ts';

const listing = async () =>
  `${await run('iptables-save', [])}\n${await run('nft', ['list', 'ruleset'])}`;
const backend = process.argv[2] === 'nftables' ? nftablesFirewall : iptablesFirewall;
const route = { internalAddress: '10.43.0.5', plainAddress: '203.0.113.7' };

await removeStaleRules();
const detected = (await detectFirewall()).name;
await backend.installNat('10.43.0.0/16', '10.43.0.1', 'pqccli0', 'bottle');
const dns = await backend.installDnsInterception(4242, true).then(
  () => 'installed',
  (error: Error) => `refused: ${error.message.split('\n')[0]}`,
);
await backend.addPlainRoute(route);
const withRoute = await listing();
await backend.removePlainRoute(route);
const withoutRoute = await listing();
await removeStaleRules();
const after = await listing();
process.stdout.write(JSON.stringify({ detected, dns, withRoute, withoutRoute, after }));
