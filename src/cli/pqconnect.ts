/**
 * Entry point of `pqconnect`: the client daemon, `pqconnect status` or `pqconnect viz`.
 * `--show` anywhere among the options (the deployed tool's spelling) means status;
 * verbosity flags beside it are accepted and ignored. A command's modules load only when
 * it runs, and the daemon's only after its options are valid: `--version`, `--help` and
 * usage errors answer at once.
 */
import { helpOrVersion, runMain } from './args.ts';
import { CLIENT_HELP, parseClientOptions } from './client-options.ts';

const argv = process.argv.slice(2);
const [command, ...rest] = argv;
const VERBOSITY = /^(-v+|--verbose|--very-verbose)$/;
runMain('pqconnect', async () => {
  if (command === 'status') return (await import('./status.ts')).runStatus('client', rest);
  if (argv.includes('--show'))
    return (await import('./status.ts')).runStatus(
      'client',
      argv.filter((arg) => arg !== '--show' && !VERBOSITY.test(arg)),
    );
  if (command === 'viz') return (await import('./viz.ts')).runViz(rest);
  const parsed = parseClientOptions(argv);
  if (typeof parsed === 'string')
    return helpOrVersion('pqconnect', CLIENT_HELP, { [parsed]: true }) ?? 0;
  return (await import('./client-daemon.ts')).runClientDaemon(parsed.run);
});
