import type { LimitAlgorithm, LimitReason, LimitSample, LimitStep, LimitView } from './limitAlgorithm.js';

/** Bounds of an adaptive limit. */
export interface AdaptiveBounds {
  /** Never below (an integer >= 1). */
  readonly min: number;
  /** The hard cap: never above (an integer >= min). */
  readonly max: number;
  /** Where it starts (within [min, max]). */
  readonly initial: number;
}

/** A move of the integer limit in force. */
export interface LimitMove {
  readonly from: number;
  readonly to: number;
  readonly reason: LimitReason;
}

/** Weight of a new latency in the smoothed latency: about the last five attempts count. */
const RTT_WEIGHT = 0.2;

/**
 * One budget's adaptive limit: feeds each finished attempt to its algorithm and keeps the result
 * within [min, max]. The algorithm works on a real number; the limit in force is that number
 * rounded, and `observe` returns a move only when the rounded value changes. The no-load baseline
 * is the lowest smoothed latency of successful attempts: failures often come back fast and would
 * fake a fast server. Pure: time comes in with the samples.
 */
export class AdaptiveLimit {
  #limit: number;
  #rttMs = 0;
  #baselineMs = Infinity;
  readonly #step: (view: LimitView, sample: LimitSample) => LimitStep | undefined;
  lastReason: LimitReason | undefined = undefined;

  constructor(
    readonly algorithm: LimitAlgorithm,
    readonly bounds: AdaptiveBounds,
  ) {
    this.#limit = bounds.initial;
    const state = algorithm.create();
    this.#step = (view, sample) => state.step(view, sample);
  }

  /** The limit in force: an integer within [min, max]. */
  get limit(): number {
    return Math.round(this.#limit);
  }

  /** The no-load baseline latency in ms (Infinity before the first success). */
  get baselineMs(): number {
    return this.#baselineMs;
  }

  observe(sample: LimitSample): LimitMove | undefined {
    if (sample.ok) {
      this.#rttMs = this.#rttMs === 0 ? sample.rttMs : this.#rttMs + (sample.rttMs - this.#rttMs) * RTT_WEIGHT;
      if (this.#rttMs < this.#baselineMs) this.#baselineMs = this.#rttMs;
    }
    // Nothing to compare with before the first success, except that errors are errors.
    if (this.#baselineMs === Infinity && sample.ok) return undefined;
    const view: LimitView = { limit: this.#limit, rttMs: this.#rttMs || sample.rttMs, baselineMs: this.#baselineMs === Infinity ? sample.rttMs : this.#baselineMs };
    const step = this.#step(view, sample);
    if (step === undefined || !Number.isFinite(step.limit)) return undefined;
    const from = this.limit;
    this.#limit = Math.min(this.bounds.max, Math.max(this.bounds.min, step.limit));
    const to = this.limit;
    if (to === from) return undefined;
    this.lastReason = step.reason;
    return { from, to, reason: step.reason };
  }
}
