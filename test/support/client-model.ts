/**
 * The client session chart as the model-based tests explore it: every invoked actor
 * never settles (the test sends their done/error events itself) and the guards that read
 * engine state answer from a fixed environment.
 */
import { fromPromise } from 'xstate';
import { clientSessionMachine } from '../../src/actors/client-session.ts';
import { staticKeyDownloadMachine } from '../../src/actors/static-key-download.ts';

const NEVER = fromPromise(() => new Promise<void>(() => {}));
const NEVER_LEVEL = fromPromise<void, { depth: number }>(() => new Promise<void>(() => {}));

export type ClientModelGuards = Partial<
  Record<
    | 'tunnelDead'
    | 'peerUnresponsive'
    | 'probeAnswered'
    | 'noticeReconnectAllowed'
    | 'forgedAnswersSeen',
    () => boolean
  >
>;

export function clientModel(guards: ClientModelGuards) {
  return clientSessionMachine.provide({
    actors: {
      resolvePorts: NEVER,
      fetchEphemeralKey: NEVER,
      sendHandshake: NEVER,
      staticKeyDownload: staticKeyDownloadMachine.provide({
        actors: { transferLevel: NEVER_LEVEL },
      }),
    },
    guards,
  });
}
