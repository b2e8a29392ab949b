import { InvalidOptionError } from '../errors/invalidOption.js';

/**
 * Priority aging on a fixed grid, so that a waiting item cannot be passed over forever.
 *
 * The rule: the clock is cut into steps of `stepMs` from `epoch`; at every step boundary, every
 * waiting item rises one priority level. An item's effective priority at `now` is therefore
 * `priority + step(now) - step(queuedAt)`, where `step(t) = floor((t - epoch) / stepMs)`: after a
 * wait of `w` ms it has risen `floor(w / stepMs)` or `floor(w / stepMs) + 1` levels. Items of equal
 * effective priority keep their order (FIFO by sequence).
 *
 * Why a grid: `step(now)` is the same for every waiting item, so the order of two items never
 * changes while they wait. A queue can rank an item once, when it is queued, by
 * `priority - step(queuedAt)` (see {@link rank}), and needs no timer, no promotion pass and no
 * re-sorting; a slot broker comparing the heads of several queues compares these ranks as they are.
 * There is no cap on the rise for the same reason: an item stuck at a cap would fall behind the
 * others as they go on rising, and the order would change with time.
 *
 * Ranks are exact for integer priorities (a fractional priority is rounded once, like any sum of
 * floating-point numbers).
 */
export class PriorityAging {
  constructor(
    /** One level per `stepMs` of wait (> 0, finite). */
    readonly stepMs: number,
    /** Where the grid starts (the scheduler's clock): a queue's or a manager's creation. */
    readonly epoch: number,
  ) {}

  /** Grid steps from the epoch to `at`. */
  step(at: number): number {
    return Math.floor((at - this.epoch) / this.stepMs);
  }

  /** What a queue orders by (higher first): the priority less the steps passed before it was queued. */
  rank(priority: number, queuedAt: number): number {
    return priority - this.step(queuedAt);
  }

  /** The priority an item of rank `rank` queued at `queuedAt` was given (exact for integers). */
  priorityOf(rank: number, queuedAt: number): number {
    return rank + this.step(queuedAt);
  }
}

/** The `agingMs` option of the manager and of `priorityBuffer`: checked the same way at both. */
export function checkAgingMs(agingMs: unknown): void {
  if (agingMs === undefined) return;
  if (!(typeof agingMs === 'number' && Number.isFinite(agingMs) && agingMs > 0)) {
    throw new InvalidOptionError('agingMs', 'a finite number above 0 (ms per priority level)', agingMs);
  }
}
