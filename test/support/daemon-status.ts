/** `pqconnect status --json` of the client daemon in the lab's client namespace. */
import type { Lab } from '../../demo/lab.ts';

export interface ClientStatus {
  workerPid: number;
  sessions: { state: unknown; name: string }[];
  counters: Record<string, number>;
}

export async function clientStatus(lab: Lab): Promise<ClientStatus> {
  const result = await lab.run(lab.client, process.execPath, [
    '--import',
    'tsx',
    'src/cli/pqconnect.ts',
    'status',
    '--json',
  ]);
  return JSON.parse(result.stdout);
}
