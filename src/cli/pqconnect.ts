/**
 * Entry point of `pqconnect`: the client daemon, `pqconnect status` or `pqconnect viz`.
 * `--show` anywhere among the options (the deployed tool's spelling) means status;
 * verbosity flags beside it are accepted and ignored.
 */
import { runMain } from './args.ts';
import { runClientDaemon } from './client-daemon.ts';
import { runStatus } from './status.ts';
import { runViz } from './viz.ts';

const argv = process.argv.slice(2);
const [command, ...rest] = argv;
const VERBOSITY = /^(-v+|--verbose|--very-verbose)$/;
runMain('pqconnect', () => {
  if (command === 'status') return runStatus('client', rest);
  if (argv.includes('--show'))
    return runStatus(
      'client',
      argv.filter((arg) => arg !== '--show' && !VERBOSITY.test(arg)),
    );
  if (command === 'viz') return runViz(rest);
  return runClientDaemon(process.argv.slice(2));
});
