import { merge, type Observable } from 'rxjs';
import { Multicast } from '../../internal/multicast.js';
import type { Timeline } from '../../internal/timeline.js';
import { AdaptiveLimit } from '../adaptive/adaptiveLimit.js';
import { PeakEwma } from '../choice/peakEwma.js';
import type { ResolvedHealthOptions } from '../health/serverHealth.js';
import { normalizeServerKey } from '../serverKey.js';
import type { BudgetState, SlotChange, SlotCoordinator } from '../slotCoordinator.js';
import { BudgetHealth } from './budgetHealth.js';
import type { FleetSettings } from './fleetSettings.js';
import type { ServerEvent } from './serverEvent.js';

/** What the fleet layer needs from the manager. @internal */
export interface FleetHost {
  readonly timeline: Timeline;
  /** The budget keys of each pool that draws on `budget`. */
  poolsOf(budget: string): Iterable<readonly string[]>;
  /** Delivered once the transition is whole. */
  emit(event: ServerEvent): void;
}

/** Per server: slots held by this process (for the choice rule) and its latency. */
interface ServerState {
  held: number;
  readonly latency: PeakEwma | undefined;
  /** No pool lists it any more: dropped when its last slot comes back. */
  unlisted: boolean;
  /** Its spellings other than its key that the key memo holds (they go with it). */
  spellings: string[] | undefined;
}

/**
 * Adaptive limits, health checks and the latency of each server, as a coordinator around the one
 * that counts slots. The inner coordinator's limit of a budget is its hard cap; this layer admits
 * less: nothing on an ejected budget, one probe on a half-open one, and no more than the adaptive
 * limit on an adaptive one (counted against this process's slots, so in Redis mode each process
 * adapts within the cluster-wide cap). `budget()` reports the limit in force.
 * @internal
 */
export class FleetCoordinator implements SlotCoordinator {
  readonly changes$: Observable<SlotChange>;
  readonly countsWeights: boolean;
  readonly #inner: SlotCoordinator;
  readonly #host: FleetHost;
  readonly #adaptive = new Map<string, AdaptiveLimit>();
  readonly #health: BudgetHealth | undefined;
  readonly #decayMs: number | undefined;
  readonly #servers = new Map<string, ServerState>();
  readonly #keys = new Map<string, string>();
  readonly #room = new Multicast<SlotChange>();

