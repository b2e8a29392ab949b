import { TaskTimeoutError } from '../errors/TaskTimeoutError.js';
import type { Clock, ClockTarget, ClockTick } from '../internal/clock.js';

const DEADLINE = 0;
const GRACE = 1;

/**
 * One attempt raced against its deadline, then held until its work has really stopped: the state
 * machine behind `attemptTimeout` (one per subscription) and the task manager's attempts (one per
 * attempt, on the manager's one-timer `Timeline`).
 *
 * - The first result counts: the work's own (`finish`), or the `TaskTimeoutError` when the
 *   deadline passes first (`decide`). What the work does after that is ignored.
 * - The deadline, or a stop from outside (a cancel), asks the work to stop (`requestAbort` →
 *   `onAbortRequested`, where the subclass aborts its signal). Once it has been told, the attempt
 *   waits up to `graceMs` for the work to settle (`holdUntilSettled`); when the grace is over the
 *   work is abandoned (`onAbandoned`). Until then whoever holds a slot for the attempt holds it, so
 *   a server never runs more than its limit while a Promise ignores its signal.
 * - The attempt is over once (`settle` → `onSettled`); then no time stays booked. `release` ends it
 *   without a word (unsubscribed from outside).
 *
 * A subclass books its times on itself (it is the clock's target), so an attempt costs no closure
 * and no object beyond itself.
 * @internal
 */
export abstract class DeadlineGrace<H> implements ClockTarget {
  /** The deadline, from the start of the work; `Infinity`: none. */
  timeoutMs = Infinity;
  /** How long stopped work is waited for before it is abandoned; `Infinity`: as long as it takes. */
  graceMs = Infinity;
  /** The deadline passed before the work's result. */
  timedOut = false;
  /** The result is known (the work's, the timeout, or a stop from outside): later ones are ignored. */
  decided = false;
  /** The work was asked to stop (its deadline passed, or it was stopped from outside). */
  abortRequested = false;
  /** The attempt is over: the work settled, was abandoned, or was let go. */
  settled = false;
  #deadline: H | undefined = undefined;
  #grace: H | undefined = undefined;

  /** Where the deadline and the grace are booked. */
  protected abstract get clock(): Clock<H>;
  /** For the `TaskTimeoutError`. */
  protected abstract get taskId(): string;
  abstract readonly server: string;

  /** The result is known: the work's value or error, or the `TaskTimeoutError`. */
  protected abstract onDecided(ok: boolean, valueOrError: unknown): void;
  /** Ask the work to stop; once it has been told, call `holdUntilSettled` (unless it has settled). */
  protected abstract onAbortRequested(reason: unknown): void;
  /** The grace is over and the work still runs: it is given up on (the attempt settles right after). */
  protected abstract onAbandoned(): void;
  /** The attempt is over (once): give back what it held. */
  protected abstract onSettled(): void;

  /** Books the deadline, counted from `from` (default: now); none for `Infinity` or a known result. */
  protected startDeadline(from?: number): void {
    if (this.timeoutMs === Infinity || this.decided || this.settled) return;
    this.#deadline = this.clock.after(this.timeoutMs, this, DEADLINE, from);
  }

  /** The work settled with its result: the first result counts, and the attempt is over. */
  finish(ok: boolean, valueOrError: unknown): void {
    if (this.settled) return;
    this.decide(ok, valueOrError);
    this.settle();
  }

  /** The result is known, though the work may still run (a timeout). */
  decide(ok: boolean, valueOrError: unknown): void {
    if (this.decided) return;
    this.decided = true;
    this.#cancelDeadline();
    this.onDecided(ok, valueOrError);
  }

  /** Stops the attempt (deadline, cancel, forced shutdown): its result no longer counts. */
  requestAbort(reason: unknown): void {
    if (this.settled || this.abortRequested) return;
    this.abortRequested = true;
    this.decided = true;
    this.#cancelDeadline();
    this.onAbortRequested(reason);
  }

  /** The work was told to stop: wait up to `graceMs` for it to settle. */
  protected holdUntilSettled(): void {
    if (this.settled || this.graceMs === Infinity) return;
    this.#grace = this.clock.after(this.graceMs, this, GRACE);
  }

  /** Gives up on the work now, whether or not it has settled (grace over, forced shutdown). */
  abandon(): void {
    if (this.settled) return;
    this.onAbandoned();
    this.settle();
  }

  protected settle(): void {
    if (this.release()) this.onSettled();
  }

  /** Ends the attempt without a word (let go from outside); false if it was over already. */
  release(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.#cancelDeadline();
    if (this.#grace !== undefined) {
      this.clock.cancel(this.#grace);
      this.#grace = undefined;
    }
    return true;
  }

  onTime(tick: ClockTick): void {
    if (tick.kind === GRACE) {
      this.#grace = undefined;
      this.abandon();
      return;
    }
    this.#deadline = undefined;
    this.timedOut = true;
    const error = new TaskTimeoutError(this.taskId, this.server, this.timeoutMs);
    this.decide(false, error);
    this.requestAbort(error);
  }

  #cancelDeadline(): void {
    if (this.#deadline === undefined) return;
    this.clock.cancel(this.#deadline);
    this.#deadline = undefined;
  }
}
