/**
 * The key-node transfer on virtual time: the window grows on answers, never exceeds its
 * maximum, a request whose successors were answered is retransmitted before its timeout
 * (fast retransmit), reordering alone does not trigger it, and a silent server fails it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../src/engine/clock.ts';
import {
  DEFAULT_TRANSFER_OPTIONS,
  type NodeRef,
  NodeTransfer,
} from '../../src/streams/key-transfer.ts';

const nodes = (count: number): NodeRef[] =>
  Array.from({ length: count }, (_, position) => ({ depth: 3, position }));

describe('key transfer', () => {
  it('answers every node once over a perfect link, never more than maxWindow in flight', async () => {
    const clock = new VirtualClock();
    let inFlight = 0;
    let most = 0;
    const transfer = new NodeTransfer(
      nodes(300),
      (node) => {
        inFlight++;
        most = Math.max(most, inFlight);
        clock.setTimeout(() => {
          inFlight--;
          transfer.answered(node);
        }, 20);
      },
      clock,
    );
    const done = transfer.run();
    await clock.advance(5_000);
    await done;
    assert.equal(transfer.stats.sent, 300);
    assert.ok(most <= DEFAULT_TRANSFER_OPTIONS.maxWindow);
    assert.ok(transfer.stats.window > DEFAULT_TRANSFER_OPTIONS.initialWindow, 'window grew');
  });

  it('retransmits a lost request once later ones are answered, well before its timeout', async () => {
    const clock = new VirtualClock();
    const sentAt = new Map<number, number[]>();
    let dropFirst = true;
    const transfer = new NodeTransfer(
      nodes(40),
      (node) => {
        sentAt.set(node.position, [...(sentAt.get(node.position) ?? []), clock.now()]);
        if (node.position === 0 && dropFirst) {
          dropFirst = false;
          return;
        }
        clock.setTimeout(() => transfer.answered(node), 20);
      },
      clock,
    );
    const done = transfer.run();
    await clock.advance(2_000);
    await done;
    const [first, second] = sentAt.get(0)!;
    assert.ok(second !== undefined, 'node 0 was sent again');
    assert.ok(
      second - first! < DEFAULT_TRANSFER_OPTIONS.initialRtoMs,
      `resent after ${second - first!} ms`,
    );
  });

  it('does not retransmit early when answers are merely reordered', async () => {
    const clock = new VirtualClock();
    const transfer = new NodeTransfer(
      nodes(40),
      (node) => clock.setTimeout(() => transfer.answered(node), node.position % 5 === 0 ? 35 : 20),
      clock,
    );
    const done = transfer.run();
    await clock.advance(3_000);
    await done;
    assert.equal(transfer.stats.retransmitted, 0);
  });

  it('fails after the first-contact attempts when the server never answers', async () => {
    const clock = new VirtualClock();
    const transfer = new NodeTransfer(nodes(1), () => {}, clock, {
      ...DEFAULT_TRANSFER_OPTIONS,
      maxAttempts: 4,
    });
    const done = transfer.run();
    const outcome = done.then(
      () => 'completed',
      (error: Error) => error.message,
    );
    await clock.advance(20_000);
    assert.match(await outcome, /unanswered after 4 attempts/);
  });
});
