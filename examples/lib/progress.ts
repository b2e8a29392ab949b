/**
 * The demo's live progress block, drawn from `manager.stats$`: per provider, how many of its tasks
 * (commands included, as in its stats) have finished, and the counts that add up to that total:
 * queued + waiting + running + succeeded + failed + cancelled. Beside them, the budgets its pool
 * draws on (`stats.providers[p].budgetOf`), in use / limit. On a terminal, log-update redraws it
 * in place; in a pipe or a file, lines are appended every 500 ms so CI logs stay readable.
 */
import { createLogUpdate } from 'log-update';
import { auditTime, sampleTime, tap, type Observable, type Subscription } from 'rxjs';
import type { ProviderStats, StatsSnapshot } from '../../src/index.js';
import { glyph, shortName } from './format.js';

/** A provider to show, and how many tasks and commands it will get in all. */
export interface ProviderRow {
  readonly provider: string;
  readonly total: number;
}

const COLUMNS = ['queued', 'waiting', 'running', 'done', 'failed', 'cancelled'] as const;
const counts = (p: ProviderStats): readonly number[] => [p.queued, p.waiting, p.running, p.succeeded, p.failed, p.cancelled];
const finished = (p: ProviderStats): number => p.succeeded + p.failed + p.cancelled;

export class ProgressView {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #draw: ReturnType<typeof createLogUpdate>;
  readonly #startedAt = performance.now();
  #latest: StatsSnapshot;
  #subscription: Subscription | undefined;

  constructor(
    out: NodeJS.WriteStream,
    readonly title: string,
    readonly rows: readonly ProviderRow[],
    initial: StatsSnapshot,
  ) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#draw = createLogUpdate(out);
    this.#latest = initial;
  }

  /** Draws from a stats stream (throttled: it emits on every change); a last time when it completes. */
  attach(stats$: Observable<StatsSnapshot>): void {
    if (!this.#tty) this.#out.write(`${this.title}\n${this.#sharedNote()}`);
    const latest = tap((snapshot: StatsSnapshot) => (this.#latest = snapshot));
    this.#subscription = stats$.pipe(latest, this.#tty ? auditTime(100) : sampleTime(500)).subscribe({
      next: () => this.#show(),
    });
  }

  /** A one-off message, printed above the live block. */
  log(message: string): void {
    const line = `${this.#clock()}  ${message}\n`;
    if (!this.#tty) {
      this.#out.write(line);
      return;
    }
    this.#draw.persist(line); // erases the block, writes the line where it was
    this.#show();
  }

  /**
   * Final draw from `final` (the manager's `stats()` after shutdown: stats$ delivers its last
   * snapshot on a later turn); the block stays on screen above whatever is printed next.
   */
  stop(final: StatsSnapshot): void {
    this.#subscription?.unsubscribe();
    this.#latest = final;
    this.#show();
    if (this.#tty) this.#draw.done();
  }

  #show(): void {
    const lines = this.#lines(this.#latest, !this.#tty);
    if (this.#tty) this.#draw([`${this.title} ${glyph.dot} ${this.#clock()}`, this.#header(), ...lines, this.#sharedNote()].join('\n'));
    else for (const line of lines) this.#out.write(`${this.#clock()}  ${line}\n`);
  }

  #header(): string {
    return `${''.padEnd(5 + 12 + 10)}${COLUMNS.map((c) => c.padStart(10)).join('')} ${glyph.bar} busy (in use/limit)`;
  }

  /** One line per provider; `labelled`: each count named (appended lines, easy to grep in a log). */
  #lines(stats: StatsSnapshot, labelled: boolean): string[] {
    return this.rows.map(({ provider, total }) => {
      const p = stats.providers[provider];
      if (p === undefined) return `${provider.padEnd(5)}(no stats)`;
      const done = finished(p);
      const budgets = [...new Set(Object.values(p.budgetOf))].map((key) => {
        const budget = stats.servers[key];
        return `${shortName(key)}${this.#shared(stats, key) ? glyph.shared : ''} ${budget?.inUse ?? 0}/${budget?.limit ?? '?'}`;
      });
      return (
        `${provider.padEnd(5)}${bar(done / total)} ${`${done}/${total}`.padStart(9)}` +
        `${counts(p).map((n, i) => (labelled ? `  ${COLUMNS[i]} ${n}` : String(n).padStart(10))).join('')} ${glyph.bar} ${budgets.join('  ')}`
      );
    });
  }

  /** A budget more than one of the shown providers draws on. */
  #shared(stats: StatsSnapshot, key: string): boolean {
    return this.rows.filter(({ provider }) => Object.values(stats.providers[provider]?.budgetOf ?? {}).includes(key)).length > 1;
  }

  #sharedNote(): string {
    const stats = this.#latest;
    const shared = Object.keys(stats.servers).filter((key) => this.#shared(stats, key));
    return shared.map((key) => `${glyph.shared} ${shortName(key)}: one budget shared by every provider that lists it\n`).join('');
  }

  #clock(): string {
    return `[${((performance.now() - this.#startedAt) / 1000).toFixed(1).padStart(5)} s]`;
  }
}

function bar(fraction: number, width = 12): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return glyph.full.repeat(filled) + glyph.empty.repeat(width - filled);
}
