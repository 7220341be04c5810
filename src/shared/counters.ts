/**
 * Counters the engines keep for operators and auditors: events by name and dropped inputs
 * by reason, from a fixed catalogue given at construction (every malformed or refused
 * input is counted, never thrown). The names are literal types, so a counter that is not
 * in the catalogue does not compile; one that still arrives at run time (a caller outside
 * TypeScript) is counted as `uncatalogued`, never added.
 */

export interface CounterCatalogue<Count extends string, Drop extends string> {
  readonly counts: readonly Count[];
  readonly drops: readonly Drop[];
}

/** What a component that only counts needs: function-typed so the names check strictly. */
export interface CounterSink<Count extends string, Drop extends string> {
  readonly add: (name: Count, amount?: number) => void;
  readonly drop: (reason: Drop, amount?: number) => void;
}

/** A catalogue written as a literal: its names keep their literal types. */
export function catalogue<const Count extends string, const Drop extends string>(names: {
  counts: readonly Count[];
  drops: readonly Drop[];
}): CounterCatalogue<Count, Drop> {
  return names;
}

export type CountOf<C> = C extends CounterCatalogue<infer Count, string> ? Count : never;
export type DropOf<C> = C extends CounterCatalogue<string, infer Drop> ? Drop : never;
/** The sink type of a component that counts what `C` lists. */
export type SinkFor<C> = CounterSink<CountOf<C>, DropOf<C>>;

export const UNCATALOGUED = 'uncatalogued';
export const DROP_PREFIX = 'drop: ';

/** Every name a `Counters` of this catalogue can report, drops with their prefix, sorted. */
export function reportedNames(names: CounterCatalogue<string, string>): string[] {
  return [...names.counts, ...names.drops.map((reason) => DROP_PREFIX + reason), UNCATALOGUED].sort(
    (a, b) => a.localeCompare(b),
  );
}

/** Every reason of `reasons` under one prefix, as the literal types they are. */
export function prefixed<const Prefix extends string, Reason extends string>(
  prefix: Prefix,
  reasons: readonly Reason[],
): `${Prefix}${Reason}`[] {
  return reasons.map((reason) => `${prefix}${reason}` as `${Prefix}${Reason}`);
}

/** One catalogue holding both; duplicates are kept once. */
export function mergeCatalogues<
  C1 extends string,
  D1 extends string,
  C2 extends string,
  D2 extends string,
>(
  first: CounterCatalogue<C1, D1>,
  second: CounterCatalogue<C2, D2>,
): CounterCatalogue<C1 | C2, D1 | D2> {
  return {
    counts: [...new Set<C1 | C2>([...first.counts, ...second.counts])],
    drops: [...new Set<D1 | D2>([...first.drops, ...second.drops])],
  };
}

export class Counters<Count extends string, Drop extends string>
  implements CounterSink<Count, Drop>
{
  private readonly counts = new Map<string, number>();
  private readonly drops = new Map<string, number>();
  private uncatalogued = 0;

  constructor(readonly catalogue: CounterCatalogue<Count, Drop>) {
    for (const name of catalogue.counts) this.counts.set(name, 0);
    for (const reason of catalogue.drops) this.drops.set(reason, 0);
  }

  readonly add = (name: Count, amount = 1): void => {
    const value = this.counts.get(name);
    if (value === undefined) this.uncatalogued += amount;
    else this.counts.set(name, value + amount);
  };

  readonly drop = (reason: Drop, amount = 1): void => {
    const value = this.drops.get(reason);
    if (value === undefined) this.uncatalogued += amount;
    else this.drops.set(reason, value + amount);
  };

  get(name: Count): number {
    return this.counts.get(name) ?? 0;
  }

  dropped(reason: Drop): number {
    return this.drops.get(reason) ?? 0;
  }

  totalDropped(): number {
    let total = 0;
    for (const value of this.drops.values()) total += value;
    return total;
  }

  /** The counters that moved from zero, drops with their `drop: ` prefix, sorted by name. */
  toJSON(): Record<string, number> {
    const entries: [string, number][] = [];
    for (const [name, value] of this.counts) if (value !== 0) entries.push([name, value]);
    for (const [reason, value] of this.drops)
      if (value !== 0) entries.push([DROP_PREFIX + reason, value]);
    if (this.uncatalogued !== 0) entries.push([UNCATALOGUED, this.uncatalogued]);
    return Object.fromEntries(entries.sort(([a], [b]) => a.localeCompare(b)));
  }
}
