/**
 * Counters from a fixed catalogue: catalogued names count, a name from outside it (a
 * caller that bypassed the types) is counted as `uncatalogued` and never becomes a key,
 * and the report lists what moved. The engines' catalogues hold each name once.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CLIENT_ENGINE_COUNTERS,
  SERVER_ENGINE_COUNTERS,
} from '../../src/engine/counter-catalogues.ts';
import {
  Counters,
  catalogue,
  mergeCatalogues,
  prefixed,
  reportedNames,
} from '../../src/shared/counters.ts';

const NAMES = catalogue({ counts: ['a', 'b'], drops: prefixed('x: ', ['one', 'two']) });

describe('counters', () => {
  it('counts catalogued names and reports only those that moved', () => {
    const counters = new Counters(NAMES);
    counters.add('a');
    counters.add('a', 4);
    counters.drop('x: two');
    counters.drop('x: two', 2);
    assert.deepEqual(counters.toJSON(), { a: 5, 'drop: x: two': 3 });
    assert.equal(counters.get('b'), 0);
    assert.equal(counters.dropped('x: two'), 3);
    assert.equal(counters.totalDropped(), 3);
  });

  it('never adds a name from outside the catalogue', () => {
    const counters = new Counters(NAMES);
    const untyped = counters as unknown as Counters<string, string>;
    untyped.add('free-form', 2);
    untyped.drop('made up');
    assert.deepEqual(counters.toJSON(), { uncatalogued: 3 });
    assert.equal(counters.totalDropped(), 0);
  });

  it('merges catalogues keeping each name once', () => {
    const merged = mergeCatalogues(NAMES, catalogue({ counts: ['b', 'c'], drops: ['x: one'] }));
    assert.deepEqual(merged.counts, ['a', 'b', 'c']);
    assert.deepEqual(merged.drops, ['x: one', 'x: two']);
    assert.deepEqual(reportedNames(merged), [
      'a',
      'b',
      'c',
      'drop: x: one',
      'drop: x: two',
      'uncatalogued',
    ]);
  });

  for (const [engine, names] of [
    ['client', CLIENT_ENGINE_COUNTERS],
    ['server', SERVER_ENGINE_COUNTERS],
  ] as const)
    it(`the ${engine} engine's catalogue names each counter once, none built from input`, () => {
      const all = [...names.counts, ...names.drops];
      assert.equal(new Set(all).size, all.length);
      for (const name of all) assert.match(name, /^[\w:,.()' -]+$/, name);
    });
});
