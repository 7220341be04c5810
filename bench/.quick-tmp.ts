import { createLab } from '../demo/lab.ts';
import { BIN, createServerKeys, startClientDaemon, startDns, startServerDaemon } from '../demo/scenario.ts';
import { iperfTcp, pingAverageMs } from './net-measure.ts';
const extra = process.argv.slice(2);
const lab = await createLab('pqq');
try {
  const scenario = await createServerKeys(lab);
  await startDns(lab, scenario);
  await startServerDaemon(lab, scenario, extra);
  await startClientDaemon(lab, extra);
  lab.start(lab.server, 'iperf3', ['-s'], 'iperf');
  const target = (await lab.run(lab.client, 'getent', ['hosts', 'www.demo.test'])).stdout.split(/\s+/)[0]!;
  console.log('ping', await pingAverageMs(lab, lab.client, target));
  for (let i = 0; i < 2; i++) console.log('tcp', (await iperfTcp(lab, lab.client, target, 4)).mbitPerSecond.toFixed(0));
  const r = await lab.run(lab.client, 'iperf3', ['-c', target, '-t', '3', '-R', '-J']);
  console.log('tcp -R', (JSON.parse(r.stdout).end.sum_received.bits_per_second / 1e6).toFixed(0));
  console.log(lab.logs('client').split('\n').filter((l) => /offload|drop|error/i.test(l)).slice(0, 5).join('\n'));
  console.log((await lab.run(lab.client, BIN('pqconnect'), ['status'])).stdout.split('\n').filter((l) => /drop|refused/.test(l)).join('\n'));
} finally { await lab.destroy(); }
