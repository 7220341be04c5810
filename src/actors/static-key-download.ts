/**
 * Static-key download (client, protocol.md §2 and §4): fetch the server's key tree level
 * by level — the depth-1 node, then the 26 depth-2 nodes, then the 910 leaves — each node
 * verified against its parent before it is stored. Each level is one congestion-
 * controlled transfer (streams/key-transfer.ts) run by the `transferLevel` actor.
 */
import { assign, fromPromise, setup } from 'xstate';
import { errorText } from './error-text.ts';
import type { EventCatalogue } from './event-facts.ts';

/** What causes each event of the chart, and where it comes from. */
export const STATIC_KEY_DOWNLOAD_EVENTS: EventCatalogue = {
  'done:level1': {
    origin: 'key server',
    words: 'Every level-1 block arrived and matched the hash in the pq1 name',
  },
  'error:level1': {
    origin: 'key server',
    words: 'Level 1 failed: blocks missing after the retries, or a block that does not verify',
  },
  'done:level2': {
    origin: 'key server',
    words: 'Every level-2 block arrived and matched its level-1 hash',
  },
  'error:level2': {
    origin: 'key server',
    words: 'Level 2 failed: blocks missing after the retries, or a block that does not verify',
  },
  'done:level3': {
    origin: 'key server',
    words: 'Every leaf of the static key arrived and matched its level-2 hash',
  },
  'error:level3': {
    origin: 'key server',
    words: 'The leaves failed: blocks missing after the retries, or a block that does not verify',
  },
};

export interface DownloadContext {
  levelsDone: number;
  error: string | null;
}

export interface DownloadOutput {
  complete: boolean;
  error: string | null;
}

/** One level of the tree: transfer it, then go on to `next`; any failure ends the download. */
function levelState(depth: number, next: string, description: string) {
  return {
    description,
    invoke: {
      id: `level${depth}`,
      src: 'transferLevel' as const,
      input: { depth },
      onDone: { target: next, actions: 'countLevel' as const },
      onError: { target: 'failed', actions: 'recordError' as const },
    },
  };
}

export const staticKeyDownloadMachine = setup({
  types: {
    context: {} as DownloadContext,
    output: {} as DownloadOutput,
  },
  actors: {
    transferLevel: fromPromise<void, { depth: number }>(async () => {
      throw new Error('transferLevel not provided');
    }),
  },
  actions: {
    countLevel: assign({ levelsDone: ({ context }) => context.levelsDone + 1 }),
    recordError: assign({ error: ({ event }) => errorText((event as { error?: unknown }).error) }),
  },
}).createMachine({
  id: 'staticKeyDownload',
  description:
    'protocol.md §2/§4: the 1 MB key tree, level by level, every node checked against its parent',
  context: { levelsDone: 0, error: null },
  initial: 'level1',
  states: {
    level1: levelState(1, 'level2', 'Depth 1: one 832-byte node, checked against the pkh from DNS'),
    level2: levelState(
      2,
      'leaves',
      'Depth 2: 26 nodes of leaf hashes, each checked against the depth-1 node',
    ),
    leaves: levelState(
      3,
      'complete',
      'Depth 3: 910 leaves (McEliece pk ‖ X25519 pk), each checked against its depth-2 node',
    ),
    complete: { type: 'final' },
    failed: { type: 'final' },
  },
  output: ({ context }) => ({ complete: context.levelsDone === 3, error: context.error }),
});
