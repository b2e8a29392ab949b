import { checkOptional, expectFunction, expectMaxQueued, expectOverflow } from '../errors/checks.js';
import { InvalidOptionError } from '../errors/invalidOption.js';
import { LevelQueue, type Ranked } from '../queues/levelQueue.js';
import { overflowVictim } from '../queues/overflowVictim.js';
import type { BufferQueue } from '../queues/slotQueue.js';
import { reportHookError } from './reportHookError.js';

/**
 * What a bounded operator did with an item it could not keep: `QueueFull`, the newcomer was
 * refused (the manager's rejection of the same name); `Dropped`, a waiting item was evicted to make
 * room for the newcomer (the manager cancels it with reason `overflow`).
 */
export type Overflowed<T> =
  | { readonly _tag: 'QueueFull'; readonly item: T; readonly maxQueued: number }
  | { readonly _tag: 'Dropped'; readonly item: T; readonly maxQueued: number };

/** The bound of a stream operator's queue: the manager's `maxQueued` and `overflow`, for streams. */
export interface OverflowConfig<T> {
  /** At most this many items wait (commands are always taken, and never dropped). @default Infinity */
  readonly maxQueued?: number;
  /**
   * A full queue refuses the newcomer (`reject`), or evicts the oldest waiting item of the lowest
   * priority if the newcomer's priority is not lower (`drop-oldest`; otherwise it refuses).
   * @default 'reject'
   */
  readonly overflow?: 'reject' | 'drop-oldest';
  /** Hears of each refused or evicted item; what it throws goes to rxjs `config.onUnhandledError`. */
  readonly onOverflow?: (event: Overflowed<T>) => void;
}

/** Checks the bound's options at the boundary; `drop-oldest` needs ranks, hence a LevelQueue. */
export function checkOverflowConfig<T>(config: OverflowConfig<T>, queue?: BufferQueue<T>): void {
  checkOptional('maxQueued', config.maxQueued, expectMaxQueued);
  checkOptional('overflow', config.overflow, expectOverflow);
  checkOptional('onOverflow', config.onOverflow, expectFunction);
  if (config.overflow === 'drop-oldest' && queue !== undefined && !(queue instanceof LevelQueue)) {
    throw new InvalidOptionError('overflow', "'reject' with a PullQueue ('drop-oldest' needs the ranks of a LevelQueue)", config.overflow);
  }
}

/**
 * The push that keeps `queue` within `maxQueued`: a command (lane 0 of a LevelQueue) always goes in;
 * otherwise a full queue refuses the entry or evicts a victim for it, and `onOverflow` hears of it
 * once the queue is settled (so a callback that feeds the source again finds a consistent queue).
 */
export function boundedPush<E, T>(queue: BufferQueue<E>, config: OverflowConfig<T>, valueOf: (entry: E) => T): (entry: E) => void {
  const maxQueued = config.maxQueued ?? Infinity;
  if (maxQueued === Infinity) return (entry) => queue.push(entry);
  const ranked = queue instanceof LevelQueue ? (queue as unknown as LevelQueue<Ranked & E>) : undefined;
  const drop = config.overflow === 'drop-oldest' && ranked !== undefined;
  const report = (event: Overflowed<T>): void => {
    try {
      config.onOverflow?.(event);
    } catch (error) {
      reportHookError(error);
    }
  };
  return (entry) => {
    const rank = entry as Ranked & E;
    if (queue.size < maxQueued || (ranked !== undefined && rank.lane === 0)) {
      queue.push(entry);
      return;
    }
    const victim = drop ? overflowVictim(ranked, rank.priority) : undefined;
    if (victim === undefined) {
      report({ _tag: 'QueueFull', item: valueOf(entry), maxQueued });
      return;
    }
    queue.remove(victim);
    queue.push(entry);
    report({ _tag: 'Dropped', item: valueOf(victim), maxQueued });
  };
}
