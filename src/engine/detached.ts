/**
 * Work nobody awaits (a background refill, a handshake computed off the event loop) still
 * has an owner: `detach` attaches the catch that counts and reports its failure, so no
 * promise in the engines is ever left to become an unhandled rejection.
 */
import { errorText } from '../actors/error-text.ts';
import type { CounterSink } from '../shared/counters.ts';
import type { EngineLog } from './log.ts';

export function detach<Drop extends string>(
  work: Promise<unknown>,
  counters: CounterSink<never, Drop>,
  what: Drop,
  log?: EngineLog,
): void {
  work.catch((error: unknown) => {
    counters.drop(what);
    log?.(`${what}: ${errorText(error)}`, 'warn');
  });
}
