/**
 * Counters the engines keep for operators and auditors: packets and bytes by direction,
 * and dropped inputs by reason (every malformed or refused input is counted, never thrown).
 */

export class Counters {
  private readonly values = new Map<string, number>();

  add(name: string, amount = 1): void {
    this.values.set(name, (this.values.get(name) ?? 0) + amount);
  }

  drop(reason: string): void {
    this.add(`drop: ${reason}`);
  }

  get(name: string): number {
    return this.values.get(name) ?? 0;
  }

  dropped(reason: string): number {
    return this.get(`drop: ${reason}`);
  }

  totalDropped(): number {
    let total = 0;
    for (const [name, value] of this.values) if (name.startsWith('drop: ')) total += value;
    return total;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
