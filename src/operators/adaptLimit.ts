import type { OperatorFunction } from 'rxjs';
import { AdaptiveLimit, type LimitMove } from '../slots/adaptive/adaptiveLimit.js';
import { resolveAdaptive, type AdaptiveLimitOptions } from '../slots/adaptive/adaptiveOptions.js';
import type { LimitSample } from '../slots/adaptive/limitAlgorithm.js';
import { operate } from './operate.js';
import { subscribeToSource } from './sourceObserver.js';

/**
 * Turns the samples of finished attempts into the moves of an adaptive concurrency limit.
 *
 * <span class="informal">The task manager's adaptive budgets, on their own: feed it one
 * {@link LimitSample} per finished attempt, get a {@link LimitMove} each time the limit in force
 * changes, with the reason.</span>
 *
 * Each subscription has its own limit, starting at `initial` and kept within [`min`, `max`]. The
 * options are checked when the operator is created.
 *
 * ## Example
 * ```ts
 * import type { Observable } from 'rxjs';
 * import { adaptLimit, type LimitSample } from 'smt-rx/operators';
 *
 * declare const samples$: Observable<LimitSample>;
 * samples$.pipe(adaptLimit({ max: 32, initial: 4, algorithm: 'gradient' }))
 *   .subscribe(({ from, to, reason }) => console.log(`${from} → ${to} (${reason})`));
 * ```
 *
 * @param options The bounds and the algorithm (`'gradient'` by default, or `'aimd'`).
 * @returns An operator that emits each move of the limit.
 */
export function adaptLimit(options: AdaptiveLimitOptions): OperatorFunction<LimitSample, LimitMove> {
  const { bounds, algorithm } = resolveAdaptive('options', options);
  return operate<LimitSample, LimitMove>((source, subscriber) => {
    const limit = new AdaptiveLimit(algorithm, bounds);
    return subscribeToSource(source, subscriber, {
      next: (sample) => {
        const move = limit.observe(sample);
        if (move !== undefined) subscriber.next(move);
      },
      error: (error) => subscriber.error(error),
      complete: () => subscriber.complete(),
    });
  });
}
