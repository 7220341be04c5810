/**
 * `pqconnect viz`: the auditors' state charts.
 *   pqconnect viz --out DIR [--coverage FILE] [--trace FILE]   write the static page and
 *       Mermaid, DOT and JSON for every machine
 *   pqconnect viz --live [--port N] [--role client|server]     serve the page on 127.0.0.1
 *       with the running daemon's sessions live
 *   pqconnect viz --check                                      check the safety properties
 *       of every chart; exit 1 when one fails
 */
import { readFile } from 'node:fs/promises';
import { filter } from 'rxjs';
import type { SessionTransition } from '../engine/session-events.ts';
import { queryControlSocket } from '../io/control-query.ts';
import { watchControlSocket } from '../io/control-socket.ts';
import { controlSocketPath } from '../io/run-dir.ts';
import { exportCharts } from '../viz/export.ts';
import { machineGraph } from '../viz/graph.ts';
import { startLiveServer } from '../viz/live-server.ts';
import { MACHINES } from '../viz/machines.ts';
import { checkProperties, type PropertyVerdict } from '../viz/properties.ts';
import { choiceOption, parse, portOption, runDirOption, UsageError } from './args.ts';

export const VIZ_HELP = `Usage: pqconnect viz --out DIR [--coverage FILE] [--trace FILE]
       pqconnect viz --live [--port PORT] [--role client|server] [--run-dir DIR]
       pqconnect viz --check

  --out DIR         write index.html (self-contained) and .mmd, .dot, .json per machine
  --coverage FILE   mark the transitions the model-based tests exercised (JSON)
  --trace FILE      embed a trace recorded with --trace (JSON lines) for replay
  --live            serve the page on 127.0.0.1 with the running daemon's sessions
  --port PORT       port for --live (default 8042)
  --role ROLE       which daemon to watch: client or server (default client)
  --run-dir DIR     the daemon's control socket directory (default /run/pqconnect)
  --check           check the safety properties of every chart (exit 1 if one fails)
`;

/** One property's verdict as lines of text. */
export function verdictText(verdict: PropertyVerdict): string {
  const head = `${verdict.holds ? 'holds' : 'FAILS'}  ${verdict.machine}: ${verdict.id}\n        ${verdict.words}`;
  const example = verdict.counterexample;
  if (example === null) return head;
  const path = example.path.length > 0 ? `\n        path: ${example.path.join(' → ')}` : '';
  return `${head}\n        counterexample: ${example.words}${path}`;
}

function runCheck(): number {
  const graphs = MACHINES.map(({ name, title, machine, events }) =>
    machineGraph(name, title, machine, events),
  );
  const verdicts = checkProperties(graphs);
  const failing = verdicts.filter((v) => !v.holds).length;
  process.stdout.write(`${verdicts.map(verdictText).join('\n')}\n`);
  process.stdout.write(
    `pqconnect viz --check: ${verdicts.length} properties, ${failing === 0 ? 'all hold' : `${failing} FAIL`}\n`,
  );
  return failing === 0 ? 0 : 1;
}

function isTransition(value: unknown): value is SessionTransition {
  return typeof value === 'object' && value !== null && 'sessionId' in value && 'state' in value;
}

export async function runViz(argv: string[]): Promise<number> {
  const options = parse(argv, {
    out: { type: 'string' },
    coverage: { type: 'string' },
    trace: { type: 'string' },
    live: { type: 'boolean' },
    port: { type: 'string' },
    role: { type: 'string' },
    'run-dir': { type: 'string' },
    check: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (options.help) {
    process.stdout.write(VIZ_HELP);
    return 0;
  }
  if (options.check) return runCheck();
  if (options.live) {
    const role = choiceOption(options.role, 'role', ['client', 'server'] as const, 'client');
    const port = portOption(options.port, 'port', 8042);
    const socket = controlSocketPath(role, runDirOption(options['run-dir']));
    await queryControlSocket(socket, 'status');
    const server = await startLiveServer(
      {
        transitions: watchControlSocket(socket).pipe(filter(isTransition)),
        status: () => queryControlSocket(socket, 'status'),
      },
      port,
    );
    process.stdout.write(
      `pqconnect viz: live view of the ${role} daemon at http://127.0.0.1:${port}/ (Ctrl-C to stop)\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = () => server.close(() => resolve());
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    return 0;
  }
  if (options.out === undefined)
    throw new UsageError('give --out DIR (static charts), --live or --check');
  const coverage =
    options.coverage === undefined
      ? undefined
      : JSON.parse(await readFile(options.coverage, 'utf8'));
  const trace =
    options.trace === undefined
      ? undefined
      : (await readFile(options.trace, 'utf8'))
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => JSON.parse(line) as unknown);
  const written = await exportCharts(options.out, { coverage, trace });
  process.stdout.write(`${written.map((path) => `wrote ${path}`).join('\n')}\n`);
  return 0;
}
