/**
 * The V8 flags each daemon process runs with. The root parts (bin/pqconnect and
 * bin/pqconnect-server carry ROOT_NODE_FLAGS on their `#!/usr/bin/env -S node` line) handle
 * a few messages a second: a 1 MiB young generation, no optimizing compiler and no V8
 * helper threads keep them under 50 MiB RSS. The worker carries every packet, so it keeps
 * V8's defaults (a smaller young generation cost a quarter of the tunnel's throughput in
 * bench:daemon); it inherits whatever else root was started with (tests: the tsx loader).
 */

export const ROOT_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=1',
  '--single-threaded',
  '--no-opt',
];

/** The worker's node arguments: root's own, without the root-only memory flags. */
export function workerExecArgv(rootExecArgv: readonly string[]): string[] {
  return rootExecArgv.filter((flag) => !ROOT_NODE_FLAGS.includes(flag));
}
