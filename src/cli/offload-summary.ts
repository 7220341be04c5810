/** The log line that says which kernel offloads a daemon asked for and got. */
import type { TunOpened } from '../io/native-io.ts';

export function describeOffloads(
  asked: boolean,
  tun: Pick<TunOpened, 'tso'>,
  sockets: { gro: boolean }[],
): string {
  if (!asked) return 'offloads: off (--offload off)';
  const onOff = (on: boolean) => (on ? 'on' : 'refused by the kernel');
  return `offloads: TUN TSO ${onOff(tun.tso)}, UDP GRO ${onOff(sockets.every((s) => s.gro))}, UDP GSO tried on first send`;
}
