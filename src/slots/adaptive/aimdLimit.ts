import type { LimitAlgorithm, LimitSample, LimitStep, LimitView } from './limitAlgorithm.js';

export interface AimdOptions {
  /** Latency above `tolerance × baseline` counts as overload, as an error does. @default 1.5 */
  readonly tolerance?: number;
  /** Factor applied on overload. @default 0.9 */
  readonly backoffRatio?: number;
}

/**
 * Additive increase, multiplicative decrease (TCP's congestion avoidance): +1 per limit's worth
 * of samples that came back fine while the budget was at least half used (so about +1 per round
 * trip, and only while the smoothed latency is within the tolerance too), × `backoffRatio` on an
 * error, a timeout or a latency above `tolerance × baseline`. One decrease per round trip: the
 * samples of work started before the last decrease say nothing new.
 */
export function aimdLimit(options: AimdOptions = {}): LimitAlgorithm {
  const tolerance = options.tolerance ?? 1.5;
  const backoffRatio = options.backoffRatio ?? 0.9;
  return {
    name: 'aimd',
    create: () => {
      let lastDecreaseAt = -Infinity;
      return {
        step(view: LimitView, sample: LimitSample): LimitStep | undefined {
          const overloaded = !sample.ok || sample.rttMs > tolerance * view.baselineMs;
          if (overloaded) {
            if (sample.at - lastDecreaseAt < view.rttMs) return undefined;
            lastDecreaseAt = sample.at;
            return { limit: view.limit * backoffRatio, reason: sample.ok ? 'latency' : 'errors' };
          }
          if (sample.inFlight * 2 < view.limit) return undefined; // not using what it has: no evidence
          // One good sample in an overloaded stretch is no reason to grow: the smoothed latency must agree.
          if (view.rttMs > tolerance * view.baselineMs) return undefined;
          return { limit: view.limit + 1 / view.limit, reason: 'probe' };
        },
      };
    },
  };
}
