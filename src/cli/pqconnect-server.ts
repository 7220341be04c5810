/**
 * Entry point of `pqconnect-server`: the server daemon, or `pqconnect-server status`. A
 * command's modules load only when it runs, and the daemon's only after its options are
 * valid: `--version`, `--help` and usage errors answer at once.
 */
import { helpOrVersion, runMain } from './args.ts';
import { parseServerOptions, SERVER_HELP } from './server-options.ts';

const argv = process.argv.slice(2);
const [command, ...rest] = argv;
runMain('pqconnect-server', async () => {
  if (command === 'status') return (await import('./status.ts')).runStatus('server', rest);
  const parsed = await parseServerOptions(argv);
  if (typeof parsed === 'string')
    return helpOrVersion('pqconnect-server', SERVER_HELP, { [parsed]: true }) ?? 0;
  return (await import('./server-daemon.ts')).runServerDaemon(parsed.run);
});
