/**
 * What one finished attempt tells a budget's limit: how long it ran, how many attempts the budget
 * had running when it ended (this one included), and whether it failed or timed out.
 */
export interface LimitSample {
  /** The scheduler's `now()` when the attempt ended. */
  readonly at: number;
  /** From the attempt's start to its result, in ms. */
  readonly rttMs: number;
  /** Attempts running on the budget when it ended, this one included. */
  readonly inFlight: number;
  /** False when the attempt failed or timed out. */
  readonly ok: boolean;
}

/** Why a limit moved. */
export type LimitReason =
  /** Attempts came back at their no-load latency while the budget was in full use: room to grow. */
  | 'probe'
  /** Latency rose above the no-load baseline: the server is queueing. */
  | 'latency'
  /** An attempt failed or timed out. */
  | 'errors';

/** What an algorithm makes of one sample: the limit it wants (a real number) and why. */
export interface LimitStep {
  readonly limit: number;
  readonly reason: LimitReason;
}

/** What every algorithm is told besides the sample: the latency the budget shows without load. */
export interface LimitView {
  /** The limit now (a real number: algorithms move it by fractions). */
  readonly limit: number;
  /** The smoothed latency of recent attempts, in ms. */
  readonly rttMs: number;
  /** The lowest smoothed latency seen: the no-load baseline, in ms. */
  readonly baselineMs: number;
}

/**
 * A way to move a budget's limit from what its attempts show. Pure: the same view and sample give
 * the same step, and any state an algorithm keeps lives in the object it returns from `create`,
 * one per budget. `AdaptiveLimit` (from `smt-rx/operators`) clamps the result between the budget's min and max.
 */
export interface LimitAlgorithm {
  /** The name shown in stats and events (`'aimd'`, `'gradient'`). */
  readonly name: string;
  /** The per-budget state; `step` is called once per sample, in order. */
  create(): { step(view: LimitView, sample: LimitSample): LimitStep | undefined };
}
