import type { LimitAlgorithm, LimitSample, LimitStep, LimitView } from './limitAlgorithm.js';

export interface GradientOptions {
  /**
   * Latency this many times the baseline is still "no queueing". Above 1 because the baseline is
   * the lowest smoothed latency seen: with a tolerance of 1, ordinary latency noise reads as
   * queueing and holds the limit below the capacity. @default 1.1
   */
  readonly tolerance?: number;
  /** How much of each step is taken (the rest is the old limit). @default 0.2 */
  readonly smoothing?: number;
  /**
   * Head-room added each step, so the limit can grow past what is used: `queue(limit)`. The limit
   * settles near `tolerance × capacity + queue`: a head-room of 1 keeps a small server one attempt
   * over its capacity (+50 % latency at a capacity of 2); 0.2 rounds to the capacity and still
   * grows about 1.5× per second at 100 ms. @default 0.2
   */
  readonly queue?: (limit: number) => number;
}

/**
 * The latency gradient (after Netflix concurrency-limits' Gradient2): `gradient = tolerance ×
 * baseline / rtt`, kept within [0.5, 1]; the wanted limit is `limit × gradient + queue`, and the
 * limit moves a `smoothing` share towards it. While latency stays at the baseline the limit grows
 * by `queue` per step; once the server queues, the gradient falls and the limit settles where
 * `limit × (1 − gradient) = queue`, just above the server's capacity. An error halves the gradient.
 */
export function gradientLimit(options: GradientOptions = {}): LimitAlgorithm {
  const tolerance = options.tolerance ?? 1.1;
  const smoothing = options.smoothing ?? 0.2;
  const queue = options.queue ?? (() => 0.2);
  return {
    name: 'gradient',
    create: () => ({
      step(view: LimitView, sample: LimitSample): LimitStep | undefined {
        const gradient = sample.ok ? Math.max(0.5, Math.min(1, (tolerance * view.baselineMs) / view.rttMs)) : 0.5;
        // Not using what it has and no sign of trouble: no evidence to grow on.
        if (gradient === 1 && sample.inFlight * 2 < view.limit) return undefined;
        const wanted = view.limit * gradient + queue(view.limit);
        const limit = view.limit * (1 - smoothing) + wanted * smoothing;
        const reason = !sample.ok ? 'errors' : limit >= view.limit ? 'probe' : 'latency';
        return { limit, reason };
      },
    }),
  };
}
