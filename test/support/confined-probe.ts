/**
 * Run as a child process by test/io/worker-confinement.test.ts: confines itself exactly
 * as the worker does (unless PROBE_UNCONFINED=1, the control run), then reports (one JSON line on stdout) which operations still
 * work and which the seccomp filter refused, with their error codes.
 */
import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { readFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { confineWorker } from '../../src/io/worker-confinement.ts';

const code = (error: unknown) => (error as NodeJS.ErrnoException | undefined)?.code ?? 'ok';

function attempt(operation: () => void): string {
  try {
    operation();
    return 'ok';
  } catch (error) {
    return code(error);
  }
}

const allowed = process.env.PROBE_UNCONFINED === '1' ? 0 : confineWorker();
const status = readFileSync('/proc/self/status', 'utf8');
const report: Record<string, unknown> = {
  allowed,
  seccomp: /^Seccomp:\s+(\d+)/m.exec(status)?.[1],
  spawn: code(spawnSync('/bin/true', { stdio: 'ignore' }).error),
  writeFile: attempt(() => writeFileSync(process.argv[2] ?? '/nonexistent', 'x')),
  readFile: attempt(() => readFileSync('/etc/hostname')),
  killOther: attempt(() => process.kill(1, 0)),
};
report.udpSocket = await new Promise<string>((resolve) => {
  const socket = createSocket('udp4');
  socket.on('error', (error) => resolve(code(error)));
  socket.bind(0, () => {
    socket.close();
    resolve('ok');
  });
});
report.thread = await new Promise<string>((resolve) => {
  const thread = new Worker('require("node:worker_threads").parentPort.postMessage(6 * 7)', {
    eval: true,
  });
  thread.on('message', (value) => resolve(String(value)));
  thread.on('error', (error) => resolve(code(error)));
});
report.timer = await new Promise<string>((resolve) => setTimeout(() => resolve('ok'), 5));
process.stdout.write(`${JSON.stringify(report)}\n`);
