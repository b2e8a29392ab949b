import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { Multicast } from '../internal/multicast.js';
import { scheduleAfter } from '../internal/longDelay.js';
import { normalizeServerKey } from './serverKey.js';
import type { BudgetState, SlotChange, SlotCoordinator } from './slotCoordinator.js';

/** A budget's start rate, alongside its concurrency limit. */
export interface RateLimit {
  /** At most this many starts in any window of `intervalMs` (a sliding window). */
  readonly starts?: number;
  /** The window of `starts`, in ms. */
  readonly intervalMs?: number;
  /** At least this many ms between two starts. @default 0 */
  readonly minTimeMs?: number;
}

export interface RateLimitedCoordinatorOptions {
  /** Rates by budget key (a limit key, or a server's own key), as `setRate` takes them. */
  readonly rates?: Readonly<Record<string, RateLimit>>;
  /** @default asyncScheduler */
  readonly scheduler?: SchedulerLike;
  /** `close()` closes the coordinator it wraps too. @default true */
  readonly closesInner?: boolean;
}

/** A coordinator whose budgets also have start rates. */
export interface RateLimitedCoordinator extends SlotCoordinator {
  /** Sets (or, with undefined, removes) the rate of the budget with that key; live. */
  setRate(keyOrPrefix: string, rate: RateLimit | undefined): void;
  rates(): ReadonlyMap<string, RateLimit>;
}

/**
 * True when the coordinator keeps start rates itself (a `rateLimitedCoordinator`, or `smt-rx/redis`
 * whose rates hold cluster-wide): the manager then sets rates there instead of wrapping it.
 */
export function keepsRates(coordinator: SlotCoordinator): coordinator is RateLimitedCoordinator {
  const c = coordinator as Partial<RateLimitedCoordinator>;
  return typeof c.setRate === 'function' && typeof c.rates === 'function';
}

/** The recent starts of one budget, and the one timer that announces when the next may start. */
interface StartWindow {
  readonly starts: number[];
  last: number;
  timer: Subscription | undefined;
  timerAt: number;
  readonly room: SlotChange;
}

/**
 * Wraps any coordinator so that its budgets also have start rates: at most `starts` attempt starts
 * in any `intervalMs` (a sliding window: a fixed window would let 2 × `starts` through around its
 * boundary, which is what API quotas punish) and at least `minTimeMs` between two starts. A refused
 * `tryAcquire` arms one timer per budget for the moment a start becomes possible and then
 * announces `room`, so waiting items start on time without polling; until then every acquire on
 * that budget is refused, so the start goes to the best waiting item, not to whoever asks first. A budget without a rate costs
 * one map lookup per acquire. Per process: across processes, each process applies the rate to its
 * own starts.
 */
export function rateLimitedCoordinator(inner: SlotCoordinator, options: RateLimitedCoordinatorOptions = {}): RateLimitedCoordinator {
  return new RateLimited(inner, options);
}

class RateLimited implements RateLimitedCoordinator {
  readonly #rates = new Map<string, Required<RateLimit>>();
  readonly #windows = new Map<string, StartWindow>();
  readonly #changes = new Multicast<SlotChange>();
  readonly changes$ = this.#changes.observable;
  get countsWeights(): boolean {
    return this.inner.countsWeights === true;
  }
  readonly #scheduler: SchedulerLike;
  readonly #innerChanges: Subscription;
  #closed = false;
  /** The inner coordinator's server cost, when it has one (the server choice reads it). */
  readonly serverCost?: (serverKey: string) => number;
  /** The inner coordinator's cluster-wide view, when it has one (start rates do not change it). */
  readonly clusterStats$?: SlotCoordinator['clusterStats$'];

  constructor(
    readonly inner: SlotCoordinator,
    readonly options: RateLimitedCoordinatorOptions,
  ) {
    this.#scheduler = options.scheduler ?? asyncScheduler;
    for (const [key, rate] of Object.entries(options.rates ?? {})) this.setRate(key, rate);
    this.#innerChanges = inner.changes$.subscribe((change) => this.#changes.next(change));
    if (inner.serverCost !== undefined) this.serverCost = inner.serverCost.bind(inner);
    if (inner.clusterStats$ !== undefined) this.clusterStats$ = inner.clusterStats$;
  }

  budgetOf = (serverKey: string): string => this.inner.budgetOf(serverKey);
  // The rule of `setLimit` (its key as written, with its port), so a rate lands on the budget tasks use.
  budgetKey = (written: string): string => this.inner.budgetKey?.(written) ?? normalizeServerKey(written);
  // Start windows exist only for budgets given a rate, so they stay: a server re-listed soon must not start with a fresh window.
  forget = (serverKey: string): void => this.inner.forget?.(serverKey);
  /** The inner budget, `blocked` while its rate allows no start now (the broker then picks another server). */
  budget(budgetKey: string): BudgetState {
    const state = this.inner.budget(budgetKey);
    const rate = this.#rates.get(budgetKey);
    const window = rate === undefined ? undefined : this.#windows.get(budgetKey);
    if (rate === undefined || window === undefined) return state;
    if (window.timer !== undefined) return { limit: state.limit, inUse: state.inUse, blocked: true };
    const now = this.#scheduler.now();
    const next = nextStart(window, rate, now);
    if (next <= now) return state;
    // Whoever sees it blocked must hear when it opens: the broker will not ask it again before.
    this.#arm(window, next, now);
    return { limit: state.limit, inUse: state.inUse, blocked: true };
  }
  release = (serverKey: string, weight?: number): void => this.inner.release(serverKey, weight);
  setLimit = (keyOrPrefix: string, limit: number): void => this.inner.setLimit(keyOrPrefix, limit);
  removeLimit = (keyOrPrefix: string): void => this.inner.removeLimit(keyOrPrefix);
  limits = () => this.inner.limits();

