/**
 * npm run bench:startup — how fast each installed command answers `--version`, run as a
 * user would (bin/ with plain node, from /), over several runs: wall time (min / median /
 * max, measured around the whole process) and the largest peak RSS (GNU time's %M). Target: pqconnect --version ≤ 150 ms.
 */
import { spawnSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/', import.meta.url));
const RUNS = 15;
const COMMANDS: string[][] = [
  ['pqconnect', '--version'],
  ['pqconnect-server', '--version'],
  ['pqconnect-keygen', '--version'],
  ['pqconnect-server-check', '--version'],
  ['pqconnect', '--help'],
  ['pqconnect', 'status', '--help'],
];

function once(command: string[]): { ms: number; peakKib: number } {
  const [tool, ...args] = command;
  const start = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '%e %M', `${BIN}${tool}`, ...args], {
    cwd: '/',
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`${command.join(' ')} failed: ${run.stderr}`);
  const ms = performance.now() - start;
  const peakKib = Number(run.stderr.trim().split('\n').at(-1)!.split(' ')[1]);
  return { ms, peakKib };
}

console.log(`\nStartup of the compiled commands (${RUNS} runs each after one warm-up, cwd /)`);
console.log(
  `${'command'.padEnd(34)} ${'min ms'.padStart(7)} ${'median'.padStart(7)} ${'max'.padStart(7)} ${'peak RSS'.padStart(9)}`,
);
for (const command of COMMANDS) {
  once(command);
  const runs = Array.from({ length: RUNS }, () => once(command));
  const times = runs.map((r) => r.ms).sort((a, b) => a - b);
  const peak = Math.max(...runs.map((r) => r.peakKib));
  console.log(
    `${command.join(' ').padEnd(34)} ${times[0]!.toFixed(0).padStart(7)} ${times[Math.floor(RUNS / 2)]!.toFixed(0).padStart(7)} ${times.at(-1)!.toFixed(0).padStart(7)} ${`${(peak / 1024).toFixed(0)} MiB`.padStart(9)}`,
  );
}
