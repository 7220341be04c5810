/**
 * Installed in every test process (scripts/test.sh passes it with --import): any
 * unhandled promise rejection or uncaught exception, also one that happens after a test
 * has finished, is printed and makes the process — and so the test run — fail.
 */
function fail(kind: string, error: unknown): void {
  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`\n${kind} in ${process.argv[1] ?? 'test process'}:\n${text}\n`);
  process.exitCode = 1;
}

process.on('unhandledRejection', (reason) => fail('unhandledRejection', reason));
process.on('uncaughtException', (error) => fail('uncaughtException', error));