  /** A weighted start takes `weight` slots but counts once against the rate: it is one start. */
  tryAcquire(serverKey: string, weight?: number): boolean {
    if (this.#rates.size === 0) return this.inner.tryAcquire(serverKey, weight);
    const budget = this.inner.budgetOf(serverKey);
    const rate = this.#rates.get(budget);
    if (rate === undefined) return this.inner.tryAcquire(serverKey, weight);
    const window = this.#windowOf(budget);
    // Items were refused and wait for the timer's `room`: the next start is theirs (the broker
    // gives it to the best of them), not a newcomer's that asks first at the same instant.
    if (window.timer !== undefined) return false;
    const now = this.#scheduler.now();
    const next = nextStart(window, rate, now);
    if (next > now) {
      this.#arm(window, next, now);
      return false;
    }
    if (!this.inner.tryAcquire(serverKey, weight)) return false;
    if (rate.starts !== Infinity) window.starts.push(now);
    window.last = now;
    // This start closed the window (or opened a gap): announce when it reopens. The broker skips
    // a blocked budget without asking it, so a refusal alone would never arm the timer.
    const again = nextStart(window, rate, now);
    if (again > now) this.#arm(window, again, now);
    return true;
  }

  setRate(keyOrPrefix: string, rate: RateLimit | undefined): void {
    const key = this.budgetKey(keyOrPrefix);
    if (rate === undefined) this.#rates.delete(key);
    else this.#rates.set(key, checkRate(rate, `rateLimits[${JSON.stringify(keyOrPrefix)}]`));
    const window = this.#windows.get(key);
    if (window === undefined) return;
    // A looser rate may allow a start now: the timer of the old one goes, and the waiting items try.
    window.timer?.unsubscribe();
    window.timer = undefined;
    window.timerAt = Infinity;
    this.#changes.next(window.room);
  }

  rates(): ReadonlyMap<string, RateLimit> {
    return this.#rates;
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const window of this.#windows.values()) window.timer?.unsubscribe();
    this.#innerChanges.unsubscribe();
    this.#changes.complete();
    return this.options.closesInner === false ? Promise.resolve() : this.inner.close();
  }

  #windowOf(budget: string): StartWindow {
    let window = this.#windows.get(budget);
    if (window === undefined) {
      window = { starts: [], last: -Infinity, timer: undefined, timerAt: Infinity, room: { type: 'room', budget } };
      this.#windows.set(budget, window);
    }
    return window;
  }

  /** One timer per budget, for the earliest moment a start is possible. */
  #arm(window: StartWindow, at: number, now: number): void {
    if (this.#closed || (window.timer !== undefined && window.timerAt <= at)) return;
    window.timer?.unsubscribe();
    window.timerAt = at;
    // A rate over a long interval waits past what one timer keeps: chained steps.
    window.timer = scheduleAfter(this.#scheduler, at - now, () => {
      window.timer = undefined;
      window.timerAt = Infinity;
      this.#changes.next(window.room);
    });
  }
}

/** When the next start may happen (now or later); forgets starts that left the window. */
function nextStart(window: StartWindow, rate: Required<RateLimit>, now: number): number {
  const starts = window.starts;
  let drop = 0;
  while (drop < starts.length && (starts[drop] as number) <= now - rate.intervalMs) drop++;
  if (drop > 0) starts.splice(0, drop);
  const byWindow = starts.length >= rate.starts ? (starts[starts.length - rate.starts] as number) + rate.intervalMs : now;
  return Math.max(byWindow, window.last + rate.minTimeMs);
}

/** A rate with its defaults, or an InvalidOptionError naming the field. */
export function checkRate(rate: RateLimit, field: string): Required<RateLimit> {
  if (rate === null || typeof rate !== 'object') throw new InvalidOptionError(field, 'an object { starts?, intervalMs?, minTimeMs? }', rate);
  const { starts = Infinity, intervalMs = 0, minTimeMs = 0 } = rate;
  if (!(starts === Infinity || (Number.isInteger(starts) && starts >= 1))) throw new InvalidOptionError(`${field}.starts`, 'an integer from 1 and up, or Infinity', starts);
  if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) throw new InvalidOptionError(`${field}.intervalMs`, 'a finite number from 0 and up', intervalMs);
  if (rate.starts !== undefined && !(intervalMs > 0)) throw new InvalidOptionError(`${field}.intervalMs`, 'a number above 0 when `starts` is given', rate.intervalMs);
  if (!(Number.isFinite(minTimeMs) && minTimeMs >= 0)) throw new InvalidOptionError(`${field}.minTimeMs`, 'a finite number from 0 and up', minTimeMs);
  return { starts, intervalMs, minTimeMs };
}
