/** Entry point of `pqconnect`: the client daemon, `pqconnect status` or `pqconnect viz`. */
import { runMain } from './args.ts';
import { runClientDaemon } from './client-daemon.ts';
import { runStatus } from './status.ts';
import { runViz } from './viz.ts';

const [command, ...rest] = process.argv.slice(2);
runMain('pqconnect', () => {
  if (command === 'status' || command === '--show') return runStatus('client', rest);
  if (command === 'viz') return runViz(rest);
  return runClientDaemon(process.argv.slice(2));
});
