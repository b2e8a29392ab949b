// The simulated fleet of `npm run bench:fleet`: servers with hidden capacities, in virtual time.
import { Observable, type SchedulerLike } from 'rxjs';
import { seededRandom } from '../lib.mjs';

/** A seeded generator, so every run of the bench is the same. */
export const seeded = seededRandom;

export interface SimServerSpec {
  readonly url: string;
  /** Attempts it runs at its base latency; the manager is never told. */
  readonly capacity: number;
  /** Latency of one attempt without load, in ms. */
  readonly baseMs: number;
  /** Virtual times [from, to) during which every attempt fails. */
  readonly badFrom?: number;
  readonly badTo?: number;
}

/** What happened on one server, for the tables. */
export interface ServerLog {
  started: number[];
  failed: number[];
}

/**
 * One simulated server. With n attempts running (this one included), an attempt takes
 * `baseMs × max(1, n / capacity)` (± 10 % jitter): latency grows once in-flight work passes the
 * capacity. Past twice the capacity it answers an error after `baseMs / 2` (a 503). In its bad
 * period every attempt fails after `baseMs / 2`.
 */
export class SimServer {
  inFlight = 0;
  readonly log: ServerLog = { started: [], failed: [] };

  constructor(
    readonly spec: SimServerSpec,
    readonly scheduler: SchedulerLike,
    readonly random: () => number,
  ) {}

  attempt(): Observable<number> {
    return new Observable<number>((subscriber) => {
      const now = this.scheduler.now();
      this.inFlight++;
      this.log.started.push(now);
      const { capacity, baseMs, badFrom, badTo } = this.spec;
      const bad = badFrom !== undefined && now >= badFrom && now < (badTo ?? Infinity);
      const overloaded = this.inFlight > 2 * capacity;
      const jitter = 0.9 + 0.2 * this.random();
      const fails = bad || overloaded;
      const latency = fails ? baseMs / 2 : baseMs * Math.max(1, this.inFlight / capacity) * jitter;
      let done = false;
      const action = this.scheduler.schedule(() => {
        done = true;
        this.inFlight--;
        if (fails) {
          this.log.failed.push(this.scheduler.now());
          subscriber.error(new Error(bad ? 'server down' : '503 overloaded'));
        } else {
          subscriber.next(latency);
          subscriber.complete();
        }
      }, latency);
      return () => {
        if (!done) {
          this.inFlight--;
          action.unsubscribe();
        }
      };
    });
  }
}

/** The p-th percentile (0–100) of a list of numbers (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

/** One row of sparkline per series, e.g. a budget's limit sampled once a second. */
export function sparkline(values: readonly number[], max: number): string {
  const bars = '▁▂▃▄▅▆▇█';
  return values.map((v) => bars[Math.min(bars.length - 1, Math.floor((v / max) * (bars.length - 1)))]).join('');
}