  constructor(inner: SlotCoordinator, settings: FleetSettings, host: FleetHost) {
    this.#inner = inner;
    this.#host = host;
    this.changes$ = merge(inner.changes$, this.#room.observable);
    this.countsWeights = inner.countsWeights === true;
    for (const [key, { bounds, algorithm }] of settings.adaptive) this.#adaptive.set(key, new AdaptiveLimit(algorithm, bounds));
    this.#health = settings.health === undefined ? undefined : this.#makeHealth(settings.health);
    this.#decayMs = settings.decayMs;
    this.serverCost = settings.decayMs === undefined ? undefined : (key) => {
      const server = this.#servers.get(key);
      if (server?.latency === undefined) return 0;
      return settings.chargeRunning ? server.latency.cost(server.held) : server.latency.latencyMs;
    };
  }

  /** The cost of one more attempt on a server: its peak-EWMA latency (× (running + 1) for 'peak-ewma'), when a latency rule is on. */
  readonly serverCost: ((serverKey: string) => number) | undefined;

  budgetOf(serverKey: string): string {
    return this.#inner.budgetOf(serverKey);
  }

  budgetKey(written: string): string {
    return this.#inner.budgetKey?.(written) ?? normalizeServerKey(written);
  }

  budget(budgetKey: string): BudgetState {
    const state = this.#inner.budget(budgetKey);
    if (this.#health !== undefined && !this.#health.canStart(budgetKey)) return { limit: 0, inUse: state.inUse };
    const adaptive = this.#adaptive.get(budgetKey);
    if (adaptive === undefined || adaptive.limit >= state.limit) return state;
    // A start rate's block (rateLimitedCoordinator inside) stays visible to the server choice.
    const cap = state.limit;
    return state.blocked === true ? { limit: adaptive.limit, inUse: state.inUse, blocked: true, cap } : { limit: adaptive.limit, inUse: state.inUse, cap };
  }

  /**
   * In-use counts weights against the adaptive limit too: a start of weight `w` needs
   * `inUse + w <= limit`, except that a task heavier than the adaptive limit may start alone on the
   * idle budget (up to the hard limit): the limit only grows with results, so it could wait forever.
   */
  tryAcquire(serverKey: string, weight = 1): boolean {
    const budget = this.#inner.budgetOf(serverKey);
    if (this.#health !== undefined && !this.#health.canStart(budget)) return false;
    const adaptive = this.#adaptive.get(budget);
    if (adaptive !== undefined) {
      const inUse = this.#inner.budget(budget).inUse;
      if (inUse + weight > adaptive.limit && !(inUse === 0 && weight > 1)) return false;
    }
    if (!this.#inner.tryAcquire(serverKey, weight)) return false;
    this.#health?.started(budget, this.#host.timeline.now());
    this.#server(serverKey).held += weight;
    return true;
  }

  release(serverKey: string, weight = 1): void {
    const server = this.#servers.get(serverKey);
    if (server !== undefined && server.held >= weight) server.held -= weight;
    if (server?.unlisted === true && server.held === 0) this.#drop(serverKey, server);
    this.#inner.release(serverKey, weight);
  }

  /**
   * Its latency, count, key memos and (for a budget of its own) health go once it holds nothing
   * here, so a churning pool keeps nothing per server it ever saw; the inner coordinator forgets it
   * too (and keeps counting a held slot until its release).
   */
  forget(serverKey: string): void {
    const server = this.#servers.get(serverKey);
    if (server === undefined) this.#forgetHealth(serverKey);
    else if (server.held === 0) this.#drop(serverKey, server);
    else server.unlisted = true;
    this.#inner.forget?.(serverKey);
  }

  /** Tracked entries by kind (for tests: a churning pool must stay flat). @internal */
  tracked(): { servers: number; keys: number; health: number } {
    return { servers: this.#servers.size, keys: this.#keys.size, health: this.#health?.size() ?? 0 };
  }

  #drop(serverKey: string, server: ServerState): void {
    this.#servers.delete(serverKey);
    this.#keys.delete(serverKey);
    for (const spelling of server.spellings ?? []) this.#keys.delete(spelling);
    this.#forgetHealth(serverKey);
  }

  /** A budget of the server's own is no pool's any more; a limit key's budget (maybe shared) keeps its health. */
  #forgetHealth(serverKey: string): void {
    if (this.#health !== undefined && this.#inner.budgetOf(serverKey) === serverKey && !this.#inner.limits().has(serverKey)) this.#health.forget(serverKey);
  }

  setLimit(keyOrPrefix: string, limit: number): void {
    this.#inner.setLimit(keyOrPrefix, limit);
  }

  removeLimit(keyOrPrefix: string): void {
    this.#inner.removeLimit(keyOrPrefix);
  }

  limits(): ReadonlyMap<string, number> {
    return this.#inner.limits();
  }

  close(): Promise<void> {
    this.#health?.dispose();
    this.#room.complete();
    return this.#inner.close();
  }

  /** An attempt on `server` (as listed in the pool) that started at `startedAt` has its result. */
  result(server: string, startedAt: number, ok: boolean): void {
    const key = this.#keyOf(server);
    const budget = this.#inner.budgetOf(key);
    const now = this.#host.timeline.now();
    const rttMs = now - startedAt;
    const state = this.#servers.get(key);
    const latency = state?.latency;
    // A failure counts as a peak of twice the usual latency: a server that fails fast must not look fast.
    latency?.observe(ok ? rttMs : Math.max(rttMs, 2 * latency.latencyMs), now);
    // A server forgotten since (no pool lists it) must not leave a health record behind.
    if (state !== undefined) this.#health?.result(budget, ok, startedAt);
    const adaptive = this.#adaptive.get(budget);
    if (adaptive === undefined) return;
    const { limit: cap, inUse } = this.#inner.budget(budget);
    const move = adaptive.observe({ at: now, rttMs, inFlight: inUse, ok });
    if (move === undefined) return;
    this.#host.emit({ type: 'limit-changed', budget, at: now, from: move.from, to: move.to, cap, reason: move.reason });
    if (move.to > move.from) this.#room.next({ type: 'room', budget });
  }

  /** An attempt settled without a result (cancelled before its handler ran). */
  lost(server: string, startedAt: number): void {
    this.#health?.lost(this.#inner.budgetOf(this.#keyOf(server)), startedAt);
  }

  /** What stats add to a budget: its adaptive limit and its health. */
  describe(budget: string): { adaptive?: AdaptiveView; health?: HealthView } {
    const adaptive = this.#adaptive.get(budget);
    const health = this.#health?.of(budget)?.state;
    return {
      ...(adaptive === undefined
        ? {}
        : { adaptive: { limit: adaptive.limit, min: adaptive.bounds.min, max: adaptive.bounds.max, algorithm: adaptive.algorithm.name, reason: adaptive.lastReason } }),
      ...(health === undefined || this.#health === undefined ? {} : { health: health.tag === 'ejected' ? { state: 'ejected', until: health.until } : { state: health.tag } }),
    };
  }

  #makeHealth(options: ResolvedHealthOptions): BudgetHealth {
    const host = this.#host;
    return new BudgetHealth(options, {
      timeline: host.timeline,
      poolsOf: (budget) => host.poolsOf(budget),
      ejected: (budget, verdict, until) =>
        host.emit({ type: 'server-ejected', budget, at: host.timeline.now(), reason: verdict.reason, failures: verdict.failures, until }),
      restored: (budget) => host.emit({ type: 'server-restored', budget, at: host.timeline.now(), reason: 'probe-succeeded' }),
      room: (budget) => this.#room.next({ type: 'room', budget }),
    });
  }

  #server(key: string): ServerState {
    let server = this.#servers.get(key);
    if (server === undefined) {
      server = { held: 0, latency: this.#decayMs === undefined ? undefined : new PeakEwma(this.#decayMs), unlisted: false, spellings: undefined };
      this.#servers.set(key, server);
    } else if (server.unlisted) {
      server.unlisted = false; // listed again before its last slot came back
    }
    return server;
  }

  #keyOf(server: string): string {
    let key = this.#keys.get(server);
    if (key === undefined) {
      key = normalizeServerKey(server);
      // Memoised only for a server this process counts, so the memo goes when the server does.
      const state = this.#servers.get(key);
      if (state === undefined) return key;
      this.#keys.set(server, key);
      if (server !== key) (state.spellings ??= []).push(server);
    }
    return key;
  }
}

/** A budget's adaptive limit as stats show it. */
export interface AdaptiveView {
  readonly limit: number;
  readonly min: number;
  readonly max: number;
  readonly algorithm: string;
  readonly reason: 'probe' | 'latency' | 'errors' | undefined;
}

/** A budget's health as stats show it (present once it has failed once). */
export type HealthView = { readonly state: 'ejected'; readonly until: number } | { readonly state: 'healthy' | 'half-open' };
