/** Entry point of `pqconnect-server`: the server daemon, or `pqconnect-server status`. */
import { runMain } from './args.ts';
import { runServerDaemon } from './server-daemon.ts';
import { runStatus } from './status.ts';

const [command, ...rest] = process.argv.slice(2);
runMain('pqconnect-server', () =>
  command === 'status' ? runStatus('server', rest) : runServerDaemon(process.argv.slice(2)),
);
