/** Tiny benchmark helpers: run an operation for a time budget and report ops/s. */
import { performance } from 'node:perf_hooks';

export interface Measurement {
  name: string;
  opsPerSecond: number;
  iterations: number;
}

export async function measure(
  name: string,
  operation: () => unknown,
  { budgetMs = 400, minIterations = 3, maxIterations = 1_000_000 } = {},
): Promise<Measurement> {
  await operation();
  let iterations = 0;
  const start = performance.now();
  let elapsed = 0;
  while ((elapsed < budgetMs || iterations < minIterations) && iterations < maxIterations) {
    await operation();
    iterations++;
    elapsed = performance.now() - start;
  }
  return { name, opsPerSecond: (iterations * 1000) / elapsed, iterations };
}

export function formatRate(opsPerSecond: number): string {
  if (opsPerSecond >= 1000) return `${Math.round(opsPerSecond).toLocaleString('en-US')}`;
  return opsPerSecond.toFixed(opsPerSecond >= 10 ? 1 : 2);
}

export function printTable(
  title: string,
  columns: string[],
  rows: Map<string, Map<string, number>>,
): void {
  console.log(`\n${title}`);
  const width = Math.max(...[...rows.keys()].map((k) => k.length), 10);
  console.log(`${'operation'.padEnd(width)}  ${columns.map((c) => c.padStart(14)).join('  ')}`);
  for (const [row, values] of rows) {
    const cells = columns.map((c) =>
      (values.has(c) ? formatRate(values.get(c)!) : '-').padStart(14),
    );
    console.log(`${row.padEnd(width)}  ${cells.join('  ')}`);
  }
}
