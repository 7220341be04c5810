/** Entry point of `pqconnect`: the client daemon, or `pqconnect status`. */
import { runMain } from './args.ts';
import { runClientDaemon } from './client-daemon.ts';
import { runStatus } from './status.ts';

const [command, ...rest] = process.argv.slice(2);
runMain('pqconnect', () =>
  command === 'status' ? runStatus('client', rest) : runClientDaemon(process.argv.slice(2)),
);
