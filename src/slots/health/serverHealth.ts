/** Options of the health check of each server. */
export interface HealthOptions {
  /** Failed or timed-out attempts in a row that eject a server. @default 5 */
  readonly failures?: number;
  /** The first ejection's length in ms; each failed probe doubles it. @default 5_000 */
  readonly ejectMs?: number;
  /** The longest ejection in ms. @default 60_000 */
  readonly maxEjectMs?: number;
  /** Share of a provider's pool that may be ejected at once, in [0, 1): a pool never loses its last server. @default 0.5 */
  readonly maxEjectedShare?: number;
}

export type ResolvedHealthOptions = Required<HealthOptions>;

export function resolveHealth(options: HealthOptions): ResolvedHealthOptions {
  return {
    failures: options.failures ?? 5,
    ejectMs: options.ejectMs ?? 5_000,
    maxEjectMs: options.maxEjectMs ?? 60_000,
    maxEjectedShare: options.maxEjectedShare ?? 0.5,
  };
}

export type HealthState =
  /** Takes work; `failures` in a row so far, the latest by an attempt started at `lastFailedStart`. */
  | { readonly tag: 'healthy'; readonly failures: number; readonly lastFailedStart?: number }
  /** Takes no new work until `until`. */
  | { readonly tag: 'ejected'; readonly until: number; readonly ejectMs: number }
  /** Takes one probe; `probeAt` is when it started (undefined: none out yet). */
  | { readonly tag: 'half-open'; readonly ejectMs: number; readonly probeAt: number | undefined };

/** What a result changed: the server should be ejected (if the pool can spare it), or it is back. */
export type HealthVerdict =
  | { readonly type: 'eject'; readonly reason: 'failures' | 'probe-failed'; readonly failures: number; readonly ejectMs: number }
  | { readonly type: 'restore'; readonly reason: 'probe-succeeded' };

/**
 * One server's health, as a small state machine (the circuit breaker's): healthy → ejected after
 * `failures` failed attempts in a row → half-open when the ejection ends, where one probe attempt
 * decides: success → healthy, failure → ejected again for twice as long (up to `maxEjectMs`).
 * Results of attempts started before the probe do not count as the probe's, and a success of an
 * attempt started before the latest failure's does not reset the count (it says nothing about the
 * server now: a server that turns bad has older attempts still coming back fine). Pure: time comes in
 * as arguments; the caller keeps the timer that calls `reopen` and decides whether the pool can
 * spare the server before calling `eject`.
 */
export class ServerHealth {
  state: HealthState = { tag: 'healthy', failures: 0 };

  constructor(readonly options: ResolvedHealthOptions) {}

  /** May an attempt start now? (Healthy: yes. Ejected: no. Half-open: only the one probe.) */
  get canStart(): boolean {
    const state = this.state;
    return state.tag === 'healthy' || (state.tag === 'half-open' && state.probeAt === undefined);
  }

  /** Healthy (not ejected, not half-open). */
  get healthy(): boolean {
    return this.state.tag === 'healthy';
  }

  /** An attempt started at `at`; in half-open it is the probe. */
  started(at: number): void {
    const state = this.state;
    if (state.tag === 'half-open' && state.probeAt === undefined) this.state = { ...state, probeAt: at };
  }

  /** An attempt started at `startedAt` came back. */
  result(ok: boolean, startedAt: number): HealthVerdict | undefined {
    const state = this.state;
    if (state.tag === 'healthy') {
      if (ok && (state.failures === 0 || startedAt < (state.lastFailedStart ?? -Infinity))) return undefined;
      const failures = ok ? 0 : state.failures + 1;
      this.state = ok ? { tag: 'healthy', failures } : { tag: 'healthy', failures, lastFailedStart: Math.max(startedAt, state.lastFailedStart ?? -Infinity) };
      if (failures < this.options.failures) return undefined;
      return { type: 'eject', reason: 'failures', failures, ejectMs: this.options.ejectMs };
    }
    if (state.tag !== 'half-open' || state.probeAt === undefined || startedAt < state.probeAt) return undefined;
    if (ok) {
      this.state = { tag: 'healthy', failures: 0 };
      return { type: 'restore', reason: 'probe-succeeded' };
    }
    const ejectMs = Math.min(this.options.maxEjectMs, state.ejectMs * 2);
    return { type: 'eject', reason: 'probe-failed', failures: 1, ejectMs };
  }

  /** Ejects it from `now` for `ejectMs`; returns when it reopens. */
  eject(now: number, ejectMs: number): number {
    const until = now + ejectMs;
    this.state = { tag: 'ejected', until, ejectMs };
    return until;
  }

  /** The ejection is over: one probe may start. */
  reopen(): void {
    const state = this.state;
    if (state.tag === 'ejected') this.state = { tag: 'half-open', ejectMs: state.ejectMs, probeAt: undefined };
  }

  /** The probe ended without a verdict (cancelled, or its pool was torn down): another may start. */
  probeLost(startedAt: number): void {
    const state = this.state;
    if (state.tag === 'half-open' && state.probeAt !== undefined && startedAt >= state.probeAt) {
      this.state = { ...state, probeAt: undefined };
    }
  }
}
