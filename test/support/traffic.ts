/** Traffic from the lab's client host by name: the demo page with curl, and ping's summary. */
import type { Lab } from '../../demo/lab.ts';

/** `curl http://www.demo.test/` from the client host, giving up after `seconds`. */
export async function curlDemoPage(lab: Lab, seconds: number) {
  return lab.run(
    lab.client,
    'curl',
    ['-sS', '--max-time', String(seconds), 'http://www.demo.test/'],
    (seconds + 5) * 1000,
  );
}

/** The average RTT in ms and the loss in % from ping's summary. */
export function pingSummary(output: string): { loss: number; avg: number } {
  const loss = Number(/([\d.]+)% packet loss/.exec(output)?.[1] ?? Number.NaN);
  const avg = Number(/= [\d.]+\/([\d.]+)\//.exec(output)?.[1] ?? Number.NaN);
  return { loss, avg };
}

/** 10 pings at 5/s from the client host by name. */
export async function shortPing(lab: Lab): Promise<{ loss: number; avg: number; output: string }> {
  const ping = await lab.run(
    lab.client,
    'ping',
    ['-c', '10', '-i', '0.2', 'www.demo.test'],
    20_000,
  );
  return { ...pingSummary(ping.stdout), output: ping.stdout };
}

/** 350 pings at 5/s from the client host by name: 70 s, across at least two epoch ratchets. */
export async function soakPing(lab: Lab): Promise<{ loss: number; avg: number; output: string }> {
  const ping = await lab.run(
    lab.client,
    'ping',
    ['-c', '350', '-i', '0.2', '-q', 'www.demo.test'],
    90_000,
  );
  return { ...pingSummary(ping.stdout), output: ping.stdout };
}
