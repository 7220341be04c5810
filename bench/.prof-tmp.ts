import { createLab } from '../demo/lab.ts';
import { BIN, createServerKeys, startClientDaemon, startDns, startServerDaemon } from '../demo/scenario.ts';
import { execFileSync } from 'node:child_process';
const lab = await createLab('pqf');
try {
  const scenario = await createServerKeys(lab);
  await startDns(lab, scenario);
  const node = [process.execPath, '--perf-basic-prof'];
  await startServerDaemon(lab, scenario, [], [...node, BIN('pqconnect-server')]);
  await startClientDaemon(lab, [], [...node, BIN('pqconnect')]);
  lab.start(lab.server, 'iperf3', ['-s'], 'iperf');
  await lab.run(lab.client, 'ping', ['-c', '3', 'www.demo.test'], 10000);
  const status = JSON.parse((await lab.run(lab.client, BIN('pqconnect'), ['status', '--json'])).stdout);
  const sstatus = JSON.parse((await lab.run(lab.server, BIN('pqconnect-server'), ['status', '--json'])).stdout);
  const run = lab.run(lab.client, 'iperf3', ['-c', 'www.demo.test', '-t', '8'], 30000);
  await new Promise((r) => setTimeout(r, 1500));
  execFileSync('perf', ['record', '-F', '999', '-g', '-o', '/tmp/prof/client.data', '-p', String(status.workerPid), '--', 'sleep', '4'], { stdio: 'ignore' });
  console.log((await run).stdout.split('\n').slice(-4).join('\n'));
  const run2 = lab.run(lab.client, 'iperf3', ['-c', 'www.demo.test', '-t', '8'], 30000);
  await new Promise((r) => setTimeout(r, 1500));
  execFileSync('perf', ['record', '-F', '999', '-g', '-o', '/tmp/prof/server.data', '-p', String(sstatus.workerPid), '--', 'sleep', '4'], { stdio: 'ignore' });
  console.log((await run2).stdout.split('\n').slice(-4).join('\n'));
} finally { await lab.destroy(); }
