/**
 * `-vv`'s debug detail: every interval, one line naming the counters (drops by reason,
 * handshakes, retries) that moved since the last line, with how much. Quiet when
 * nothing moved, so an idle daemon logs nothing.
 */
export function counterChanges(
  before: Record<string, number>,
  now: Record<string, number>,
): string | null {
  const moved = Object.entries(now)
    .map(([name, value]) => [name, value - (before[name] ?? 0)] as const)
    .filter(([, delta]) => delta !== 0)
    .map(([name, delta]) => `${name} +${delta}`);
  return moved.length === 0 ? null : `counters moved: ${moved.join(', ')}`;
}

/** Starts the interval; the returned function stops it. */
export function logCounterChanges(
  read: () => Record<string, number>,
  log: (line: string) => void,
  intervalMs = 10_000,
): () => void {
  let last = read();
  const timer = setInterval(() => {
    const now = read();
    const line = counterChanges(last, now);
    last = now;
    if (line !== null) log(line);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
