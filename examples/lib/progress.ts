/**
 * Terminal helpers for the demo: a live progress block driven by `manager.stats$`, log lines that
 * appear above it, and a plain-text table. Nothing here is specific to smt-rx except the
 * `StatsSnapshot` it reads.
 */
import { auditTime, sampleTime, tap, type Observable, type Subscription } from 'rxjs';
import { coversKey, normalizeServerKey, type ProviderStats, type StatsSnapshot } from '../../src/index.js';

/** One provider's row: its name, how many tasks it will get in all, and its pool. */
export interface ProviderRow {
  readonly provider: string;
  readonly total: number;
  readonly servers: readonly string[];
}

/** A budget as the progress line shows it: `gpu-2* 3/4`. */
interface BudgetLabel {
  readonly key: string;
  readonly label: string;
}

/**
 * The budget a server draws on, by the rule the manager uses: the longest budget key that covers
 * the server's key (an exact key or a URL prefix).
 */
export function budgetKeyOf(server: string, budgetKeys: readonly string[]): string {
  const key = normalizeServerKey(server);
  let best = key;
  let bestLength = -1;
  for (const budget of budgetKeys) {
    if (budget.length > bestLength && coversKey(budget, key)) {
      best = budget;
      bestLength = budget.length;
    }
  }
  return best;
}

/** `https://gpu-2.internal/` -> `gpu-2`: the first label of the host. */
export function shortName(serverOrKey: string): string {
  try {
    const url = new URL(serverOrKey);
    const path = url.pathname === '/' ? '' : url.pathname;
    return `${url.hostname.split('.')[0] ?? url.hostname}${path}`;
  } catch {
    return serverOrKey;
  }
}

/**
 * The live progress block. On a terminal it is redrawn in place (ANSI cursor movement) at most
 * every 100 ms; when stdout is a pipe or a file it is appended every 500 ms instead, so CI logs
 * stay readable.
 */
export class ProgressView {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #startedAt: number;
  readonly #title: string;
  readonly #rows: ReadonlyArray<ProviderRow & { readonly budgets: readonly BudgetLabel[] }>;
  readonly #sharedNote: string | undefined;
  /** Budget limits from the first snapshot, for the last draw after shutdown. */
  readonly #limits: ReadonlyMap<string, number>;
  #latest: StatsSnapshot;
  #drawnLines = 0;
  #subscription: Subscription | undefined = undefined;

