/**
 * Creating and configuring the TUN device (privileged part): open it through the addon
 * (with virtio-net headers and TSO when offload is asked for), give it its address and
 * MTU and bring it up with iproute2. The device disappears by itself when the last
 * process holding its file descriptor exits.
 */
import { run } from './commands.ts';
import { nativeIo, type TunOpened } from './native-io.ts';

export interface TunSettings {
  name: string;
  address: string;
  prefixLength: number;
  mtu: number;
  offload: boolean;
}

export async function createTun(settings: TunSettings): Promise<TunOpened> {
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(settings.name))
    throw new Error(`invalid interface name: ${settings.name}`);
  const device = nativeIo().tunOpen(settings.name, settings.offload);
  try {
    await run('ip', [
      'addr',
      'replace',
      `${settings.address}/${settings.prefixLength}`,
      'dev',
      device.name,
    ]);
    await run('ip', ['link', 'set', 'dev', device.name, 'mtu', String(settings.mtu), 'up']);
  } catch (error) {
    nativeIo().closeFd(device.fd);
    throw error;
  }
  return device;
}
