/**
 * `pqconnect status [--json]` / `pqconnect-server status [--json]`: asks the running daemon
 * over its control socket and prints the sessions (state, addresses, epochs, packets).
 */
import { queryControlSocket } from '../io/control-query.ts';
import { controlSocketPath } from '../io/run-dir.ts';
import { parse, runDirOption } from './args.ts';
import { stateText } from './transition-words.ts';

interface SessionRow {
  name?: string;
  id: string;
  state: unknown;
  realAddress?: string;
  peer?: string;
  internalAddress: string;
  sendEpoch: number | null;
  receiveEpoch: number | null;
  packetsIn: number;
  packetsOut: number;
  fallbackReason?: string | null;
}

export async function runStatus(role: 'client' | 'server', argv: string[]): Promise<number> {
  const options = parse(argv, {
    json: { type: 'boolean' },
    'run-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (options.help) {
    process.stdout.write(
      `Usage: ${role === 'client' ? 'pqconnect' : 'pqconnect-server'} status [--json] [--run-dir DIR]\n`,
    );
    return 0;
  }
  const socket = controlSocketPath(role, runDirOption(options['run-dir']));
  const status = (await queryControlSocket(socket, 'status')) as {
    error?: string;
    sessions?: SessionRow[];
    counters?: Record<string, number>;
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return status.error ? 1 : 0;
  }
  if (status.error) throw new Error(status.error);
  const sessions = status.sessions ?? [];
  process.stdout.write(`${sessions.length} session(s)\n`);
  for (const s of sessions) {
    const who = s.name ?? s.peer ?? s.id.slice(0, 16);
    const where = s.realAddress
      ? `${s.internalAddress} -> ${s.realAddress}`
      : `${s.peer} as ${s.internalAddress}`;
    process.stdout.write(
      `  ${who}\n    state ${stateText(s.state)}, ${where}, epochs send ${s.sendEpoch ?? '-'} receive ${s.receiveEpoch ?? '-'}, packets in ${s.packetsIn} out ${s.packetsOut}\n`,
    );
    if (s.fallbackReason) process.stdout.write(`    plain fallback: ${s.fallbackReason}\n`);
  }
  const drops = Object.entries(status.counters ?? {}).filter(([name]) => name.startsWith('drop: '));
  if (drops.length > 0)
    process.stdout.write(`dropped: ${drops.map(([n, v]) => `${n.slice(6)} ${v}`).join('; ')}\n`);
  return 0;
}