  constructor(out: NodeJS.WriteStream, title: string, rows: readonly ProviderRow[], initial: StatsSnapshot, startedAt: number) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#title = title;
    this.#startedAt = startedAt;
    this.#latest = initial;
    this.#limits = new Map(Object.entries(initial.servers).map(([key, budget]) => [key, budget.limit]));
    // Which budgets each provider draws on, and which of them more than one provider shares.
    const budgetKeys = Object.keys(initial.servers);
    const users = new Map<string, string[]>();
    const withBudgets = rows.map((row) => {
      const keys = [...new Set(row.servers.map((server) => budgetKeyOf(server, budgetKeys)))];
      for (const key of keys) users.set(key, [...(users.get(key) ?? []), row.provider]);
      return { ...row, keys };
    });
    const sharedBy = [...users].filter(([, providers]) => providers.length > 1);
    const shared = sharedBy.map(([key]) => key);
    this.#rows = withBudgets.map(({ keys, ...row }) => ({
      ...row,
      budgets: keys.map((key) => ({ key, label: shortName(key) + (shared.includes(key) ? '*' : '') })),
    }));
    this.#sharedNote =
      sharedBy.length === 0
        ? undefined
        : sharedBy.map(([key, providers]) => `* ${shortName(key)}: one budget shared by ${providers.join(' and ')}`).join('; ');
  }

  /** Starts drawing from a stats stream; the block is drawn one last time when the stream completes. */
  attach(stats$: Observable<StatsSnapshot>): void {
    if (!this.#tty) this.#out.write(`${this.#title}${this.#sharedNote === undefined ? '' : `\n${this.#sharedNote}`}\n`);
    this.#subscription = stats$
      .pipe(
        tap((snapshot) => {
          this.#latest = snapshot;
        }),
        // stats$ emits on every change (coalesced per scheduler turn): far more often than a
        // human can read. Throttle: at most one redraw per 100 ms on a terminal, one appended
        // block per 500 ms otherwise.
        this.#tty ? auditTime(100) : sampleTime(500),
      )
      .subscribe({
        next: () => this.#draw(),
        complete: () => this.#draw(),
      });
  }

  /** A one-off message, printed above the live block. */
  log(message: string): void {
    const line = `${this.#clock()}  ${message}`;
    if (!this.#tty) {
      this.#out.write(`${line}\n`);
      return;
    }
    this.#erase();
    this.#out.write(`${this.#fit(line)}\n`);
    this.#draw();
  }

  /** Final draw; the block stays on screen above whatever is printed next. */
  stop(): void {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    if (this.#tty) this.#draw();
    this.#drawnLines = 0;
  }

  #draw(): void {
    const stats = this.#latest;
    const rows = this.#rows.map((row) => {
      const p = stats.providers[row.provider];
      const busy = row.budgets.map(({ key, label }) => `${label} ${this.#busy(stats, key)}`).join('  ');
      return { row, p, busy };
    });
    if (!this.#tty) {
      // Appended: one labelled line per provider, easy to grep in a CI log.
      const clock = this.#clock();
      for (const { row, p, busy } of rows) {
        const counts =
          p === undefined
            ? '(no stats)'
            : `${pct(finished(p) / row.total)}  queued ${p.queued}  running ${p.running}  done ${p.succeeded}  ` +
              `failed ${p.failed}  retries ${p.retries}`;
        this.#out.write(`${clock}  ${row.provider.padEnd(4)} ${counts}  │ busy: ${busy}\n`);
      }
      return;
    }
    // Redrawn in place: a small table under a header row.
    const block = [
      `${this.#title} · ${this.#clock().slice(1, -1).trim()}`,
      `${''.padEnd(NAME_WIDTH + BAR_WIDTH + 6)}${COLUMNS.map(([name, width]) => name.padStart(width)).join('')} │ busy (in use/limit)`,
    ];
    for (const { row, p, busy } of rows) {
      const left = `${row.provider.padEnd(NAME_WIDTH)}`;
      if (p === undefined) {
        block.push(`${left}(no stats)`);
        continue;
      }
      const values = [p.queued, p.running, p.succeeded, p.failed, p.retries];
      const fraction = finished(p) / row.total;
      block.push(
        `${left}${bar(fraction, BAR_WIDTH)} ${pct(fraction)} ` +
          `${COLUMNS.map(([, width], i) => String(values[i]).padStart(width)).join('')} │ ${busy}`,
      );
    }
    if (this.#sharedNote !== undefined) block.push(this.#sharedNote);
    this.#erase();
    this.#out.write(block.map((line) => `${this.#fit(line)}\n`).join(''));
    this.#drawnLines = block.length;
  }

  /** `3/4`. After shutdown the manager reports no budgets any more: nothing holds a slot then. */
  #busy(stats: StatsSnapshot, key: string): string {
    const budget = stats.servers[key];
    const limit = budget?.limit ?? this.#limits.get(key);
    return `${budget?.inUse ?? 0}/${limit ?? '?'}`;
  }

  /** Moves the cursor to the top of the block and clears everything below it. */
  #erase(): void {
    if (this.#drawnLines > 0) this.#out.write(`\x1b[${this.#drawnLines}A\r\x1b[0J`);
    this.#drawnLines = 0;
  }

  /** A line wider than the terminal would wrap and break the in-place redraw. */
  #fit(line: string): string {
    const width = this.#out.columns;
    return width !== undefined && width > 1 && line.length >= width ? `${line.slice(0, width - 2)}…` : line;
  }

  #clock(): string {
    return `[${((performance.now() - this.#startedAt) / 1000).toFixed(1).padStart(5)} s]`;
  }
}

const NAME_WIDTH = 5;
const BAR_WIDTH = 12;
/** Column titles of the terminal view and their widths. */
const COLUMNS: ReadonlyArray<readonly [string, number]> = [
  ['queued', 8],
  ['running', 9],
  ['done', 7],
  ['failed', 8],
  ['retries', 9],
];

function finished(p: ProviderStats): number {
  return p.succeeded + p.failed + p.cancelled;
}

function bar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

function pct(fraction: number): string {
  return `${Math.floor(Math.min(1, Math.max(0, fraction)) * 100)}%`.padStart(4);
}

/** A plain-text table: numbers (and durations) right-aligned, text left-aligned. */
export function formatTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => /^([\d.]+( ms| s)?|–)$/.test(row[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells.map((cell, i) => (numeric[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0))).join('   ').trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('───');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** Nearest-rank percentile of unsorted samples; NaN when there are none. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** 74 ms, 1.9 s. */
export function formatMs(ms: number): string {
  if (Number.isNaN(ms)) return '–';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
