/**
 * `pqconnect status [--json]` / `pqconnect-server status [--json]`: asks the running daemon
 * over its control socket and prints the daemon and its sessions (status-text.ts), or the
 * daemon's JSON document as it is.
 */
import { queryControlSocket } from '../io/control-query.ts';
import { controlSocketPath } from '../io/run-dir.ts';
import { parse, runDirOption } from './args.ts';
import { type StatusDocument, statusText } from './status-text.ts';

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
  const status = (await queryControlSocket(socket, 'status')) as StatusDocument & {
    error?: string;
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return status.error ? 1 : 0;
  }
  if (status.error) throw new Error(status.error);
  process.stdout.write(statusText(status, role, Date.now()));
  return 0;
}
