/**
 * Everything a worker can report in its status counters: its engine's catalogue and its
 * descriptors'. Root names its metrics from this list, never from what a worker sends.
 */
import { CLIENT_ENGINE_COUNTERS, SERVER_ENGINE_COUNTERS } from '../engine/counter-catalogues.ts';
import { FD_TRANSPORT_COUNTERS } from '../io/fd-transports.ts';
import { mergeCatalogues, reportedNames } from '../shared/counters.ts';

export function workerCounterNames(role: 'client' | 'server'): string[] {
  const engine = role === 'client' ? CLIENT_ENGINE_COUNTERS : SERVER_ENGINE_COUNTERS;
  return reportedNames(mergeCatalogues(engine, FD_TRANSPORT_COUNTERS));
}
