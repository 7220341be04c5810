/**
 * `pqconnect viz --out DIR`: writes the auditors' page (index.html, self-contained) and,
 * for every machine, its Mermaid text (.mmd), Graphviz DOT (.dot), W3C SCXML (.scxml) and
 * JSON definition (.json: XState's toJSON() plus the graph with protocol.md sections).
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeDirectory } from '../io/directories.ts';
import { collapseGraph, expansionChoices, type LaidOutMachine } from './collapse.ts';
import { type MachineGraph, machineGraph } from './graph.ts';
import { layoutGraph } from './layout.ts';
import { MACHINES } from './machines.ts';
import { renderPage } from './page.ts';
import { protocolDocumentHtml } from './protocol-document.ts';
import { toScxml } from './scxml.ts';
import { toDot, toMermaid } from './text-formats.ts';

/** A machine laid out with each choice of expanded compound states (the first: all). */
export async function laidOutMachine(graph: MachineGraph): Promise<LaidOutMachine> {
  const variants = await Promise.all(
    expansionChoices(graph).map(async (expanded) => {
      const collapsed = collapseGraph(graph, new Set(expanded));
      return { expanded, ...collapsed, layout: await layoutGraph(collapsed.graph) };
    }),
  );
  return { graph, variants };
}

export function laidOutMachines(): Promise<LaidOutMachine[]> {
  return Promise.all(
    MACHINES.map(({ name, title, machine, events }) =>
      laidOutMachine(machineGraph(name, title, machine, events)),
    ),
  );
}

export async function exportCharts(
  dir: string,
  extras: { coverage?: Record<string, string[]>; trace?: unknown[] } = {},
): Promise<string[]> {
  await makeDirectory(dir, 0o755);
  const machines = await laidOutMachines();
  const written: string[] = [];
  const write = async (file: string, content: string) => {
    await writeFile(join(dir, file), content);
    written.push(join(dir, file));
  };
  for (const { graph } of machines) {
    const definition = MACHINES.find((m) => m.name === graph.name)!.machine;
    await write(`${graph.name}.mmd`, toMermaid(graph));
    await write(`${graph.name}.dot`, toDot(graph));
    await write(`${graph.name}.scxml`, toScxml(graph));
    await write(
      `${graph.name}.json`,
      `${JSON.stringify({ definition: definition.toJSON(), graph }, null, 2)}\n`,
    );
  }
  await write(
    'index.html',
    renderPage({ machines, protocol: await protocolDocumentHtml(), ...extras }),
  );
  return written;
}
